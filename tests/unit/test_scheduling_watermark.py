"""The engine's no-room watermark: an order that cannot fit does not scan the horizon again when an
earlier order of its window and resource key already failed with a quantity no larger, from a start no
later (remaining capacity only ever goes down). Plans are the same with and without it."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest

from customer_master.scheduling import (
    REASON_NO_CAPACITY,
    CapacityDay,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
    engine,
    plan_deliveries,
)
from customer_master.scheduling.models import Assignment

MON = date(2026, 12, 7)  # a Monday; no US public holiday in the two weeks from here
WINDOWS: dict[str, DeliveryWindow | None] = {"acme": None, "globex": DeliveryWindow(frozenset({2, 4}))}


def capacity(regular: dict[str, float], days: int = 14, overtime: float = 0) -> list[CapacityDay]:
    return [
        CapacityDay(resource, MON + timedelta(days=i), units, overtime)
        for resource, units in regular.items()
        for i in range(days)
    ]


def plan(orders: list[Order], rows: list[CapacityDay]) -> Plan:
    return plan_deliveries(orders, WINDOWS, rows, PlanSettings(plan_date=MON, horizon_days=14))


@pytest.fixture
def first_fit_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(quantity in millionths, pinned column) of every horizon scan the engine makes."""
    calls: list[tuple[int, int]] = []
    scan: Callable[..., Any] = engine._first_fit

    def counting(*args: Any) -> Any:
        calls.append((args[4], args[5]))
        return scan(*args)

    monkeypatch.setattr(engine, "_first_fit", counting)
    return calls


def test_a_second_identical_order_without_room_does_not_scan_again(
    first_fit_calls: list[tuple[int, int]],
) -> None:
    orders = [Order(f"O{k}", "acme", "normal", 10, MON, "dock-1") for k in (1, 2)]
    result = plan(orders, capacity({"dock-1": 5}))
    assert [a.reason for a in result.assignments] == [REASON_NO_CAPACITY] * 2
    assert len(first_fit_calls) == 1  # the second order was known to find no room


def test_larger_quantities_and_later_starts_are_covered_smaller_ones_are_not(
    first_fit_calls: list[tuple[int, int]],
) -> None:
    orders = [
        Order("O1", "acme", "rush", 10, MON, "dock-1"),  # no room anywhere: 9 units a day
        Order("O2", "acme", "high", 12, MON + timedelta(days=3), "dock-1"),  # covered: larger, later
        Order("O3", "acme", "normal", 8, MON + timedelta(days=1), "dock-1"),  # smaller: fits
    ]
    result = plan(orders, capacity({"dock-1": 9}))
    by_id = result.by_order_id()
    assert by_id["O1"].reason == by_id["O2"].reason == REASON_NO_CAPACITY
    assert by_id["O3"].status == "scheduled" and by_id["O3"].scheduled_date == MON + timedelta(days=1)
    assert len(first_fit_calls) == 1  # O3 fitted on its first day: no scan


def test_the_watermark_is_kept_per_resource_and_per_delivery_days(
    first_fit_calls: list[tuple[int, int]],
) -> None:
    orders = [
        Order("O1", "acme", "rush", 10, MON, "dock-1"),  # dock-1: 5 a day, no room
        Order("O2", "acme", "high", 10, MON, None),  # any resource: dock-2 has room
        Order("O3", "globex", "normal", 10, MON, "dock-1"),  # other delivery days: scans itself
        Order("O4", "globex", "low", 10, MON, "dock-1"),  # same as O3: covered
    ]
    result = plan(orders, capacity({"dock-1": 5, "dock-2": 20}))
    by_id = result.by_order_id()
    assert by_id["O2"].resource == "dock-2" and by_id["O2"].scheduled_date == MON
    assert [by_id[o].reason for o in ("O1", "O3", "O4")] == [REASON_NO_CAPACITY] * 3
    assert len(first_fit_calls) == 2  # O1 and O3; O2 fitted on its first day, O4 was covered


