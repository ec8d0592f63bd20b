"""The delivery-schedule engine: a priority-ordered, finite-capacity, earliest-feasible-day greedy.

Each resource x day of the horizon is a bucket with regular and overtime capacity (zero on holidays and
maintenance days). Orders are taken one by one in a deterministic order (see `PlanSettings.ordering`)
and each goes, whole, into the first bucket on or after max(plan date, requested date) that

* is on one of its customer's delivery days (or the default window's days), not a holiday,
* belongs to its resource (or, for orders without one, any resource; ties by resource name),
* has enough regular capacity left.

Overtime is used only to avoid or reduce lateness: when that first regular day is later than the first
allowed day on or after the target, the earliest allowed day before it whose regular plus overtime
capacity fits the order is taken instead (regular units first, the rest as overtime).

How it runs (100,000 orders x 10 resources x 365 days in about 0.4 s):

* Validation and the capacity grid work on columns (one list per attribute): set and map passes and
  numpy. Inputs they cannot take that way (ids that are not all texts, quantities or capacities that are
  not all plain finite int/float, unhashable values, two capacity rows for one bucket, ...) go through
  the reference loops (`_validate_each`, `_capacity_grid_each`), one row at a time: same result, same
  error.
* The first allowed day on or after each order's target is found for all orders at once (`_targets`).
  Remaining capacity is kept as Python lists of integers per day (regular, and regular + overtime), so
  the greedy makes no numpy call per order: the first allowed day is tried first (most orders fit
  there); otherwise `_first_fit` walks the allowed days from there in one pass. The first day with
  regular + overtime room for the order is the answer: on regular capacity when it has regular room
  (it is then the first regular day, and no earlier day had overtime room), else partly on overtime (it
  is before the first regular day).
* No-room watermark: remaining capacity only ever goes down, so when an order of quantity q found no
  room (regular + overtime) on any allowed day from allowed-day index k on, no later order with the
  same delivery days and resource key (its pinned resource, or "any resource") starting at an index
  >= k with a quantity >= q can find room either. `_NoRoomMarks` keeps, per (delivery days, resource
  key), the smallest failed quantity per start (the Pareto front of (k, q)); an order it covers is
  `no_capacity` at once, without walking the horizon again.
* The output dataclasses are filled column by column (`_instances`): a frozen dataclass's `__init__`
  costs about 3 µs per 14-field `Assignment`, 0.3 s at 100,000 orders. They are allocated first, empty
  (`_blank`), so that the garbage-collector passes their allocation sets off run on a small heap.

Capacity arithmetic is exact: quantities and capacities are counted in integer millionths of a unit
(`UNITS_SCALE`), so an order that fits the capacity left exactly (16.26 units into 12.51 regular + 3.75
overtime, or 0.1 + 0.2 into 0.3) fits, and what is scheduled never exceeds capacity by float drift.
Values finer than a millionth are rounded to it; a quantity that rounds to zero is `invalid_quantity`.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import numbers
import operator
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import repeat, starmap
from types import MemberDescriptorType
from typing import Any, NamedTuple, TypeVar

import holidays as holidays_lib
import numpy as np
import numpy.typing as npt

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
    Assignment,
    CapacityDay,
    CapacitySummary,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
)

_T = TypeVar("_T")

UNITS_SCALE = 1_000_000
"""Capacity units are counted in integer millionths: the declared precision of quantities and capacity."""

_UNKNOWN = -2
"""Resource column of an order whose resource has no capacity rows (`unknown_resource`)."""

_EXACT_FLOAT_INT = 2**53
"""Scaled quantities below this are exact in a float64, so the vectorised rounding equals Python's."""


@functools.lru_cache(maxsize=64)
def holiday_days(plan_date: date, horizon_days: int, country: str | None) -> frozenset[date]:
    """Public holidays of `country` (the `holidays` package) within the horizon; none if country is None.

    Cached: the package loads a country's rules lazily (about 0.35 s the first time in a process).
    """
    if country is None:
        return frozenset()
    end = plan_date + timedelta(days=horizon_days - 1)
    calendar = holidays_lib.country_holidays(country, years=range(plan_date.year, end.year + 1))
    return frozenset(d for d in calendar if plan_date <= d <= end)


