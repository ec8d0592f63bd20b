"""Promises kept and churn reported (issue 15, part 2): `scheduling.stability`.

Hand-built days where the answer is known, then a randomized check over many instances that the plan
around the promises keeps every rule of the engine's plan (capacity, one row per order) and every
promise it says it kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest

from customer_master.scheduling import CapacityDay, DeliveryWindow, Order, PlanSettings, plan_deliveries
from customer_master.scheduling.stability import (
    CHANGE_EARLIER,
    CHANGE_LATER,
    CHANGE_NEW,
    CHANGE_NEWLY_SCHEDULED,
    CHANGE_UNCHANGED,
    CHANGE_UNSCHEDULED,
    WHY_CAPACITY_SHRANK,
    WHY_DAY_PASSED,
    WHY_KEPT,
    WHY_ORDER_CHANGED,
    WHY_REPLANNED,
    WHY_WINDOW_CHANGED,
    PreviousAssignment,
    PreviousPlan,
    plan_with_promises,
    working_days,
)

SUN = dt.date(2026, 12, 6)
MON, TUE, WED, THU, FRI = (SUN + dt.timedelta(days=i) for i in range(1, 6))
WINDOWS: dict[str, DeliveryWindow | None] = {"acme": None, "tue-thu": DeliveryWindow(frozenset({2, 4}))}


def settings(plan_date: dt.date = MON, days: int = 14) -> PlanSettings:
    return PlanSettings(plan_date=plan_date, horizon_days=days, country=None)


def weekdays(regular: float = 10.0, lines=("L1",), start: dt.date = SUN, days: int = 21) -> list[CapacityDay]:
    out = []
    for line in lines:
        for i in range(days):
            day = start + dt.timedelta(days=i)
            if day.weekday() < 5:
                out.append(CapacityDay(line, day, regular))
    return out


def order(order_id: str, quantity: float = 10.0, priority: str = "normal", requested=TUE, customer="acme"):
    return Order(order_id, customer, priority, quantity, requested)


def previous_of(plan, capacity=()) -> PreviousPlan:
    """The warehouse's view of a plan: its rows as the next plan reads them."""
    rows = tuple(
        PreviousAssignment(
            a.order_id, a.customer_id, a.priority, a.requested_date, a.status, a.scheduled_date,
            a.resource, a.units if a.status == "scheduled" else 0.0, a.is_late,
            window_days=(WINDOWS.get(a.customer_id or "") or plan.settings.default_window).days,
            window_start=a.window_start, window_end=a.window_end,
        )
        for a in plan.assignments
    )  # fmt: skip
    totals = {(c.resource, c.day): c.regular_units + c.overtime_units for c in capacity}
    return PreviousPlan(plan.settings.plan_date, rows, totals)


def by_id(result) -> dict:
    return {a.order_id: a for a in result.plan.assignments}


def changes(result) -> dict:
    return {c.order_id: c for c in result.churn.changes}


def test_the_frozen_window_is_the_next_two_working_days():
    capacity = weekdays()
    assert working_days(capacity, settings(SUN), 2) == (MON, TUE)  # Sunday has no capacity
    assert working_days(capacity, settings(FRI), 2) == (FRI, FRI + dt.timedelta(days=3))
    assert working_days(capacity, settings(MON), 0) == ()


def test_without_a_previous_plan_it_is_exactly_the_engines_plan():
    orders = [order("a"), order("b", priority="rush")]
    result = plan_with_promises(orders, WINDOWS, weekdays(), settings(), previous=None)
    assert result.plan == plan_deliveries(orders, WINDOWS, weekdays(), settings())
    assert {c.change for c in result.churn.changes} == {CHANGE_NEW}
    assert result.churn.previous_plan_date is None and result.churn.moved_share == 0.0


