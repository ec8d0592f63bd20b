"""Warehouse rows in, engine inputs out; a plan in, warehouse columns and a summary out. Pure functions.

The rows are plain dicts (as the warehouse reads them from the marts); nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from customer_master.scheduling.models import (
    INPUT_ERROR_REASONS,
    REASON_CUSTOMER_INACTIVE,
    REASON_NO_CAPACITY,
    REASON_NO_WINDOW_IN_HORIZON,
    Assignment,
    CapacityDay,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
)
from customer_master.scheduling.stability import Churn, PreviousAssignment, PreviousPlan

WEEKDAY_CODES: dict[str, int] = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
BACKLOG_REASONS: frozenset[str] = frozenset({REASON_NO_CAPACITY, REASON_NO_WINDOW_IN_HORIZON})
"""Valid orders the plan could not place: the unscheduled backlog."""
DEFAULT_PRIORITY = "normal"
"""An order whose priority cell is empty is normal (order_master ranks it the same way)."""


def parse_delivery_days(text: str | None) -> frozenset[int] | None:
    """'Mon,Wed,Fri' -> {1, 3, 5}; None for an empty cell (the default window applies).
    Unknown tokens are ignored: a customer with only unknown tokens has no delivery day."""
    if text is None or not str(text).strip():
        return None
    tokens = (t.strip().lower()[:3] for t in str(text).split(","))
    return frozenset(WEEKDAY_CODES[t] for t in tokens if t in WEEKDAY_CODES)


def _time(value: Any, fallback: dt.time) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, str) and value.strip():
        return dt.time.fromisoformat(value.strip())
    return fallback


def _truthy(value: Any) -> bool:
    return bool(value) and value not in ("0", "false", "False")


def customer_windows(
    rows: Iterable[Mapping[str, Any]], default: DeliveryWindow
) -> tuple[dict[str, DeliveryWindow | None], frozenset[str]]:
    """(windows by customer id, deactivated customer ids). A customer without own days or times gets
    the default's; None means exactly the default window (the engine shares its calendar)."""
    windows: dict[str, DeliveryWindow | None] = {}
    inactive: set[str] = set()
    for row in rows:
        cid = str(row["customer_id"])
        if not _truthy(row.get("is_active")):
            inactive.add(cid)
        days = parse_delivery_days(row.get("delivery_days"))
        start = _time(row.get("delivery_window_start"), default.start)
        end = _time(row.get("delivery_window_end"), default.end)
        if end < start:  # a garbled window: the day rule still holds, the default hours apply
            start, end = default.start, default.end
        window = DeliveryWindow(default.days if days is None else days, start, end)
        windows[cid] = None if window == default else window
    return windows, frozenset(inactive)


def is_open_on(row: Mapping[str, Any], plan_date: dt.date) -> bool:
    """Open at the end of `plan_date`: open in its version then, or delivered only after that day
    (a first recorded version can already say 'delivered')."""
    if _truthy(row.get("is_open")):
        return True
    delivered = row.get("delivered_date")
    return (
        str(row.get("status") or "").lower() == "delivered"
        and isinstance(delivered, dt.date)
        and delivered > plan_date
    )


def open_orders(rows: Iterable[Mapping[str, Any]], plan_date: dt.date) -> list[Order]:
    """The engine's orders, sorted by id (input order is part of determinism)."""
    orders = []
    for row in rows:
        if not is_open_on(row, plan_date):
            continue
        priority = row.get("priority")
        priority = (
            DEFAULT_PRIORITY
            if priority is None or not str(priority).strip()
            else str(priority).strip().lower()
        )
        quantity = row.get("quantity")
        customer = row.get("customer_id")
        orders.append(
            Order(
                order_id=str(row["order_id"]),
                customer_id=None if customer is None else str(customer),
                priority=priority,
                quantity=float("nan") if quantity is None else float(quantity),
                requested_date=row.get("requested_date"),
            )
        )
    orders.sort(key=lambda o: o.order_id)
    return orders


def capacity_days(rows: Iterable[Mapping[str, Any]]) -> list[CapacityDay]:
    return [
        CapacityDay(
            resource=str(r["resource"]),
            day=r["capacity_date"],
            regular_units=float(r.get("capacity_units") or 0.0),
            overtime_units=float(r.get("overtime_units") or 0.0),
            maintenance=_truthy(r.get("is_maintenance")),
        )
        for r in rows
    ]