def _is_number(value: object) -> bool:
    """A real number (numpy's and SQL Server's Decimal included), never a bool or a text."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real | Decimal)


def _quantity(value: object) -> float | None:
    """The quantity as a positive finite float, or None when it is not one. Numbers only: a text such
    as "5" is not a quantity (the warehouse reader converts its numbers; text means a bad caller)."""
    if not _is_number(value):
        return None
    q = float(value)  # type: ignore[arg-type]
    if math.isnan(q) or math.isinf(q) or q <= 0:
        return None
    return q


def scaled_units(value: float) -> int:
    """Units -> integer millionths (exact capacity arithmetic; see the module docstring)."""
    return round(value * UNITS_SCALE)


def _capacity_units(value: object, row: CapacityDay) -> int:
    """A capacity row's units in millionths; negative counts as none, a non-number is an input error."""
    if not _is_number(value) or math.isnan(float(value)):  # type: ignore[arg-type]
        raise ValueError(f"{_capacity_row(row)}: capacity units must be a number, got {value!r}")
    units = float(value)  # type: ignore[arg-type]
    if math.isinf(units):
        raise ValueError(f"{_capacity_row(row)}: capacity units must be finite, got {value!r}")
    return max(scaled_units(units), 0)


def _capacity_row(row: CapacityDay) -> str:
    return f"capacity of {row.resource!r} on {row.day}"


def _requested_day(value: object) -> date | None:
    """The requested date as a date (a datetime counts as its day), None when there is none."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


# --- validation ------------------------------------------------------------------------------------
class _Columns(NamedTuple):
    """The orders' attributes, one list per attribute, in input order."""

    ids: list[Any]
    customers: list[Any]
    priorities: list[Any]
    quantities: list[Any]
    requested: list[date | None]
    resources: list[Any]


def _columns(orders: Sequence[Order]) -> _Columns:
    """The columns, requested dates as `_requested_day` makes them."""
    requested = [o.requested_date for o in orders]
    if set(map(type, requested)) != {date}:
        requested = list(map(_requested_day, requested))
    return _Columns(
        [o.order_id for o in orders],
        [o.customer_id for o in orders],
        [o.priority for o in orders],
        [o.quantity for o in orders],
        requested,
        [o.resource for o in orders],
    )


class _Checked(NamedTuple):
    """Validation result per input position; for an order with a `reason` the other values are unused."""

    reason: list[str | None]
    quantity: npt.NDArray[Any]  # millionths of a unit: int64, or Python ints beyond it (`_exact_ints`)
    requested: npt.NDArray[np.int64]  # ordinal of the requested date
    window: npt.NDArray[np.intp]  # number of the customer's window (`_Windows`)
    pinned: npt.NDArray[np.intp]  # resource column, -1 for any resource
    ids_ascending: bool | None  # the ids are texts in strictly ascending order (None: not checked)


class _Windows:
    """The distinct delivery windows of the plan, numbered as first seen, and their allowed days.

    Windows with the same weekdays (other hours) share their allowed days and their `days_key`, the
    window part of the no-room watermark's key.
    """

    def __init__(self, n_days: int, weekday_of_day0: int, is_holiday: npt.NDArray[np.bool_]) -> None:
        self._iso_weekday = (np.arange(n_days) + weekday_of_day0) % 7 + 1
        self._is_holiday = is_holiday
        self._number: dict[DeliveryWindow, int] = {}
        self._key_of_days: dict[frozenset[int], int] = {}
        self.windows: list[DeliveryWindow] = []
        self.days_key: list[int] = []  # per window
        self.allowed_by_key: list[list[int]] = []  # allowed day indices, ascending

    def number(self, window: DeliveryWindow) -> int:
        found = self._number.get(window)
        if found is None:
            found = self._number[window] = len(self.windows)
            self.windows.append(window)
            key = self._key_of_days.get(window.days)
            if key is None:
                key = self._key_of_days[window.days] = len(self.allowed_by_key)
                allowed = np.isin(self._iso_weekday, sorted(window.days)) & ~self._is_holiday
                self.allowed_by_key.append(np.flatnonzero(allowed).tolist())
            self.days_key.append(key)
        return found


def _validate_each(
    orders: Sequence[Order],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    inactive_customers: Collection[str],
    res_index: Mapping[str, int],
    windows: _Windows,
    default_window: DeliveryWindow,
) -> _Checked:
    """The reference validation, one order at a time in input order; any input (`_validate_columns` is
    the fast equivalent for the usual ones)."""
    n = len(orders)
    reason: list[str | None] = [None] * n
    quantity, requested, window, pinned = [0] * n, [0] * n, [-1] * n, [-1] * n
    window_of: dict[str, int] = {}
    ids_seen: set[object] = set()
    for pos, o in enumerate(orders):
        if o.order_id is None or (isinstance(o.order_id, str) and not o.order_id.strip()):
            raise ValueError(f"order at input position {pos} has no order id (customer {o.customer_id!r})")
        if o.order_id in ids_seen:
            reason[pos] = REASON_DUPLICATE_ORDER_ID
            continue
        ids_seen.add(o.order_id)
        q = _quantity(o.quantity)
        requested_day = _requested_day(o.requested_date)
        if q is None or scaled_units(q) <= 0:
            reason[pos] = REASON_INVALID_QUANTITY
        elif o.priority not in PRIORITY_RANK:
            reason[pos] = REASON_INVALID_PRIORITY
        elif requested_day is None:
            reason[pos] = REASON_MISSING_REQUESTED_DATE
        elif o.customer_id in inactive_customers:
            reason[pos] = REASON_CUSTOMER_INACTIVE
        elif o.customer_id is None or o.customer_id not in windows_by_customer:
            reason[pos] = REASON_UNKNOWN_CUSTOMER
        elif o.resource is not None and o.resource not in res_index:
            reason[pos] = REASON_UNKNOWN_RESOURCE
        else:
            quantity[pos] = scaled_units(q)
            requested[pos] = requested_day.toordinal()
            if o.customer_id not in window_of:
                window_of[o.customer_id] = windows.number(
                    windows_by_customer[o.customer_id] or default_window
                )
            window[pos] = window_of[o.customer_id]
            pinned[pos] = -1 if o.resource is None else res_index[o.resource]
    return _Checked(
        reason,
        _exact_ints(quantity),
        np.array(requested, dtype=np.int64),
        np.array(window, dtype=np.intp),
        np.array(pinned, dtype=np.intp),
        ids_ascending=None,
    )


