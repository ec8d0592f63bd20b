"""The analysts' copy of the warehouse: the last step of the nightly pipeline.

An asset, not a run-success sensor: it runs in the warehouse pool with the other writers (a sensor
runs in the daemon, outside the pool, and could hit a run's lock), only after every upstream step
(and blocking check) succeeded, and it shows in the lineage with its size and time. On SQL Server
analysts query the warehouse itself, so there is nothing to publish.
"""

import dagster as dg

from customer_master.defs.dbt import assets as dbt_assets  # the module: see defs/pipeline.py
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import WAREHOUSE_POOL
from customer_master.settings import get_settings

ANALYST_GROUP = "analyst"
ANALYST_COPY_KEY = dg.AssetKey("analyst_copy")


@dg.asset(
    key=ANALYST_COPY_KEY,
    group_name=ANALYST_GROUP,
    kinds={get_settings().warehouse_kind},
    pool=WAREHOUSE_POOL,
    deps=[dbt_assets.schedule_models_dbt],
    description=(
        "A read-only copy of the DuckDB warehouse for analysts (.data/analyst/customer_master.duckdb), "
        "swapped in atomically after the nightly pipeline: holding it open never blocks the pipeline. "
        "Nothing to do on SQL Server."
    ),
)
def analyst_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    copy = warehouse.get_warehouse().publish_for_analysts()
    if copy is None:
        context.log.info("SQL Server serves analysts directly: no copy to publish")
        return dg.MaterializeResult(metadata={"published": False})
    context.log.info(f"analysts' copy published: {copy.path} ({copy.tables} tables, {copy.seconds:.1f} s)")
    return dg.MaterializeResult(
        metadata={
            "published": True,
            "path": dg.MetadataValue.path(str(copy.path)),
            "tables": copy.tables,
            "bytes": copy.bytes,
            "seconds": round(copy.seconds, 3),
        }
    )
