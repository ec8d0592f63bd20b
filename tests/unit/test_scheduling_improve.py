"""The local search of `scheduling.improve`: hand-checked scenarios, then properties on random instances
(hypothesis, the instance strategy of test_scheduling_properties.py).

The improved plan must keep every rule of the engine's plan (capacity, allowed days, whole orders,
pinned resources, overtime only against lateness, earliest day with room, reasons) and on top never make
a higher-priority order later for a lower one and never increase Σ w·days late.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_scheduling_properties import (
    EPS,
    PLAN_DATES,
    assert_earliest_day_and_overtime_rule,
    assert_no_capacity_only_when_no_room,
    assert_on_allowed_days,
    instances,
)

from customer_master.scheduling import (
    PRIORITY_RANK,
    REASON_NO_CAPACITY,
    REASONS,
    CapacityDay,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
    plan_deliveries,
    precedence_violations,
)
from customer_master.scheduling.improve import PRIORITY_WEIGHT, improve_plan, weighted_lateness

MON = date(2026, 12, 7)  # a Monday; no US public holiday in the two weeks from here
TUE, WED, THU = (MON + timedelta(days=i) for i in range(1, 4))


def calendar(
    resources=("a-line",), days: int = 14, regular: float = 10, overtime: float = 0
) -> list[CapacityDay]:
    return [
        CapacityDay(r, MON + timedelta(days=i), regular, overtime) for r in resources for i in range(days)
    ]


def order(order_id: str, quantity: float, priority: str = "normal", requested: date = MON, **kw) -> Order:
    kw.setdefault("customer_id", "acme")
    return Order(order_id, priority=priority, quantity=quantity, requested_date=requested, **kw)


def both(orders, capacity, windows=None, **kw) -> tuple[Plan, Plan]:
    """(greedy plan, improved plan) of the same input."""
    windows = {"acme": None, "wednesdays": DeliveryWindow(frozenset({3}))} if windows is None else windows
    plan_settings = PlanSettings(
        plan_date=kw.pop("plan_date", MON), horizon_days=kw.pop("horizon_days", 14), **kw
    )
    greedy = plan_deliveries(orders, windows, capacity, plan_settings)
    improved = plan_deliveries(orders, windows, capacity, dataclasses.replace(plan_settings, improve=True))
    direct = improve_plan(greedy, orders, windows)
    assert (improved.assignments, improved.capacity) == (direct.assignments, direct.capacity)
    return greedy, improved


# --- scenarios ------------------------------------------------------------------------------------


def test_off_by_default_and_the_greedy_is_unchanged() -> None:
    assert PlanSettings(plan_date=MON).improve is False


def test_small_orders_first_when_that_makes_fewer_days_late() -> None:
    # The greedy takes N1 first (order id); N2 and N3 then wait a day each: 2 days late in all.
    orders = [order("N1", 10), order("N2", 5), order("N3", 5)]
    greedy, improved = both(orders, calendar())
    assert [a.days_late for a in greedy.assignments] == [0, 1, 1]
    assert [a.days_late for a in improved.assignments] == [1, 0, 0]


def test_an_order_open_to_any_resource_makes_room_on_the_one_a_pinned_order_needs() -> None:
    # R1 may go anywhere and takes a-line (first by name); N1 is pinned to a-line and waits a day.
    orders = [order("R1", 10, "rush"), order("N1", 10, resource="a-line")]
    greedy, improved = both(orders, calendar(("a-line", "b-line")))
    g, i = greedy.by_order_id(), improved.by_order_id()
    assert (g["R1"].resource, g["N1"].days_late) == ("a-line", 1)
    assert (i["R1"].scheduled_date, i["R1"].resource, i["R1"].days_late) == (MON, "b-line", 0)
    assert (i["N1"].scheduled_date, i["N1"].resource, i["N1"].days_late) == (MON, "a-line", 0)


def test_a_flexible_customer_leaves_the_only_day_of_an_inflexible_one() -> None:
    # N1 (any weekday) takes Wednesday; N2's customer only takes Wednesdays and waits a week.
    orders = [order("N1", 10, requested=WED), order("N2", 10, requested=WED, customer_id="wednesdays")]
    greedy, improved = both(orders, calendar())
    assert [a.days_late for a in greedy.assignments] == [0, 7]
    i = improved.by_order_id()
    assert (i["N2"].scheduled_date, i["N1"].scheduled_date) == (WED, THU)


def test_a_higher_priority_order_is_never_made_later_for_lower_ones() -> None:
    # One day late for H1 (w 4) would put the five low orders a day earlier (w 5 in all): cheaper by
    # Σ w·days late, but against precedence. The pass keeps H1 where it is.
    orders = [order("H1", 10, "high"), *(order(f"L{k}", 2, "low") for k in range(5))]
    greedy, improved = both(orders, calendar())
    assert improved.by_order_id()["H1"].scheduled_date == MON
    assert improved.assignments == greedy.assignments


def test_a_no_capacity_order_gets_scheduled_when_room_can_be_made() -> None:
    # One day of capacity on two lines: R1 (any line) takes a-line, so N1 (pinned to a-line) has none.
    orders = [order("R1", 10, "rush"), order("N1", 10, resource="a-line")]
    greedy, improved = both(orders, calendar(("a-line", "b-line"), days=1), horizon_days=1)
    assert greedy.by_order_id()["N1"].reason == REASON_NO_CAPACITY
    n1 = improved.by_order_id()["N1"]
    assert (n1.status, n1.scheduled_date, n1.resource, n1.reason) == ("scheduled", MON, "a-line", None)


def test_overtime_stays_only_where_regular_capacity_has_no_room() -> None:
    # N1 is overdue; the greedy puts N2 on Monday overtime; improved or not, overtime is used only by an
    # order with no regular room on any allowed day up to its own.
    orders = [order("N1", 8, requested=MON - timedelta(days=3)), order("N2", 4)]
    _, improved = both(orders, calendar(regular=10, overtime=2))
    for a in improved.scheduled():
        if a.overtime_units:
            assert a.scheduled_date == MON


def test_regression_a_freed_wednesday_goes_to_the_normal_order_not_the_low_one() -> None:
    # Found by hypothesis (shrunk): the old pass moved rush O11 to the first Wednesday (O22 to Monday),
    # which freed 11 units on the second Wednesday where the low O25 (7) kept its place while the normal,
    # Wednesday-only O16 (8) stayed no_capacity: precedence broken.
    tue = date(2026, 12, 29)
    wed, mon, wed2 = (tue + timedelta(days=i) for i in (1, 6, 8))
    capacity = [CapacityDay("b-line", d, units) for d, units in ((wed, 20), (mon, 19), (wed2, 11))]
    windows = {"C0": None, "C2": DeliveryWindow(frozenset({3}))}
    orders = [
        Order("O06", "C0", "rush", 11.0, tue, "b-line"),
        Order("O10", "C0", "rush", 12.0, tue - timedelta(days=3)),
        Order("O11", "C2", "rush", 4.0, wed, "b-line"),
        Order("O16", "C2", "normal", 8.0, tue - timedelta(days=2), "b-line"),
        Order("O22", "C0", "rush", 7.0, tue, "b-line"),
        Order("O25", "C2", "low", 7.0, tue - timedelta(days=3), "b-line"),
    ]
    greedy, improved = both(orders, capacity, windows, plan_date=tue, horizon_days=9)
    assert greedy.by_order_id()["O16"].reason == REASON_NO_CAPACITY  # the greedy: rush O11 has wed2
    assert precedence_violations(improved, orders, windows) == []
    instance = (orders, windows, capacity, greedy.settings)
    check_engine_output_rules(instance, improved)
    check_lateness_and_precedence(instance, greedy, improved)


def test_improve_plan_needs_the_orders_of_the_plan() -> None:
    orders = [order("N1", 1), order("N2", 1)]
    greedy, _ = both(orders, calendar())
    with pytest.raises(ValueError, match="orders the plan was made from"):
        improve_plan(greedy, orders[:1], {"acme": None})


def test_weighted_lateness() -> None:
    orders = [order("N1", 10), order("L1", 10, "low"), order("R1", 10, "rush")]
    greedy, _ = both(orders, calendar())
    assert weighted_lateness(greedy) == 2 * 1 + 1 * 2


# --- properties -----------------------------------------------------------------------------------


def _pair(instance) -> tuple[Plan, Plan]:
    orders, windows, capacity, plan_settings = instance
    greedy = plan_deliveries(orders, windows, capacity, plan_settings)
    return greedy, improve_plan(greedy, orders, windows)


def _late(a, plan_settings: PlanSettings) -> int:
    """Days late; an unschedulable order counts as late until the day after the horizon."""
    if a.status == "scheduled":
        return a.days_late
    end = plan_settings.plan_date + timedelta(days=plan_settings.horizon_days)
    return (end - a.requested_date).days


def check_same_orders_and_reasons(instance, greedy: Plan, improved: Plan) -> None:
    """Every order once, input order kept; a scheduled order stays scheduled, whole; an unschedulable
    one keeps its assignment unless it was `no_capacity` and now has a place."""
    orders = instance[0]
    assert [a.order_id for a in improved.assignments] == [o.order_id for o in orders]
    for g, i in zip(greedy.assignments, improved.assignments, strict=True):
        if g.status == "scheduled":
            assert i.status == "scheduled" and i.reason is None and i.units == g.units
        elif g.reason != REASON_NO_CAPACITY or i.status == "unschedulable":
            assert i == g
        assert i.reason is None or i.reason in REASONS
        if i.status == "scheduled":
            assert i.days_late >= 0 and i.is_late == (i.days_late > 0) and i.resource is not None


def check_capacity(instance, improved: Plan) -> None:
    """Regular and overtime per resource-day within capacity, the summary adding up."""
    capacity = instance[2]
    regular: dict[tuple[str, date], float] = defaultdict(float)
    overtime: dict[tuple[str, date], float] = defaultdict(float)
    for a in improved.scheduled():
        assert 0 <= a.overtime_units <= a.units
        regular[a.resource, a.scheduled_date] += a.units - a.overtime_units
        overtime[a.resource, a.scheduled_date] += a.overtime_units
    rows = {(c.resource, c.day): c for c in capacity}
    summary = {(c.resource, c.day): c for c in improved.capacity}
    for key, c in summary.items():
        assert math.isclose(regular[key], c.scheduled_units, abs_tol=EPS)
        assert math.isclose(overtime[key], c.scheduled_overtime_units, abs_tol=EPS)
        assert -EPS <= c.scheduled_units <= c.capacity + EPS
        assert -EPS <= c.scheduled_overtime_units <= c.overtime_capacity + EPS
        assert c.capacity <= rows[key].regular_units and c.overtime_capacity <= rows[key].overtime_units
        total = c.scheduled_units + c.scheduled_overtime_units
        assert math.isclose(c.utilization, total / c.capacity if c.capacity > 0 else 0.0, abs_tol=EPS)
    assert set(regular) <= set(summary)


def check_allowed_days(instance, improved: Plan) -> None:
    assert_on_allowed_days(instance, improved)


def check_engine_output_rules(instance, improved: Plan) -> None:
    """The engine's own output rules hold on the improved plan: no order has room on an earlier allowed
    day; overtime only where regular capacity had no room; no_capacity only where no allowed day has room."""
    assert_earliest_day_and_overtime_rule(instance, improved)
    assert_no_capacity_only_when_no_room(instance, improved)


def check_lateness_and_precedence(instance, greedy: Plan, improved: Plan) -> None:
    """Σ w·days late does not go up (unschedulable = late until the day after the horizon); when anything
    changed, the highest-priority class with a changed order is strictly less late in total, so no
    higher-priority order is made later for lower ones."""
    plan_settings = instance[3]
    delta: dict[int, int] = defaultdict(int)
    weighted = 0
    for g, i in zip(greedy.assignments, improved.assignments, strict=True):
        if g.priority not in PRIORITY_RANK:
            continue
        change = _late(i, plan_settings) - _late(g, plan_settings)
        if change:
            delta[PRIORITY_RANK[g.priority]] += change
            weighted += PRIORITY_WEIGHT[g.priority] * change
    assert weighted <= 0
    if delta:
        assert delta[min(delta)] < 0, dict(delta)
    if all(g.status == i.status for g, i in zip(greedy.assignments, improved.assignments, strict=True)):
        assert weighted_lateness(improved) <= weighted_lateness(greedy)


def check_all(instance) -> None:
    greedy, improved = _pair(instance)
    check_same_orders_and_reasons(instance, greedy, improved)
    check_capacity(instance, improved)
    check_allowed_days(instance, improved)
    check_engine_output_rules(instance, improved)
    check_lateness_and_precedence(instance, greedy, improved)


@st.composite
def crowded(
    draw: st.DrawFn,
) -> tuple[list[Order], dict[str, DeliveryWindow | None], list[CapacityDay], PlanSettings]:
    """Many orders on few resource-days, the case the pass is for: lots of lateness to trade."""
    plan_date = draw(st.sampled_from(PLAN_DATES))
    horizon = draw(st.integers(3, 15))
    resources = ("a-line", "b-line")[: draw(st.integers(1, 2))]
    capacity = [
        CapacityDay(r, plan_date + timedelta(days=i), draw(st.integers(5, 20)), draw(st.sampled_from((0, 3))))
        for r in resources
        for i in range(horizon)
    ]
    windows = {"C0": None, "C1": DeliveryWindow(frozenset({2, 4})), "C2": DeliveryWindow(frozenset({3}))}
    orders = [
        Order(
            f"O{k:02d}",
            draw(st.sampled_from(("C0", "C0", "C1", "C2"))),
            draw(st.sampled_from(("rush", "high", "normal", "normal", "low", "low"))),
            float(draw(st.integers(1, 12))),
            plan_date + timedelta(days=draw(st.integers(-3, horizon // 2))),
            draw(st.sampled_from([*resources, None])),
        )
        for k in range(draw(st.integers(2, 40)))
    ]
    return orders, windows, capacity, PlanSettings(plan_date=plan_date, horizon_days=horizon)


@settings(max_examples=100, deadline=None)
@given(instances())
def test_every_rule_holds_on_random_instances(instance) -> None:
    check_all(instance)


@settings(max_examples=100, deadline=None)
@given(crowded())
def test_every_rule_holds_on_crowded_instances(instance) -> None:
    check_all(instance)


@settings(max_examples=30, deadline=None)
@given(st.one_of(instances(), crowded()))
def test_deterministic(instance) -> None:
    orders, windows, capacity, plan_settings = instance
    on = dataclasses.replace(plan_settings, improve=True)
    first = plan_deliveries(orders, windows, capacity, on)
    assert plan_deliveries(list(orders), dict(windows), list(capacity), on) == first
    direct = improve_plan(plan_deliveries(orders, windows, capacity, plan_settings), orders, windows)
    assert (first.assignments, first.capacity) == (direct.assignments, direct.capacity)