def _exact_ints(values: list[int]) -> npt.NDArray[Any]:
    """The integers as an int64 array, or as an object array (Python ints) if one does not fit."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array(values, dtype=object)


def _validate_columns(
    columns: _Columns,
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    inactive_customers: Collection[str],
    res_index: Mapping[str, int],
    windows: _Windows,
    default_window: DeliveryWindow,
) -> _Checked | None:
    """`_validate_each` on columns, or None when the input needs the reference loop: ids not all
    non-blank texts, quantities not all plain int/float, unhashable customers, priorities or resources.

    Each check gives the positions that fail it; the first failing check in `_validate_each`'s order
    names the reason.
    """
    ids = columns.ids
    n = len(ids)
    if set(map(type, ids)) != {str} or not all(map(str.strip, ids)):
        return None
    quantity = _scaled_quantities(columns.quantities)
    if quantity is None:
        return None
    try:
        known_priority = list(map(PRIORITY_RANK.__contains__, columns.priorities))
        customers = set(columns.customers)
        column_of = {r: -1 if r is None else res_index.get(r, _UNKNOWN) for r in set(columns.resources)}
    except TypeError:  # unhashable values: the reference loop raises (or not) exactly where it did
        return None
    pinned = np.fromiter(map(column_of.__getitem__, columns.resources), dtype=np.intp, count=n)
    requested = _requested_ordinals(columns.requested)
    inactive = {c for c in customers if c in inactive_customers}
    unknown = {c for c in customers if c is None or c not in windows_by_customer} - inactive
    ids_ascending = all(map(operator.lt, ids, ids[1:]))

    failing: list[tuple[str, Iterable[int]]] = [  # in _validate_each's order of checks
        (REASON_DUPLICATE_ORDER_ID, () if ids_ascending else _duplicate_positions(ids)),
        (REASON_INVALID_QUANTITY, np.flatnonzero(quantity == 0).tolist()),
        (REASON_INVALID_PRIORITY, _positions_of(known_priority, False)),
        (REASON_MISSING_REQUESTED_DATE, np.flatnonzero(requested == 0).tolist()),
        (REASON_CUSTOMER_INACTIVE, _positions_in(columns.customers, inactive)),
        (REASON_UNKNOWN_CUSTOMER, _positions_in(columns.customers, unknown)),
        (REASON_UNKNOWN_RESOURCE, np.flatnonzero(pinned == _UNKNOWN).tolist()),
    ]
    reason: list[str | None] = [None] * n
    for why, positions in reversed(failing):  # the earlier check overwrites the later one
        for pos in positions:
            reason[pos] = why
    # Windows are looked up only for the customers of valid orders, as in the reference loop.
    all_valid = reason.count(None) == n
    window_of = dict.fromkeys(customers, -1)
    for c in customers if all_valid else _valid_values(columns.customers, reason):
        window_of[c] = windows.number(windows_by_customer[c] or default_window)
    window = np.fromiter(map(window_of.__getitem__, columns.customers), dtype=np.intp, count=n)
    return _Checked(reason, quantity, requested, window, pinned, ids_ascending)


def _scaled_quantities(values: list[Any]) -> npt.NDArray[np.int64] | None:
    """Quantities in millionths, 0 for an invalid one (see `_quantity`); None when not all are plain
    int/float or one is too large to round exactly in a float64 (the reference loop takes those)."""
    if not set(map(type, values)) <= {int, float}:
        return None
    try:
        units = np.array(values, dtype=np.float64)
    except OverflowError:  # an int beyond float range
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.round(units * UNITS_SCALE)  # half to even, like Python's round()
        ok = np.isfinite(scaled) & (units > 0) & (scaled > 0)
    scaled = np.where(ok, scaled, 0.0)
    if scaled.size and scaled.max() >= _EXACT_FLOAT_INT:
        return None
    return scaled.astype(np.int64)


def _requested_ordinals(days: list[date | None]) -> npt.NDArray[np.int64]:
    """Ordinal of each requested date, 0 when there is none (real ordinals start at 1)."""
    if None in days:
        return np.array([0 if d is None else d.toordinal() for d in days], dtype=np.int64)
    return np.fromiter(map(date.toordinal, days), dtype=np.int64, count=len(days))  # type: ignore[arg-type]


def _duplicate_positions(ids: list[Any]) -> list[int]:
    """Positions whose id was already seen earlier in the list."""
    if len(set(ids)) == len(ids):
        return []
    seen: set[object] = set()
    duplicates = []
    for pos, order_id in enumerate(ids):
        if order_id in seen:
            duplicates.append(pos)
        else:
            seen.add(order_id)
    return duplicates


def _positions_of(values: list[Any], bad: object) -> list[int]:
    """Positions whose value is `bad` (the sentinel of a failed check)."""
    if bad not in values:
        return []
    return [pos for pos, value in enumerate(values) if value == bad]


def _positions_in(values: list[Any], bad: set[Any]) -> list[int]:
    if not bad:
        return []
    return [pos for pos, value in enumerate(values) if value in bad]


def _valid_values(values: list[Any], reason: list[str | None]) -> set[Any]:
    return {value for value, why in zip(values, reason, strict=True) if why is None}


# --- processing order ------------------------------------------------------------------------------
def _processing_order(
    orders: Sequence[Order], valid: list[int], requested: Sequence[int], ordering: str
) -> list[int]:
    """Positions of the valid orders in processing order (deterministic).

    `requested[p]` is the ordinal of order p's requested date (every valid order has one).
    strict: (priority, requested date, order id); weekly_buckets: (ISO week of the requested date, then
    the same). `date.fromordinal(1)` is a Monday, so (ordinal - 1) // 7 numbers the ISO weeks.
    """
    if not valid:
        return valid
    sequence: list[int] = _sorted_positions(
        valid,
        np.array([PRIORITY_RANK[orders[p].priority] for p in valid], dtype=np.int64),
        np.array([requested[p] for p in valid], dtype=np.int64),
        [orders[p].order_id for p in valid],
        ordering,
    ).tolist()
    return sequence


def _sorted_positions(
    valid: list[int] | npt.NDArray[np.intp],
    rank: npt.NDArray[np.int64],
    requested: npt.NDArray[np.int64],
    ids: list[Any],
    ordering: str,
    ids_ascending: bool | None = None,
) -> npt.NDArray[np.intp]:
    """`_processing_order` on columns aligned with `valid`: priority rank, requested date ordinal, id.

    When the ids are texts already in ascending order (`ids_ascending`, checked here when None), a
    stable sort on the other keys alone keeps them in order: one integer key instead of a text key.
    """
    if not len(valid):
        return np.array([], dtype=np.intp)
    week = (requested - 1) // 7
    if ids_ascending is None:
        ids_ascending = set(map(type, ids)) == {str} and all(map(operator.lt, ids, ids[1:]))
    if ids_ascending:
        major = week * 4 + rank if ordering == "weekly_buckets" else rank
        order = np.argsort((major << 22) + requested, kind="stable")  # date ordinals are < 2**22
    else:
        id_key = np.array(ids)
        if id_key.dtype.kind not in "iuU":  # ids numpy cannot sort as one type: rank them as Python does
            id_key = np.empty(len(ids), dtype=np.int64)
            id_key[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        keys = [id_key, requested, rank]  # np.lexsort sorts by the last key first
        if ordering == "weekly_buckets":
            keys.append(week)
        order = np.lexsort(keys)
    result: npt.NDArray[np.intp] = np.asarray(valid, dtype=np.intp)[order]
    return result


# --- the greedy ------------------------------------------------------------------------------------
class _NoRoomMarks:
    """The no-room watermark of one (delivery days, resource key): `covers(k, q)` is true when an
    earlier order of quantity <= q found no room from allowed-day index <= k on (module docstring).

    Kept as the Pareto front of the failures: `starts` ascending, `quantities` strictly descending, so
    the smallest failed quantity from any start <= k is the one of the last start <= k.
    """

    __slots__ = ("starts", "quantities")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.quantities: list[int] = []

    def covers(self, k: int, q: int) -> bool:
        i = bisect.bisect_right(self.starts, k) - 1
        return i >= 0 and q >= self.quantities[i]

    def add(self, k: int, q: int) -> None:
        """Records a failure that `covers` did not know (so q is below the front at k)."""
        i = bisect.bisect_left(self.starts, k)
        if i < len(self.starts) and self.starts[i] == k:
            self.quantities[i] = q
        else:
            self.starts.insert(i, k)
            self.quantities.insert(i, q)
        end = i + 1  # later starts whose quantity is >= q are now implied by this one
        while end < len(self.starts) and self.quantities[end] >= q:
            end += 1
        del self.starts[i + 1 : end], self.quantities[i + 1 : end]


def _first_fit(
    reg_rows: list[list[int]], tot_rows: list[list[int]], allowed: list[int], k0: int, q: int, pinned: int
) -> tuple[int, int] | None:
    """The bucket for an order that has no regular room on its first allowed day `allowed[k0]`:
    (day, resource column), or None when no allowed day from k0 on has room, regular + overtime.

    One pass over the allowed days: the first day with regular + overtime room (`tot_rows`) on the
    order's resource (`pinned`, or any: -1) wins; within that day a resource with regular room comes
    first (resources by name), then one with regular + overtime room.
    """
    if pinned >= 0:
        for k in range(k0, len(allowed)):
            d = allowed[k]
            if tot_rows[d][pinned] >= q:
                return d, pinned
        return None
    for k in range(k0, len(allowed)):
        d = allowed[k]
        total = tot_rows[d]
        if max(total) >= q:
            for rows in (reg_rows[d], total):
                for j, units in enumerate(rows):
                    if units >= q:
                        return d, j
    return None


class _Placed(NamedTuple):
    """Where each order went, per input position: day index and resource column (-1 when not placed),
    overtime part in millionths."""

    day: list[int]
    resource: list[int]
    overtime: list[int]


class _Targets(NamedTuple):
    """The orders of the processing sequence that have an allowed day in the horizon on or after their
    target day (max(plan date, requested date)), in sequence order: input position, quantity, resource
    column, that first allowed `day`, `k` its index into the window's allowed days, the `days_key`."""

    position: list[int]
    quantity: list[int]
    pinned: list[int]
    day: list[int]
    k: list[int]
    days_key: list[int]
    outside: list[int]  # positions without an allowed day from their target to the end of the horizon


