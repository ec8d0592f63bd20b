"""Promises kept: the next plan holds what the last one told customers for the next working days, and
says what it changed.

A customer told "Tuesday" should not hear "Thursday" because an order arrived overnight. So each plan
starts from the previous one (the latest plan made for an earlier plan date):

* **The frozen window** is the first `frozen_days` working days from the plan date (a working day has
  regular capacity on some resource and is not a public holiday). An order the previous plan put on
  a day of the window keeps that day and line, unless the order changed (customer, priority,
  quantity or requested date), its customer's delivery window changed or no longer allows the day,
  or capacity on that day shrank so that the promises there no longer fit. Promises are placed first,
  in precedence order, regular capacity first; the engine then plans every other order around them
  (`plan_deliveries` on what capacity is left). Inside the window a promise therefore outranks
  priority: a rush order that arrives overnight takes the next free room, not a promised slot.
  Outside the window the plan is free.
* **Churn**: every order is compared with its previous assignment: new, unchanged, moved earlier or
  later (by how many days, and why), newly scheduled, unscheduled, newly late. The share of promised
  orders (scheduled in the previous plan for a day not yet past) moved *without* a change of their
  own (order or window) is what the plan's `plan_churn` check warns on.

Pure functions, no I/O; quantities compared exactly in the engine's integer millionths.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta

from customer_master.scheduling.engine import (
    UNITS_SCALE,
    _quantity,
    _requested_day,
    holiday_days,
    plan_deliveries,
    scaled_units,
)
from customer_master.scheduling.models import (
    PRIORITY_RANK,
    Assignment,
    CapacityDay,
    CapacitySummary,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
)

FROZEN_DAYS_DEFAULT = 2
"""Working days from the plan date whose promises the next plan keeps."""

# Churn kinds, per order (the `change` column of the plan).
CHANGE_NEW = "new"
CHANGE_UNCHANGED = "unchanged"
CHANGE_EARLIER = "moved_earlier"
CHANGE_LATER = "moved_later"
CHANGE_NEWLY_SCHEDULED = "newly_scheduled"
CHANGE_UNSCHEDULED = "unscheduled"
CHANGES: tuple[str, ...] = (
    CHANGE_NEW,
    CHANGE_UNCHANGED,
    CHANGE_EARLIER,
    CHANGE_LATER,
    CHANGE_NEWLY_SCHEDULED,
    CHANGE_UNSCHEDULED,
)

# Why an order moved (the `change_reason` column).
WHY_ORDER_CHANGED = "order_changed"
WHY_WINDOW_CHANGED = "window_changed"
WHY_CAPACITY_SHRANK = "capacity_shrank"
WHY_DAY_PASSED = "day_passed"
WHY_REPLANNED = "replanned"
WHY_KEPT = "promise_kept"
OWN_CHANGES: frozenset[str] = frozenset({WHY_ORDER_CHANGED, WHY_WINDOW_CHANGED})
"""Moves the customer or the order itself asked for: not counted as the planner's churn."""

MOVES: frozenset[str] = frozenset({CHANGE_EARLIER, CHANGE_LATER, CHANGE_UNSCHEDULED})


@dataclass(frozen=True, slots=True)
class PreviousAssignment:
    """One order's row of the previous plan, as the warehouse holds it."""

    order_id: str
    customer_id: str | None
    priority: str | None
    requested_date: date | None
    status: str
    scheduled_date: date | None = None
    resource: str | None = None
    units: float = 0.0
    is_late: bool = False
    window_days: frozenset[int] | None = None  # None: not recorded (plans made before it was)
    window_start: time | None = None
    window_end: time | None = None


@dataclass(frozen=True, slots=True)
class PreviousPlan:
    """The plan made for the latest earlier plan date: its rows and its capacity per (line, day)
    (regular + overtime units), to tell a shrunk day from a re-planned one."""

    plan_date: date
    assignments: tuple[PreviousAssignment, ...]
    capacity: Mapping[tuple[str, date], float] = field(default_factory=dict)

    def by_order_id(self) -> dict[str, PreviousAssignment]:
        return {a.order_id: a for a in self.assignments}


