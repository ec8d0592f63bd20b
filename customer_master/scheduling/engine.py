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

The scan is vectorised: per distinct delivery window, the allowed day indices are precomputed; per order,
one numpy gather of the remaining-capacity rows for a chunk of allowed days and an `argmax` find the
first fitting (day, resource) in (day, resource-name) order. No I/O, no randomness.

Capacity arithmetic is exact: quantities and capacities are counted in integer millionths of a unit
(`UNITS_SCALE`), so an order that fits the capacity left exactly (16.26 units into 12.51 regular + 3.75
overtime, or 0.1 + 0.2 into 0.3) fits, and what is scheduled never exceeds capacity by float drift.
Values finer than a millionth are rounded to it; a quantity that rounds to zero is `invalid_quantity`.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

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

_Days = tuple[DeliveryWindow, npt.NDArray[np.intp], list[int], list[int]]
"""A window's (window, allowed day indices, next_allowed, the same indices as a list)."""

UNITS_SCALE = 1_000_000
"""Capacity units are counted in integer millionths: the declared precision of quantities and capacity."""

FIRST_CHUNK_DAYS = 16
"""Allowed days scanned in the first, cheap gather; the rest of the horizon is scanned only if needed."""


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


def _capacity_units(value: object, what: str) -> int:
    """A capacity row's units in millionths; negative counts as none, a non-number is an input error."""
    if not _is_number(value) or math.isnan(float(value)):  # type: ignore[arg-type]
        raise ValueError(f"{what}: capacity units must be a number, got {value!r}")
    units = float(value)  # type: ignore[arg-type]
    if math.isinf(units):
        raise ValueError(f"{what}: capacity units must be finite, got {value!r}")
    return max(scaled_units(units), 0)


