"""The daily delivery sheet's data: one written plan (plus order numbers, customer names and delivery
history from the marts) read into a frozen `DeliverySheet`, and the pure views the renderers share.

Where the numbers come from:

* `plan_assignments` / `plan_capacity` / `plan_runs` of the plan date (written by `warehouse.plans`);
* `order_master` (order number; delivered vs requested date for the actual on-time rate) and
  `customer_master` (company name), joined when dbt has built them; without them the sheet falls back
  to order and customer ids, so a fresh warehouse still gets a sheet;
* earlier plan dates of `plan_assignments` for the planned on-time rate per ISO week.

Every statement is portable DuckDB / T-SQL (`SheetStatements.catalog()` is parsed as T-SQL by a test);
date arithmetic happens here in Python, never in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from customer_master.scheduling.models import (
    PRIORITY_RANK,
    REASON_CUSTOMER_INACTIVE,
    REASON_DUPLICATE_ORDER_ID,
    REASON_INVALID_PRIORITY,
    REASON_INVALID_QUANTITY,
    REASON_MISSING_REQUESTED_DATE,
    REASON_NO_CAPACITY,
    REASON_NO_WINDOW_IN_HORIZON,
    REASON_UNKNOWN_CUSTOMER,
    REASON_UNKNOWN_RESOURCE,
    REASONS,
    Plan,
)
from customer_master.scheduling.records import (
    LATE_PAST_DUE,
    LATE_PUSHED_BY_CAPACITY,
    LateKind,
    lateness_kind,
)
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import PLAN_ASSIGNMENTS, PLAN_CAPACITY, PLAN_RUNS, quote

ORDER_MASTER = "order_master"
CUSTOMER_MASTER = "customer_master"
DETAILED_DAYS = 10
"""Delivery days shown in full (the rest are condensed to per-line totals)."""
UTILIZATION_WEEKS = 8
HISTORY_WEEKS = 12

LateReason = LateKind  # the plan rows' late_kind: one rule (scheduling/records.py)
PAST_DUE: LateReason = LATE_PAST_DUE
PUSHED_BY_CAPACITY: LateReason = LATE_PUSHED_BY_CAPACITY

# What to do per unschedulable reason, in docs/runbook.md's words ("Unscheduled backlog" and "Schedule
# calculation errors"): the one mapping the HTML, the CSV and the tests use. The runbook has no entry for
# customer_inactive (not an alert); its advice follows docs/architecture.md's meaning of the reason.
_FIX_ON_BOARD = "Fix the order on the Orders board"
WHAT_TO_DO: dict[str, str] = {
    REASON_NO_CAPACITY: (
        "Every allowed day is full: add capacity or overtime on the capacity board (the next plan uses "
        "it), or agree later dates with the customers concerned."
    ),
    REASON_NO_WINDOW_IN_HORIZON: (
        "The customer takes no delivery on any day left: check the customer's delivery days, or agree "
        "later dates with the customer."
    ),
    REASON_INVALID_QUANTITY: f"{_FIX_ON_BOARD}: its quantity.",
    REASON_INVALID_PRIORITY: f"{_FIX_ON_BOARD}: its priority.",
    REASON_MISSING_REQUESTED_DATE: f"{_FIX_ON_BOARD}: its requested date.",
    REASON_UNKNOWN_CUSTOMER: (
        f"{_FIX_ON_BOARD}: its customer link. If its customer is archived on the Customers board: "
        "restore it, or relink the order."
    ),
    REASON_UNKNOWN_RESOURCE: f"{_FIX_ON_BOARD}: its line/resource.",
    REASON_DUPLICATE_ORDER_ID: f"{_FIX_ON_BOARD}: two orders share one order id.",
    REASON_CUSTOMER_INACTIVE: (
        "The business deactivated the customer: reactivate it on the Customers board if it should "
        "still get deliveries, or cancel the order."
    ),
}
UNKNOWN_REASON_ADVICE = "No advice for this reason: file a bug with the plan date."

_ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "order_id",
    "customer_id",
    "priority",
    "requested_date",
    "status",
    "scheduled_date",
    "window_start",
    "window_end",
    "resource",
    "units",
    "overtime_units",
    "days_late",
    "reason",
)
_CAPACITY_COLUMNS: tuple[str, ...] = (
    "resource",
    "day",
    "capacity_units",
    "overtime_capacity_units",
    "scheduled_units",
    "scheduled_overtime_units",
    "utilization",
    "is_maintenance",
    "is_holiday",
)


class PlanNotWritten(LookupError):
    """No plan was written for the plan date (plan_runs has no row for it)."""


# --- the model ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SheetOrder:
    """One order of the plan, with its order number and customer name when the marts know them."""

    order_id: str
    order_number: str
    customer_id: str | None
    customer_name: str
    priority: str | None
    requested_date: dt.date | None
    status: str  # scheduled | unschedulable
    delivery_date: dt.date | None
    line: str | None
    units: float
    overtime_units: float
    window_start: str | None  # 'HH:MM:SS'
    window_end: str | None
    days_late: int
    reason: str | None
    # The order's quantity as order_master holds it (None: not known, or no marts): what a person fixes
    # for an unschedulable order, whose `units` in the plan are 0.
    quantity: float | None = None

    @property
    def is_scheduled(self) -> bool:
        return self.status == "scheduled"

    @property
    def is_late(self) -> bool:
        return self.is_scheduled and self.days_late > 0

    def late_reason(self, plan_date: dt.date) -> LateReason | None:
        """past_due: requested before the plan date, late whatever the plan did; pushed_by_capacity:
        requested on or after it, but no capacity (or delivery day) was left by then."""
        return lateness_kind(self.is_late, self.requested_date, plan_date)

    @property
    def sheet_status(self) -> str:
        if not self.is_scheduled:
            return "unschedulable"
        return "late" if self.is_late else "scheduled"


@dataclass(frozen=True, slots=True)
class CapacityCell:
    """One line x day of the plan's capacity summary (utilization: scheduled / regular capacity)."""

    line: str
    day: dt.date
    capacity_units: float
    overtime_capacity_units: float
    scheduled_units: float
    scheduled_overtime_units: float
    utilization: float
    is_maintenance: bool
    is_holiday: bool


