"""The dbt project as assets: one `@dbt_assets` per partitions definition.

* `customer_master_dbt` (unpartitioned): staging, marts, snapshots and seeds: the current state.
* `schedule_models_dbt` (daily, partition = plan date): the models tagged `schedule`, built on the
  plan the `delivery_plan` asset wrote. dbt receives the partition range as `min_date`/`max_date`,
  so `schedule_history` replaces exactly those plan dates; like every daily asset, one day per
  backfill run (`DAILY_BACKFILL_POLICY`, defs/shared.py).

dbt tests become asset checks (severity `error` → blocking, `warn` → warning), named in the yml
(`name:`) so each reads apart from the others in the UI. Every built model gets `dagster/row_count`
(defs/dbt/events.py). Before dbt runs, the board mapping is checked against the boards as pulled
(warehouse/mapping.py) and written for the staging models: a mapping whose board was not pulled, or
whose required field has no column, fails the run naming what to fix before any model is touched.
"""

import json
from datetime import timedelta

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from customer_master.board_mapping import configured_mapping
from customer_master.defs.dbt.events import completed_events
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.dbt.translator import CustomerMasterTranslator
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import DAILY_BACKFILL_POLICY, WAREHOUSE_POOL, daily_partitions
from customer_master.settings import dbt_vars, get_settings
from customer_master.warehouse.mapping import apply_board_mapping

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
    args = ["build", "--vars", json.dumps(dbt_vars(get_settings()))]
    yield from completed_events(dbt.cli(args, context=context, raise_on_error=False), wh, context.log)


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
    backfill_policy=DAILY_BACKFILL_POLICY,
    pool=WAREHOUSE_POOL,
    name="schedule_models_dbt",
)
def schedule_models_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    args = ["build", "--vars", json.dumps({**dbt_vars(get_settings()), **partition_vars(context)})]
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from completed_events(invocation, warehouse.get_warehouse(), context.log)


warehouse_models_job = dg.define_asset_job(
    "warehouse_models_job",
    selection=dg.AssetSelection.assets(customer_master_dbt),
    description="dbt build: staging, marts, snapshots and their tests (tests run as asset checks).",
)