def _targets(
    sequence: npt.NDArray[np.intp], checked: _Checked, windows: _Windows, start_ordinal: int, n_days: int
) -> _Targets:
    """`_Targets` of `sequence`, vectorised: one `searchsorted` in the allowed days of all windows, laid
    end to end as days_key * n_days + day."""
    start = np.maximum(checked.requested[sequence] - start_ordinal, 0)
    days_key = np.array(windows.days_key, dtype=np.int64)[checked.window[sequence]]
    all_allowed = [np.array(a, dtype=np.int64) + key * n_days for key, a in enumerate(windows.allowed_by_key)]
    laid_out = np.concatenate([*all_allowed, np.array([np.iinfo(np.int64).max])])  # the end sentinel
    first_index = np.cumsum([0, *map(len, all_allowed)])  # of each days_key in laid_out
    at = np.searchsorted(laid_out, days_key * n_days + np.minimum(start, n_days))
    day = laid_out[at] - days_key * n_days  # the first allowed day >= start, if < n_days
    has_day = (start < n_days) & (day < n_days)
    position = sequence[has_day]
    return _Targets(
        position.tolist(),
        checked.quantity[position].tolist(),
        checked.pinned[position].tolist(),
        day[has_day].tolist(),
        (at - first_index[days_key])[has_day].tolist(),
        days_key[has_day].tolist(),
        sequence[~has_day].tolist(),
    )


