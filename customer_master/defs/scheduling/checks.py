"""Asset checks with the business thresholds (customer_master/thresholds.py) on the delivery plan.

The verdicts are decided in customer_master/scheduling/verdicts.py; this module names the checks and
turns verdicts into results whose metadata shows the measured value next to its threshold.
Capacity and "every order explained" are re-measured on the rows as written, not taken from the engine.
"""

import dagster as dg

from customer_master.common import fmt_pct
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import DELIVERY_PLAN_KEY, daily_partitions, verdict_check_result
from customer_master.scheduling import verdicts
from customer_master.scheduling.models import Plan
from customer_master.scheduling.records import PlanSummary, longest_high_utilization_run
from customer_master.scheduling.stability import Churn
from customer_master.thresholds import get_thresholds
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.plans import capacity_violations, overall_schedule_variance, plan_integrity

CHECK_CAPACITY = "capacity_never_exceeded"
CHECK_EXPLAINED = "every_order_scheduled_or_explained"
CHECK_CALCULATION_ERRORS = "schedule_calculation_errors"
CHECK_BACKLOG = "unscheduled_backlog"
CHECK_UTILIZATION = "sustained_capacity_utilization"
CHECK_VARIANCE = "schedule_variance"
CHECK_PUBLISHED = "plan_published"
CHECK_CHURN = "plan_churn"
DELIVERY_PERFORMANCE_KEY = dg.AssetKey("delivery_performance")

# The configured thresholds as the definitions load: the check descriptions quote them.
_T = get_thresholds()

# Partitioned like delivery_plan: each evaluation names the plan date it checked.
PLAN_CHECK_SPECS = [
    dg.AssetCheckSpec(
        CHECK_CAPACITY,
        asset=DELIVERY_PLAN_KEY,
        partitions_def=daily_partitions,
        blocking=True,
        description="No resource x day beyond its regular or overtime capacity (blocks the schedule models).",
    ),
    dg.AssetCheckSpec(
        CHECK_EXPLAINED,
        asset=DELIVERY_PLAN_KEY,
        partitions_def=daily_partitions,
        blocking=True,
        description="Every open order has one plan row: scheduled on a day and resource, or with a reason.",
    ),
    dg.AssetCheckSpec(
        CHECK_CALCULATION_ERRORS,
        asset=DELIVERY_PLAN_KEY,
        partitions_def=daily_partitions,
        description=(
            "Orders rejected for bad data; critical above "
            f"{fmt_pct(_T.schedule_error_rate_critical)} of the plan's orders."
        ),
    ),
    dg.AssetCheckSpec(
        CHECK_BACKLOG,
        asset=DELIVERY_PLAN_KEY,
        partitions_def=daily_partitions,
        description=(
            "Valid orders left unscheduled (no capacity or delivery day); "
            f"critical above {_T.order_backlog_critical}."
        ),
    ),
    dg.AssetCheckSpec(
        CHECK_UTILIZATION,
        asset=DELIVERY_PLAN_KEY,
        partitions_def=daily_partitions,
        description=(
            f"A resource above {fmt_pct(_T.utilization_warn)} utilization on "
            f"{_T.utilization_consecutive_days} or more consecutive capacity days warns."
        ),
    ),
    dg.AssetCheckSpec(
        CHECK_CHURN,
        asset=DELIVERY_PLAN_KEY,
        partitions_def=daily_partitions,
        description=(
            "Promised orders (scheduled by the previous plan for a day not yet past) this plan moved "
            f"without a change of their own; warns above {fmt_pct(_T.plan_churn_warn)}."
        ),
    ),
    dg.AssetCheckSpec(
        CHECK_PUBLISHED,
        asset=DELIVERY_PLAN_KEY,
        partitions_def=daily_partitions,
        description=(
            "The plan reached operations: its delivery sheet was written (and, with CM_PLAN_WRITE_BACK, "
            "the Orders board updated). Warns when not; the plan itself stands."
        ),
    ),
]


def _plan_result(name: str, verdict, *, rate: bool = False) -> dg.AssetCheckResult:
    return verdict_check_result(name, verdict, DELIVERY_PLAN_KEY, rate=rate)


def plan_check_results(
    warehouse: Warehouse, plan: Plan, summary: PlanSummary, churn: Churn
) -> list[dg.AssetCheckResult]:
    t = get_thresholds()
    plan_date = plan.settings.plan_date
    integrity = plan_integrity(warehouse, plan_date)
    return [
        _plan_result(CHECK_CAPACITY, verdicts.capacity_respected(capacity_violations(warehouse, plan_date))),
        _plan_result(
            CHECK_EXPLAINED,
            verdicts.every_order_explained(
                summary.orders,
                integrity.rows,
                integrity.distinct_orders,
                integrity.unexplained,
                integrity.scheduled_without_slot,
            ),
        ),
        _plan_result(CHECK_CALCULATION_ERRORS, verdicts.calculation_errors(summary, t), rate=True),
        _plan_result(CHECK_BACKLOG, verdicts.unscheduled_backlog(summary, t)),
        _plan_result(
            CHECK_UTILIZATION,
            verdicts.sustained_utilization(longest_high_utilization_run(plan, t.utilization_warn), t),
        ),
        _plan_result(CHECK_CHURN, verdicts.plan_churn(churn, t), rate=True),
    ]


@dg.asset_check(
    asset=DELIVERY_PERFORMANCE_KEY,
    name=CHECK_VARIANCE,
    description=(
        "Share of delivered orders not delivered on their planned day; "
        f"warns above {fmt_pct(_T.schedule_variance_warn)}."
    ),
)
def schedule_variance_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    rate, delivered = overall_schedule_variance(warehouse.get_warehouse())
    verdict = verdicts.schedule_variance(rate, delivered, get_thresholds())
    return verdict_check_result(CHECK_VARIANCE, verdict, asset=DELIVERY_PERFORMANCE_KEY, rate=True)


def published_check_result(
    problems: list[str], done: str = "the delivery sheet was written"
) -> dg.AssetCheckResult:
    """Warns with what did not reach operations (the sheet, the board); the plan itself stands."""
    return dg.AssetCheckResult(
        check_name=CHECK_PUBLISHED,
        asset_key=DELIVERY_PLAN_KEY,
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "summary": "; ".join(problems) if problems else done,
            "problems": len(problems),
        },
    )
