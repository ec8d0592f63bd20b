"""The dbt project as assets: one `@dbt_assets` per partitions definition.

* `customer_master_dbt` (unpartitioned): staging, marts, snapshots and seeds: the current state.
* `schedule_models_dbt` (daily, partition = plan date): the models tagged `schedule`, built on the
  plan the `delivery_plan` asset wrote. dbt receives the partition range as `min_date`/`max_date`,
  so `schedule_history` replaces exactly those plan dates; a backfill runs once for its whole range.

dbt tests become asset checks (severity `error` → blocking, `warn` → warning). Before dbt runs,
the board mapping is checked against the boards as pulled (warehouse/mapping.py) and written for the
staging models: a mapping whose board was not pulled, or whose required field has no column, fails
the run naming what to fix before any model is touched.
"""

import json
from datetime import timedelta

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from customer_master.board_mapping import configured_mapping
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.dbt.translator import CustomerMasterTranslator
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import WAREHOUSE_POOL, daily_partitions
from customer_master.thresholds import get_thresholds
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.mapping import apply_board_mapping
from customer_master.warehouse.marts import failure_messages

SCHEDULE_SELECTOR = "tag:schedule"

translator = CustomerMasterTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    exclude=SCHEDULE_SELECTOR,
    pool=WAREHOUSE_POOL,
    name="customer_master_dbt",
)
def customer_master_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    wh = warehouse.get_warehouse()
    applied = apply_board_mapping(wh, configured_mapping())
    context.log.info(
        f"board mapping applied: {applied.fields_written} fields, {applied.values_written} labels"
    )
    for warning in applied.warnings:
        context.log.warning(f"board mapping: {warning}")
    # No .fetch_row_counts(): it queries DuckDB from this process through dbt's adapter and keeps
    # that connection, which then locks out every other writer of the file (dagster-io#16248).
    args = ["build", "--vars", json.dumps(threshold_vars())]
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    held = []
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult) and not event.passed and says_what_to_fix(event):
            held.append(event)  # its messages are read once dbt has let go of the warehouse
        else:
            yield event
    for event in held:
        yield with_failure_messages(event, wh, invocation.manifest)
    error = invocation.get_error()
    if error is not None:
        raise error


# dbt tests that store failing rows with a `message` naming what to fix (tests/generic/mapping_tests.sql).
MESSAGE_TESTS = ("required_fields_populated", "not_empty_when_board_has_items")


def says_what_to_fix(check: dg.AssetCheckResult) -> bool:
    return (check.check_name or "").startswith(MESSAGE_TESTS)


def with_failure_messages(check: dg.AssetCheckResult, wh: Warehouse, manifest: dict) -> dg.AssetCheckResult:
    """The failed check with the test's stored messages as its description and metadata."""
    unique_id = check.metadata.get("unique_id")
    node = manifest.get("nodes", {}).get(str(unique_id.value if unique_id else ""), {})
    relation = node.get("relation_name")
    if not relation:
        return check
    messages = failure_messages(wh, relation)
    return dg.AssetCheckResult(
        check_name=check.check_name,
        asset_key=check.asset_key,
        passed=check.passed,
        severity=check.severity,
        description=" | ".join(messages) or check.description,
        metadata={**check.metadata, "messages": dg.MetadataValue.json(messages)},
    )


def threshold_vars() -> dict[str, float]:
    """The business DQ thresholds (customer_master/thresholds.py) for the dbt tests that apply them."""
    t = get_thresholds()
    return {"dq_coverage_min": t.coverage_min, "dq_customer_name_nulls_max": t.customer_name_nulls_warn}


def partition_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    """The plan dates of this run (one partition, or a backfill's whole range) as dbt vars."""
    window = context.partition_time_window
    last = window.end - timedelta(days=1)
    return {"min_date": window.start.date().isoformat(), "max_date": last.date().isoformat()}


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=SCHEDULE_SELECTOR,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    name="schedule_models_dbt",
)
def schedule_models_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    args = ["build", "--vars", json.dumps(partition_vars(context))]
    yield from dbt.cli(args, context=context).stream()


warehouse_models_job = dg.define_asset_job(
    "warehouse_models_job",
    selection=dg.AssetSelection.assets(customer_master_dbt),
    description="dbt build: staging, marts, snapshots and their tests (tests run as asset checks).",
)
