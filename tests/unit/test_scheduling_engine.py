"""The delivery-schedule engine on named business scenarios (small, hand-checked plans)."""

from __future__ import annotations

import math
import random
from datetime import date, time, timedelta

import pytest

from customer_master.scheduling import (
    REASON_DUPLICATE_ORDER_ID,
    REASON_INVALID_PRIORITY,
    REASON_INVALID_QUANTITY,
    REASON_NO_CAPACITY,
    REASON_NO_WINDOW_IN_HORIZON,
    REASON_UNKNOWN_CUSTOMER,
    REASON_UNKNOWN_RESOURCE,
    CapacityDay,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
    lateness_by_priority,
    plan_deliveries,
)

MON = date(2026, 12, 7)  # a Monday; no US public holiday in the two weeks from here
TUE, WED, THU, FRI, SAT = (MON + timedelta(days=i) for i in range(1, 6))
NEXT_MON = MON + timedelta(days=7)
CHRISTMAS_WEEK_MON = date(2026, 12, 21)  # Christmas 2026 is Friday the 25th


def calendar(
    resource: str = "dock-1",
    start: date = MON,
    days: int = 28,
    regular: float = 10,
    overtime: float = 0,
    maintenance: frozenset[date] = frozenset(),
) -> list[CapacityDay]:
    """Every day of `days` from `start`, weekends included (windows decide which days are usable)."""
    out = []
    for i in range(days):
        d = start + timedelta(days=i)
        out.append(CapacityDay(resource, d, regular, overtime, d in maintenance))
    return out


def run(
    orders: list[Order],
    capacity: list[CapacityDay] | None = None,
    windows: dict[str, DeliveryWindow | None] | None = None,
    **settings,
) -> Plan:
    settings.setdefault("plan_date", MON)
    settings.setdefault("horizon_days", 28)
    windows = {"acme": None, "globex": None} if windows is None else windows
    return plan_deliveries(
        orders, windows, calendar() if capacity is None else capacity, PlanSettings(**settings)
    )


def order(order_id: str, requested: date = MON, quantity: float = 1, priority: str = "normal", **kw) -> Order:
    kw.setdefault("customer_id", "acme")
    return Order(order_id=order_id, priority=priority, quantity=quantity, requested_date=requested, **kw)


# --- windows ------------------------------------------------------------------------------------------


def test_customer_window_overrides_default() -> None:
    wednesday_mornings = DeliveryWindow(frozenset({3}), time(6, 0), time(10, 0))
    saturdays = DeliveryWindow(frozenset({6}), time(9, 0), time(12, 0))
    windows = {"acme": wednesday_mornings, "globex": None, "initech": saturdays}
    plan = run(
        [order("A", customer_id="acme"), order("B", customer_id="globex"), order("C", customer_id="initech")],
        windows=windows,
    ).by_order_id()

    assert (plan["A"].scheduled_date, plan["A"].window_start, plan["A"].window_end) == (
        WED,
        time(6),
        time(10),
    )
    assert (plan["B"].scheduled_date, plan["B"].window_start, plan["B"].window_end) == (
        MON,
        time(8),
        time(17),
    )
    # The default window has no weekends, but this customer's own window is Saturdays only.
    assert (plan["C"].scheduled_date, plan["C"].window_start) == (SAT, time(9))
    # Wednesday is the customer's first possible day, yet still two calendar days after the request.
    assert plan["A"].days_late == 2


def test_default_window_is_a_setting() -> None:
    weekends = DeliveryWindow(frozenset({6, 7}), time(10), time(14))
    a = run([order("A")], default_window=weekends).assignments[0]
    assert (a.scheduled_date, a.window_start, a.window_end) == (SAT, time(10), time(14))


# --- precedence and capacity ----------------------------------------------------------------------


def test_rush_jumps_the_queue_over_earlier_requested_normal_orders() -> None:
    overdue_normal = order("N1", requested=MON - timedelta(days=3), priority="normal")
    rush = order("R1", requested=MON, priority="rush")
    plan = run([overdue_normal, rush], capacity=calendar(regular=1)).by_order_id()

    assert plan["R1"].scheduled_date == MON
    assert plan["N1"].scheduled_date == TUE
    assert plan["N1"].days_late == 4  # requested the Friday before the plan date