@dataclass(frozen=True, slots=True)
class OrderChange:
    """How one order's assignment differs from the previous plan's."""

    order_id: str
    change: str  # one of CHANGES
    previous_date: date | None
    days_moved: int  # new day - previous day (0 unless moved_earlier / moved_later)
    reason: str | None  # why it moved (WHY_*), None when it did not
    newly_late: bool
    promised: bool  # scheduled in the previous plan for a day not yet past
    promise_kept: bool  # held in the frozen window


@dataclass(frozen=True, slots=True)
class Churn:
    """The plan against the previous one (`previous_plan_date` None: there was none)."""

    previous_plan_date: date | None
    frozen_days: tuple[date, ...]
    changes: tuple[OrderChange, ...]  # one per order of the plan, in the plan's order

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(c.change for c in self.changes)
        return {kind: counts.get(kind, 0) for kind in CHANGES}

    @property
    def promised(self) -> int:
        return sum(c.promised for c in self.changes)

    @property
    def promises_kept(self) -> int:
        return sum(c.promise_kept for c in self.changes)

    @property
    def newly_late(self) -> int:
        return sum(c.newly_late for c in self.changes)

    @property
    def moved_by_planner(self) -> int:
        """Promised orders moved (or unscheduled) without a change of their own."""
        return sum(c.promised and c.change in MOVES and c.reason not in OWN_CHANGES for c in self.changes)

    @property
    def moved_share(self) -> float:
        return self.moved_by_planner / self.promised if self.promised else 0.0

    def reasons(self) -> dict[str, int]:
        """Moved orders by why they moved."""
        return dict(sorted(Counter(c.reason for c in self.changes if c.change in MOVES).items()))  # type: ignore[arg-type]

    def largest_moves(self, limit: int = 10) -> list[OrderChange]:
        """Promised orders moved furthest (unscheduled ones first), for the plan's page."""
        moved = [c for c in self.changes if c.promised and c.change in MOVES]
        return sorted(moved, key=lambda c: (c.change != CHANGE_UNSCHEDULED, -abs(c.days_moved), c.order_id))[
            :limit
        ]


@dataclass(frozen=True, slots=True)
class StablePlan:
    plan: Plan
    churn: Churn


def working_days(capacity: Iterable[CapacityDay], settings: PlanSettings, count: int) -> tuple[date, ...]:
    """The first `count` days from the plan date with regular capacity on some line, holidays excluded."""
    if count <= 0:
        return ()
    holidays = holiday_days(settings.plan_date, settings.horizon_days, settings.country)
    end = settings.plan_date + timedelta(days=settings.horizon_days)
    days = {
        c.day
        for c in capacity
        if settings.plan_date <= c.day < end
        and not c.maintenance
        and c.day not in holidays
        and _quantity(c.regular_units) is not None
    }
    return tuple(sorted(days)[:count])


def plan_with_promises(
    orders: Sequence[Order],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    capacity: Sequence[CapacityDay],
    settings: PlanSettings,
    *,
    previous: PreviousPlan | None,
    frozen_days: int = FROZEN_DAYS_DEFAULT,
    inactive_customers: Collection[str] = frozenset(),
) -> StablePlan:
    """The plan (`plan_deliveries`' rules) with the previous plan's promises in the frozen window kept,
    and its churn against the previous plan. Without a previous plan it is exactly `plan_deliveries`."""
    orders = list(orders)
    capacity = list(capacity)
    window_days = working_days(capacity, settings, frozen_days)
    kept: dict[str, tuple[date, str, int, int]] = {}  # order id -> (day, line, regular, overtime)
    released: dict[str, str] = {}
    if previous is not None and window_days:
        kept, released = _keep_promises(
            orders, windows_by_customer, capacity, settings, previous, set(window_days), inactive_customers
        )
    if not kept:
        plan = plan_deliveries(orders, windows_by_customer, capacity, settings, inactive_customers)
    else:
        plan = _plan_around(orders, windows_by_customer, capacity, settings, kept, inactive_customers)
    churn = plan_churn(
        plan, orders, windows_by_customer, capacity, previous, window_days, set(kept), released
    )
    return StablePlan(plan, churn)


