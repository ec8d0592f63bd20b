"""Definitions every domain shares: the daily partitions and the warehouse pool.

One `DailyPartitionsDefinition` object for the whole pipeline, so every partitioned asset lines
up on the same days. A partition key is a sync date: the 02:00 run materializes that day's
partition (`end_offset=1` makes today's partition available instead of stopping at yesterday).
"""

import dagster as dg

from customer_master.settings import get_settings

# DuckDB allows one writer process per file: every asset that writes the warehouse (dbt included)
# runs in this pool, whose limit is 1 in the local instance's dagster.yaml.
WAREHOUSE_POOL = "warehouse"

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=get_settings().partition_start.isoformat(),
    timezone=get_settings().timezone,
    end_offset=1,
)

# The day's delivery plan (defs/scheduling); dbt's `planning` source tables translate to it.
DELIVERY_PLAN_KEY = dg.AssetKey("delivery_plan")
