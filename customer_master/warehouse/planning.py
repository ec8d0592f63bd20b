"""The orchestrator-free "plan one day" step (like `landing.land_board` for a board): read the inputs
as of the plan date, run the engine, write the plan. The Dagster asset and the benchmark both call it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from customer_master.common import utcnow
from customer_master.scheduling import Plan, PlanSettings, plan_deliveries
from customer_master.scheduling.records import (
    PlanSummary,
    assignment_columns,
    capacity_columns,
    capacity_days,
    customer_windows,
    open_orders,
    summarize,
)
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.plans import read_plan_inputs, write_plan


@dataclass(frozen=True, slots=True)
class PlanReport:
    plan: Plan
    summary: PlanSummary
    customers: int
    rows_written: dict[str, int]
    engine_seconds: float
    seconds: float  # read + plan + write


def plan_day(warehouse: Warehouse, settings: PlanSettings, *, run_id: str) -> PlanReport:
    """Plan `settings.plan_date` from what was known at its end and replace that day's plan."""
    started = time.perf_counter()
    inputs = read_plan_inputs(warehouse, settings.plan_date, settings.horizon_days)
    windows, inactive = customer_windows(inputs.customers, settings.default_window)
    orders = open_orders(inputs.orders, settings.plan_date)
    engine_started = time.perf_counter()
    plan = plan_deliveries(
        orders, windows, capacity_days(inputs.capacity), settings, inactive_customers=inactive
    )
    engine_seconds = time.perf_counter() - engine_started
    summary = summarize(plan)
    written = write_plan(
        warehouse,
        settings.plan_date,
        assignments=assignment_columns(plan),
        capacity=capacity_columns(plan),
        run=summary.run_row(settings, engine_seconds),
        run_id=run_id,
        planned_at=utcnow(),
    )
    return PlanReport(plan, summary, len(windows), written, engine_seconds, time.perf_counter() - started)
