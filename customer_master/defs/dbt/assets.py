"""The dbt project as assets: one `@dbt_assets` over every model, seed and snapshot.

dbt tests become asset checks (severity `error` → blocking, `warn` → warning). Before dbt runs,
the board mapping is validated and rendered into its seed, so a bad mapping key fails the run with
a clear message before any model is touched.
"""

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from customer_master.board_mapping import sync_field_map_seed
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.dbt.translator import CustomerMasterTranslator
from customer_master.defs.shared import WAREHOUSE_POOL

translator = CustomerMasterTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
    name="customer_master_dbt",
)
def customer_master_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    sync_field_map_seed(dbt_project.project_dir)
    # No .fetch_row_counts(): it queries DuckDB from this process through dbt's adapter and keeps
    # that connection, which then locks out every other writer of the file (dagster-io#16248).
    yield from dbt.cli(["build"], context=context).stream()


warehouse_models_job = dg.define_asset_job(
    "warehouse_models_job",
    selection=dg.AssetSelection.assets(customer_master_dbt),
    description="dbt build: staging, marts, snapshots and their tests (tests run as asset checks).",
)