def _hms(t: dt.time | None) -> str | None:
    return None if t is None else t.isoformat(timespec="seconds")


def _optional_time(value: Any) -> dt.time | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _time(value, dt.time())


def _as_day(value: Any) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def previous_plan(
    plan_date: dt.date, rows: Iterable[Mapping[str, Any]], capacity_rows: Iterable[Mapping[str, Any]]
) -> PreviousPlan:
    """The previous plan's warehouse rows (warehouse/plans.py PREVIOUS_* columns) as the engine reads them."""
    assignments = tuple(
        PreviousAssignment(
            order_id=str(r["order_id"]),
            customer_id=None if r.get("customer_id") is None else str(r["customer_id"]),
            priority=r.get("priority"),
            requested_date=_as_day(r.get("requested_date")),
            status=str(r.get("status")),
            scheduled_date=_as_day(r.get("scheduled_date")),
            resource=None if r.get("resource") is None else str(r["resource"]),
            units=float(r.get("units") or 0.0),
            is_late=_truthy(r.get("is_late")),
            window_days=parse_delivery_days(r.get("window_days")),
            window_start=_optional_time(r.get("window_start")),
            window_end=_optional_time(r.get("window_end")),
        )
        for r in rows
    )
    capacity: dict[tuple[str, dt.date], float] = {}
    for c in capacity_rows:
        day = _as_day(c["day"])
        assert day is not None
        capacity[(str(c["resource"]), day)] = float(c.get("capacity_units") or 0.0) + float(
            c.get("overtime_capacity_units") or 0.0
        )
    return PreviousPlan(plan_date, assignments, capacity)


LateKind = Literal["past_due", "pushed_by_capacity"]
LATE_PAST_DUE: LateKind = "past_due"
LATE_PUSHED_BY_CAPACITY: LateKind = "pushed_by_capacity"


def lateness_kind(is_late: bool, requested_date: dt.date | None, plan_date: dt.date) -> LateKind | None:
    """Why a late order is late: past_due when it was requested before the plan date (late whatever
    the plan did), pushed_by_capacity when no capacity (or delivery day) was left by its date. The
    one rule: the plan rows (`late_kind`) and the delivery sheet both use it."""
    if not is_late:
        return None
    if requested_date is not None and requested_date < plan_date:
        return LATE_PAST_DUE
    return LATE_PUSHED_BY_CAPACITY


def late_kind(a: Assignment, plan_date: dt.date) -> LateKind | None:
    return lateness_kind(a.status == "scheduled" and a.is_late, a.requested_date, plan_date)


def format_delivery_days(days: Iterable[int]) -> str:
    """{2, 4} -> 'Tue,Thu' (what `parse_delivery_days` reads back)."""
    names = {code: name.title() for name, code in WEEKDAY_CODES.items()}
    return ",".join(names[d] for d in sorted(days))


def window_days_column(
    orders: Sequence[Order],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    default: DeliveryWindow,
) -> list[str | None]:
    """The delivery days each order is planned against ('Tue,Thu'); None for an unknown customer."""
    out: list[str | None] = []
    for o in orders:
        if o.customer_id is None or o.customer_id not in windows_by_customer:
            out.append(None)
        else:
            out.append(format_delivery_days((windows_by_customer[o.customer_id] or default).days))
    return out


def assignment_columns(
    plan: Plan, churn: Churn | None = None, window_days: Sequence[str | None] | None = None
) -> dict[str, list[object]]:
    """plan_assignments columns (lineage excluded), one row per order; the churn columns are NULL
    without a churn report, the window days without `window_days`."""
    a = plan.assignments
    n = len(a)
    changes = churn.changes if churn is not None else (None,) * n
    plan_date = plan.settings.plan_date
    return {
        "order_id": [x.order_id for x in a],
        "customer_id": [x.customer_id for x in a],
        "priority": [x.priority for x in a],
        "requested_date": [x.requested_date for x in a],
        "status": [x.status for x in a],
        "scheduled_date": [x.scheduled_date for x in a],
        "window_start": [_hms(x.window_start) for x in a],
        "window_end": [_hms(x.window_end) for x in a],
        "resource": [x.resource for x in a],
        "units": [x.units for x in a],
        "overtime_units": [x.overtime_units for x in a],
        "is_late": [x.is_late for x in a],
        "days_late": [x.days_late for x in a],
        "reason": [x.reason for x in a],
        "window_days": list(window_days) if window_days is not None else [None] * n,
        "late_kind": [late_kind(x, plan_date) for x in a],
        "change": [c.change if c else None for c in changes],
        "previous_date": [c.previous_date if c else None for c in changes],
        "days_moved": [c.days_moved if c else None for c in changes],
        "change_reason": [c.reason if c else None for c in changes],
        "promise_kept": [c.promise_kept if c else None for c in changes],
        "newly_late": [c.newly_late if c else None for c in changes],
    }