def test_a_promised_tuesday_survives_a_rush_order_that_arrives_overnight():
    capacity = weekdays()
    yesterday = plan_deliveries([order("a")], WINDOWS, capacity, settings(SUN))
    assert by_id_plan(yesterday)["a"].scheduled_date == TUE
    orders = [order("a"), order("rush", priority="rush", requested=TUE)]

    free = plan_deliveries(orders, WINDOWS, capacity, settings())
    assert by_id_plan(free)["rush"].scheduled_date == TUE  # without promises: the rush order takes Tuesday
    assert by_id_plan(free)["a"].scheduled_date == WED

    result = plan_with_promises(orders, WINDOWS, capacity, settings(), previous=previous_of(yesterday))
    plan = by_id(result)
    assert (plan["a"].scheduled_date, plan["a"].resource) == (TUE, "L1")
    assert (plan["rush"].scheduled_date, plan["rush"].days_late) == (WED, 1)  # fits around the promise
    churn = changes(result)
    assert (churn["a"].change, churn["a"].reason, churn["a"].promise_kept) == (
        CHANGE_UNCHANGED,
        WHY_KEPT,
        True,
    )
    assert churn["rush"].change == CHANGE_NEW
    assert result.churn.promised == 1 and result.churn.promises_kept == 1 and result.churn.moved_share == 0.0
    tuesday = next(c for c in result.plan.capacity if c.day == TUE)
    assert (tuesday.capacity, tuesday.scheduled_units, tuesday.utilization) == (10.0, 10.0, 1.0)


def by_id_plan(plan) -> dict:
    return {a.order_id: a for a in plan.assignments}


@pytest.mark.parametrize(
    ("changed", "why"),
    [
        (dict(quantity=8.0), WHY_ORDER_CHANGED),
        (dict(priority="low"), WHY_ORDER_CHANGED),
        (dict(requested_date=WED), WHY_ORDER_CHANGED),
    ],
)
def test_a_promise_is_released_when_the_order_itself_changed(changed, why):
    capacity = weekdays()
    yesterday = plan_deliveries([order("a")], WINDOWS, capacity, settings(SUN))
    orders = [dataclasses.replace(order("a"), **changed), order("rush", priority="rush")]
    result = plan_with_promises(orders, WINDOWS, capacity, settings(), previous=previous_of(yesterday))
    plan = by_id(result)
    assert plan["rush"].scheduled_date == TUE  # the order is planned afresh: the rush order goes first
    assert plan["a"].scheduled_date == WED
    a = changes(result)["a"]
    assert (a.change, a.reason, a.days_moved, a.promise_kept) == (CHANGE_LATER, why, 1, False)
    assert result.churn.moved_by_planner == 0  # the order asked for it: not the planner's churn


def test_a_promise_is_released_when_the_customers_window_changed():
    capacity = weekdays()
    yesterday = plan_deliveries([order("a")], WINDOWS, capacity, settings(SUN))
    now_windows = {**WINDOWS, "acme": DeliveryWindow(frozenset({2, 4}), dt.time(6), dt.time(12))}
    orders = [order("a"), order("rush", priority="rush")]
    result = plan_with_promises(orders, now_windows, capacity, settings(), previous=previous_of(yesterday))
    a = changes(result)["a"]
    assert (a.change, a.reason) == (CHANGE_LATER, WHY_WINDOW_CHANGED)
    assert by_id(result)["a"].scheduled_date == THU  # the next Tue/Thu


def test_when_a_day_shrinks_the_lowest_precedence_promise_there_goes_first():
    yesterday = plan_deliveries(
        [order("high", 6, "high"), order("low", 4, "low")], WINDOWS, weekdays(), settings(SUN)
    )
    assert {a.scheduled_date for a in yesterday.assignments} == {TUE}
    shrunk = [dataclasses.replace(c, regular_units=7.0) if c.day == TUE else c for c in weekdays()]
    result = plan_with_promises(
        [order("high", 6, "high"), order("low", 4, "low")],
        WINDOWS,
        shrunk,
        settings(),
        previous=previous_of(yesterday, weekdays()),
    )
    plan, churn = by_id(result), changes(result)
    assert plan["high"].scheduled_date == TUE and churn["high"].promise_kept
    assert (plan["low"].scheduled_date, churn["low"].reason) == (WED, WHY_CAPACITY_SHRANK)
    assert result.churn.moved_by_planner == 1 and result.churn.moved_share == 0.5


