"""The daily delivery plan: partition = plan date. Reads the marts as of that day, runs the engine,
writes the plan to the warehouse (replacing that day's plan), and checks it against the thresholds."""

import datetime as dt

import dagster as dg

from customer_master.defs.resources import WarehouseResource
from customer_master.defs.scheduling.checks import PLAN_CHECK_SPECS, plan_check_results
from customer_master.defs.shared import (
    DAILY_BACKFILL_POLICY,
    DELIVERY_PLAN_KEY,
    WAREHOUSE_POOL,
    daily_partitions,
)
from customer_master.scheduling import PlanSettings
from customer_master.settings import get_settings
from customer_master.warehouse.planning import plan_day

SCHEDULING_GROUP = "scheduling"
# The marts the plan reads: order and customer versions come from the snapshots, capacity from the calendar.
PLAN_INPUT_KEYS = [
    dg.AssetKey("snap_order_master"),
    dg.AssetKey("snap_customer_master"),
    dg.AssetKey("capacity_calendar"),
]


def plan_settings(plan_date: dt.date) -> PlanSettings:
    s = get_settings()
    return PlanSettings(
        plan_date=plan_date,
        horizon_days=s.schedule_horizon_days,
        country=s.schedule_holiday_country,
        ordering=s.schedule_ordering,
        default_window=s.default_window,
        improve=s.schedule_improve,
    )


@dg.asset(
    key=DELIVERY_PLAN_KEY,
    group_name=SCHEDULING_GROUP,
    kinds={"python", get_settings().warehouse_kind},
    partitions_def=daily_partitions,
    backfill_policy=DAILY_BACKFILL_POLICY,
    pool=WAREHOUSE_POOL,
    deps=PLAN_INPUT_KEYS,
    check_specs=PLAN_CHECK_SPECS,
    description=(
        "Which order is delivered on which day: every order open at the end of the plan date, planned "
        "against the capacity calendar (priority precedence, customer windows, holidays, maintenance). "
        "Writes plan_assignments, plan_capacity and plan_runs for the partition's plan date."
    ),
)
def delivery_plan(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    plan_date = dt.date.fromisoformat(context.partition_key)
    settings = plan_settings(plan_date)
    wh = warehouse.get_warehouse()
    report = plan_day(wh, settings, run_id=context.run.run_id)
    summary, seconds = report.summary, report.engine_seconds
    context.log.info(
        f"plan {plan_date}: {summary.scheduled} of {summary.orders} orders scheduled, {summary.late} late, "
        f"{summary.unschedulable} unschedulable {summary.reasons}"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.orders,
            "plan_date": plan_date.isoformat(),
            "orders": summary.orders,
            "scheduled": summary.scheduled,
            "late": summary.late,
            "unschedulable": summary.unschedulable,
            "unschedulable_by_reason": dg.MetadataValue.json(summary.reasons),
            "overtime_units": dg.MetadataValue.float(summary.overtime_units),
            "peak_utilization": dg.MetadataValue.float(summary.peak_utilization),
            "customers": report.customers,
            "capacity_rows": report.rows_written["plan_capacity"],
            "horizon_days": settings.horizon_days,
            "ordering": settings.ordering,
            "holiday_country": settings.country or "-",
            "engine_seconds": dg.MetadataValue.float(round(seconds, 3)),
        },
        check_results=plan_check_results(wh, report.plan, summary),
    )
