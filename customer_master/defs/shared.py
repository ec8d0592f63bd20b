"""Definitions every domain shares: the daily partitions and the warehouse pool.

One `DailyPartitionsDefinition` object for the whole pipeline, so every partitioned asset lines
up on the same days. A partition key is a sync date: the 02:00 run materializes that day's
partition (`end_offset=1` makes today's partition available instead of stopping at yesterday).
"""

import dagster as dg

from customer_master.settings import get_settings
from customer_master.thresholds import Verdict

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


def verdict_check_result(name: str, verdict: Verdict, asset: dg.AssetKey) -> dg.AssetCheckResult:
    """An asset check result whose metadata shows the measured value next to its threshold."""
    severity = dg.AssetCheckSeverity.ERROR if verdict.severity == "error" else dg.AssetCheckSeverity.WARN
    metadata: dict[str, object] = {
        "value": dg.MetadataValue.float(float(verdict.value)),
        "threshold": dg.MetadataValue.float(float(verdict.threshold)),
        "summary": verdict.description,
    }
    if verdict.details:
        metadata["details"] = dg.MetadataValue.json(verdict.details)
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=asset,
        passed=verdict.passed,
        severity=severity,
        description=verdict.description,
        metadata=metadata,
    )
