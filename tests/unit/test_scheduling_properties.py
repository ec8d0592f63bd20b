"""Property-based checks of the delivery-schedule engine on small random instances (hypothesis).

Each plan is checked against its own capacity summary: what remains on a resource x day at the end is
capacity minus what was scheduled, and since remaining capacity only ever goes down, "no room at the end"
is implied by "no room when the order was placed" — which is what makes the earliest-day and
no-capacity properties checkable from the output alone.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from customer_master.scheduling import (
    REASON_NO_CAPACITY,
    REASON_NO_WINDOW_IN_HORIZON,
    REASONS,
    CapacityDay,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
    holiday_days,
    plan_deliveries,
)

EPS = 1e-9
RESOURCES = ("a-line", "b-line", "c-line")
# Plan dates around US holidays (Christmas, New Year, Independence Day) and an ordinary week.
PLAN_DATES = (date(2026, 12, 21), date(2026, 12, 29), date(2026, 6, 29), date(2026, 3, 9))

windows_st = st.builds(
    DeliveryWindow,
    st.frozensets(st.integers(1, 7), max_size=7),
    st.just(time(8)),
    st.just(time(12)),
)


@st.composite
def instances(
    draw: st.DrawFn,
) -> tuple[list[Order], dict[str, DeliveryWindow | None], list[CapacityDay], PlanSettings]:
    plan_date = draw(st.sampled_from(PLAN_DATES))
    horizon = draw(st.integers(1, 21))
    resources = RESOURCES[: draw(st.integers(1, 3))]
    capacity = []
    for resource in resources:
        for i in range(horizon + 2):  # rows past the horizon must be ignored
            capacity.append(
                CapacityDay(
                    resource,
                    plan_date + timedelta(days=i),
                    draw(st.integers(0, 12)),
                    draw(st.sampled_from((0, 0, 2, 5))),
                    draw(st.integers(0, 9)) == 0,  # maintenance
                )
            )
    customers = draw(st.lists(st.one_of(st.none(), windows_st), min_size=1, max_size=4))
    windows = {f"C{i}": w for i, w in enumerate(customers)}
    # Mostly valid quantities; -1, 0 and NaN now and then.
    quantity = st.integers(-2, 14).map(lambda q: math.nan if q == -2 else float(q))
    n = draw(st.integers(0, 30))
    orders = [
        Order(
            f"O{k:02d}",
            draw(st.sampled_from([*windows, *windows, *windows, "ghost", None])),
            draw(st.sampled_from(("rush", "high", "normal", "low"))),
            draw(quantity),
            plan_date + timedelta(days=draw(st.integers(-4, horizon + 2))),
            draw(st.sampled_from([*resources, None, None])),
        )
        for k in range(n)
    ]
    default = draw(st.one_of(st.just(DeliveryWindow(frozenset({1, 2, 3, 4, 5}))), windows_st))
    plan_settings = PlanSettings(
        plan_date=plan_date,
        horizon_days=horizon,
        ordering=draw(st.sampled_from(("strict", "weekly_buckets"))),
        default_window=default,
    )
    return orders, windows, capacity, plan_settings


def _plan(instance) -> Plan:
    orders, windows, capacity, plan_settings = instance
    return plan_deliveries(orders, windows, capacity, plan_settings)


def _remaining(plan: Plan) -> dict[tuple[str, date], tuple[float, float]]:
    """(regular, overtime) capacity left per resource x day at the end."""
    return {
        (c.resource, c.day): (
            c.capacity - c.scheduled_units,
            c.overtime_capacity - c.scheduled_overtime_units,
        )
        for c in plan.capacity
    }


def _allowed(o: Order, windows, plan_settings: PlanSettings, holidays: frozenset[date]) -> list[date]:
    """The order's delivery days from max(plan date, requested date) to the end of the horizon."""
    window = windows[o.customer_id] or plan_settings.default_window
    first = max(plan_settings.plan_date, o.requested_date)
    last = plan_settings.plan_date + timedelta(days=plan_settings.horizon_days - 1)
    out = []
    d = first
    while d <= last:
        if d.isoweekday() in window.days and d not in holidays:
            out.append(d)
        d += timedelta(days=1)
    return out


PROPS = settings(max_examples=100, deadline=None)


@PROPS
@given(instances())
def test_every_order_appears_exactly_once(instance) -> None:
    orders = instance[0]
    plan = _plan(instance)
    assert [a.order_id for a in plan.assignments] == [o.order_id for o in orders]
    for a in plan.assignments:
        if a.status == "scheduled":
            assert a.reason is None and a.scheduled_date is not None and a.resource is not None
            assert a.days_late >= 0 and a.is_late == (a.days_late > 0)
        else:
            assert a.status == "unschedulable" and a.reason in REASONS
            assert a.scheduled_date is None and a.resource is None and a.units == 0