def capacity_columns(plan: Plan) -> dict[str, list[object]]:
    """plan_capacity columns (lineage excluded), one row per resource x day of the horizon."""
    c = plan.capacity
    return {
        "resource": [x.resource for x in c],
        "day": [x.day for x in c],
        "capacity_units": [x.capacity for x in c],
        "overtime_capacity_units": [x.overtime_capacity for x in c],
        "scheduled_units": [x.scheduled_units for x in c],
        "scheduled_overtime_units": [x.scheduled_overtime_units for x in c],
        "utilization": [x.utilization for x in c],
        "is_maintenance": [x.is_maintenance for x in c],
        "is_holiday": [x.is_holiday for x in c],
    }


@dataclass(frozen=True, slots=True)
class HighUtilizationRun:
    """The longest stretch of consecutive capacity days one resource spent above a utilization level."""

    resource: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    days: int = 0


def longest_high_utilization_run(plan: Plan, level: float) -> HighUtilizationRun:
    """Consecutive days count capacity days only: a weekend or holiday with no capacity neither breaks
    nor extends a run (a line full Friday and Monday is full on consecutive working days)."""
    best = HighUtilizationRun()
    current: dict[str, HighUtilizationRun] = {}
    for row in plan.capacity:  # resources by name, then day
        if row.capacity <= 0:
            continue
        if row.utilization > level:
            run = current.get(row.resource)
            run = (
                HighUtilizationRun(row.resource, row.day, row.day, 1)
                if run is None
                else HighUtilizationRun(row.resource, run.first_day, row.day, run.days + 1)
            )
            current[row.resource] = run
            if run.days > best.days:
                best = run
        else:
            current.pop(row.resource, None)
    return best


@dataclass(frozen=True, slots=True)
class PlanSummary:
    plan_date: dt.date
    orders: int
    scheduled: int
    unschedulable: int
    input_errors: int
    backlog: int
    inactive_customer_orders: int
    late: int
    overtime_units: float
    peak_utilization: float
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def input_error_rate(self) -> float:
        return self.input_errors / self.orders if self.orders else 0.0

    def run_row(self, settings: PlanSettings, seconds: float) -> dict[str, Any]:
        """The plan_runs row (lineage excluded)."""
        return {
            "horizon_days": settings.horizon_days,
            "ordering": settings.ordering,
            "holiday_country": settings.country,
            "orders": self.orders,
            "scheduled": self.scheduled,
            "unschedulable": self.unschedulable,
            "input_errors": self.input_errors,
            "late": self.late,
            "overtime_units": self.overtime_units,
            "peak_utilization": self.peak_utilization,
            "seconds": seconds,
        }


def summarize(plan: Plan) -> PlanSummary:
    reasons: dict[str, int] = {}
    scheduled = late = 0
    overtime = 0.0
    for a in plan.assignments:
        if a.status == "scheduled":
            scheduled += 1
            late += a.is_late
            overtime += a.overtime_units
        else:
            reasons[a.reason or "unknown"] = reasons.get(a.reason or "unknown", 0) + 1
    peak = max((c.utilization for c in plan.capacity), default=0.0)
    return PlanSummary(
        plan_date=plan.settings.plan_date,
        orders=len(plan.assignments),
        scheduled=scheduled,
        unschedulable=len(plan.assignments) - scheduled,
        input_errors=sum(n for r, n in reasons.items() if r in INPUT_ERROR_REASONS),
        backlog=sum(n for r, n in reasons.items() if r in BACKLOG_REASONS),
        inactive_customer_orders=reasons.get(REASON_CUSTOMER_INACTIVE, 0),
        late=late,
        overtime_units=round(overtime, 6),
        peak_utilization=0.0 if math.isnan(peak) else round(peak, 6),
        reasons=dict(sorted(reasons.items())),
    )