def _window_of(
    customer_id: str, windows_by_customer: Mapping[str, DeliveryWindow | None], settings: PlanSettings
) -> DeliveryWindow:
    return windows_by_customer[customer_id] or settings.default_window


def _order_changed(order: Order, before: PreviousAssignment) -> bool:
    """The customer, priority, quantity or requested date differ from the previous plan's row."""
    q = _quantity(order.quantity)
    return (
        order.customer_id != before.customer_id
        or order.priority != before.priority
        or _requested_day(order.requested_date) != before.requested_date
        or q is None
        or scaled_units(q) != scaled_units(before.units)
    )


def _window_changed(window: DeliveryWindow, before: PreviousAssignment) -> bool:
    if before.window_days is not None and window.days != before.window_days:
        return True
    return (before.window_start, before.window_end) != (window.start, window.end)


def _promise_reason(
    order: Order,
    before: PreviousAssignment,
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    settings: PlanSettings,
    inactive_customers: Collection[str],
    lines: Collection[str],
    holidays: Collection[date],
) -> str | None:
    """Why the promise cannot be kept as it stands (WHY_*), None when it can (capacity aside)."""
    if _order_changed(order, before) or order.priority not in PRIORITY_RANK:
        return WHY_ORDER_CHANGED
    customer = order.customer_id
    if customer is None or customer in inactive_customers or customer not in windows_by_customer:
        return WHY_ORDER_CHANGED
    day = before.scheduled_date
    assert day is not None
    window = _window_of(customer, windows_by_customer, settings)
    if _window_changed(window, before) or day.isoweekday() not in window.days:
        return WHY_WINDOW_CHANGED
    if before.resource not in lines or (order.resource is not None and order.resource != before.resource):
        return WHY_ORDER_CHANGED
    if day in holidays:
        return WHY_CAPACITY_SHRANK
    return None


def _keep_promises(
    orders: Sequence[Order],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    capacity: Sequence[CapacityDay],
    settings: PlanSettings,
    previous: PreviousPlan,
    window_days: Collection[date],
    inactive_customers: Collection[str],
) -> tuple[dict[str, tuple[date, str, int, int]], dict[str, str]]:
    """(promises kept: order id -> (day, line, regular, overtime millionths), promises released: order
    id -> why). Kept in precedence order (priority, requested date, id) while the day's capacity holds
    them, regular units first: when a day shrank, the lowest-precedence promises there go first."""
    before = previous.by_order_id()
    id_counts = Counter(o.order_id for o in orders)
    holidays = holiday_days(settings.plan_date, settings.horizon_days, settings.country)
    room: dict[tuple[str, date], list[int]] = {}  # (line, day) -> [regular, overtime] millionths left
    for c in capacity:
        if c.day in window_days and not c.maintenance:
            room[(c.resource, c.day)] = [
                scaled_units(_quantity(c.regular_units) or 0.0),
                scaled_units(_quantity(c.overtime_units) or 0.0),
            ]
    lines = {c.resource for c in capacity}
    candidates: list[tuple[tuple[int, date, str], Order, PreviousAssignment]] = []
    released: dict[str, str] = {}
    for order in orders:
        prev = before.get(order.order_id)
        if prev is None or prev.status != "scheduled" or prev.scheduled_date not in window_days:
            continue
        if id_counts[order.order_id] > 1:  # a duplicate id is the engine's to reject
            continue
        why = _promise_reason(order, prev, windows_by_customer, settings, inactive_customers, lines, holidays)
        if why is not None:
            released[order.order_id] = why
            continue
        requested = _requested_day(order.requested_date)
        assert requested is not None and prev.scheduled_date is not None
        candidates.append(((PRIORITY_RANK[order.priority], requested, order.order_id), order, prev))
    kept: dict[str, tuple[date, str, int, int]] = {}
    for _, order, prev in sorted(candidates, key=lambda c: c[0]):
        assert prev.scheduled_date is not None and prev.resource is not None
        q = scaled_units(_quantity(order.quantity) or 0.0)
        left = room.get((prev.resource, prev.scheduled_date))
        if left is None or left[0] + left[1] < q:
            released[order.order_id] = WHY_CAPACITY_SHRANK
            continue
        regular = min(left[0], q)
        left[0] -= regular
        left[1] -= q - regular
        kept[order.order_id] = (prev.scheduled_date, prev.resource, regular, q - regular)
    return kept, released