@PROPS
@given(instances())
def test_capacity_never_exceeded(instance) -> None:
    orders, _, capacity, _ = instance
    plan = _plan(instance)
    regular: dict[tuple[str, date], float] = defaultdict(float)
    overtime: dict[tuple[str, date], float] = defaultdict(float)
    for a in plan.scheduled():
        regular[a.resource, a.scheduled_date] += a.units - a.overtime_units
        overtime[a.resource, a.scheduled_date] += a.overtime_units
        assert 0 <= a.overtime_units <= a.units
    summary = {(c.resource, c.day): c for c in plan.capacity}
    rows = {(c.resource, c.day): c for c in capacity}
    for key, c in summary.items():
        assert math.isclose(regular[key], c.scheduled_units, abs_tol=EPS)
        assert math.isclose(overtime[key], c.scheduled_overtime_units, abs_tol=EPS)
        assert c.scheduled_units <= c.capacity + EPS
        assert c.scheduled_overtime_units <= c.overtime_capacity + EPS
        row = rows[key]
        assert c.capacity <= row.regular_units and c.overtime_capacity <= row.overtime_units
    assert set(regular) <= set(summary)


@PROPS
@given(instances())
def test_scheduled_days_are_allowed_days(instance) -> None:
    assert_on_allowed_days(instance, _plan(instance))


def assert_on_allowed_days(instance, plan) -> None:
    """Customer window, no holiday, no maintenance, pinned resource, not before the requested date,
    within the horizon; holidays and maintenance days carry no capacity and nothing scheduled."""
    orders, windows, capacity, plan_settings = instance
    holidays = holiday_days(plan_settings.plan_date, plan_settings.horizon_days, plan_settings.country)
    maintenance = {(c.resource, c.day) for c in capacity if c.maintenance}
    by_id = {o.order_id: o for o in orders}
    for a in plan.scheduled():
        o = by_id[a.order_id]
        window = windows[o.customer_id] or plan_settings.default_window
        assert a.scheduled_date.isoweekday() in window.days
        assert (a.window_start, a.window_end) == (window.start, window.end)
        assert a.scheduled_date not in holidays
        assert (a.resource, a.scheduled_date) not in maintenance
        assert o.resource is None or a.resource == o.resource
        assert a.scheduled_date >= max(plan_settings.plan_date, o.requested_date)
        assert (a.scheduled_date - plan_settings.plan_date).days < plan_settings.horizon_days
        assert a.days_late == max(0, (a.scheduled_date - o.requested_date).days)
    for c in plan.capacity:
        if c.day in holidays or c.is_maintenance:
            assert c.capacity == c.overtime_capacity == c.scheduled_units == c.scheduled_overtime_units == 0


@PROPS
@given(instances())
def test_earliest_day_and_overtime_only_against_lateness(instance) -> None:
    assert_earliest_day_and_overtime_rule(instance, _plan(instance))


def assert_earliest_day_and_overtime_rule(instance, plan) -> None:
    """Every earlier allowed day had no room, even with overtime; and overtime is used only when
    regular capacity had no room on any allowed day up to the chosen one."""
    orders, windows, _, plan_settings = instance
    holidays = holiday_days(plan_settings.plan_date, plan_settings.horizon_days, plan_settings.country)
    remaining = _remaining(plan)
    resources = sorted({c.resource for c in plan.capacity})
    by_id = {o.order_id: o for o in orders}
    for a in plan.scheduled():
        o = by_id[a.order_id]
        eligible = [o.resource] if o.resource else resources
        for d in _allowed(o, windows, plan_settings, holidays):
            if d > a.scheduled_date:
                break
            for r in eligible:
                reg, ot = remaining[r, d]
                if d < a.scheduled_date:
                    assert reg + ot < o.quantity, (a, r, d)
                if a.overtime_units > 0:
                    assert reg < o.quantity, (a, r, d)


@PROPS
@given(instances())
def test_no_capacity_only_when_no_allowed_day_had_room(instance) -> None:
    assert_no_capacity_only_when_no_room(instance, _plan(instance))


def assert_no_capacity_only_when_no_room(instance, plan) -> None:
    """no_window_in_horizon only without an allowed day; no_capacity only when no allowed day had room."""
    orders, windows, _, plan_settings = instance
    holidays = holiday_days(plan_settings.plan_date, plan_settings.horizon_days, plan_settings.country)
    remaining = _remaining(plan)
    resources = sorted({c.resource for c in plan.capacity})
    for o, a in zip(orders, plan.assignments, strict=True):
        if a.reason == REASON_NO_WINDOW_IN_HORIZON:
            assert not _allowed(o, windows, plan_settings, holidays)
        if a.reason != REASON_NO_CAPACITY:
            continue
        days = _allowed(o, windows, plan_settings, holidays)
        assert days, "no_capacity needs at least one allowed day (else it is no_window_in_horizon)"
        for d in days:
            for r in [o.resource] if o.resource else resources:
                assert sum(remaining[r, d]) < o.quantity


@settings(max_examples=30, deadline=None)
@given(instances())
def test_deterministic(instance) -> None:
    assert _plan(instance) == _plan(instance)
