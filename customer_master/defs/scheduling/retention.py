"""Plan retention: every day's plan is kept for CM_SCHEDULE_RETENTION_YEARS (5) years, then purged
from the plan tables and schedule_history by `schedule_retention_job`, which reports the rows it removed."""

import datetime as dt

import dagster as dg

from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import WAREHOUSE_POOL
from customer_master.settings import get_settings
from customer_master.warehouse.plans import purge_plans_before, retention_cutoff


class RetentionConfig(dg.Config):
    """`today` (ISO date) is only for replaying a past purge; empty means the current date."""

    today: str = ""


@dg.op(pool=WAREHOUSE_POOL, description="Delete plans older than the retention period; report rows removed.")
def purge_expired_plans(
    context: dg.OpExecutionContext, config: RetentionConfig, warehouse: WarehouseResource
) -> int:
    years = get_settings().schedule_retention_years
    today = dt.date.fromisoformat(config.today) if config.today else dt.date.today()
    cutoff = retention_cutoff(today, years)
    deleted = purge_plans_before(warehouse.get_warehouse(), cutoff)
    total = sum(deleted.values())
    context.log.info(f"purged {total} plan rows older than {cutoff} ({years} years): {deleted}")
    context.add_output_metadata(
        {
            "cutoff": cutoff.isoformat(),
            "retention_years": years,
            "rows_purged": total,
            **{f"purged_{k}": v for k, v in deleted.items()},
        }
    )
    return total


@dg.job(description="Purge delivery plans older than the retention period (default 5 years).")
def schedule_retention_job():
    purge_expired_plans()


schedule_retention_schedule = dg.ScheduleDefinition(
    job=schedule_retention_job,
    cron_schedule="0 3 * * 0",
    execution_timezone=get_settings().timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Sundays 03:00, after the nightly run.",
)
