"""Definitions every domain shares: the daily partitions and the warehouse pool.

One `DailyPartitionsDefinition` object for the whole pipeline, so every partitioned asset lines
up on the same days. A partition key is a sync date: the 02:00 run materializes that day's
partition (`end_offset=1` makes today's partition available instead of stopping at yesterday).
"""

import dagster as dg

from customer_master.monitoring.formats import as_pct, percent
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

# One backfill policy for every asset of `daily_partitions`, one day per run: assets with different
# policies never share a run (a backfill splits them apart) and Dagster warns about the mix on every
# load. (The UI's launch dialog still says "varying backfill policies" for any two assets: it compares
# policy objects by identity; tests/e2e/ui_browser.py.) One day per run because the board pulls
# and the day's plan are per sync date; a backfill of N days is N runs of the whole job.
DAILY_BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)

# The day's delivery plan (defs/scheduling); dbt's `planning` source tables translate to it.
DELIVERY_PLAN_KEY = dg.AssetKey("delivery_plan")

# A metadata value as these assets attach it: a subset of what Dagster's `metadata=` accepts (its own
# alias, RawMetadataValue, is not exported); float takes ints too.
MetadataEntry = dg.MetadataValue | str | float
# The `unit` of a check whose value and threshold are percentages (a rate): 0.16 means 0.16 %.
PERCENT_UNIT = "percent"


def verdict_check_result(
    name: str, verdict: Verdict, asset: dg.AssetKey, *, rate: bool = False
) -> dg.AssetCheckResult:
    """An asset check result whose metadata shows the measured value next to its threshold.

    A `rate` (a fraction in the verdict) is shown the way people read it: `value` and `threshold` in
    percent, `unit` "percent" (the sensors read it to get the fraction back) and a text `value_percent`
    ("0.16 %", as the CLI prints it)."""
    severity = dg.AssetCheckSeverity.ERROR if verdict.severity == "error" else dg.AssetCheckSeverity.WARN
    scale = as_pct if rate else float
    metadata: dict[str, MetadataEntry] = {
        "value": dg.MetadataValue.float(scale(verdict.value)),
        "threshold": dg.MetadataValue.float(scale(verdict.threshold)),
        "summary": verdict.description,
    }
    if rate:
        metadata["unit"] = PERCENT_UNIT
        metadata["value_percent"] = dg.MetadataValue.text(percent(verdict.value))
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