@dataclass(frozen=True, slots=True)
class WeekRate:
    """One ISO week: planned on-time share (that week's latest plan) and actual on-time share."""

    week_start: dt.date  # the Monday
    planned_orders: int
    planned_on_time: int
    delivered_orders: int
    delivered_on_time: int

    @property
    def label(self) -> str:
        year, week, _ = self.week_start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def planned_rate(self) -> float | None:
        return self.planned_on_time / self.planned_orders if self.planned_orders else None

    @property
    def actual_rate(self) -> float | None:
        return self.delivered_on_time / self.delivered_orders if self.delivered_orders else None


@dataclass(frozen=True, slots=True)
class DeliverySheet:
    """Everything the sheet shows for one plan date; `metrics` are the numbers worth tracking."""

    plan_date: dt.date
    generated_at: dt.datetime
    planned_at: dt.datetime | None
    orders: tuple[SheetOrder, ...]
    capacity: tuple[CapacityCell, ...]
    history: tuple[WeekRate, ...]

    @property
    def metrics(self) -> dict[str, int | float]:
        return sheet_metrics(self)


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One delivery day for the Slack ops message (plus the sheet's unschedulable count)."""

    date: dt.date
    orders: int
    units: float
    lines: tuple[str, ...]
    late: int
    unschedulable: int


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """The orders of one customer on one line and day."""

    customer_id: str | None
    customer_name: str
    orders: tuple[SheetOrder, ...]

    @property
    def units(self) -> float:
        return sum(o.units for o in self.orders)

    @property
    def overtime_units(self) -> float:
        return sum(o.overtime_units for o in self.orders)

    @property
    def late(self) -> int:
        return sum(o.is_late for o in self.orders)

    @property
    def window(self) -> str:
        starts = [o.window_start for o in self.orders if o.window_start]
        ends = [o.window_end for o in self.orders if o.window_end]
        if not starts or not ends:
            return ""
        return f"{min(starts)[:5]}–{max(ends)[:5]}"


@dataclass(frozen=True, slots=True)
class LineDay:
    """One line's deliveries on one day, per customer."""

    line: str
    customers: tuple[CustomerRow, ...]

    @property
    def orders(self) -> int:
        return sum(len(c.orders) for c in self.customers)

    @property
    def units(self) -> float:
        return sum(c.units for c in self.customers)

    @property
    def overtime_units(self) -> float:
        return sum(c.overtime_units for c in self.customers)

    @property
    def late(self) -> int:
        return sum(c.late for c in self.customers)


@dataclass(frozen=True, slots=True)
class DeliveryDay:
    date: dt.date
    lines: tuple[LineDay, ...]

    @property
    def orders(self) -> int:
        return sum(x.orders for x in self.lines)

    @property
    def units(self) -> float:
        return sum(x.units for x in self.lines)

    @property
    def overtime_units(self) -> float:
        return sum(x.overtime_units for x in self.lines)

    @property
    def late(self) -> int:
        return sum(x.late for x in self.lines)

    @property
    def customer_rows(self) -> int:
        return sum(len(x.customers) for x in self.lines)


# --- pure views ---------------------------------------------------------------------------------------
def what_to_do(reason: str | None) -> str:
    return WHAT_TO_DO.get(reason or "", UNKNOWN_REASON_ADVICE)


def _order_key(o: SheetOrder) -> tuple[str, str]:
    return (o.order_number, o.order_id)


def delivery_days(sheet: DeliverySheet) -> list[DeliveryDay]:
    """Every day with scheduled deliveries, in date order; lines by name, customers by name."""
    by_day: dict[dt.date, dict[str, dict[tuple[str, str], list[SheetOrder]]]] = {}
    for o in sheet.orders:
        if o.is_scheduled and o.delivery_date is not None:
            customer = (o.customer_name, o.customer_id or "")
            by_day.setdefault(o.delivery_date, {}).setdefault(o.line or "", {}).setdefault(customer, [])
            by_day[o.delivery_date][o.line or ""][customer].append(o)
    return [
        DeliveryDay(
            day,
            tuple(
                LineDay(
                    line,
                    tuple(
                        CustomerRow(cid or None, name, tuple(sorted(orders, key=_order_key)))
                        for (name, cid), orders in sorted(customers.items())
                    ),
                )
                for line, customers in sorted(lines.items())
            ),
        )
        for day, lines in sorted(by_day.items())
    ]


def late_orders(sheet: DeliverySheet, why: LateReason) -> list[SheetOrder]:
    """Late orders of one kind, most days late first (then priority, then order number)."""
    late = [o for o in sheet.orders if o.late_reason(sheet.plan_date) == why]
    return sorted(late, key=lambda o: (-o.days_late, _priority_rank(o.priority), o.order_number))


def _priority_rank(priority: str | None) -> int:
    return PRIORITY_RANK.get(priority or "", len(PRIORITY_RANK))


def unschedulable_by_reason(sheet: DeliverySheet) -> list[tuple[str, list[SheetOrder]]]:
    """(reason, orders) groups: REASONS order first, unknown reasons after; orders by number."""
    groups: dict[str, list[SheetOrder]] = {}
    for o in sheet.orders:
        if not o.is_scheduled:
            groups.setdefault(o.reason or "unknown", []).append(o)
    rank = {r: i for i, r in enumerate(REASONS)}
    return [
        (reason, sorted(orders, key=_order_key))
        for reason, orders in sorted(groups.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    ]


def lateness_by_priority(sheet: DeliverySheet) -> list[tuple[str, int, int]]:
    """(priority, past-due late, pushed-by-capacity late) for every priority, rush first."""
    counts: dict[str, list[int]] = {p: [0, 0] for p in PRIORITY_RANK}
    for o in sheet.orders:
        why = o.late_reason(sheet.plan_date)
        if why is not None:
            counts.setdefault(o.priority or "unknown", [0, 0])[0 if why == PAST_DUE else 1] += 1
    return [(p, c[0], c[1]) for p, c in sorted(counts.items(), key=lambda kv: _priority_rank(kv[0]))]


def sheet_metrics(sheet: DeliverySheet) -> dict[str, int | float]:
    """The numbers that matter over time; rates are fractions and are left out when unknown."""
    scheduled = [o for o in sheet.orders if o.is_scheduled]
    late = [o for o in scheduled if o.is_late]
    past_due = sum(o.late_reason(sheet.plan_date) == PAST_DUE for o in late)
    metrics: dict[str, int | float] = {
        "orders_planned": len(sheet.orders),
        "scheduled": len(scheduled),
        "late": len(late),
        "late_past_due": past_due,
        "late_pushed_by_capacity": len(late) - past_due,
        "unschedulable": len(sheet.orders) - len(scheduled),
        "peak_utilization": max((c.utilization for c in sheet.capacity), default=0.0),
    }
    if scheduled:
        metrics["on_time_rate"] = (len(scheduled) - len(late)) / len(scheduled)
    delivered = sum(w.delivered_orders for w in sheet.history)
    if delivered:
        metrics["actual_on_time_rate"] = sum(w.delivered_on_time for w in sheet.history) / delivered
    return metrics


def next_delivery_day(sheet: DeliverySheet) -> DaySummary | None:
    """The first delivery day of the plan (None when nothing is scheduled)."""
    days = delivery_days(sheet)
    if not days:
        return None
    day = days[0]
    return DaySummary(
        date=day.date,
        orders=day.orders,
        units=day.units,
        lines=tuple(sorted(x.line for x in day.lines)),
        late=day.late,
        unschedulable=sum(not o.is_scheduled for o in sheet.orders),
    )


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def history_weeks(plan_date: dt.date) -> list[dt.date]:
    """The Mondays of the HISTORY_WEEKS complete ISO weeks before the plan date's week, oldest first."""
    this_week = week_start(plan_date)
    return [this_week - dt.timedelta(weeks=n) for n in range(HISTORY_WEEKS, 0, -1)]


def weekly_rates(
    plan_rows: Iterable[Sequence[Any]], delivery_rows: Iterable[Sequence[Any]], weeks: Sequence[dt.date]
) -> tuple[WeekRate, ...]:
    """Per week: planned = the week's latest plan (plan_date, scheduled, late rows); actual = the
    deliveries that week (delivered_date, delivered, on time rows)."""
    latest: dict[dt.date, tuple[dt.date, int, int]] = {}
    for plan_date, scheduled, late in plan_rows:
        week = week_start(plan_date)
        if week not in latest or plan_date > latest[week][0]:
            latest[week] = (plan_date, int(scheduled or 0), int(late or 0))
    delivered: dict[dt.date, list[int]] = {}
    for day, count, on_time in delivery_rows:
        totals = delivered.setdefault(week_start(day), [0, 0])
        totals[0] += int(count or 0)
        totals[1] += int(on_time or 0)
    out = []
    for week in weeks:
        _, planned, late = latest.get(week, (week, 0, 0))
        count, on_time = delivered.get(week, [0, 0])
        out.append(WeekRate(week, planned, planned - late, count, on_time))
    return tuple(out)


def sheet_from_plan(
    plan: Plan,
    *,
    order_numbers: Mapping[str, str] | None = None,
    customer_names: Mapping[str, str] | None = None,
    history: Sequence[WeekRate] = (),
    generated_at: dt.datetime | None = None,
) -> DeliverySheet:
    """A sheet straight from the engine's in-memory plan (what-if runs, tests): the same model the
    warehouse reader builds from the written rows."""
    numbers, names = order_numbers or {}, customer_names or {}
    orders = tuple(
        SheetOrder(
            order_id=a.order_id,
            order_number=numbers.get(a.order_id, a.order_id),
            customer_id=a.customer_id,
            customer_name=names.get(a.customer_id or "", a.customer_id or "(no customer)"),
            priority=a.priority,
            requested_date=a.requested_date,
            status=a.status,
            delivery_date=a.scheduled_date,
            line=a.resource,
            units=a.units,
            overtime_units=a.overtime_units,
            window_start=None if a.window_start is None else a.window_start.isoformat(timespec="seconds"),
            window_end=None if a.window_end is None else a.window_end.isoformat(timespec="seconds"),
            days_late=a.days_late,
            reason=a.reason,
        )
        for a in plan.assignments
    )
    capacity = tuple(
        CapacityCell(
            c.resource,
            c.day,
            c.capacity,
            c.overtime_capacity,
            c.scheduled_units,
            c.scheduled_overtime_units,
            c.utilization,
            c.is_maintenance,
            c.is_holiday,
        )
        for c in plan.capacity
    )
    plan_date = plan.settings.plan_date
    return DeliverySheet(
        plan_date=plan_date,
        generated_at=generated_at or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        planned_at=None,
        orders=orders,
        capacity=capacity,
        history=tuple(history) or weekly_rates((), (), history_weeks(plan_date)),
    )


# --- reading ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SheetStatements:
    """The sheet's SQL for one engine, over the table locations of a `Statements`."""

    st: Statements

    def table_exists(self) -> str:
        """params: schema, table -> a count."""
        return "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"

    def plan_run(self) -> str:
        """params: plan_date -> (planned at) of the plan's run row."""
        return f'SELECT "_planned_at" FROM {self.st.ref(PLAN_RUNS)} WHERE "plan_date" = ?'

    def assignments(self, with_marts: bool) -> str:
        """params: plan_date -> the plan's rows, then order_number, company and the order's quantity
        (NULL without marts)."""
        cols = ", ".join(f"a.{quote(c)}" for c in _ASSIGNMENT_COLUMNS)
        base = f"FROM {self.st.ref(PLAN_ASSIGNMENTS)} a"
        if not with_marts:
            return f'SELECT {cols}, NULL, NULL, NULL {base} WHERE a."plan_date" = ?'
        return (
            f'SELECT {cols}, o."order_number", c."company", o."quantity" {base} '
            f'LEFT JOIN {self.st.mart_ref(ORDER_MASTER)} o ON o."order_id" = a."order_id" '
            f'LEFT JOIN {self.st.mart_ref(CUSTOMER_MASTER)} c ON c."customer_id" = a."customer_id" '
            'WHERE a."plan_date" = ?'
        )

    def capacity(self) -> str:
        """params: plan_date, first day, day after the last."""
        cols = ", ".join(quote(c) for c in _CAPACITY_COLUMNS)
        return (
            f'SELECT {cols} FROM {self.st.ref(PLAN_CAPACITY)} WHERE "plan_date" = ? '
            'AND "day" >= ? AND "day" < ?'
        )

    def planned_history(self) -> str:
        """(plan_date, scheduled, late) of each plan date in [first, end). params: first, end."""
        return (
            'SELECT "plan_date", COUNT(*), SUM(CASE WHEN "days_late" > 0 THEN 1 ELSE 0 END) '
            f"FROM {self.st.ref(PLAN_ASSIGNMENTS)} "
            'WHERE "plan_date" >= ? AND "plan_date" < ? AND "status" = \'scheduled\' '
            'GROUP BY "plan_date"'
        )

    def delivered_history(self) -> str:
        """(delivered_date, delivered, on time) per day in [first, end). params: first, end."""
        return (
            'SELECT "delivered_date", COUNT(*), '
            'SUM(CASE WHEN "delivered_date" <= "requested_date" THEN 1 ELSE 0 END) '
            f"FROM {self.st.mart_ref(ORDER_MASTER)} "
            'WHERE "delivered_date" >= ? AND "delivered_date" < ? AND "requested_date" IS NOT NULL '
            'GROUP BY "delivered_date"'
        )

    def catalog(self) -> dict[str, str]:
        """Every statement, by a stable name (for the T-SQL parse test)."""
        return {
            "table_exists": self.table_exists(),
            "plan_run": self.plan_run(),
            "assignments_with_marts": self.assignments(True),
            "assignments_without_marts": self.assignments(False),
            "capacity": self.capacity(),
            "planned_history": self.planned_history(),
            "delivered_history": self.delivered_history(),
        }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def sheet_order(row: Sequence[Any]) -> SheetOrder:
    """One `assignments` row (the plan columns, order_number, company, quantity) -> a SheetOrder."""
    r = dict(zip((*_ASSIGNMENT_COLUMNS, "order_number", "company", "quantity"), row, strict=True))
    order_id = str(r["order_id"])
    customer_id = _text(r["customer_id"])
    return SheetOrder(
        order_id=order_id,
        order_number=_text(r["order_number"]) or order_id,
        customer_id=customer_id,
        customer_name=_text(r["company"]) or customer_id or "(no customer)",
        priority=_text(r["priority"]),
        requested_date=r["requested_date"],
        status=str(r["status"]),
        delivery_date=r["scheduled_date"],
        line=_text(r["resource"]),
        units=float(r["units"] or 0.0),
        overtime_units=float(r["overtime_units"] or 0.0),
        window_start=_text(r["window_start"]),
        window_end=_text(r["window_end"]),
        days_late=int(r["days_late"] or 0),
        reason=_text(r["reason"]),
        quantity=None if r["quantity"] is None else float(r["quantity"]),
    )


def capacity_cell(row: Sequence[Any]) -> CapacityCell:
    r = dict(zip(_CAPACITY_COLUMNS, row, strict=True))
    return CapacityCell(
        line=str(r["resource"]),
        day=r["day"],
        capacity_units=float(r["capacity_units"] or 0.0),
        overtime_capacity_units=float(r["overtime_capacity_units"] or 0.0),
        scheduled_units=float(r["scheduled_units"] or 0.0),
        scheduled_overtime_units=float(r["scheduled_overtime_units"] or 0.0),
        utilization=float(r["utilization"] or 0.0),
        is_maintenance=bool(r["is_maintenance"]),
        is_holiday=bool(r["is_holiday"]),
    )


def read_delivery_sheet(
    warehouse: Warehouse, plan_date: dt.date, *, now: dt.datetime | None = None
) -> DeliverySheet:
    """The written plan of `plan_date` with names from the marts (ids when dbt has not built them).

    Raises PlanNotWritten when no plan was written for that date."""
    ss = SheetStatements(warehouse.statements)
    schema = ss.st.marts_schema
    weeks = history_weeks(plan_date)
    history_end = week_start(plan_date)
    with warehouse.session() as s:
        runs = s.query(ss.plan_run(), [plan_date])
        if not runs:
            raise PlanNotWritten(f"no delivery plan was written for {plan_date}: materialize delivery_plan")
        marts = all(s.query(ss.table_exists(), [schema, t])[0][0] for t in (ORDER_MASTER, CUSTOMER_MASTER))
        orders = s.query(ss.assignments(marts), [plan_date])
        capacity = s.query(
            ss.capacity(), [plan_date, plan_date, plan_date + dt.timedelta(weeks=UTILIZATION_WEEKS)]
        )
        planned = s.query(ss.planned_history(), [weeks[0], history_end])
        delivered = s.query(ss.delivered_history(), [weeks[0], history_end]) if marts else []
    return DeliverySheet(
        plan_date=plan_date,
        generated_at=now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        planned_at=runs[0][0],
        orders=tuple(sheet_order(r) for r in orders),
        capacity=tuple(sorted((capacity_cell(r) for r in capacity), key=lambda c: (c.line, c.day))),
        history=weekly_rates(planned, delivered, weeks),
    )