def test_outside_the_frozen_window_the_plan_is_free_and_the_move_is_counted():
    capacity = weekdays()
    yesterday = plan_deliveries([order("a", requested=THU)], WINDOWS, capacity, settings(SUN))
    orders = [order("a", requested=THU), order("rush", priority="rush", requested=THU)]
    result = plan_with_promises(
        orders, WINDOWS, capacity, settings(), previous=previous_of(yesterday, capacity)
    )
    plan, a = by_id(result), changes(result)["a"]
    assert (plan["rush"].scheduled_date, plan["a"].scheduled_date) == (THU, FRI)
    assert (a.change, a.days_moved, a.reason, a.promised, a.newly_late) == (
        CHANGE_LATER,
        1,
        WHY_REPLANNED,
        True,
        True,
    )
    assert result.churn.moved_share == 1.0 and result.churn.newly_late == 1
    assert result.churn.reasons() == {WHY_REPLANNED: 1}


def test_a_day_that_passed_undelivered_is_not_a_promise_and_says_why_it_moved():
    capacity = weekdays()
    last_week = plan_deliveries([order("a", requested=MON)], WINDOWS, capacity, settings(MON))
    result = plan_with_promises(
        [order("a", requested=MON)], WINDOWS, capacity, settings(WED), previous=previous_of(last_week)
    )
    a = changes(result)["a"]
    assert (a.change, a.reason, a.promised, a.days_moved) == (CHANGE_LATER, WHY_DAY_PASSED, False, 2)
    assert result.churn.promised == 0


def test_newly_scheduled_and_unscheduled_orders_are_named():
    capacity = weekdays(days=9)  # Sun 6 .. Mon 14
    tight = [c for c in capacity if c.day <= TUE]
    yesterday = plan_deliveries(
        [order("x", 10, requested=MON), order("y", 10)], WINDOWS, tight, settings(SUN, 3)
    )
    assert [a.status for a in yesterday.assignments] == ["scheduled", "scheduled"]
    now = plan_with_promises(
        [order("x", 10, requested=WED), order("y", 10)], WINDOWS, tight, settings(MON, 2),
        previous=previous_of(yesterday),
    )  # fmt: skip
    x = changes(now)["x"]
    assert (x.change, x.reason) == (CHANGE_UNSCHEDULED, WHY_ORDER_CHANGED)  # asked for a day past the horizon
    later = plan_with_promises(
        [order("x", 10, requested=WED)], WINDOWS, capacity, settings(MON, 5),
        previous=previous_of(now.plan),
    )  # fmt: skip
    assert changes(later)["x"].change == CHANGE_NEWLY_SCHEDULED


def test_a_duplicate_order_id_is_never_held_as_a_promise():
    capacity = weekdays()
    yesterday = plan_deliveries([order("a")], WINDOWS, capacity, settings(SUN))
    result = plan_with_promises(
        [order("a"), order("a", 3)], WINDOWS, capacity, settings(), previous=previous_of(yesterday)
    )
    assert [a.reason for a in result.plan.assignments] == [None, "duplicate_order_id"]
    assert not any(c.promise_kept for c in result.churn.changes)


