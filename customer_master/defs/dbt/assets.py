"""The dbt project as assets: one `@dbt_assets` per partitions definition.

* `customer_master_dbt` (unpartitioned): staging, marts, snapshots and seeds: the current state.
* `schedule_models_dbt` (daily, partition = plan date): the models tagged `schedule`, built on the
  plan the `delivery_plan` asset wrote. dbt receives the partition range as `min_date`/`max_date`,
  so `schedule_history` replaces exactly those plan dates; a backfill runs once for its whole range.

dbt tests become asset checks (severity `error` → blocking, `warn` → warning). Before dbt runs,
the board mapping is validated and rendered into its seed, so a bad mapping key fails the run with
a clear message before any model is touched.
"""

import json
from datetime import timedelta

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from customer_master.board_mapping import sync_field_map_seed
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.dbt.translator import CustomerMasterTranslator
from customer_master.defs.shared import WAREHOUSE_POOL, daily_partitions
from customer_master.thresholds import get_thresholds

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
def customer_master_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    sync_field_map_seed(dbt_project.project_dir)
    # No .fetch_row_counts(): it queries DuckDB from this process through dbt's adapter and keeps
    # that connection, which then locks out every other writer of the file (dagster-io#16248).
    yield from dbt.cli(["build", "--vars", json.dumps(threshold_vars())], context=context).stream()


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
