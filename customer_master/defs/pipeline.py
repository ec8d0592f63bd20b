"""The nightly pipeline: at 02:00 (in the partitions' timezone) run the day's partition end to end.

Monday ingestion (and the OMS, when enabled) → dbt (staging, marts, snapshots) → the delivery plan
for that day → the schedule models (delivery_schedules, capacity_planning, schedule_history,
delivery_performance), with every asset check → the analysts' read-only copy of the DuckDB
warehouse (defs/warehouse). The schedule targets the newest partition, the day it runs on
(`end_offset=1`); backfills of earlier days run the same job for a range of partitions (the plan of
a past day is made from the snapshots as of that day, and replaces that day's plan).
"""

import dagster as dg

# The module, not its assets: a defs module holding an asset by name would define it twice.
from customer_master.defs.dbt import assets as dbt_assets
from customer_master.defs.monday.assets import MONDAY_GROUP
from customer_master.defs.oms.assets import OMS_GROUP
from customer_master.defs.scheduling.assets import SCHEDULING_GROUP
from customer_master.defs.warehouse.assets import ANALYST_GROUP

NIGHTLY_HOUR = 2
NIGHTLY_SCHEDULE_NAME = "nightly_pipeline_schedule"

daily_pipeline_job = dg.define_asset_job(
    "daily_pipeline_job",
    selection=(
        dg.AssetSelection.groups(MONDAY_GROUP)
        # The OMS assets when CM_OMS_ENABLED (an empty group otherwise); they do not depend on the
        # Monday boards, and dbt's order models wait for both.
        | dg.AssetSelection.groups(OMS_GROUP)
        | dg.AssetSelection.assets(dbt_assets.customer_master_dbt)
        | dg.AssetSelection.groups(SCHEDULING_GROUP)
        | dg.AssetSelection.assets(dbt_assets.schedule_models_dbt)
        | dg.AssetSelection.groups(ANALYST_GROUP)
    ),
    description=(
        "Every Monday board, dbt build, the day's delivery plan, then the schedule models (checks included), "
        "then the analysts' copy of the warehouse."
    ),
)

nightly_schedule = dg.build_schedule_from_partitioned_job(
    daily_pipeline_job,
    hour_of_day=NIGHTLY_HOUR,
    minute_of_hour=0,
    name=NIGHTLY_SCHEDULE_NAME,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