def test_moving_earlier_is_reported_with_its_days():
    capacity = weekdays()
    yesterday = plan_deliveries(
        [order("big", 10, "high", requested=THU), order("a", 10, requested=THU)],
        WINDOWS,
        capacity,
        settings(SUN),
    )
    assert by_id_plan(yesterday)["a"].scheduled_date == FRI
    result = plan_with_promises(
        [order("a", 10, requested=THU)], WINDOWS, capacity, settings(), previous=previous_of(yesterday)
    )  # the big order was delivered or cancelled: Thursday is free again
    a = changes(result)["a"]
    assert (a.change, a.days_moved, a.reason) == (CHANGE_EARLIER, -1, WHY_REPLANNED)


# --- randomized: every rule of the plan holds around the promises -----------------------------------
def _random_day(rng: random.Random, seed: int):
    lines = ("L1", "L2", "L3")[: rng.randint(1, 3)]
    capacity = [
        dataclasses.replace(
            c, regular_units=rng.choice([4.5, 10.0, 12.25, 20.0]), overtime_units=rng.choice([0, 2.5])
        )
        for c in weekdays(lines=lines, days=30)
    ]
    windows: dict[str, DeliveryWindow | None] = {"acme": None, "tue-thu": DeliveryWindow(frozenset({2, 4}))}
    orders = [
        Order(
            f"o{seed}-{i}", rng.choice(["acme", "tue-thu"]), rng.choice(["rush", "high", "normal", "low"]),
            rng.choice([1.5, 2.0, 3.75, 5.0, 8.0]), SUN + dt.timedelta(days=rng.randint(-2, 12)),
            rng.choice([None, *lines]),
        )
        for i in range(rng.randint(5, 40))
    ]  # fmt: skip
    return orders, windows, capacity


@pytest.mark.parametrize("seed", range(40))
def test_around_the_promises_capacity_holds_and_every_kept_promise_is_where_it_was(seed):
    rng = random.Random(seed)
    orders, windows, capacity = _random_day(rng, seed)
    yesterday = plan_deliveries(orders, windows, capacity, settings(SUN, 21))
    # Overnight: a few new orders, one changed quantity, one cancelled.
    tonight = [o for o in orders if rng.random() > 0.1]
    tonight = [dataclasses.replace(o, quantity=o.quantity + 1) if rng.random() < 0.1 else o for o in tonight]
    tonight += [dataclasses.replace(o, order_id=f"{o.order_id}-new") for o in orders[: rng.randint(0, 10)]]
    result = plan_with_promises(
        tonight, windows, capacity, settings(MON, 20), previous=previous_of(yesterday)
    )

    plan, before = result.plan, by_id_plan(yesterday)
    assert [a.order_id for a in plan.assignments] == [o.order_id for o in tonight]
    # Capacity: per line x day the assignments sum to the summary, never beyond what the day has (exact).
    used: dict[tuple[str, dt.date], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for a in plan.scheduled():
        used[(a.resource, a.scheduled_date)][0] += Decimal(repr(a.units)) - Decimal(repr(a.overtime_units))
        used[(a.resource, a.scheduled_date)][1] += Decimal(repr(a.overtime_units))
    real = {(c.resource, c.day): c for c in capacity}
    for row in plan.capacity:
        regular, overtime = used.get((row.resource, row.day), [Decimal(0), Decimal(0)])
        assert (
            Decimal(repr(row.scheduled_units)) == regular
            and Decimal(repr(row.scheduled_overtime_units)) == overtime
        )
        source = real.get((row.resource, row.day))
        assert row.capacity == (source.regular_units if source else 0.0)
        assert regular <= Decimal(repr(row.capacity)) and overtime <= Decimal(repr(row.overtime_capacity))
    frozen = set(result.churn.frozen_days)
    for change in result.churn.changes:
        a = by_id(result)[change.order_id]
        if change.promise_kept:
            was = before[change.order_id]
            assert (a.scheduled_date, a.resource) == (was.scheduled_date, was.resource)
            assert a.scheduled_date in frozen
        if change.change in (CHANGE_EARLIER, CHANGE_LATER):
            assert change.days_moved == (a.scheduled_date - change.previous_date).days != 0
            assert change.reason is not None
