"""The business thresholds applied to a plan: pure functions from measurements to a `Verdict`.

The Dagster asset checks (customer_master/defs/scheduling/checks.py) only turn verdicts into check
results; what passes, at what severity, and what the metadata says is decided and tested here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from customer_master.common import fmt_pct
from customer_master.scheduling.records import HighUtilizationRun, PlanSummary
from customer_master.scheduling.stability import Churn
from customer_master.thresholds import AlertThresholds, Verdict


def capacity_respected(violations: Sequence[Any]) -> Verdict:
    """Capacity is never exceeded: zero resource x days over their regular or overtime capacity."""
    n = len(violations)
    details = {"first_violations": [repr(v) for v in violations[:5]]} if n else {}
    return Verdict(
        n == 0,
        "error",
        n,
        0,
        "no resource x day is scheduled beyond its capacity"
        if n == 0
        else f"{n} resource x days over capacity",
        details,
    )


def every_order_explained(
    expected_orders: int, rows: int, distinct_orders: int, unexplained: int, slotless: int
) -> Verdict:
    """Every open order has exactly one plan row, scheduled on a day and resource or with a reason."""
    problems = {
        "missing_orders": max(0, expected_orders - distinct_orders),
        "extra_rows": max(0, rows - expected_orders),
        "unschedulable_without_reason": unexplained,
        "scheduled_without_day_or_resource": slotless,
    }
    bad = sum(problems.values())
    return Verdict(
        bad == 0,
        "error",
        bad,
        0,
        f"all {expected_orders} open orders scheduled or explained"
        if bad == 0
        else f"{bad} orders not accounted for",
        problems,
    )


def calculation_errors(summary: PlanSummary, t: AlertThresholds) -> Verdict:
    """Orders rejected for bad data (invalid quantity/priority, no requested date, unknown customer or
    resource, duplicate id): critical above 1 % of the open orders."""
    rate = summary.input_error_rate
    return Verdict(
        rate <= t.schedule_error_rate_critical,
        "error",
        round(rate, 6),
        t.schedule_error_rate_critical,
        f"{summary.input_errors} of {summary.orders} orders ({fmt_pct(rate)}) could not be planned "
        "for bad data "
        f"(critical above {fmt_pct(t.schedule_error_rate_critical)})",
        {k: v for k, v in summary.reasons.items()},
    )


def unscheduled_backlog(summary: PlanSummary, t: AlertThresholds) -> Verdict:
    """Valid orders with no capacity or no delivery day in the horizon: critical above 100."""
    return Verdict(
        summary.backlog <= t.order_backlog_critical,
        "error",
        summary.backlog,
        t.order_backlog_critical,
        f"{summary.backlog} orders unscheduled for capacity or delivery days "
        f"(critical above {t.order_backlog_critical})",
    )


def sustained_utilization(run: HighUtilizationRun, t: AlertThresholds) -> Verdict:
    """A resource above 95 % on consecutive capacity days warns."""
    passed = run.days < t.utilization_consecutive_days
    what = (
        f"{run.resource} above {fmt_pct(t.utilization_warn)} for {run.days} consecutive capacity days "
        f"({run.first_day} to {run.last_day})"
        if run.days
        else f"no resource above {fmt_pct(t.utilization_warn)}"
    )
    return Verdict(
        passed,
        "warn",
        run.days,
        t.utilization_consecutive_days,
        what,
        {"resource": run.resource, "first_day": str(run.first_day), "last_day": str(run.last_day)}
        if run.days
        else {},
    )


def schedule_variance(rate: float | None, delivered: int, t: AlertThresholds) -> Verdict:
    """Share of delivered orders not delivered on their planned day: warn above 2 %."""
    if rate is None or delivered == 0:
        return Verdict(True, "warn", 0.0, t.schedule_variance_warn, "no planned order has been delivered yet")
    return Verdict(
        rate <= t.schedule_variance_warn,
        "warn",
        round(rate, 6),
        t.schedule_variance_warn,
        f"{fmt_pct(rate)} of {delivered} delivered orders were not delivered on their planned day "
        f"(warn above {fmt_pct(t.schedule_variance_warn)})",
    )


def plan_churn(churn: Churn, t: AlertThresholds) -> Verdict:
    """Share of promised orders the new plan moved without a change of their own: warn above 10 %."""
    share = churn.moved_share
    details: dict[str, Any] = {
        "previous_plan_date": None if churn.previous_plan_date is None else str(churn.previous_plan_date),
        "promised": churn.promised,
        "promises_kept_in_frozen_window": churn.promises_kept,
        "moved_by_planner": churn.moved_by_planner,
        "moved_by_reason": churn.reasons(),
        "newly_late": churn.newly_late,
    }
    if churn.previous_plan_date is None:
        what = "no earlier plan to compare with"
    else:
        what = (
            f"{churn.moved_by_planner} of {churn.promised} promised orders ({fmt_pct(share)}) moved "
            f"without a change of their own since the plan of {churn.previous_plan_date} "
            f"(warn above {fmt_pct(t.plan_churn_warn)})"
        )
    return Verdict(share <= t.plan_churn_warn, "warn", round(share, 6), t.plan_churn_warn, what, details)