def _place_orders(
    sequence: npt.NDArray[np.intp],
    checked: _Checked,
    windows: _Windows,
    start_ordinal: int,
    reg_rows: list[list[int]],
    tot_rows: list[list[int]],
) -> _Placed:
    """The greedy: places the orders of `sequence` in turn, decreasing `reg_rows` (regular room) and
    `tot_rows` (regular + overtime room) per day x resource; the reason of an order that finds no
    window or no room is written into `checked.reason`."""
    n = len(checked.reason)
    placed = _Placed([-1] * n, [-1] * n, [0] * n)
    placed_day, placed_resource, overtime = placed
    reason = checked.reason
    targets = _targets(sequence, checked, windows, start_ordinal, len(reg_rows))
    for pos in targets.outside:
        reason[pos] = REASON_NO_WINDOW_IN_HORIZON
    n_res = len(reg_rows[0])
    if not n_res:  # no capacity rows at all
        for pos in targets.position:
            reason[pos] = REASON_NO_CAPACITY
        return placed
    allowed_by_key = windows.allowed_by_key
    no_room: dict[tuple[int, int], _NoRoomMarks] = {}
    for pos, q, pinned, d, k0, days_key in zip(*targets[:-1], strict=True):
        # Fast path: the first allowed day (on time, or as early as possible) has regular room.
        row = reg_rows[d]
        if pinned >= 0:
            j = pinned if row[pinned] >= q else -1
        else:
            for j in range(n_res):
                if row[j] >= q:
                    break
            else:
                j = -1
        if j >= 0:
            row[j] -= q
            tot_rows[d][j] -= q
            placed_day[pos] = d
            placed_resource[pos] = j
            continue
        key = (days_key, pinned)
        marks = no_room.get(key)
        if marks is not None and marks.covers(k0, q):
            reason[pos] = REASON_NO_CAPACITY
            continue
        hit = _first_fit(reg_rows, tot_rows, allowed_by_key[days_key], k0, q, pinned)
        if hit is None:
            if marks is None:
                marks = no_room[key] = _NoRoomMarks()
            marks.add(k0, q)
            reason[pos] = REASON_NO_CAPACITY
            continue
        d, j = hit
        row = reg_rows[d]
        regular = q if row[j] >= q else row[j]  # regular units first, the rest as overtime
        row[j] -= regular
        tot_rows[d][j] -= q
        placed_day[pos] = d
        placed_resource[pos] = j
        overtime[pos] = q - regular
    return placed


