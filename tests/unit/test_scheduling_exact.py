"""Exact capacity arithmetic and odd inputs (issue 15, part 1).

The engine counts units in integer millionths, so fractional quantities fit exactly: the cases the
independent check found (16.26 units into 12.51 + 3.75, 0.1 + 0.2 into 0.3) and a property test over
quantities and capacities in hundredths, judged in exact decimal arithmetic (never floats). Inputs the
engine cannot plan get a named reason (a text quantity) or a clear error (no order id, a NaN capacity).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_master.scheduling import (
    REASON_INVALID_QUANTITY,
    REASON_NO_CAPACITY,
    CapacityDay,
    DeliveryWindow,
    Order,
    PlanSettings,
    holiday_days,
    plan_deliveries,
)

MONDAY = dt.date(2026, 12, 7)
WEEKDAYS = {"c": None}


def _settings(days: int = 5) -> PlanSettings:
    return PlanSettings(plan_date=MONDAY, horizon_days=days, country=None)


def _exact(value: float) -> Decimal:
    """A float as the decimal a person typed (0.1 -> 0.1, not 0.1000000000000000055...)."""
    return Decimal(repr(value))


def test_an_order_that_fits_regular_plus_overtime_exactly_is_scheduled_that_day():
    plan = plan_deliveries(
        [Order("a", "c", "normal", 16.26, MONDAY)],
        WEEKDAYS,
        [CapacityDay("L", MONDAY, 12.51, 3.75)],
        _settings(),
    )
    (a,) = plan.assignments
    assert (a.status, a.scheduled_date, a.days_late) == ("scheduled", MONDAY, 0)
    assert (a.units, a.overtime_units) == (16.26, 3.75)
    day = plan.capacity[0]
    assert (day.scheduled_units, day.scheduled_overtime_units) == (12.51, 3.75)  # exactly full, not over


def test_a_tenth_and_two_tenths_fill_three_tenths_on_the_same_day():
    orders = [Order("rush", "c", "rush", 0.1, MONDAY), Order("normal", "c", "normal", 0.2, MONDAY)]
    plan = plan_deliveries(orders, WEEKDAYS, [CapacityDay("L", MONDAY, 0.3)], _settings())
    assert [(a.status, a.scheduled_date) for a in plan.assignments] == [("scheduled", MONDAY)] * 2
    assert plan.capacity[0].utilization == 1.0


def test_fractional_orders_of_the_demo_fill_a_day_to_the_last_half_unit():
    orders = [Order(f"o{i}", "c", "normal", q, MONDAY) for i, q in enumerate((1570.5, 429.25, 0.25))]
    plan = plan_deliveries(orders, WEEKDAYS, [CapacityDay("L", MONDAY, 2000.0)], _settings(1))
    assert all(a.scheduled_date == MONDAY for a in plan.assignments)
    assert plan.capacity[0].scheduled_units == 2000.0


def test_a_quantity_below_the_declared_precision_is_invalid_not_free():
    plan = plan_deliveries([Order("dust", "c", "normal", 1e-9, MONDAY)], WEEKDAYS, [], _settings())
    assert plan.assignments[0].reason == REASON_INVALID_QUANTITY


@pytest.mark.parametrize("quantity", ["5", b"5", None, True, math.nan, math.inf, -1.0, 0])
def test_a_quantity_that_is_not_a_positive_number_is_named_invalid(quantity):
    plan = plan_deliveries(
        [Order("a", "c", "normal", quantity, MONDAY)], WEEKDAYS, [CapacityDay("L", MONDAY, 10)], _settings()
    )
    assert (plan.assignments[0].status, plan.assignments[0].reason) == (
        "unschedulable",
        REASON_INVALID_QUANTITY,
    )


@pytest.mark.parametrize("quantity", [np.int64(4), np.float64(4.0), Decimal("4.00"), 4])
def test_numbers_of_any_numeric_type_are_quantities(quantity):
    plan = plan_deliveries(
        [Order("a", "c", "normal", quantity, MONDAY)], WEEKDAYS, [CapacityDay("L", MONDAY, 4)], _settings()
    )
    assert plan.assignments[0].scheduled_date == MONDAY and plan.assignments[0].units == 4.0


def test_a_requested_datetime_counts_as_its_day():
    requested = dt.datetime(2026, 12, 8, 15, 30)  # Tuesday afternoon
    plan = plan_deliveries(
        [Order("a", "c", "normal", 1, requested)],
        WEEKDAYS,
        [CapacityDay("L", MONDAY + dt.timedelta(days=i), 5) for i in range(5)],
        _settings(),
    )
    (a,) = plan.assignments
    assert (a.scheduled_date, a.requested_date, a.days_late) == (requested.date(), requested.date(), 0)


@pytest.mark.parametrize("order_id", [None, "", "  "])
def test_an_order_without_an_id_is_a_clear_input_error(order_id):
    with pytest.raises(ValueError, match="order at input position 1 has no order id"):
        plan_deliveries(
            [Order("a", "c", "normal", 1, MONDAY), Order(order_id, "c", "normal", 1, MONDAY)],
            WEEKDAYS,
            [],
            _settings(),
        )


@pytest.mark.parametrize(
    ("regular", "overtime"), [(math.nan, 0.0), (5.0, math.nan), (math.inf, 0.0), ("5", 0.0)]
)
def test_a_capacity_that_is_not_a_finite_number_is_a_clear_input_error(regular, overtime):
    with pytest.raises(ValueError, match=r"capacity of 'L' on 2026-12-07: capacity units must be"):
        plan_deliveries([], WEEKDAYS, [CapacityDay("L", MONDAY, regular, overtime)], _settings())


# --- the property: fractional quantities and capacities, judged in exact decimals ------------------
CENTS = st.integers(0, 1500).map(lambda c: c / 100)


@st.composite
def fractional_instances(draw: st.DrawFn):
    horizon = draw(st.integers(1, 10))
    lines = ("L1", "L2")[: draw(st.integers(1, 2))]
    capacity = [
        CapacityDay(line, MONDAY + dt.timedelta(days=i), draw(CENTS), draw(st.sampled_from((0.0, 0.25, 1.5))))
        for line in lines
        for i in range(horizon)
    ]
    windows = {"c1": None, "c2": DeliveryWindow(frozenset({2, 4}))}
    orders = [
        Order(
            f"O{k:02d}",
            draw(st.sampled_from(sorted(windows))),
            draw(st.sampled_from(("rush", "high", "normal", "low"))),
            draw(st.integers(1, 900).map(lambda c: c / 100)),
            MONDAY + dt.timedelta(days=draw(st.integers(-2, horizon))),
            draw(st.sampled_from((*lines, None))),
        )
        for k in range(draw(st.integers(0, 25)))
    ]
    return orders, windows, capacity, PlanSettings(plan_date=MONDAY, horizon_days=horizon, country="US")


@settings(max_examples=150, deadline=None)
@given(fractional_instances())
def test_capacity_is_respected_and_no_earlier_day_had_room_in_exact_arithmetic(instance):
    orders, windows, capacity, plan_settings = instance
    plan = plan_deliveries(orders, windows, capacity, plan_settings)
    # Capacity left per line x day, in exact decimals, from the input rows and the assignments.
    holidays = holiday_days(plan_settings.plan_date, plan_settings.horizon_days, plan_settings.country)
    regular = {
        (c.resource, c.day): Decimal(0) if c.day in holidays else _exact(c.regular_units) for c in capacity
    }
    overtime = {
        (c.resource, c.day): Decimal(0) if c.day in holidays else _exact(c.overtime_units) for c in capacity
    }
    used_regular: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    used_overtime: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    by_id = {o.order_id: o for o in orders}
    for a in plan.scheduled():
        assert _exact(a.units) == _exact(by_id[a.order_id].quantity)  # delivered whole, to the unit
        used_regular[a.resource, a.scheduled_date] += _exact(a.units) - _exact(a.overtime_units)
        used_overtime[a.resource, a.scheduled_date] += _exact(a.overtime_units)
    for key, used in used_regular.items():
        assert used <= regular[key] and used_overtime[key] <= overtime[key], key
    left = {key: regular[key] - used_regular[key] + overtime[key] - used_overtime[key] for key in regular}
    lines = sorted({c.resource for c in capacity})
    for o, a in zip(orders, plan.assignments, strict=True):
        if a.status != "scheduled" and a.reason != REASON_NO_CAPACITY:
            continue
        window = windows[o.customer_id] or plan_settings.default_window
        first = max(plan_settings.plan_date, o.requested_date)
        last = a.scheduled_date or plan_settings.plan_date + dt.timedelta(days=plan_settings.horizon_days)
        day = first
        while day < last:  # every allowed day before the chosen one (or all, for no_capacity) was full
            if day.isoweekday() in window.days and day not in holidays:
                for line in [o.resource] if o.resource else lines:
                    assert left[line, day] < _exact(o.quantity), (a, line, day)
            day += dt.timedelta(days=1)