def test_capacity_conflict_pushes_the_lower_priority_later() -> None:
    low = order("L1", priority="low", quantity=6)
    high = order("H1", priority="high", quantity=6)
    plan = run([low, high], capacity=calendar(regular=10)).by_order_id()

    assert (plan["H1"].scheduled_date, plan["H1"].is_late) == (MON, False)
    assert (plan["L1"].scheduled_date, plan["L1"].is_late, plan["L1"].days_late) == (TUE, True, 1)


def test_ties_go_by_requested_date_then_order_id() -> None:
    orders = [order("B"), order("A"), order("C", requested=MON - timedelta(days=1))]
    plan = run(orders, capacity=calendar(regular=1)).by_order_id()
    assert [plan[i].scheduled_date for i in ("C", "A", "B")] == [MON, TUE, WED]


def test_daily_capacity_is_never_exceeded_and_orders_are_not_split() -> None:
    orders = [order(f"O{i}", quantity=4) for i in range(5)]
    plan = run(orders, capacity=calendar(regular=10))
    days = sorted(a.scheduled_date for a in plan.assignments)
    assert days == [MON, MON, TUE, TUE, WED]  # 4 + 4 fits, a third 4 would not
    assert all(a.units == 4 for a in plan.assignments)
    monday = next(c for c in plan.capacity if c.day == MON)
    assert (monday.capacity, monday.scheduled_units, monday.utilization) == (10, 8, 0.8)


def test_orders_without_a_resource_take_the_earliest_day_then_the_first_resource_by_name() -> None:
    capacity = calendar("b-line", regular=5) + calendar("a-line", regular=5)
    orders = [order("O1", quantity=5), order("O2", quantity=5), order("O3", quantity=5)]
    plan = run(orders, capacity=capacity).by_order_id()
    assert (plan["O1"].resource, plan["O1"].scheduled_date) == ("a-line", MON)
    assert (plan["O2"].resource, plan["O2"].scheduled_date) == ("b-line", MON)
    assert (plan["O3"].resource, plan["O3"].scheduled_date) == ("a-line", TUE)


def test_orders_with_a_resource_only_go_to_it() -> None:
    capacity = calendar("a-line", regular=5) + calendar("b-line", regular=5)
    orders = [order("O1", quantity=5, resource="b-line"), order("O2", quantity=5, resource="b-line")]
    plan = run(orders, capacity=capacity).by_order_id()
    assert (plan["O1"].resource, plan["O1"].scheduled_date) == ("b-line", MON)
    assert (plan["O2"].resource, plan["O2"].scheduled_date) == ("b-line", TUE)


# --- overtime -------------------------------------------------------------------------------------


def test_overtime_is_used_to_avoid_lateness() -> None:
    orders = [order("H1", priority="high", quantity=8), order("N1", quantity=5)]
    plan = run(orders, capacity=calendar(regular=10, overtime=5)).by_order_id()

    assert (plan["H1"].scheduled_date, plan["H1"].overtime_units) == (MON, 0)
    # 2 regular units are left on Monday; the other 3 come from overtime instead of slipping to Tuesday.
    assert (plan["N1"].scheduled_date, plan["N1"].units, plan["N1"].overtime_units) == (MON, 5, 3)
    assert not plan["N1"].is_late


def test_no_overtime_when_regular_capacity_is_on_time() -> None:
    # Monday is full, but the order is only wanted on Tuesday, when regular capacity is free.
    orders = [order("H1", priority="high", quantity=10), order("N1", requested=TUE, quantity=5)]
    plan = run(orders, capacity=calendar(regular=10, overtime=5))
    assert all(a.overtime_units == 0 for a in plan.assignments)
    assert plan.by_order_id()["N1"].scheduled_date == TUE
    assert sum(c.scheduled_overtime_units for c in plan.capacity) == 0


