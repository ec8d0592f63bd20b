"""The precedence checker (`scheduling.precedence`): hand-made plans that break it or not, then the
greedy (both orderings) and greedy + `improve` never breaking it on random instances (hypothesis),
fractional quantities included."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from test_scheduling_improve import crowded
from test_scheduling_properties import instances

from customer_master.scheduling import (
    REASON_NO_CAPACITY,
    CapacityDay,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
    Violation,
    plan_deliveries,
    precedence_violations,
)
from customer_master.scheduling.improve import improve_plan

MON = date(2026, 12, 7)  # a Monday; no US public holiday in the two weeks from here
TUE = MON + timedelta(days=1)
WINDOWS: dict[str, DeliveryWindow | None] = {"acme": None}


def order(order_id: str, priority: str, requested: date = MON, quantity: float = 10) -> Order:
    return Order(order_id, "acme", priority, quantity, requested)


def greedy(orders: list[Order], days: int = 5, **kw) -> Plan:
    capacity = [CapacityDay("a-line", MON + timedelta(days=i), 10) for i in range(days)]
    return plan_deliveries(orders, WINDOWS, capacity, PlanSettings(plan_date=MON, horizon_days=days, **kw))


def swapped(plan: Plan, first: str, second: str) -> Plan:
    """The plan with the places (and statuses) of two orders of the same size exchanged."""
    by_id = plan.by_order_id()
    a, b = by_id[first], by_id[second]

    def take(x, y):  # x in y's place
        return dataclasses.replace(
            y, order_id=x.order_id, priority=x.priority, requested_date=x.requested_date,
            days_late=max((y.scheduled_date - x.requested_date).days, 0) if y.scheduled_date else 0,
            is_late=bool(y.scheduled_date and y.scheduled_date > x.requested_date),
        )  # fmt: skip

    new = {first: take(a, b), second: take(b, a)}
    return dataclasses.replace(plan, assignments=tuple(new.get(x.order_id, x) for x in plan.assignments))


def test_a_late_order_behind_a_lower_one_is_a_violation() -> None:
    orders = [order("N1", "normal"), order("L1", "low")]
    plan = greedy(orders)
    assert precedence_violations(plan, orders, WINDOWS) == []  # N1 Monday, L1 Tuesday
    bad = swapped(plan, "N1", "L1")
    assert precedence_violations(bad, orders, WINDOWS) == [
        Violation("N1", "normal", TUE, 10.0, MON, "a-line", 10.0, ("L1",))
    ]
    assert "normal order N1" in str(precedence_violations(bad, orders, WINDOWS)[0])


def test_an_unscheduled_order_while_a_lower_one_has_its_room_is_a_violation() -> None:
    orders = [order("N1", "normal"), order("L1", "low")]
    plan = greedy(orders, days=1)
    assert plan.by_order_id()["L1"].reason == REASON_NO_CAPACITY
    bad = swapped(plan, "N1", "L1")
    [violation] = precedence_violations(bad, orders, WINDOWS)
    assert (violation.order_id, violation.scheduled_date, violation.lower_orders) == ("N1", None, ("L1",))


def test_equal_priority_holds_its_place() -> None:
    orders = [order("N1", "normal"), order("N2", "normal")]
    assert precedence_violations(swapped(greedy(orders), "N1", "N2"), orders, WINDOWS) == []


def test_room_too_small_even_without_the_lower_orders_is_no_violation() -> None:
    orders = [order("H1", "high", quantity=6), order("N1", "normal", quantity=6)]
    orders.append(order("L1", "low", quantity=4))
    plan = greedy(orders)  # Monday: H1 + L1 (10); N1 Tuesday, L1 cannot make room for it
    assert plan.by_order_id()["L1"].scheduled_date == MON
    assert precedence_violations(plan, orders, WINDOWS) == []


def test_weekly_buckets_an_earlier_week_holds_its_place() -> None:
    # L1 asked for last week: under weekly_buckets it goes first and keeps Monday; strictly, N1 would.
    orders = [order("N1", "normal"), order("L1", "low", requested=MON - timedelta(days=3))]
    weekly = greedy(orders, ordering="weekly_buckets")
    assert weekly.by_order_id()["L1"].scheduled_date == MON
    assert precedence_violations(weekly, orders, WINDOWS) == []
    strict = dataclasses.replace(weekly, settings=dataclasses.replace(weekly.settings, ordering="strict"))
    assert [v.order_id for v in precedence_violations(strict, orders, WINDOWS)] == ["N1"]


def test_weekly_buckets_the_same_week_compares_priorities() -> None:
    orders = [order("N1", "normal"), order("L1", "low")]
    bad = swapped(greedy(orders, ordering="weekly_buckets"), "N1", "L1")
    assert [v.order_id for v in precedence_violations(bad, orders, WINDOWS)] == ["N1"]


# --- properties -----------------------------------------------------------------------------------
# Fractional units: every quantity and capacity scaled by a factor that is not a binary fraction, so
# orders fit the room left only in exact arithmetic (0.1 + 0.2 into 0.3).
FACTORS = (0.1, 0.01, 0.3, 1.37)


@st.composite
def fractional(draw: st.DrawFn):
    orders, windows, capacity, plan_settings = draw(st.one_of(instances(), crowded()))
    factor = draw(st.sampled_from(FACTORS))
    orders = [dataclasses.replace(o, quantity=round(o.quantity * factor, 6)) for o in orders]
    capacity = [
        dataclasses.replace(
            c,
            regular_units=round(c.regular_units * factor, 6),
            overtime_units=round(c.overtime_units * factor, 6),
        )
        for c in capacity
    ]
    return orders, windows, capacity, plan_settings


def assert_no_violation(instance, improve: bool) -> None:
    orders, windows, capacity, plan_settings = instance
    plan = plan_deliveries(orders, windows, capacity, plan_settings)
    if improve:
        plan = improve_plan(plan, orders, windows)
    violations = precedence_violations(plan, orders, windows)
    assert not violations, "\n".join(map(str, violations))


PROPS = settings(max_examples=150, deadline=None)


@PROPS
@given(st.one_of(instances(), crowded(), fractional()))
def test_the_greedy_keeps_precedence(instance) -> None:
    assert_no_violation(instance, improve=False)


@PROPS
@given(st.one_of(instances(), crowded(), fractional()))
def test_greedy_and_improve_keep_precedence(instance) -> None:
    assert_no_violation(instance, improve=True)