# --- the plan --------------------------------------------------------------------------------------
def plan_deliveries(
    orders: Iterable[Order],
    windows_by_customer: Mapping[str, DeliveryWindow | None],
    capacity: Iterable[CapacityDay],
    settings: PlanSettings,
    inactive_customers: Collection[str] = frozenset(),
) -> Plan:
    """Plan every order: one `Assignment` per input order (input order kept) plus the capacity summary.

    `windows_by_customer` lists the known customers; a customer mapped to None uses
    `settings.default_window`. An order whose customer is None or not in the mapping is unschedulable
    (`unknown_customer`); one whose customer is in `inactive_customers` (deactivated by the business) is
    `customer_inactive`, whether or not it is in the mapping. A second order with an already-seen order
    id is `duplicate_order_id`.
    Capacity rows outside the horizon are ignored; a resource x day without a row has no capacity; two
    rows for the same resource x day raise `ValueError`.
    """
    orders = orders if isinstance(orders, list) else list(orders)  # read only
    blank = _blank(Assignment, len(orders))  # first: see _blank
    n_days = settings.horizon_days
    plan_date = settings.plan_date
    day_list = [plan_date + timedelta(days=i) for i in range(n_days)]
    holiday_set = holiday_days(plan_date, n_days, settings.country)
    is_holiday = np.fromiter((d in holiday_set for d in day_list), dtype=bool, count=n_days)
    grid = _capacity_grid(list(capacity), plan_date, n_days, is_holiday)
    res_index = {r: j for j, r in enumerate(grid.resources)}

    windows = _Windows(n_days, plan_date.weekday(), is_holiday)
    columns = _columns(orders)
    args = (windows_by_customer, inactive_customers, res_index, windows, settings.default_window)
    checked = _validate_columns(columns, *args) or _validate_each(orders, *args)

    valid = _valid_positions(checked.reason)
    every = len(valid) == len(orders)  # then the columns are the valid orders' columns
    sequence = _sorted_positions(
        valid,
        np.fromiter(
            map(PRIORITY_RANK.__getitem__, _take(columns.priorities, valid, every)), np.int64, len(valid)
        ),
        checked.requested if every else checked.requested[valid],
        _take(columns.ids, valid, every),
        settings.ordering,
        checked.ids_ascending,
    )
    # Remaining capacity, in exact integers: only ever decreased by q where it is >= q, so it never
    # goes below zero and scheduled = capacity - remaining never exceeds capacity.
    reg_rows: list[list[int]] = grid.regular.tolist()
    tot_rows: list[list[int]] = (grid.regular + grid.overtime).tolist()
    placed = _place_orders(sequence, checked, windows, plan_date.toordinal(), reg_rows, tot_rows)

    rem_reg = np.array(reg_rows, dtype=np.int64).reshape(grid.regular.shape)
    rem_ot = np.array(tot_rows, dtype=np.int64).reshape(grid.regular.shape) - rem_reg
    assignments = _assignments(blank, columns, checked, placed, windows, day_list, grid.resources)
    summary = _capacity_summary(
        grid.resources,
        day_list,
        grid.regular / UNITS_SCALE,
        grid.overtime / UNITS_SCALE,
        (grid.regular - rem_reg) / UNITS_SCALE,
        (grid.overtime - rem_ot) / UNITS_SCALE,
        grid.maintenance,
        is_holiday,
    )
    plan = Plan(settings, tuple(assignments), summary)
    if settings.improve:  # local search on the greedy plan: customer_master/scheduling/improve.py
        from customer_master.scheduling.improve import improve_plan

        plan = improve_plan(plan, orders, windows_by_customer)
    return plan


def _valid_positions(reason: list[str | None]) -> npt.NDArray[np.intp]:
    if reason.count(None) == len(reason):
        return np.arange(len(reason), dtype=np.intp)
    return np.array([pos for pos, why in enumerate(reason) if why is None], dtype=np.intp)