def test_overtime_reduces_lateness_for_overdue_orders() -> None:
    # Requested last week: late whatever happens, but overtime on Monday beats regular on Tuesday.
    orders = [order("H1", priority="high", quantity=10), order("N1", requested=MON - timedelta(days=7))]
    a = run(orders, capacity=calendar(regular=10, overtime=1)).by_order_id()["N1"]
    assert (a.scheduled_date, a.overtime_units, a.days_late) == (MON, 1, 7)


def test_too_little_overtime_means_late_on_regular_capacity() -> None:
    orders = [order("H1", priority="high", quantity=10), order("N1", quantity=5)]
    a = run(orders, capacity=calendar(regular=10, overtime=4)).by_order_id()["N1"]
    assert (a.scheduled_date, a.overtime_units, a.days_late) == (TUE, 0, 1)


# --- holidays and maintenance --------------------------------------------------------------------


def test_no_deliveries_on_us_christmas() -> None:
    capacity = calendar(start=CHRISTMAS_WEEK_MON, regular=10, overtime=10)
    orders = [order("X1", requested=date(2026, 12, 25), priority="rush")]
    plan = run(orders, capacity=capacity, plan_date=CHRISTMAS_WEEK_MON, horizon_days=14)
    a = plan.assignments[0]
    assert (a.scheduled_date, a.days_late) == (date(2026, 12, 28), 3)  # Friday holiday, then the weekend
    christmas = next(c for c in plan.capacity if c.day == date(2026, 12, 25))
    assert christmas.is_holiday
    assert (christmas.capacity, christmas.overtime_capacity, christmas.scheduled_units) == (0, 0, 0)


def test_holiday_country_is_a_setting() -> None:
    # 26 December is a public holiday in Germany, not in the US (and 2026-12-26 is a Saturday: use 2025).
    capacity = calendar(start=date(2025, 12, 22), regular=10)
    weekdays = [order("X1", requested=date(2025, 12, 26))]
    us = run(weekdays, capacity=capacity, plan_date=date(2025, 12, 22), horizon_days=14, country="US")
    de = run(weekdays, capacity=capacity, plan_date=date(2025, 12, 22), horizon_days=14, country="DE")
    none = run(weekdays, capacity=capacity, plan_date=date(2025, 12, 22), horizon_days=14, country=None)
    assert us.assignments[0].scheduled_date == date(2025, 12, 26)
    assert de.assignments[0].scheduled_date == date(2025, 12, 29)
    assert none.assignments[0].scheduled_date == date(2025, 12, 26)


def test_maintenance_days_get_nothing() -> None:
    capacity = calendar("a-line", maintenance=frozenset({TUE}), overtime=5) + calendar("b-line")
    orders = [order("P1", requested=TUE, resource="a-line"), order("F1", requested=TUE)]
    plan = run(orders, capacity=capacity)
    by_id = plan.by_order_id()
    assert (by_id["P1"].scheduled_date, by_id["P1"].resource) == (WED, "a-line")
    assert (by_id["F1"].scheduled_date, by_id["F1"].resource) == (TUE, "b-line")
    tuesday = next(c for c in plan.capacity if c.resource == "a-line" and c.day == TUE)
    assert tuesday.is_maintenance and (tuesday.capacity, tuesday.overtime_capacity) == (0, 0)


# --- unschedulable, with a reason ----------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -3, math.nan, math.inf, None, "lots"])
def test_invalid_quantity(quantity: object) -> None:
    a = run([order("O1", quantity=quantity)]).assignments[0]  # type: ignore[arg-type]
    assert (a.status, a.reason, a.scheduled_date) == ("unschedulable", REASON_INVALID_QUANTITY, None)


@pytest.mark.parametrize("customer_id", [None, "nobody"])
def test_unknown_customer(customer_id: str | None) -> None:
    a = run([order("O1", customer_id=customer_id)]).assignments[0]
    assert (a.status, a.reason) == ("unschedulable", REASON_UNKNOWN_CUSTOMER)


def test_no_window_in_horizon_when_the_customer_days_never_come() -> None:
    saturdays = {"acme": DeliveryWindow(frozenset({6}))}
    a = run([order("O1")], windows=saturdays, horizon_days=5).assignments[0]  # Monday to Friday only
    assert (a.status, a.reason) == ("unschedulable", REASON_NO_WINDOW_IN_HORIZON)


