"""The nightly pipeline: at 02:00 (in the partitions' timezone) run the day's partition end to end.

Today that is the Monday ingestion and the dbt build; the schedule engine and its models join the
same job as they land (issue 5). The schedule targets the newest partition, the day it runs on
(`end_offset=1`), and backfills of earlier days run the same job for a range of partitions.
"""

import dagster as dg

from customer_master.defs.dbt.assets import customer_master_dbt
from customer_master.defs.monday.assets import MONDAY_GROUP

NIGHTLY_HOUR = 2

daily_pipeline_job = dg.define_asset_job(
    "daily_pipeline_job",
    selection=dg.AssetSelection.groups(MONDAY_GROUP) | dg.AssetSelection.assets(customer_master_dbt),
    description="Every Monday board for the day's partition, then dbt build (tests as checks).",
)

nightly_schedule = dg.build_schedule_from_partitioned_job(
    daily_pipeline_job,
    hour_of_day=NIGHTLY_HOUR,
    minute_of_hour=0,
    name="nightly_pipeline_schedule",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