def _take(values: list[_T], positions: npt.NDArray[np.intp], every: bool) -> list[_T]:
    """values[p] for p in `positions`; `every`: the positions are all of them, in order."""
    return values if every else list(map(values.__getitem__, positions.tolist()))


class _Grid(NamedTuple):
    """Capacity per day x resource (resources by name), in millionths; zero on holidays and maintenance."""

    resources: list[str]
    regular: npt.NDArray[np.int64]
    overtime: npt.NDArray[np.int64]
    maintenance: npt.NDArray[np.bool_]


def _capacity_grid(
    capacity: list[CapacityDay], plan_date: date, n_days: int, is_holiday: npt.NDArray[np.bool_]
) -> _Grid:
    resources = sorted({c.resource for c in capacity})
    grid = _capacity_grid_columns(capacity, resources, plan_date, n_days)
    if grid is None:
        grid = _capacity_grid_each(capacity, resources, plan_date, n_days)
    grid.regular[is_holiday] = 0
    grid.overtime[is_holiday] = 0
    return grid


def _capacity_grid_each(
    capacity: list[CapacityDay], resources: list[str], plan_date: date, n_days: int
) -> _Grid:
    """The reference capacity grid, one row at a time (any input; raises on the first bad row)."""
    plan_ord = plan_date.toordinal()
    res_index = {r: j for j, r in enumerate(resources)}
    grid = _Grid(
        resources,
        np.zeros((n_days, len(resources)), dtype=np.int64),
        np.zeros((n_days, len(resources)), dtype=np.int64),
        np.zeros((n_days, len(resources)), dtype=bool),
    )
    seen: set[tuple[str, int]] = set()
    for c in capacity:
        i = c.day.toordinal() - plan_ord
        if not 0 <= i < n_days:
            continue
        key = (c.resource, i)
        if key in seen:
            raise ValueError(f"two capacity rows for resource {c.resource!r} on {c.day}")
        seen.add(key)
        j = res_index[c.resource]
        regular, overtime = _capacity_units(c.regular_units, c), _capacity_units(c.overtime_units, c)
        if c.maintenance:
            grid.maintenance[i, j] = True
        else:
            grid.regular[i, j], grid.overtime[i, j] = regular, overtime
    return grid


def _capacity_grid_columns(
    capacity: list[CapacityDay], resources: list[str], plan_date: date, n_days: int
) -> _Grid | None:
    """`_capacity_grid_each` vectorised, or None when a row needs it: units that are not plain finite
    int/float, days that are not dates, two rows for one resource x day."""
    count = len(capacity)
    res_index = {r: j for j, r in enumerate(resources)}
    regular_units = [c.regular_units for c in capacity]
    overtime_units = [c.overtime_units for c in capacity]
    if not set(map(type, regular_units)) | set(map(type, overtime_units)) <= {int, float}:
        return None
    try:
        i = np.fromiter(map(date.toordinal, [c.day for c in capacity]), dtype=np.int64, count=count)
        regular = np.array(regular_units, dtype=np.float64)
        overtime = np.array(overtime_units, dtype=np.float64)
    except (TypeError, OverflowError):
        return None
    i -= plan_date.toordinal()
    inside = (i >= 0) & (i < n_days)
    i = i[inside]
    columns = map(res_index.__getitem__, [c.resource for c in capacity])
    j = np.fromiter(columns, dtype=np.intp, count=count)[inside]
    cell = i * len(resources) + j
    regular, overtime = regular[inside] * UNITS_SCALE, overtime[inside] * UNITS_SCALE
    in_range = np.abs(np.concatenate([regular, overtime])) < _EXACT_FLOAT_INT
    if not in_range.all() or len(np.unique(cell)) < len(cell):  # NaN is not in range either
        return None
    maintenance = np.fromiter(map(bool, [c.maintenance for c in capacity]), dtype=bool, count=count)[inside]
    shape = (n_days, len(resources))
    grid = _Grid(
        resources,
        np.zeros(shape, dtype=np.int64),
        np.zeros(shape, dtype=np.int64),
        np.zeros(shape, dtype=bool),
    )
    open_ = ~maintenance  # a maintenance day keeps no capacity
    # max(round(units), 0), as in _capacity_units (half to even; exact below 2**53)
    grid.regular[i[open_], j[open_]] = np.maximum(np.round(regular[open_]), 0)
    grid.overtime[i[open_], j[open_]] = np.maximum(np.round(overtime[open_]), 0)
    grid.maintenance[i[maintenance], j[maintenance]] = True
    return grid


# --- output ----------------------------------------------------------------------------------------
def _blank(cls: type[_T], count: int) -> list[_T]:
    """`count` instances of `cls` with no field set yet, for `_instances` to fill.

    Allocated apart, early: the garbage collector passes that so many new objects set off then run
    while the heap is smallest (before the engine's working lists exist) and the objects are empty.
    """
    return list(map(object.__new__, repeat(cls, count)))