def _requested_day(value: object) -> date | None:
    """The requested date as a date (a datetime counts as its day), None when there is none."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _first_fit(
    avail: np.ndarray, extra: np.ndarray | None, allowed: np.ndarray, k0: int, k1: int, q: int, n_res: int
) -> tuple[int, int] | None:
    """First (index into `allowed`, resource column) in [k0, k1) where `avail` (+ `extra`) >= q.

    `avail` is (days, resources) for orders open to any resource, or one column (days,) for a pinned
    resource (then the returned column is 0). Earliest day first, then resource column (sorted by name).
    A first chunk of FIRST_CHUNK_DAYS allowed days is tried before the rest of the horizon.
    """
    k = k0
    for end in (min(k0 + FIRST_CHUNK_DAYS, k1), k1):
        if end <= k:
            continue
        rows = allowed[k:end]
        room = avail[rows] if extra is None else avail[rows] + extra[rows]
        flat = (room >= q).reshape(-1)
        i = int(flat.argmax())
        if flat[i]:
            if avail.ndim == 1:
                return k + i, 0
            return k + i // n_res, i % n_res
        k = end
    return None


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
    count = len(valid)
    rank = np.fromiter((PRIORITY_RANK[orders[p].priority] for p in valid), dtype=np.int64, count=count)
    req = np.fromiter((requested[p] for p in valid), dtype=np.int64, count=count)
    ids = np.array([orders[p].order_id for p in valid])
    if ids.dtype.kind not in "iuU":  # ids numpy cannot sort as one type: rank them with Python's comparison
        ids = np.empty(count, dtype=np.int64)
        ids[sorted(range(count), key=lambda i: orders[valid[i]].order_id)] = np.arange(count)
    keys = [ids, req, rank]  # np.lexsort sorts by the last key first
    if ordering == "weekly_buckets":
        keys.append((req - 1) // 7)
    return [valid[i] for i in np.lexsort(keys).tolist()]


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
    orders = list(orders)
    n_days = settings.horizon_days
    plan_date = settings.plan_date
    plan_ord = plan_date.toordinal()
    day_list = [plan_date + timedelta(days=i) for i in range(n_days)]

    # --- calendars: holiday mask and the (day, resource) capacity arrays ---------------------------
    holiday_set = holiday_days(plan_date, n_days, settings.country)
    is_holiday = np.fromiter((d in holiday_set for d in day_list), dtype=bool, count=n_days)

    capacity = list(capacity)
    resources = sorted({c.resource for c in capacity})
    res_index = {r: j for j, r in enumerate(resources)}
    n_res = len(resources)
    cap_reg = np.zeros((n_days, n_res), dtype=np.int64)  # millionths of a unit (UNITS_SCALE)
    cap_ot = np.zeros((n_days, n_res), dtype=np.int64)
    maintenance = np.zeros((n_days, n_res), dtype=bool)
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
        what = f"capacity of {c.resource!r} on {c.day}"
        regular, overtime = _capacity_units(c.regular_units, what), _capacity_units(c.overtime_units, what)
        if c.maintenance:
            maintenance[i, j] = True
        else:
            cap_reg[i, j], cap_ot[i, j] = regular, overtime
    cap_reg[is_holiday] = 0
    cap_ot[is_holiday] = 0
    # Remaining capacity, in exact integers: only ever decreased by q where it is >= q, so it never
    # goes below zero and scheduled = capacity - remaining never exceeds capacity.
    rem_reg = cap_reg.copy()
    rem_ot = cap_ot.copy()
    # The same regular remainder as Python lists, for the per-order fast path; both are updated together.
    rem_rows: list[list[int]] = rem_reg.tolist()

    # --- allowed days per distinct window ----------------------------------------------------------
    iso_weekday = (np.arange(n_days) + plan_date.weekday()) % 7 + 1
    day_range = np.arange(n_days + 1)
    by_window: dict[DeliveryWindow, _Days] = {}
    by_customer: dict[str, _Days] = {}
    default_window = settings.default_window

    def customer_days(customer_id: str) -> _Days:
        """(window, allowed day indices as array, next_allowed, the same indices as list), next_allowed[s]
        being the index into the allowed days of the first allowed day >= s (len(allowed) if none)."""
        found = by_customer.get(customer_id)
        if found is None:
            window = windows_by_customer[customer_id] or default_window
            found = by_window.get(window)
            if found is None:
                allowed = np.flatnonzero(np.isin(iso_weekday, sorted(window.days)) & ~is_holiday)
                next_allowed = np.searchsorted(allowed, day_range).tolist()
                found = by_window[window] = (window, allowed, next_allowed, allowed.tolist())
            by_customer[customer_id] = found
        return found

    # --- validate, in input order -------------------------------------------------------------------
    n = len(orders)
    reason: list[str | None] = [None] * n
    days_of: dict[int, _Days] = {}  # valid orders only, by position
    requested: list[int] = [0] * n  # ordinal of the requested date (valid orders)
    quantity: list[int] = [0] * n  # millionths of a unit
    valid: list[int] = []
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
            days_of[pos] = customer_days(o.customer_id)
            valid.append(pos)

    # --- the greedy, in processing order -----------------------------------------------------------
    sched_day = [-1] * n
    sched_res = [-1] * n
    ot_units = [0] * n  # millionths
    for pos in _processing_order(orders, valid, requested, settings.ordering):
        o = orders[pos]
        q = quantity[pos]
        start = requested[pos] - plan_ord
        if start < 0:
            start = 0
        elif start >= n_days:
            reason[pos] = REASON_NO_WINDOW_IN_HORIZON
            continue
        _, allowed, next_allowed, allowed_list = days_of[pos]
        k0 = next_allowed[start]
        k_end = len(allowed)
        if k0 >= k_end:
            reason[pos] = REASON_NO_WINDOW_IN_HORIZON
            continue
        if not n_res:  # no capacity rows at all
            reason[pos] = REASON_NO_CAPACITY
            continue
        pinned = -1 if o.resource is None else res_index[o.resource]
        # Fast path, plain Python: the first allowed day (on time, or as early as possible) has regular room.
        d = allowed_list[k0]
        row = rem_rows[d]
        if pinned < 0:
            for j in range(n_res):
                if row[j] >= q:
                    break
            else:
                j = -1
        else:
            j = pinned if row[pinned] >= q else -1
        if j >= 0:
            row[j] -= q
            rem_reg[d, j] = row[j]
            sched_day[pos] = d
            sched_res[pos] = j
            continue
        # Late on regular capacity (or none at all): overtime on an earlier allowed day, if any fits.
        avail = rem_reg if pinned < 0 else rem_reg[:, pinned]
        hit = _first_fit(avail, None, allowed, k0 + 1, k_end, q, n_res)
        k_limit = k_end if hit is None else hit[0]
        if pinned < 0:
            ot_hit = _first_fit(rem_reg, rem_ot, allowed, k0, k_limit, q, n_res)
        else:
            ot_hit = _first_fit(rem_reg[:, pinned], rem_ot[:, pinned], allowed, k0, k_limit, q, n_res)
        if ot_hit is not None:
            d = allowed_list[ot_hit[0]]
            j = pinned if pinned >= 0 else ot_hit[1]
            regular_part = min(rem_rows[d][j], q)
            overtime_part = q - regular_part
            rem_ot[d, j] -= overtime_part
            ot_units[pos] = overtime_part
        elif hit is not None:
            d = allowed_list[hit[0]]
            j = pinned if pinned >= 0 else hit[1]
            regular_part = q
        else:
            reason[pos] = REASON_NO_CAPACITY
            continue
        rem_rows[d][j] -= regular_part
        rem_reg[d, j] = rem_rows[d][j]
        sched_day[pos] = d
        sched_res[pos] = j

    # --- output ------------------------------------------------------------------------------------
    assignments = []
    for pos, o in enumerate(orders):
        d = sched_day[pos]
        rd = _requested_day(o.requested_date)
        if d < 0:
            assignments.append(
                Assignment(
                    o.order_id, o.customer_id, "unschedulable", None, None, None, None,
                    0.0, 0.0, False, 0, reason[pos], o.priority, rd,
                )
            )  # fmt: skip
            continue
        assert rd is not None  # scheduled, so it passed validation
        window = days_of[pos][0]
        day = day_list[d]
        late = (day - rd).days
        if late < 0:
            late = 0
        assignments.append(
            Assignment(
                o.order_id, o.customer_id, "scheduled", day, window.start, window.end,
                resources[sched_res[pos]], quantity[pos] / UNITS_SCALE, ot_units[pos] / UNITS_SCALE, late > 0,
                late, None, o.priority, rd,
            )
        )  # fmt: skip
    summary = _capacity_summary(
        resources,
        day_list,
        cap_reg / UNITS_SCALE,
        cap_ot / UNITS_SCALE,
        (cap_reg - rem_reg) / UNITS_SCALE,
        (cap_ot - rem_ot) / UNITS_SCALE,
        maintenance,
        is_holiday,
    )
    plan = Plan(settings, tuple(assignments), summary)
    if settings.improve:  # local search on the greedy plan: customer_master/scheduling/improve.py
        from customer_master.scheduling.improve import improve_plan

        plan = improve_plan(plan, orders, windows_by_customer)
    return plan


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
    total = used_reg + used_ot
    with np.errstate(divide="ignore", invalid="ignore"):
        utilization = np.where(cap_reg > 0, total / np.where(cap_reg > 0, cap_reg, 1.0), 0.0)
    holiday = is_holiday.tolist()
    rows = []
    for j, resource in enumerate(resources):
        cr, co = cap_reg[:, j].tolist(), cap_ot[:, j].tolist()
        ur, uo = used_reg[:, j].tolist(), used_ot[:, j].tolist()
        ut, mt = utilization[:, j].tolist(), maintenance[:, j].tolist()
        for i, day in enumerate(day_list):
            rows.append(CapacitySummary(resource, day, cr[i], co[i], ur[i], uo[i], ut[i], mt[i], holiday[i]))
    return tuple(rows)