def test_no_window_in_horizon_when_requested_after_the_horizon() -> None:
    a = run([order("O1", requested=MON + timedelta(days=30))], horizon_days=28).assignments[0]
    assert (a.status, a.reason) == ("unschedulable", REASON_NO_WINDOW_IN_HORIZON)


def test_no_capacity_when_every_allowed_day_is_full() -> None:
    orders = [order("BIG", quantity=11), order("F1", quantity=10, priority="rush"), order("F2", quantity=10)]
    plan = run(orders, capacity=calendar(regular=10, days=2), horizon_days=2).by_order_id()
    assert (plan["BIG"].status, plan["BIG"].reason) == ("unschedulable", REASON_NO_CAPACITY)
    assert plan["F1"].scheduled_date == MON and plan["F2"].scheduled_date == TUE


def test_no_capacity_without_any_capacity_rows() -> None:
    plan = run([order("O1"), order("O2", requested=SAT)], capacity=[])
    assert [a.reason for a in plan.assignments] == [REASON_NO_CAPACITY, REASON_NO_CAPACITY]
    assert plan.capacity == ()


def test_other_reasons() -> None:
    orders = [
        order("O1", priority="urgent"),
        order("O2", resource="no-such-line"),
        order("O3"),
        order("O3", quantity=2),
    ]
    plan = run(orders)
    assert [a.reason for a in plan.assignments] == [
        REASON_INVALID_PRIORITY,
        REASON_UNKNOWN_RESOURCE,
        None,
        REASON_DUPLICATE_ORDER_ID,
    ]


