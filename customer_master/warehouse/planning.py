"""The orchestrator-free "plan one day" step (like `landing.land_board` for a board): read the inputs
as of the plan date and the previous plan, run the engine around the previous plan's promises in the
frozen window (scheduling/stability.py), write the plan with its churn. The Dagster asset and the
benchmark both call it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from customer_master.common import utcnow
from customer_master.scheduling import Plan, PlanSettings
from customer_master.scheduling.records import (
    PlanSummary,
    assignment_columns,
    capacity_columns,
    capacity_days,
    customer_windows,
    open_orders,
    previous_plan,
    summarize,
    window_days_column,
)
from customer_master.scheduling.stability import FROZEN_DAYS_DEFAULT, Churn, plan_with_promises
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.plans import read_plan_inputs, read_previous_plan, write_plan


@dataclass(frozen=True, slots=True)
class PlanReport:
    plan: Plan
    churn: Churn
    summary: PlanSummary
    customers: int
    rows_written: dict[str, int]
    engine_seconds: float
    seconds: float  # read + plan + write


def plan_day(
    warehouse: Warehouse, settings: PlanSettings, *, run_id: str, frozen_days: int = FROZEN_DAYS_DEFAULT
) -> PlanReport:
    """Plan `settings.plan_date` from what was known at its end and replace that day's plan. The
    previous plan's promises on the first `frozen_days` working days are kept (0: none are)."""
    started = time.perf_counter()
    inputs = read_plan_inputs(warehouse, settings.plan_date, settings.horizon_days)
    previous_rows = read_previous_plan(warehouse, settings.plan_date)
    previous = (
        None
        if previous_rows is None
        else previous_plan(previous_rows.plan_date, previous_rows.assignments, previous_rows.capacity)
    )
    windows, inactive = customer_windows(inputs.customers, settings.default_window)
    orders = open_orders(inputs.orders, settings.plan_date)
    engine_started = time.perf_counter()
    stable = plan_with_promises(
        orders,
        windows,
        capacity_days(inputs.capacity),
        settings,
        previous=previous,
        frozen_days=frozen_days,
        inactive_customers=inactive,
    )
    engine_seconds = time.perf_counter() - engine_started
    plan = stable.plan
    summary = summarize(plan)
    written = write_plan(
        warehouse,
        settings.plan_date,
        assignments=assignment_columns(
            plan, stable.churn, window_days_column(orders, windows, settings.default_window)
        ),
        capacity=capacity_columns(plan),
        run=summary.run_row(settings, engine_seconds),
        run_id=run_id,
        planned_at=utcnow(),
    )
    return PlanReport(
        plan, stable.churn, summary, len(windows), written, engine_seconds, time.perf_counter() - started
    )