def _plan_around(
    orders: Sequence[Order],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    capacity: Sequence[CapacityDay],
    settings: PlanSettings,
    kept: Mapping[str, tuple[date, str, int, int]],
    inactive_customers: Collection[str],
) -> Plan:
    """The engine's plan of the other orders on the capacity the promises leave, with the promises
    added back: one assignment per input order (input order kept), capacity as it really is."""
    used: dict[tuple[str, date], list[int]] = {}
    for day, line, regular, overtime in kept.values():
        u = used.setdefault((line, day), [0, 0])
        u[0] += regular
        u[1] += overtime
    left = [_less(c, used[(c.resource, c.day)]) if (c.resource, c.day) in used else c for c in capacity]
    rest = [o for o in orders if o.order_id not in kept]
    sub = plan_deliveries(rest, windows_by_customer, left, settings, inactive_customers)
    planned = iter(sub.assignments)
    assignments: list[Assignment] = []
    for order in orders:
        if order.order_id in kept:
            assignments.append(_kept_assignment(order, kept[order.order_id], windows_by_customer, settings))
        else:
            assignments.append(next(planned))
    summary = tuple(_with_promises(c, used.get((c.resource, c.day))) for c in sub.capacity)
    return Plan(settings, tuple(assignments), summary)


def _less(c: CapacityDay, used: Sequence[int]) -> CapacityDay:
    regular = scaled_units(_quantity(c.regular_units) or 0.0) - used[0]
    overtime = scaled_units(_quantity(c.overtime_units) or 0.0) - used[1]
    return replace(c, regular_units=regular / UNITS_SCALE, overtime_units=overtime / UNITS_SCALE)


def _with_promises(row: CapacitySummary, used: Sequence[int] | None) -> CapacitySummary:
    """A capacity summary row of the plan around the promises, with the promises' units put back."""
    if used is None:
        return row
    capacity = (scaled_units(row.capacity) + used[0]) / UNITS_SCALE
    overtime_capacity = (scaled_units(row.overtime_capacity) + used[1]) / UNITS_SCALE
    scheduled = (scaled_units(row.scheduled_units) + used[0]) / UNITS_SCALE
    scheduled_ot = (scaled_units(row.scheduled_overtime_units) + used[1]) / UNITS_SCALE
    return replace(
        row,
        capacity=capacity,
        overtime_capacity=overtime_capacity,
        scheduled_units=scheduled,
        scheduled_overtime_units=scheduled_ot,
        utilization=(scheduled + scheduled_ot) / capacity if capacity > 0 else 0.0,
    )


def _kept_assignment(
    order: Order,
    promise: tuple[date, str, int, int],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    settings: PlanSettings,
) -> Assignment:
    day, line, regular, overtime = promise
    assert order.customer_id is not None
    window = _window_of(order.customer_id, windows_by_customer, settings)
    requested = _requested_day(order.requested_date)
    assert requested is not None
    late = max((day - requested).days, 0)
    return Assignment(
        order.order_id, order.customer_id, "scheduled", day, window.start, window.end, line,
        (regular + overtime) / UNITS_SCALE, overtime / UNITS_SCALE, late > 0, late, None,
        order.priority, requested,
    )  # fmt: skip


