"""Delivery-schedule benchmark: speed, ordering rules under load, and quality against an exact optimum.

All instances come from one deterministic generator (`make_instance`, numpy `Generator` with a fixed
seed): orders with a priority (rush 5 %, high 15 %, normal 50 %, low 30 %), 1-20 capacity units, a
requested weekday spread over the horizon (2 % of them already overdue), 70 % pinned to a resource;
~2,000 customers of whom 20 % (half in the speed instance) have their own delivery days; per
resource, weekdays only (no capacity rows on weekends), US public holidays, 6 maintenance days a year
and overtime of 10 % of the regular capacity. The regular capacity per resource-day is set so that
demand / regular capacity of the horizon's working resource-days equals the requested load.

Parts, each in a fresh child process so every timing and peak RSS stands alone:

1. speed: `plan_deliveries` for 100,000 orders, 10 resources, 365 days, 95 % load; best of 3 and peak
   RSS (targets: <= 0.5 s, < 300 MiB); then once with `PlanSettings.improve` (the measurement behind its
   default: on only if <= 5 s here and within 5 % of the reference in part 3);
2. ordering rules: strict vs weekly_buckets at 80 / 95 / 110 % load on 20,000 orders, 5 resources, 120
   days: lateness per priority, overtime, unschedulable orders, peak utilization;
3. quality: on the issue's 1,500-order instances (30 days; q1 one resource, q2 four resources with
   pinned orders and own delivery days, q3 load 110 % with overtime) Σ w·days_late (w = 8/4/2/1 for
   rush/high/normal/low; an unschedulable order counts as late until the day after the horizon) of the
   greedy plan and of the greedy + `improve` plan, against HiGHS with identical rules (binary
   x[order, resource, allowed day], capacity = regular + overtime per resource-day, an "unscheduled"
   column), each warm-started and given MILP_TIME_LIMIT_S: (a) the reference - Σ w·days late minimised
   with precedence as constraints (`scheduling.precedence`, strict ordering: no order late or
   unscheduled while an allowed resource-day it did not use before its own day had room for it once the
   lower-priority orders there are taken out), from the greedy + `improve` plan, then improved further
   by fix-and-optimize (sub-MILPs over sliding windows of days, the rest of the plan fixed) for another
   MILP_TIME_LIMIT_S - the full MILP alone seldom improves on the plan; (b) the same without
   precedence, from (a)'s solution - it makes higher-priority orders later to spare more lower-priority
   days, so (a) vs (b) is the price of precedence, not a gap our plans may close; plus (a)'s and (b)'s
   MIP dual bounds and the LP bound of (b). The target: greedy + `improve` <= 5 % above (a)'s best
   solution on every instance;
4. weekly capacity plan: `plan_deliveries` for the same 100,000 orders over the next 56 days (business
   limit: 15 minutes).

    python -m benchmarks.bench_schedule                  # everything, writes JSON + README section
    python -m benchmarks.bench_schedule --part quality   # one part, prints only
    python -m benchmarks.bench_schedule --part quality --milp-seconds 5 --instances q1,q2,q3  # quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta

import numpy as np

from benchmarks.common import peak_rss_mib, replace_readme_section, write_result

SEED = 20260601
PLAN_DATE = date(2026, 6, 1)  # a Monday; 30 days from it include Juneteenth, 365 days ten US holidays
REPEATS = 3  # CPU-bound timings are best of 3: this shared 2-core machine's noise is ±20 %
PRIORITIES = ("rush", "high", "normal", "low")
PRIORITY_SHARE = (0.05, 0.15, 0.50, 0.30)
WEIGHT = {"rush": 8, "high": 4, "normal": 2, "low": 1}
OWN_WINDOW_DAYS = ((2, 4), (1, 3, 5), (1, 2, 3, 4, 5, 6), (3,), (1, 2, 3, 4))

SPEED = {
    "orders": 100_000, "resources": 10, "horizon_days": 365, "load": 0.95, "customers": 2_000,
    "own_window_share": 0.5,  # half the customers (so about half the orders) keep their own delivery days
}  # fmt: skip
WEEKLY_HORIZON_DAYS = 56
ORDERING = {"orders": 20_000, "resources": 5, "horizon_days": 120, "customers": 2_000}
ORDERING_LOADS = (0.80, 0.95, 1.10)
MILP_TIME_LIMIT_S = 60.0
LNS_WINDOW_DAYS = 6  # fix-and-optimize: days per window of the sub-MILPs
LNS_STEP_SECONDS = 5.0  # and each sub-MILP's time limit
# The 1,500-order instances for the exact reference (30 days, requests bunched into the first 20
# so capacity runs short early and the plan has lateness to trade between priorities): q1 one resource;
# q2 several resources, 70 % of the orders pinned to one and 20 % of the customers on their own
# delivery days; q3 load above 100 % (with overtime).
QUALITY = [
    {"name": "q1", "orders": 1500, "resources": 1, "horizon_days": 30, "load": 0.95, "overtime_share": 0.0},
    {"name": "q2", "orders": 1500, "resources": 4, "horizon_days": 30, "load": 0.95, "overtime_share": 0.0},
    {"name": "q3", "orders": 1500, "resources": 2, "horizon_days": 30, "load": 1.10, "overtime_share": 0.1},
]  # fmt: skip
QUALITY_IN_BENCH = ("q1", "q2", "q3")
TARGETS = {
    "plan_100k_seconds": 0.5, "peak_rss_mib_at_100k": 300, "weekly_plan_seconds": 15 * 60,
    "improve_100k_seconds": 5.0, "gap_vs_reference": 0.05,
}  # fmt: skip


# --- the instance generator -----------------------------------------------------------------------
def make_instance(
    orders: int,
    resources: int,
    horizon_days: int,
    load: float,
    customers: int = 2_000,
    *,
    overtime_share: float = 0.1,
    own_window_share: float = 0.2,
    request_span_days: int | None = None,
    maintenance_per_year: int = 6,
    seed: int = SEED,
):
    """(orders, windows_by_customer, capacity rows, settings kwargs) for one deterministic instance."""
    from customer_master.scheduling import CapacityDay, DeliveryWindow, Order, holiday_days

    rng = np.random.default_rng(seed)
    res_names = [f"R{j:02d}" for j in range(1, resources + 1)]
    cust_names = [f"C{c:05d}" for c in range(customers)]
    own = rng.random(customers) < own_window_share
    pattern = rng.integers(0, len(OWN_WINDOW_DAYS), customers)
    windows = {
        c: DeliveryWindow(frozenset(OWN_WINDOW_DAYS[pattern[i]])) if own[i] else None
        for i, c in enumerate(cust_names)
    }

    # Calendar: weekdays, minus holidays and maintenance days, carry capacity.
    holidays = holiday_days(PLAN_DATE, horizon_days, "US")
    days = [PLAN_DATE + timedelta(days=i) for i in range(horizon_days)]
    working = [i for i, d in enumerate(days) if d.weekday() < 5 and d not in holidays]
    n_maint = round(maintenance_per_year * horizon_days / 365)
    maint = {r: set(rng.choice(working, size=n_maint, replace=False).tolist()) for r in res_names}
    working_resource_days = sum(len(working) - len(maint[r]) for r in res_names)

    # Orders.
    quantity = rng.integers(1, 21, orders)
    prio = rng.choice(len(PRIORITIES), size=orders, p=PRIORITY_SHARE)
    span = request_span_days or horizon_days
    offset = rng.integers(0, span, orders)
    overdue = rng.random(orders) < 0.02
    offset[overdue] = -rng.integers(1, 15, int(overdue.sum()))
    weekday = (PLAN_DATE.weekday() + offset) % 7  # customers request weekdays: Sat/Sun move to Monday
    offset += np.where(weekday >= 5, 7 - weekday, 0)
    cust = rng.integers(0, customers, orders)
    pinned = rng.random(orders) < 0.7
    res_pick = rng.integers(0, resources, orders)
    order_list = [
        Order(
            f"O{i:07d}", cust_names[cust[i]], PRIORITIES[prio[i]], int(quantity[i]),
            PLAN_DATE + timedelta(days=int(offset[i])), res_names[res_pick[i]] if pinned[i] else None,
        )
        for i in range(orders)
    ]  # fmt: skip

    regular = round(float(quantity.sum()) / (load * working_resource_days), 2)
    capacity = [
        CapacityDay(r, days[i], regular, round(regular * overtime_share, 2), maintenance=i in maint[r])
        for r in res_names
        for i in working
    ]
    return order_list, windows, capacity, regular


def _settings(horizon_days: int, ordering: str = "strict"):
    from customer_master.scheduling import PlanSettings

    return PlanSettings(plan_date=PLAN_DATE, horizon_days=horizon_days, country="US", ordering=ordering)


def _best_of(fn, repeats: int = REPEATS) -> tuple[list[float], object]:
    timings, value = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        value = fn()
        timings.append(time.perf_counter() - started)
    return timings, value


def _summary(plan) -> dict:
    from customer_master.scheduling import lateness_by_priority

    rows = lateness_by_priority(plan)
    scheduled = sum(r.scheduled for r in rows)
    on_time = sum(r.scheduled * r.on_time_pct / 100 for r in rows)
    return {
        "on_time_pct": round(100 * on_time / max(scheduled, 1), 1),
        "unschedulable": sum(r.unschedulable for r in rows),
        "unschedulable_by_reason": dict(sorted(Counter(a.reason for a in plan.unschedulable()).items())),
        "overtime_units": round(sum(r.overtime_units for r in rows), 1),
        "peak_utilization": round(max((c.utilization for c in plan.capacity), default=0.0), 3),
        "mean_utilization": round(
            sum(c.scheduled_units + c.scheduled_overtime_units for c in plan.capacity)
            / max(sum(c.capacity for c in plan.capacity), 1e-9),
            3,
        ),
        "by_priority": [
            {
                "priority": r.priority, "orders": r.orders, "on_time_pct": round(r.on_time_pct, 1),
                "mean_days_late": round(r.mean_days_late, 2), "p95_days_late": round(r.p95_days_late, 1),
                "max_days_late": r.max_days_late, "unschedulable": r.unschedulable,
            }
            for r in rows
        ],
    }  # fmt: skip


# --- children --------------------------------------------------------------------------------------
def run_speed(horizon_days: int, with_improve: bool = False) -> dict:
    """Parts 1 and 4: the 100k instance planned over `horizon_days`, best of 3, peak RSS of the process;
    with `with_improve`, then once more with `PlanSettings.improve` (timed once: it is far slower)."""
    from customer_master.scheduling import plan_deliveries

    started = time.perf_counter()
    orders, windows, capacity, regular = make_instance(
        SPEED["orders"],
        SPEED["resources"],
        SPEED["horizon_days"],
        SPEED["load"],
        SPEED["customers"],
        own_window_share=SPEED["own_window_share"],
    )
    generate_s = time.perf_counter() - started
    rss_inputs = peak_rss_mib()
    settings = _settings(horizon_days)
    # The first call in a process also loads the holiday rules (~0.35 s, cached afterwards): kept apart.
    timings, plan = _best_of(lambda: plan_deliveries(orders, windows, capacity, settings))
    best = min(timings)
    out = {
        "orders": len(orders), "resources": SPEED["resources"], "horizon_days": horizon_days,
        "load": SPEED["load"], "regular_units_per_resource_day": regular,
        "generate_seconds": round(generate_s, 2),
        "seconds": round(best, 3), "first_call_seconds": round(timings[0], 3),
        "timings": [round(t, 3) for t in timings], "best_of": REPEATS,
        "orders_per_s": round(len(orders) / best),
        "peak_rss_mib_inputs": round(rss_inputs, 1), "peak_rss_mib": round(peak_rss_mib(), 1),
        **_summary(plan),
    }  # fmt: skip
    if with_improve:  # once: the measurement behind PlanSettings.improve's default (off)
        import dataclasses

        from customer_master.scheduling.improve import weighted_lateness

        started = time.perf_counter()
        improved = plan_deliveries(orders, windows, capacity, dataclasses.replace(settings, improve=True))
        out["improve"] = {
            "seconds": round(time.perf_counter() - started, 2), "peak_rss_mib": round(peak_rss_mib(), 1),
            "weighted_days_late": weighted_lateness(improved),
            "weighted_days_late_greedy": weighted_lateness(plan),
            "unschedulable": len(improved.unschedulable()), "unschedulable_greedy": len(plan.unschedulable()),
        }  # fmt: skip
    return out


def run_ordering(ordering: str, load: float) -> dict:
    from customer_master.scheduling import plan_deliveries

    orders, windows, capacity, regular = make_instance(
        ORDERING["orders"], ORDERING["resources"], ORDERING["horizon_days"], load, ORDERING["customers"]
    )
    started = time.perf_counter()
    plan = plan_deliveries(orders, windows, capacity, _settings(ORDERING["horizon_days"], ordering))
    seconds = time.perf_counter() - started
    return {"ordering": ordering, "load": load, "seconds": round(seconds, 3), **_summary(plan)}


def _class_days(plan, horizon: int) -> dict[str, int]:
    """Days late per priority class; an unschedulable order counts as late until the day after the horizon."""
    end = PLAN_DATE + timedelta(days=horizon)
    out = dict.fromkeys(PRIORITIES, 0)
    for a in plan.assignments:
        out[a.priority] += a.days_late if a.status == "scheduled" else (end - a.requested_date).days
    return out


def _weighted(class_days: dict[str, int]) -> int:
    return sum(WEIGHT[p] * class_days[p] for p in PRIORITIES)


def _gap(value: float, reference: float) -> float | None:
    return round((value - reference) / reference, 4) if reference > 0 else None


def run_quality(spec: dict, milp_seconds: float = MILP_TIME_LIMIT_S) -> dict:
    """Greedy and greedy + local search vs HiGHS (weighted MILP with and without precedence, LP bound)."""
    import dataclasses

    import highspy

    from customer_master.scheduling import Plan, holiday_days, plan_deliveries
    from customer_master.scheduling.models import REASON_NO_CAPACITY
    from customer_master.scheduling.precedence import precedence_violations

    horizon = spec["horizon_days"]
    orders, windows, capacity, regular = make_instance(
        spec["orders"], spec["resources"], horizon, spec["load"], customers=300,
        overtime_share=spec["overtime_share"], request_span_days=20, seed=SEED + int(spec["name"][1:]),
    )  # fmt: skip
    settings = _settings(horizon)
    started = time.perf_counter()
    greedy = plan_deliveries(orders, windows, capacity, settings)
    greedy_s = time.perf_counter() - started
    started = time.perf_counter()
    improved = plan_deliveries(orders, windows, capacity, dataclasses.replace(settings, improve=True))
    improved_s = time.perf_counter() - started

    # Buckets with the engine's rules: one capacity row per resource x day, holidays and maintenance 0.
    res_names = sorted({c.resource for c in capacity})
    res_idx = {r: j for j, r in enumerate(res_names)}
    holidays = holiday_days(PLAN_DATE, horizon, "US")
    cap = np.zeros((horizon, len(res_names)))
    for c in capacity:
        i = (c.day - PLAN_DATE).days
        if 0 <= i < horizon and not c.maintenance and c.day not in holidays:
            cap[i, res_idx[c.resource]] = c.regular_units + c.overtime_units
    n_orders, n_res = len(orders), len(res_names)
    end = PLAN_DATE + timedelta(days=horizon)
    # One column per (order, resource, allowed day) + one "unscheduled" column per order.
    col_order, col_bucket, col_late = [], [], []
    for o_i, o in enumerate(orders):
        window = windows[o.customer_id] or settings.default_window
        start = max(0, (o.requested_date - PLAN_DATE).days)
        cols = [res_idx[o.resource]] if o.resource else range(n_res)
        for d in range(start, horizon):
            day = PLAN_DATE + timedelta(days=d)
            if day.isoweekday() not in window.days or day in holidays:
                continue
            late = max(0, (day - o.requested_date).days)
            for j in cols:
                if cap[d, j] >= o.quantity:
                    col_order.append(o_i)
                    col_bucket.append(d * n_res + j)
                    col_late.append(late)
        col_order.append(o_i)
        col_bucket.append(-1)
        col_late.append((end - o.requested_date).days)
    col_order, col_bucket, col_late = np.array(col_order), np.array(col_bucket), np.array(col_late)
    col_rank = np.array([PRIORITIES.index(orders[o_i].priority) for o_i in col_order])
    col_weight = np.array([WEIGHT[p] for p in PRIORITIES])[col_rank]
    n_cols = len(col_order)

    # Sanity check: both plans must be solutions of the model (same rules, same buckets).
    columns = set(zip(col_order.tolist(), col_bucket.tolist(), strict=True))
    by_id = {o.order_id: o_i for o_i, o in enumerate(orders)}

    column_of = {
        (o_i, b): c for c, (o_i, b) in enumerate(zip(col_order.tolist(), col_bucket.tolist(), strict=True))
    }

    def plan_vector(plan):
        """The plan as a MILP solution (the warm start): one column per order, unscheduled ones on theirs."""
        x = np.zeros(len(col_order))
        for o_i, a in enumerate(plan.assignments):
            bucket = (
                (a.scheduled_date - PLAN_DATE).days * n_res + res_idx[a.resource] if a.scheduled_date else -1
            )
            x[column_of[o_i, bucket]] = 1.0
        return x

    def in_model(plan) -> bool:
        return all(
            (by_id[a.order_id], (a.scheduled_date - PLAN_DATE).days * n_res + res_idx[a.resource]) in columns
            for a in plan.scheduled()
        )

    # Constraint matrix: each order exactly once; load per bucket <= regular + overtime.
    quantity = np.array([float(orders[o_i].quantity) for o_i in col_order])
    placed = col_bucket >= 0
    nnz_per_col = 1 + placed.astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(nnz_per_col)]).astype(np.int32)
    index = np.empty(int(nnz_per_col.sum()), dtype=np.int32)
    value = np.ones(len(index))
    index[starts[:-1]] = col_order
    index[starts[:-1][placed] + 1] = n_orders + col_bucket[placed]
    value[starts[:-1][placed] + 1] = quantity[placed]

    # Precedence (strict ordering, as `scheduling.precedence`) as constraints. held[p, b] <= the load of the
    # orders of class p or higher on bucket b (one continuous column each, defined by a row). An order X of
    # class p with a column on bucket b = (day d, resource j) must, unless it is placed on or before d, find
    # b held by at least floor(cap_b - q_X) + 1 units (loads are integer): else X, late past d, could have
    # used room a lower class took. Row: held[p, b] + K * Σ x[X, columns on days <= d] >= K.
    n_buckets = horizon * n_res
    order_cols: list[list[int]] = [[] for _ in range(n_orders)]
    for c, o_i in enumerate(col_order.tolist()):
        order_cols[o_i].append(c)
    col_day = np.where(placed, col_bucket // n_res, -1)
    held_rows_cols, held_rows_vals = [], []
    for p in range(len(PRIORITIES)):  # held[p, b] - Σ_{rank <= p, bucket b} q x <= 0
        member = placed & (col_rank <= p)
        held_rows_cols.append((col_bucket[member], np.flatnonzero(member)))
        held_rows_vals.append(quantity[member])
    prec_rows: list[tuple[int, int, np.ndarray]] = []  # (held column, K, prefix columns)
    for cols in order_cols:
        cols = [c for c in cols if placed[c]]
        for c in cols:
            b = col_bucket[c]
            k_units = int(np.floor(cap.reshape(-1)[b] - quantity[c] + 1e-9)) + 1
            prefix = [c2 for c2 in cols if col_day[c2] <= col_day[c]]
            prec_rows.append((col_rank[c] * n_buckets + b, k_units, np.asarray(prefix, dtype=np.int32)))

    def add_precedence(h) -> None:
        """Add the held columns and the precedence rows to the model in `h`."""
        cap_flat = cap.reshape(-1)
        h.addVars(len(PRIORITIES) * n_buckets, np.zeros(len(PRIORITIES) * n_buckets),
                  np.tile(cap_flat, len(PRIORITIES)))  # fmt: skip
        starts, index, values = [0], [], []
        for p in range(len(PRIORITIES)):
            buckets, cols = held_rows_cols[p]
            for b in range(n_buckets):
                sel = buckets == b
                index.extend([n_cols + p * n_buckets + b, *cols[sel].tolist()])
                values.extend([1.0, *(-held_rows_vals[p][sel]).tolist()])
                starts.append(len(index))
        n_def = len(starts) - 1
        h.addRows(n_def, np.full(n_def, -highspy.kHighsInf), np.zeros(n_def), len(index),
                  np.asarray(starts[:-1], dtype=np.int32), np.asarray(index, dtype=np.int32),
                  np.asarray(values))  # fmt: skip
        starts, index, values, lower = [0], [], [], []
        for held_col, k_units, prefix in prec_rows:
            index.extend([n_cols + held_col, *prefix.tolist()])
            values.extend([1.0] + [float(k_units)] * len(prefix))
            starts.append(len(index))
            lower.append(float(k_units))
        n_prec = len(lower)
        h.addRows(n_prec, np.asarray(lower), np.full(n_prec, highspy.kHighsInf), len(index),
                  np.asarray(starts[:-1], dtype=np.int32), np.asarray(index, dtype=np.int32),
                  np.asarray(values))  # fmt: skip

    def with_held(x):
        """x extended by its held[p, b] columns (the warm start of the precedence model)."""
        held = np.zeros((len(PRIORITIES), n_buckets))
        chosen = (x > 0.5) & placed
        for p in range(len(PRIORITIES)):
            member = chosen & (col_rank <= p)
            np.add.at(held[p], col_bucket[member], quantity[member])
        return np.concatenate([x, held.reshape(-1)])

    def precedence_kept(x) -> bool:
        """Every precedence row holds for x (a check of the rows against the engine's plans)."""
        full = with_held(x)
        return all(
            full[n_cols + held_col] + k_units * full[prefix].sum() >= k_units - 1e-9
            for held_col, k_units, prefix in prec_rows
        )

    def model(costs, *, integer: bool, precedence: bool):
        """A HiGHS instance holding the model: minimise costs, with the precedence rows if `precedence`."""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", 0)
        lp = highspy.HighsLp()
        n_rows = n_orders + horizon * n_res
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_cost_ = np.asarray(costs, dtype=float)  # the held columns (precedence) cost nothing
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.ones(n_cols)
        lp.row_lower_ = np.concatenate([np.ones(n_orders), np.full(horizon * n_res, -highspy.kHighsInf)])
        lp.row_upper_ = np.concatenate([np.ones(n_orders), cap.reshape(-1)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols
        h.passModel(lp)
        if precedence:
            add_precedence(h)
        return h

    def run(h, time_limit: float, start, precedence: bool):
        """Run h from `start` (if given) for up to time_limit s: (status, HighsInfo, x, seconds)."""
        h.setOptionValue("time_limit", max(time_limit, 0.5))
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = list(with_held(start) if precedence else start)
            solution.value_valid = True
            h.setSolution(solution)
        started = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - started
        x = np.array(h.getSolution().col_value)[:n_cols]
        return h.modelStatusToString(h.getModelStatus()), h.getInfo(), x, seconds

    def solve(costs, *, integer: bool, time_limit: float, start=None, precedence=False):
        """Minimise costs (with the precedence rows if `precedence`), from `start` if given."""
        h = model(costs, integer=integer, precedence=precedence)
        status, info, x, seconds = run(h, time_limit, start, precedence)
        out = {
            "seconds": round(seconds, 2),
            "status": status,
            "objective": round(info.objective_function_value, 2),
        }
        if integer:
            out["dual_bound"] = round(info.mip_dual_bound, 2)
            out["mip_gap"] = round(info.mip_gap, 4)
        return out, x

    def fix_and_optimize(costs, x, time_limit: float, window: int = LNS_WINDOW_DAYS):
        """Improve x (precedence kept) by sub-MILPs: per window of days [d0, d0 + window), the orders placed
        on or after d0 (or unscheduled) that may use a day of the window are free on days >= d0, the rest
        stay fixed. Windows slide by half a window, round after round, until time_limit; returns the best."""
        h = model(costs, integer=True, precedence=True)
        left, rounds, tried, improved = time_limit, 0, 0, 0
        while left > 0.5:
            changed = False
            for d0 in range(0, horizon, max(1, window // 2)):
                placed_day = np.full(n_orders, horizon)  # unscheduled: after the horizon
                chosen = np.flatnonzero(x > 0.5)
                placed_day[col_order[chosen]] = np.where(placed[chosen], col_day[chosen], horizon)
                in_window = placed & (col_day >= d0) & (col_day < d0 + window)
                free = np.zeros(n_orders, dtype=bool)
                free[col_order[in_window]] = True
                free &= placed_day >= d0
                open_col = free[col_order] & (~placed | (col_day >= d0))
                lower = np.where(open_col, 0.0, x)
                upper = np.where(open_col, 1.0, x)
                h.changeColsBounds(n_cols, np.arange(n_cols, dtype=np.int32), lower, upper)
                status, info, x_new, seconds = run(h, min(LNS_STEP_SECONDS, left), x, True)
                left -= seconds
                tried += 1
                if info.objective_function_value < costs @ x - 0.5 and precedence_kept(x_new):
                    x, changed, improved = np.round(x_new), True, improved + 1
                if left <= 0.5:
                    break
            rounds += 1
            if not changed:
                break
        return x, {
            "rounds": rounds,
            "sub_milps": tried,
            "improving": improved,
            "seconds": round(time_limit - left, 1),
        }

    def plan_of(x):
        """x as a Plan, for the library's own precedence check (`precedence_violations`)."""
        chosen = {int(col_order[c]): int(col_bucket[c]) for c in np.flatnonzero(x > 0.5)}
        out = []
        for o_i, a in enumerate(improved.assignments):
            b = chosen[o_i]
            if b < 0:
                out.append(dataclasses.replace(
                    a, status="unschedulable", scheduled_date=None, resource=None, is_late=False,
                    days_late=0, reason=REASON_NO_CAPACITY, overtime_units=0.0,
                ))  # fmt: skip
                continue
            day = PLAN_DATE + timedelta(days=b // n_res)
            late = max(0, (day - a.requested_date).days)
            out.append(dataclasses.replace(
                a, status="scheduled", scheduled_date=day, resource=res_names[b % n_res], is_late=late > 0,
                days_late=late, reason=None, units=float(orders[o_i].quantity),
            ))  # fmt: skip
        return Plan(improved.settings, tuple(out), improved.capacity)

    def library_violations(x) -> int:
        return len(precedence_violations(plan_of(x), orders, windows))

    def class_days_of(x) -> dict[str, int]:
        chosen = x > 0.5
        return {p: int(col_late[chosen & (col_rank == r)].sum()) for r, p in enumerate(PRIORITIES)}

    weighted_costs = col_weight * col_late
    lp_res, _ = solve(weighted_costs, integer=False, time_limit=milp_seconds)

    # (a) The reference: Σ w·days late minimised with precedence kept (the rows above), warm-started from
    # greedy + improve. Both engine plans keep the rows (checked here; the property tests check the rule).
    start = plan_vector(improved)
    kept = {"greedy": precedence_kept(plan_vector(greedy)), "improved": precedence_kept(start)}
    reference, x_ref = solve(
        weighted_costs, integer=True, time_limit=milp_seconds, start=start, precedence=True
    )
    x_ref, lns = fix_and_optimize(weighted_costs, x_ref, milp_seconds)
    lns["objective"] = float(weighted_costs @ x_ref)
    reference.update(
        objective=min(reference["objective"], lns["objective"]), fix_and_optimize=lns,
        by_priority=class_days_of(x_ref), rows=len(prec_rows), plans_keep_precedence=kept,
        solution_keeps_precedence=precedence_kept(x_ref),
        library_precedence_violations=library_violations(x_ref),
    )  # fmt: skip

    # (b) Without precedence: Σ w·days late minimised outright, from the reference's solution. What it
    # saves over (a) is the price of precedence: lower classes spared at the cost of later higher ones.
    milp, x_w = solve(weighted_costs, integer=True, time_limit=milp_seconds, start=x_ref)
    milp.update(
        by_priority=class_days_of(x_w), keeps_precedence=precedence_kept(x_w),
        library_precedence_violations=library_violations(x_w),
    )  # fmt: skip

    plans = {}
    for label, plan, seconds in (("greedy", greedy, greedy_s), ("improved", improved, improved_s)):
        days = _class_days(plan, horizon)
        obj = _weighted(days)
        plans[label] = {
            "seconds": round(seconds, 4), "objective": obj, "by_priority": days,
            "unschedulable": len(plan.unschedulable()), "feasible_in_model": in_model(plan),
            "gap_vs_reference": _gap(obj, reference["objective"]),
            "gap_vs_reference_bound": _gap(obj, reference["dual_bound"]),
            "gap_vs_weighted_milp": _gap(obj, milp["objective"]), "gap_vs_lp": _gap(obj, lp_res["objective"]),
            "gap_by_priority_vs_reference": {
                p: _gap(days[p], reference["by_priority"][p]) if reference["by_priority"][p] else None
                for p in PRIORITIES
            },
        }  # fmt: skip
    return {
        "name": spec["name"], "orders": n_orders, "resources": n_res, "horizon_days": horizon,
        "load": spec["load"], "overtime_share": spec["overtime_share"], "columns": n_cols,
        "milp_time_limit_s": milp_seconds, **plans, "lp": lp_res, "reference": reference, "milp": milp,
        "price_of_precedence": _gap(reference["objective"], milp["objective"]),
        "highs_vs_bound": _gap(milp["objective"], milp["dual_bound"]),
    }  # fmt: skip


# --- parent ---------------------------------------------------------------------------------------
def _child(*args: str) -> dict:
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_schedule", "--child", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(child.stdout.strip().splitlines()[-1])


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _status(status: str) -> str:
    return {"Optimal": "optimal", "Time limit reached": "time limit"}.get(status, status)


def _markdown(speed: dict, weekly: dict, ordering: list[dict], quality: list[dict], met: dict) -> str:
    lines = [
        f"Generator seed {SEED}, plan date {PLAN_DATE}. Targets met: "
        + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in met.items())
        + ".",
        "",
        "| plan | orders | resources | horizon | seconds (best of 3) | first call s | orders/s | "
        "peak RSS MiB | on time | unschedulable: no capacity / requested past horizon |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in (("daily, 95 % load", speed), ("weekly capacity plan", weekly)):
        reasons = r["unschedulable_by_reason"]
        lines.append(
            f"| {label} | {r['orders']:,} | {r['resources']} | {r['horizon_days']} d | {r['seconds']:.2f} | "
            f"{r['first_call_seconds']:.2f} | {r['orders_per_s']:,} | {r['peak_rss_mib']:.0f} | "
            f"{r['on_time_pct']:.1f} % | {reasons.get('no_capacity', 0):,} / "
            f"{reasons.get('no_window_in_horizon', 0):,} |"
        )
    imp = speed.get("improve")
    if imp:
        lines += [
            "",
            f"Daily plan with `improve=True`: {imp['seconds']:.1f} s (one run; on by default only if "
            f"<= 5 s), peak RSS {imp['peak_rss_mib']:.0f} MiB; Σ w·days late of the scheduled orders "
            f"{imp['weighted_days_late_greedy']:,} → {imp['weighted_days_late']:,}, unschedulable "
            f"{imp['unschedulable_greedy']:,} → {imp['unschedulable']:,} (its work budget is spent long "
            "before it gets far at this size).",
        ]
    lines += [
        "",
        f"Ordering rules at load ({ORDERING['orders']:,} orders, {ORDERING['resources']} resources, "
        f"{ORDERING['horizon_days']} days). Per priority: on-time % / mean / p95 / max days late.",
        "",
        "| ordering | load | on time | rush | high | normal | low | overtime units | unschedulable | "
        "peak util. |",
        "|---|---:|---:|---|---|---|---|---:|---:|---:|",
    ]
    for r in ordering:
        cells = [
            f"{p['on_time_pct']:.0f} % / {p['mean_days_late']:.1f} / {p['p95_days_late']:.0f} / "
            f"{p['max_days_late']}"
            for p in r["by_priority"]
        ]
        lines.append(
            f"| {r['ordering']} | {r['load']:.0%} | {r['on_time_pct']:.1f} % | {' | '.join(cells)} | "
            f"{r['overtime_units']:,.0f} | {r['unschedulable']:,} | {r['peak_utilization']:.2f} |"
        )
    limit = max((q["milp_time_limit_s"] for q in quality), default=MILP_TIME_LIMIT_S)
    lines += [
        "",
        f"Quality: Σ w·days late (w = 8/4/2/1; unschedulable = late until the day after the horizon) of the "
        f"greedy and of greedy + `improve`, against HiGHS ({limit:.0f} s per MILP): the reference, Σ w·days "
        "late minimised with precedence as constraints (warm-started from greedy + improve), its best "
        "solution and MIP bound; the same without precedence (its gap to the reference is the price of "
        "precedence) and its bound; the LP bound. Target: greedy + improve <= 5 % above the reference.",
        "",
        "| instance | orders | res. | load | overtime | greedy | greedy + improve (s) | reference: HiGHS "
        "with precedence (bound) | without precedence (bound) | LP bound | greedy vs reference | "
        "improved vs reference | improved vs reference bound | price of precedence |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for q in quality:
        g, i, ref, m = q["greedy"], q["improved"], q["reference"], q["milp"]
        lines.append(
            f"| {q['name']} | {q['orders']} | {q['resources']} | {q['load']:.0%} | "
            f"{q['overtime_share']:.0%} | "
            f"{g['objective']:,} | {i['objective']:,} ({i['seconds']:.2f} s) | "
            f"{ref['objective']:,.0f} ({_status(ref['status'])}, {ref['seconds']:.0f} s + fix-and-optimize "
            f"{ref['fix_and_optimize']['seconds']:.0f} s, {ref['dual_bound']:,.0f}) | "
            f"{m['objective']:,.0f} ({_status(m['status'])}, {m['seconds']:.0f} s, {m['dual_bound']:,.0f}) | "
            f"{q['lp']['objective']:,.1f} | {_pct(g['gap_vs_reference'])} | "
            f"{_pct(i['gap_vs_reference'])} | {_pct(i['gap_vs_reference_bound'])} | "
            f"{_pct(q['price_of_precedence'])} |"
        )
    lines += [
        "",
        "Days late per priority: greedy / greedy + improve / reference / without precedence.",
        "",
        "| instance | rush | high | normal | low |",
        "|---|---|---|---|---|",
    ]
    for q in quality:
        cells = [
            f"{q['greedy']['by_priority'][p]:,} / {q['improved']['by_priority'][p]:,} / "
            f"{q['reference']['by_priority'][p]:,} / {q['milp']['by_priority'][p]:,}"
            for p in PRIORITIES
        ]
        lines.append(f"| {q['name']} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["speed", "ordering", "quality", "weekly"])
    parser.add_argument(
        "--milp-seconds", type=float, default=MILP_TIME_LIMIT_S,
        help=f"time limit per MILP in the quality part (default {MILP_TIME_LIMIT_S:.0f}; shorter to iterate)",
    )  # fmt: skip
    parser.add_argument(
        "--instances", default=",".join(QUALITY_IN_BENCH),
        help=f"quality instances, comma-separated, of {', '.join(s['name'] for s in QUALITY)} "
        f"(default {','.join(QUALITY_IN_BENCH)}: two MILPs of up to 60 s each per instance)",
    )  # fmt: skip
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "speed":
            print(json.dumps(run_speed(int(rest[0]), with_improve=rest[1:] == ["improve"])))
        elif kind == "ordering":
            print(json.dumps(run_ordering(rest[0], float(rest[1]))))
        elif kind == "quality":
            spec = next(s for s in QUALITY if s["name"] == rest[0])
            print(json.dumps(run_quality(spec, float(rest[1]))))
        return 0

    parts = [args.part] if args.part else ["speed", "ordering", "quality", "weekly"]
    speed = weekly = None
    ordering: list[dict] = []
    quality: list[dict] = []
    if "speed" in parts:
        print(f"1. speed: {SPEED['orders']:,} orders, {SPEED['resources']} resources, "
              f"{SPEED['horizon_days']} days, {SPEED['load']:.0%} load ...", flush=True)  # fmt: skip
        speed = _child("speed", str(SPEED["horizon_days"]), "improve")
        print(f"   plan_deliveries {speed['seconds']:.3f} s best of {REPEATS} "
              f"(first call {speed['first_call_seconds']:.3f} s), {speed['orders_per_s']:,} orders/s, "
              f"peak RSS {speed['peak_rss_mib']:.0f} MiB (inputs alone {speed['peak_rss_mib_inputs']:.0f}); "
              f"on time {speed['on_time_pct']} %, unschedulable {speed['unschedulable_by_reason']}",
              flush=True)  # fmt: skip
        imp = speed["improve"]
        print(f"   with improve=True: {imp['seconds']:.1f} s (once), peak RSS {imp['peak_rss_mib']:.0f} MiB, "
              f"Σ w·days late {imp['weighted_days_late_greedy']:,} -> {imp['weighted_days_late']:,}, "
              f"unschedulable {imp['unschedulable_greedy']:,} -> {imp['unschedulable']:,}",
              flush=True)  # fmt: skip
    if "ordering" in parts:
        print(f"2. ordering rules: {ORDERING['orders']:,} orders, {ORDERING['resources']} resources, "
              f"{ORDERING['horizon_days']} days", flush=True)  # fmt: skip
        for rule in ("strict", "weekly_buckets"):
            for load in ORDERING_LOADS:
                r = _child("ordering", rule, str(load))
                ordering.append(r)
                per = "; ".join(
                    f"{p['priority']} {p['on_time_pct']:.0f}% on time, mean {p['mean_days_late']:.1f} "
                    f"p95 {p['p95_days_late']:.0f} max {p['max_days_late']}"
                    for p in r["by_priority"]
                )
                print(f"   {rule:>14} @ {load:.0%}: {r['seconds']:.3f} s, on time {r['on_time_pct']} %, "
                      f"overtime {r['overtime_units']:,.0f} units, unschedulable {r['unschedulable']:,}, "
                      f"peak utilization {r['peak_utilization']:.2f}\n      {per}", flush=True)  # fmt: skip
    if "quality" in parts:
        print(f"3. quality vs HiGHS ({args.milp_seconds:.0f} s limit per MILP): Σ w·days late minimised with "
              "precedence (the reference) and without, LP bound", flush=True)  # fmt: skip
        for name in args.instances.split(","):
            q = _child("quality", name, str(args.milp_seconds))
            quality.append(q)
            g, i, ref, m, lp = q["greedy"], q["improved"], q["reference"], q["milp"], q["lp"]
            print(f"   {q['name']}: {q['orders']} orders, {q['resources']} res, {q['load']:.0%} load, "
                  f"overtime {q['overtime_share']:.0%}, {q['columns']:,} columns, {ref['rows']:,} precedence "
                  f"rows\n"
                  f"      greedy {g['objective']:,} {g['by_priority']} ({g['seconds'] * 1000:.1f} ms, "
                  f"{g['unschedulable']} unschedulable, a solution of the model: {g['feasible_in_model']})\n"
                  f"      greedy + improve {i['objective']:,} {i['by_priority']} "
                  f"({i['seconds'] * 1000:.1f} ms, "
                  f"{i['unschedulable']} unschedulable, a solution of the model: {i['feasible_in_model']})\n"
                  f"      reference (precedence kept) {ref['objective']:,} {ref['by_priority']} "
                  f"({ref['status']}, {ref['seconds']} s, bound {ref['dual_bound']:,}; then fix-and-optimize "
                  f"{ref['fix_and_optimize']}; plans keep the "
                  f"precedence rows: {ref['plans_keep_precedence']})\n"
                  f"      without precedence {m['objective']:,} {m['by_priority']} ({m['status']}, "
                  f"{m['seconds']} s, bound {m['dual_bound']:,}); "
                  f"LP {lp['objective']:,} ({lp['seconds']} s)\n"
                  f"      gap vs reference: greedy {_pct(g['gap_vs_reference'])}, improved "
                  f"{_pct(i['gap_vs_reference'])} (vs its bound {_pct(i['gap_vs_reference_bound'])}); price "
                  f"of precedence {_pct(q['price_of_precedence'])}", flush=True)  # fmt: skip
    if "weekly" in parts:
        print(f"4. weekly capacity plan: {SPEED['orders']:,} orders over the next "
              f"{WEEKLY_HORIZON_DAYS} days ...", flush=True)  # fmt: skip
        weekly = _child("speed", str(WEEKLY_HORIZON_DAYS))
        print(f"   plan_deliveries {weekly['seconds']:.3f} s best of {REPEATS} "
              f"(first call {weekly['first_call_seconds']:.3f} s; business limit 900 s), "
              f"peak RSS {weekly['peak_rss_mib']:.0f} MiB, on time {weekly['on_time_pct']} %, "
              f"unschedulable {weekly['unschedulable_by_reason']}", flush=True)  # fmt: skip

    if args.part:
        return 0
    met = {
        "plan_100k_under_0_5s": speed["seconds"] <= TARGETS["plan_100k_seconds"],
        "peak_rss_100k_under_300MiB": speed["peak_rss_mib"] < TARGETS["peak_rss_mib_at_100k"],
        "weekly_plan_under_15min": weekly["seconds"] <= TARGETS["weekly_plan_seconds"],
        "improve_100k_under_5s": speed["improve"]["seconds"] <= TARGETS["improve_100k_seconds"],
        "improved_within_5pct_of_reference": all(
            q["improved"]["gap_vs_reference"] <= TARGETS["gap_vs_reference"] for q in quality
        ),
    }
    path = write_result(
        "schedule",
        {
            "seed": SEED, "plan_date": str(PLAN_DATE), "targets": TARGETS,
            "milp_time_limit_s": args.milp_seconds, "weights": WEIGHT,
            "speed": speed, "weekly_capacity_plan": weekly, "ordering": ordering, "quality": quality,
            "targets_met": met,
        },
    )  # fmt: skip
    replace_readme_section("schedule", _markdown(speed, weekly, ordering, quality, met))
    print(f"targets met: {met}\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