def test_duplicate_capacity_rows_are_rejected() -> None:
    with pytest.raises(ValueError, match="two capacity rows"):
        run([order("O1")], capacity=calendar(days=2) + calendar(days=1))


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="ordering"):
        PlanSettings(plan_date=MON, ordering="fifo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="horizon_days"):
        PlanSettings(plan_date=MON, horizon_days=0)
    with pytest.raises(ValueError, match="ISO weekdays"):
        DeliveryWindow(frozenset({0}))


# --- lateness, determinism, ordering rule --------------------------------------------------------


def test_late_orders_carry_days_late() -> None:
    orders = [order(f"O{i}", quantity=10, priority="rush" if i == 0 else "normal") for i in range(3)]
    plan = run(orders, capacity=calendar(regular=10)).by_order_id()
    assert [(plan[i].is_late, plan[i].days_late) for i in ("O0", "O1", "O2")] == [
        (False, 0),
        (True, 1),
        (True, 2),
    ]
    # Friday's order slips over the weekend: calendar days, not working days.
    plan = run(
        [order("F0", requested=FRI, quantity=10, priority="high"), order("F1", requested=FRI)],
        capacity=calendar(regular=10),
    ).by_order_id()
    assert (plan["F1"].scheduled_date, plan["F1"].days_late) == (NEXT_MON, 3)


def _random_instance(seed: int) -> tuple[list[Order], list[CapacityDay], dict[str, DeliveryWindow | None]]:
    rng = random.Random(seed)
    windows: dict[str, DeliveryWindow | None] = {
        f"C{i}": None if i % 2 else DeliveryWindow(frozenset(rng.sample(range(1, 8), 3))) for i in range(6)
    }
    capacity = calendar("a", regular=20, overtime=5) + calendar("b", regular=15, maintenance=frozenset({WED}))
    orders = [
        Order(
            f"O{k:03d}",
            rng.choice([*windows, "ghost"]),
            rng.choice(["rush", "high", "normal", "low"]),
            rng.choice([0, 1, 2, 3, 5, 8, 13]),
            MON + timedelta(days=rng.randrange(-3, 20)),
            rng.choice([None, None, "a", "b"]),
        )
        for k in range(150)
    ]
    return orders, capacity, windows


@pytest.mark.parametrize("ordering", ["strict", "weekly_buckets"])
def test_same_input_gives_the_same_plan(ordering: str) -> None:
    orders, capacity, windows = _random_instance(7)
    settings = PlanSettings(plan_date=MON, horizon_days=28, ordering=ordering)  # type: ignore[arg-type]
    first = plan_deliveries(orders, windows, capacity, settings)
    second = plan_deliveries(list(orders), dict(windows), list(capacity), settings)
    assert first == second
    # Input order does not change who gets what: only the (stable) sort keys do.
    shuffled = list(orders)
    random.Random(1).shuffle(shuffled)
    third = plan_deliveries(shuffled, windows, list(reversed(capacity)), settings)
    assert third.by_order_id() == first.by_order_id()
    assert third.capacity == first.capacity


def _mean_days_late(plan: Plan, priority: str) -> float:
    late = [a.days_late for a in plan.assignments if a.priority == priority and a.status == "scheduled"]
    return sum(late) / len(late)


def test_weekly_buckets_reduce_low_priority_lateness_at_high_load() -> None:
    # One unit a day, every day. Three low orders wanted on the first Monday; one high order wanted on
    # each of the first ten days. Strict priority lets all ten high orders go first.
    every_day = {"acme": DeliveryWindow(frozenset(range(1, 8)))}
    lows = [order(f"L{i}", priority="low") for i in range(3)]
    highs = [order(f"H{i}", requested=MON + timedelta(days=i), priority="high") for i in range(10)]
    capacity = calendar(regular=1, days=28)
    strict = run(lows + highs, capacity=capacity, windows=every_day, country=None)
    weekly = run(lows + highs, capacity=capacity, windows=every_day, country=None, ordering="weekly_buckets")

    assert [strict.by_order_id()[f"L{i}"].days_late for i in range(3)] == [10, 11, 12]
    assert [weekly.by_order_id()[f"L{i}"].days_late for i in range(3)] == [7, 8, 9]
    assert _mean_days_late(weekly, "low") < _mean_days_late(strict, "low")
    # The price: the second week's high orders slip behind the first week's low ones.
    assert _mean_days_late(weekly, "high") > _mean_days_late(strict, "high") == 0
    assert all(a.status == "scheduled" for a in strict.assignments + weekly.assignments)


def test_lateness_by_priority_reports_the_trade_off() -> None:
    every_day = {"acme": DeliveryWindow(frozenset(range(1, 8)))}
    lows = [order(f"L{i}", priority="low") for i in range(3)] + [order("BAD", priority="low", quantity=0)]
    highs = [order(f"H{i}", requested=MON + timedelta(days=i), priority="high") for i in range(10)]
    plan = run(lows + highs, capacity=calendar(regular=1, days=28), windows=every_day, country=None)
    rows = {r.priority: r for r in lateness_by_priority(plan)}

    assert list(rows) == ["rush", "high", "normal", "low"]
    assert (rows["rush"].orders, rows["rush"].on_time_pct, rows["rush"].max_days_late) == (0, 0.0, 0)
    assert (rows["high"].scheduled, rows["high"].on_time_pct, rows["high"].mean_days_late) == (10, 100.0, 0.0)
    low = rows["low"]
    assert (low.orders, low.scheduled, low.unschedulable) == (4, 3, 1)
    assert (low.on_time_pct, low.mean_days_late, low.p50_days_late, low.max_days_late) == (
        0.0,
        11.0,
        11.0,
        12,
    )


def test_orders_of_a_deactivated_customer_are_unschedulable_with_their_own_reason():
    from customer_master.scheduling import REASON_CUSTOMER_INACTIVE

    settings = PlanSettings(plan_date=date(2026, 11, 23), horizon_days=14, country=None)
    capacity = [CapacityDay("L1", date(2026, 11, 23) + timedelta(days=i), 100.0) for i in range(14)]
    orders = [
        Order("o1", "active", "normal", 5.0, date(2026, 11, 24)),
        Order("o2", "gone", "rush", 5.0, date(2026, 11, 24)),
    ]
    plan = plan_deliveries(
        orders, {"active": None, "gone": None}, capacity, settings, inactive_customers={"gone"}
    )
    by_id = plan.by_order_id()
    assert by_id["o1"].status == "scheduled"
    assert (by_id["o2"].status, by_id["o2"].reason) == ("unschedulable", REASON_CUSTOMER_INACTIVE)