def plan_churn(
    plan: Plan,
    orders: Sequence[Order],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    capacity: Sequence[CapacityDay],
    previous: PreviousPlan | None,
    frozen_days: Sequence[date] = (),
    kept: Collection[str] = frozenset(),
    released: Mapping[str, str] | None = None,
) -> Churn:
    """Every assignment of `plan` against the previous plan's (see the module docstring)."""
    released = released or {}
    before = previous.by_order_id() if previous is not None else {}
    now_capacity = _capacity_totals(capacity)
    plan_date = plan.settings.plan_date
    changes = []
    for order, a in zip(orders, plan.assignments, strict=True):
        prev = before.get(a.order_id)
        change, moved = _change_kind(a, prev)
        reason = None
        if change in MOVES:
            assert prev is not None
            reason = released.get(a.order_id) or _move_reason(
                order, prev, windows_by_customer, plan.settings, now_capacity, previous, plan_date
            )
        promised = (
            prev is not None
            and prev.status == "scheduled"
            and prev.scheduled_date is not None
            and prev.scheduled_date >= plan_date
        )
        newly_late = a.is_late and prev is not None and prev.status == "scheduled" and not prev.is_late
        changes.append(
            OrderChange(
                a.order_id,
                change,
                None if prev is None else prev.scheduled_date,
                moved,
                reason if change in MOVES else (WHY_KEPT if a.order_id in kept else None),
                newly_late,
                promised,
                a.order_id in kept,
            )
        )
    return Churn(None if previous is None else previous.plan_date, tuple(frozen_days), tuple(changes))


def _change_kind(a: Assignment, prev: PreviousAssignment | None) -> tuple[str, int]:
    if prev is None:
        return CHANGE_NEW, 0
    was = prev.status == "scheduled" and prev.scheduled_date is not None
    now = a.status == "scheduled" and a.scheduled_date is not None
    if was and now:
        assert a.scheduled_date is not None and prev.scheduled_date is not None
        moved = (a.scheduled_date - prev.scheduled_date).days
        if moved == 0:
            return CHANGE_UNCHANGED, 0
        return (CHANGE_EARLIER if moved < 0 else CHANGE_LATER), moved
    if was:
        return CHANGE_UNSCHEDULED, 0
    if now:
        return CHANGE_NEWLY_SCHEDULED, 0
    return CHANGE_UNCHANGED, 0


def _capacity_totals(capacity: Iterable[CapacityDay]) -> dict[tuple[str, date], float]:
    """(line, day) -> regular + overtime units usable (none on maintenance days)."""
    return {
        (c.resource, c.day): 0.0
        if c.maintenance
        else (_quantity(c.regular_units) or 0.0) + (_quantity(c.overtime_units) or 0.0)
        for c in capacity
    }


def _move_reason(
    order: Order,
    prev: PreviousAssignment,
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    settings: PlanSettings,
    now_capacity: Mapping[tuple[str, date], float],
    previous: PreviousPlan | None,
    plan_date: date,
) -> str:
    """Why a previously scheduled order is elsewhere now: its own change first, then the day."""
    if _order_changed(order, prev):
        return WHY_ORDER_CHANGED
    customer = order.customer_id
    if customer is None or customer not in windows_by_customer:
        return WHY_ORDER_CHANGED
    if _window_changed(_window_of(customer, windows_by_customer, settings), prev):
        return WHY_WINDOW_CHANGED
    assert prev.scheduled_date is not None and prev.resource is not None
    if prev.scheduled_date < plan_date:
        return WHY_DAY_PASSED
    key = (prev.resource, prev.scheduled_date)
    was = previous.capacity.get(key) if previous is not None else None
    if was is not None and scaled_units(now_capacity.get(key, 0.0)) < scaled_units(was):
        return WHY_CAPACITY_SHRANK
    return WHY_REPLANNED