def test_overtime_counts_as_room(first_fit_calls: list[tuple[int, int]]) -> None:
    """The watermark records what found no regular + overtime room; an order that fits on overtime is
    placed, and a later one that no longer fits anywhere is then covered by its own failure only."""
    rows = [CapacityDay("dock-1", MON, 8, 4)]  # 12 units on Monday only
    orders = [
        Order("O1", "acme", "rush", 10, MON, "dock-1"),  # 8 regular + 2 overtime
        Order("O2", "acme", "high", 10, MON, "dock-1"),  # 2 left: no room (scans)
        Order("O3", "acme", "normal", 11, MON, "dock-1"),  # covered by O2
        Order("O4", "acme", "low", 2, MON, "dock-1"),  # overtime left: fits (scans)
    ]
    by_id = plan(orders, rows).by_order_id()
    assert (by_id["O1"].units, by_id["O1"].overtime_units) == (10.0, 2.0)
    assert by_id["O2"].reason == by_id["O3"].reason == REASON_NO_CAPACITY
    assert (by_id["O4"].status, by_id["O4"].overtime_units) == ("scheduled", 2.0)
    assert len(first_fit_calls) == 3


def test_the_front_keeps_the_smallest_failed_quantity_per_start() -> None:
    marks = engine._NoRoomMarks()
    marks.add(5, 10)
    assert marks.covers(5, 10) and marks.covers(9, 11)
    assert not marks.covers(4, 100) and not marks.covers(9, 9)
    marks.add(8, 6)
    assert marks.covers(8, 6) and not marks.covers(7, 6) and marks.covers(7, 10)
    marks.add(3, 4)  # implies both earlier entries
    assert (marks.starts, marks.quantities) == ([3], [4])
    marks.add(3, 2)
    assert (marks.starts, marks.quantities) == ([3], [2])


def random_instance(seed: int) -> tuple[list[Order], list[CapacityDay]]:
    rng = random.Random(seed)
    resources = ["dock-1", "dock-2", "dock-3"][: rng.randint(1, 3)]
    rows = [
        CapacityDay(
            r, MON + timedelta(days=i), rng.choice([0, 3, 5, 8]), rng.choice([0, 1, 2]), rng.random() < 0.1
        )
        for r in resources
        for i in range(14)
    ]
    orders = [
        Order(
            f"O{k:03d}",
            rng.choice(list(WINDOWS)),
            rng.choice(["rush", "high", "normal", "low"]),
            rng.choice([1, 2, 3, 4.5, 6, 9]),
            MON + timedelta(days=rng.randint(-2, 15)),
            rng.choice([*resources, None]),
        )
        for k in range(rng.randint(20, 120))
    ]
    return orders, rows


@pytest.mark.parametrize("seed", range(12))
def test_plans_are_the_same_without_the_watermark(
    seed: int, first_fit_calls: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    orders, rows = random_instance(seed)
    with_marks = plan(orders, rows)
    scans_with_marks = len(first_fit_calls)
    monkeypatch.setattr(engine._NoRoomMarks, "covers", lambda self, k, q: False)
    first_fit_calls.clear()
    without_marks = plan(orders, rows)
    assert with_marks == without_marks
    assert scans_with_marks <= len(first_fit_calls)
    if seed == 0:  # this instance runs out of capacity: the watermark saves scans
        assert sum(a.reason == REASON_NO_CAPACITY for a in with_marks.assignments) > 1
        assert scans_with_marks < len(first_fit_calls)


def test_output_rows_built_by_column_equal_the_constructed_ones() -> None:
    """`_instances` fills the slots column by column; it must give what the constructor gives, and
    fall back to the constructor for a class it cannot fill that way."""
    rows = [
        ("O1", "acme", "scheduled", MON, time(8), time(17), "dock-1", 2.5, 0.5, True, 3, None, "rush", MON),
        ("O2", None, "unschedulable", None, None, None, None, 0.0, 0.0, False, 0, "x", None, None),
    ]
    names = [f.name for f in dataclasses.fields(Assignment)]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    built = engine._instances(Assignment, columns, engine._blank(Assignment, len(rows)))
    assert built == [Assignment(*row) for row in rows]

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    assert engine._instances(Checked, {"value": [1, 2]}, engine._blank(Checked, 2)) == [
        Checked(1),
        Checked(2),
    ]
    with pytest.raises(ValueError, match="negative"):
        engine._instances(Checked, {"value": [-1]}, engine._blank(Checked, 1))