def _instances(cls: type[_T], columns: Mapping[str, Sequence[Any]], blank: list[_T]) -> list[_T]:
    """Instances of the dataclass `cls`, field values given column by column (one per field), filled
    into `blank` (from `_blank`, one per row).

    A frozen dataclass's `__init__` sets each field with `object.__setattr__`: about 3 µs per 14-field
    `Assignment`, 0.3 s of a 100,000-order plan. For a slots dataclass without `__post_init__` whose
    every field is in `columns`, the slots are filled column by column in C loops instead (equal
    objects, ~3x cheaper); any other class goes through its constructor.
    """
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    direct = (
        list(columns) == names
        and not hasattr(cls, "__post_init__")
        and all(isinstance(cls.__dict__.get(name), MemberDescriptorType) for name in names)
    )
    if not direct:
        return [cls(**dict(zip(columns, row, strict=True))) for row in zip(*columns.values(), strict=True)]
    for name, values in columns.items():  # starmap over zip: zip reuses its pair, map would build one
        deque(starmap(cls.__dict__[name].__set__, zip(blank, values, strict=True)), maxlen=0)
    return blank


def _assignments(
    blank: list[Assignment],
    columns: _Columns,
    checked: _Checked,
    placed: _Placed,
    windows: _Windows,
    day_list: list[date],
    resources: list[str],
) -> list[Assignment]:
    """One `Assignment` per input position. Index -1 (not placed) picks the None appended to the
    value lists of days, windows and resources."""
    day = np.array(placed.day, dtype=np.int64)
    scheduled = day >= 0
    window: list[int] = np.where(scheduled, checked.window, -1).tolist()
    late = np.where(scheduled, np.maximum(day + day_list[0].toordinal() - checked.requested, 0), 0)
    status = ["scheduled"] * len(day)
    for pos in np.flatnonzero(~scheduled).tolist():
        status[pos] = "unschedulable"
    return _instances(
        Assignment,
        {
            "order_id": columns.ids,
            "customer_id": columns.customers,
            "status": status,
            "scheduled_date": list(map([*day_list, None].__getitem__, placed.day)),
            "window_start": list(map([*(w.start for w in windows.windows), None].__getitem__, window)),
            "window_end": list(map([*(w.end for w in windows.windows), None].__getitem__, window)),
            "resource": list(map([*resources, None].__getitem__, placed.resource)),
            "units": _units(np.where(scheduled, checked.quantity, 0)),
            "overtime_units": _units(_exact_ints(placed.overtime)),
            "is_late": (late > 0).tolist(),
            "days_late": late.tolist(),
            "reason": checked.reason,
            "priority": columns.priorities,
            "requested_date": columns.requested,
        },
        blank,
    )


def _units(millionths: npt.NDArray[Any]) -> list[float]:
    """Millionths -> units, each as Python's int / int gives it (exact division when the integer is
    exact in a float64, as it is below 2**53)."""
    if millionths.dtype != object and (not millionths.size or millionths.max() < _EXACT_FLOAT_INT):
        units: list[float] = (millionths / UNITS_SCALE).tolist()
        return units
    return list(map(operator.truediv, millionths.tolist(), repeat(UNITS_SCALE)))


def _capacity_summary(
    resources: Sequence[str],
    day_list: Sequence[date],
    cap_reg: np.ndarray,
    cap_ot: np.ndarray,
    used_reg: np.ndarray,
    used_ot: np.ndarray,
    maintenance: np.ndarray,
    is_holiday: np.ndarray,
) -> tuple[CapacitySummary, ...]:
    """One row per resource x day, resources by name, then day."""
    total = used_reg + used_ot
    with np.errstate(divide="ignore", invalid="ignore"):
        utilization = np.where(cap_reg > 0, total / np.where(cap_reg > 0, cap_reg, 1.0), 0.0)
    n_days, n_res = len(day_list), len(resources)

    def by_resource(values: np.ndarray) -> list[Any]:
        """Resource-major order (values are day x resource)."""
        resource_major: list[Any] = values.T.reshape(-1).tolist()
        return resource_major

    rows = _instances(
        CapacitySummary,
        {
            "resource": [r for r in resources for _ in range(n_days)],
            "day": list(day_list) * n_res,
            "capacity": by_resource(cap_reg),
            "overtime_capacity": by_resource(cap_ot),
            "scheduled_units": by_resource(used_reg),
            "scheduled_overtime_units": by_resource(used_ot),
            "utilization": by_resource(utilization),
            "is_maintenance": by_resource(maintenance),
            "is_holiday": is_holiday.tolist() * n_res,
        },
        _blank(CapacitySummary, n_days * n_res),
    )
    return tuple(rows)
