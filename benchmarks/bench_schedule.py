"""Delivery-schedule benchmark: speed, ordering rules under load, and quality against an exact optimum.

All instances come from one deterministic generator (`make_instance`, numpy `Generator` with a fixed
seed): orders with a priority (rush 5 %, high 15 %, normal 50 %, low 30 %), 1-20 capacity units, a
requested weekday spread over the horizon (2 % of them already overdue), 70 % pinned to a resource;
~2,000 customers of whom 20 % have their own delivery days; per resource, weekdays only (no capacity
rows on weekends), US public holidays, 6 maintenance days a year and overtime of 10 % of the regular
capacity. The regular capacity per resource-day is set so that demand / regular capacity of the
horizon's working resource-days equals the requested load.

Parts, each in a fresh child process so every timing and peak RSS stands alone:

1. speed: `plan_deliveries` for 100,000 orders, 10 resources, 365 days, 95 % load; best of 3 and peak
   RSS (targets: <= 1 s, < 1 GiB);
2. ordering rules: strict vs weekly_buckets at 80 / 95 / 110 % load on 20,000 orders, 5 resources, 120
   days: lateness per priority, overtime, unschedulable orders, peak utilization;
3. quality: on small instances (<= 200 orders, 1-2 resources, 30 days) the plan's Σ w·days_late
   (w = 8/4/2/1 for rush/high/normal/low; an unschedulable order costs w·(horizon + 1)) against the
   best HiGHS MILP solution within a time limit and the LP relaxation bound, with identical rules;
4. weekly capacity plan: `plan_deliveries` for the same 100,000 orders over the next 56 days (business
   limit: 15 minutes).

    python -m benchmarks.bench_schedule                  # everything, writes JSON + README section
    python -m benchmarks.bench_schedule --part quality   # one part, prints only
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

SPEED = {"orders": 100_000, "resources": 10, "horizon_days": 365, "load": 0.95, "customers": 2_000}
WEEKLY_HORIZON_DAYS = 56
ORDERING = {"orders": 20_000, "resources": 5, "horizon_days": 120, "customers": 2_000}
ORDERING_LOADS = (0.80, 0.95, 1.10)
MILP_TIME_LIMIT_S = 20.0
# Small instances for the exact reference: requests bunched into the first 20 of 30 days, so capacity
# runs short early and the plan has lateness to trade between priorities.
QUALITY = [
    {"name": "q1", "orders": 120, "resources": 1, "horizon_days": 30, "load": 0.95, "overtime_share": 0.0},
    {"name": "q2", "orders": 200, "resources": 2, "horizon_days": 30, "load": 0.95, "overtime_share": 0.0},
    {"name": "q3", "orders": 200, "resources": 2, "horizon_days": 30, "load": 1.05, "overtime_share": 0.1},
]  # fmt: skip
TARGETS = {"plan_100k_seconds": 1.0, "peak_rss_mib_at_100k": 1024, "weekly_plan_seconds": 15 * 60}


# --- the instance generator -----------------------------------------------------------------------
def make_instance(
    orders: int,
    resources: int,
    horizon_days: int,
    load: float,
    customers: int = 2_000,
    *,
    overtime_share: float = 0.1,
    request_span_days: int | None = None,
    maintenance_per_year: int = 6,
    seed: int = SEED,
):
    """(orders, windows_by_customer, capacity rows, settings kwargs) for one deterministic instance."""
    from customer_master.scheduling import CapacityDay, DeliveryWindow, Order, holiday_days

    rng = np.random.default_rng(seed)
    res_names = [f"R{j:02d}" for j in range(1, resources + 1)]
    cust_names = [f"C{c:05d}" for c in range(customers)]
    own = rng.random(customers) < 0.2
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
def run_speed(horizon_days: int) -> dict:
    """Parts 1 and 4: the 100k instance planned over `horizon_days`, best of 3, peak RSS of the process."""
    from customer_master.scheduling import plan_deliveries

    started = time.perf_counter()
    orders, windows, capacity, regular = make_instance(
        SPEED["orders"], SPEED["resources"], SPEED["horizon_days"], SPEED["load"], SPEED["customers"]
    )
    generate_s = time.perf_counter() - started
    rss_inputs = peak_rss_mib()
    settings = _settings(horizon_days)
    # The first call in a process also loads the holiday rules (~0.35 s, cached afterwards): kept apart.
    timings, plan = _best_of(lambda: plan_deliveries(orders, windows, capacity, settings))
    best = min(timings)
    return {
        "orders": len(orders), "resources": SPEED["resources"], "horizon_days": horizon_days,
        "load": SPEED["load"], "regular_units_per_resource_day": regular,
        "generate_seconds": round(generate_s, 2),
        "seconds": round(best, 3), "first_call_seconds": round(timings[0], 3),
        "timings": [round(t, 3) for t in timings], "best_of": REPEATS,
        "orders_per_s": round(len(orders) / best),
        "peak_rss_mib_inputs": round(rss_inputs, 1), "peak_rss_mib": round(peak_rss_mib(), 1),
        **_summary(plan),
    }  # fmt: skip


def run_ordering(ordering: str, load: float) -> dict:
    from customer_master.scheduling import plan_deliveries

    orders, windows, capacity, regular = make_instance(
        ORDERING["orders"], ORDERING["resources"], ORDERING["horizon_days"], load, ORDERING["customers"]
    )
    started = time.perf_counter()
    plan = plan_deliveries(orders, windows, capacity, _settings(ORDERING["horizon_days"], ordering))
    seconds = time.perf_counter() - started
    return {"ordering": ordering, "load": load, "seconds": round(seconds, 3), **_summary(plan)}


def run_quality(spec: dict) -> dict:
    """Greedy vs the HiGHS MILP (time-limited) and its LP relaxation on one small instance."""
    import highspy

    from customer_master.scheduling import holiday_days, plan_deliveries

    horizon = spec["horizon_days"]
    orders, windows, capacity, regular = make_instance(
        spec["orders"], spec["resources"], horizon, spec["load"], customers=60,
        overtime_share=spec["overtime_share"], request_span_days=20, seed=SEED + int(spec["name"][1:]),
    )  # fmt: skip
    settings = _settings(horizon)
    started = time.perf_counter()
    plan = plan_deliveries(orders, windows, capacity, settings)
    greedy_s = time.perf_counter() - started
    penalty_days = horizon + 1
    greedy_obj = sum(
        WEIGHT[a.priority] * (a.days_late if a.status == "scheduled" else penalty_days)
        for a in plan.assignments
    )

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
    costs, rows, values = [], [], []  # one column per (order, resource, allowed day) + one unscheduled
    for o_i, o in enumerate(orders):
        w = WEIGHT[o.priority]
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
                    costs.append(w * late)
                    rows.append((o_i, n_orders + d * n_res + j))
                    values.append(float(o.quantity))
        costs.append(w * penalty_days)
        rows.append((o_i, -1))
        values.append(0.0)

    # Sanity check: the greedy plan must be one of the model's solutions (same rules, same buckets).
    columns = set(rows)
    by_id = {o.order_id: o_i for o_i, o in enumerate(orders)}
    greedy_in_model = all(
        (by_id[a.order_id], n_orders + (a.scheduled_date - PLAN_DATE).days * n_res + res_idx[a.resource])
        in columns
        for a in plan.scheduled()
    )

    def solve(integer: bool) -> dict:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", MILP_TIME_LIMIT_S)
        h.setOptionValue("random_seed", 0)
        lp = highspy.HighsLp()
        n_cols, n_rows = len(costs), n_orders + horizon * n_res
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_cost_ = np.array(costs, dtype=float)
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.ones(n_cols)
        lp.row_lower_ = np.concatenate([np.ones(n_orders), np.full(horizon * n_res, -highspy.kHighsInf)])
        lp.row_upper_ = np.concatenate([np.ones(n_orders), cap.reshape(-1)])
        starts, index, value = [0], [], []
        for (o_i, bucket), q in zip(rows, values, strict=True):
            index.append(o_i)
            value.append(1.0)
            if bucket >= 0:
                index.append(bucket)
                value.append(q)
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols
        h.passModel(lp)
        started = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - started
        info = h.getInfo()
        out = {
            "seconds": round(seconds, 2),
            "status": h.modelStatusToString(h.getModelStatus()),
            "objective": round(info.objective_function_value, 2),
        }
        if integer:
            out["dual_bound"] = round(info.mip_dual_bound, 2)
            out["mip_gap"] = round(info.mip_gap, 4)
        return out

    lp_res = solve(integer=False)
    milp = solve(integer=True)
    return {
        "name": spec["name"], "orders": n_orders, "resources": n_res, "horizon_days": horizon,
        "load": spec["load"], "overtime_share": spec["overtime_share"], "columns": len(costs),
        "greedy": {"seconds": round(greedy_s, 4), "objective": greedy_obj,
                   "unschedulable": len(plan.unschedulable()), "feasible_in_model": greedy_in_model},
        "lp": lp_res, "milp": milp,
        "gap_vs_milp": round((greedy_obj - milp["objective"]) / milp["objective"], 4)
        if milp["objective"] > 0 else None,
        "gap_vs_lp": round((greedy_obj - lp_res["objective"]) / lp_res["objective"], 4)
        if lp_res["objective"] > 0 else None,
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
    lines += [
        "",
        f"Quality: Σ w·days late (w = 8/4/2/1), greedy (strict) vs HiGHS MILP ({MILP_TIME_LIMIT_S:.0f} s "
        "limit) and LP bound.",
        "",
        "| instance | orders | resources | load | overtime | greedy | MILP (status) | LP bound | "
        "gap vs MILP | gap vs LP |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for q in quality:
        m = q["milp"]
        lines.append(
            f"| {q['name']} | {q['orders']} | {q['resources']} | {q['load']:.0%} | "
            f"{q['overtime_share']:.0%} | {q['greedy']['objective']:,} | {m['objective']:,.0f} "
            f"({m['status']}, {m['seconds']:.1f} s, bound {m['dual_bound']:,.0f}) | "
            f"{q['lp']['objective']:,.1f} | "
            f"{_pct(q['gap_vs_milp'])} | {_pct(q['gap_vs_lp'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["speed", "ordering", "quality", "weekly"])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "speed":
            print(json.dumps(run_speed(int(rest[0]))))
        elif kind == "ordering":
            print(json.dumps(run_ordering(rest[0], float(rest[1]))))
        elif kind == "quality":
            print(json.dumps(run_quality(next(s for s in QUALITY if s["name"] == rest[0]))))
        return 0

    parts = [args.part] if args.part else ["speed", "ordering", "quality", "weekly"]
    speed = weekly = None
    ordering: list[dict] = []
    quality: list[dict] = []
    if "speed" in parts:
        print(f"1. speed: {SPEED['orders']:,} orders, {SPEED['resources']} resources, "
              f"{SPEED['horizon_days']} days, {SPEED['load']:.0%} load ...", flush=True)  # fmt: skip
        speed = _child("speed", str(SPEED["horizon_days"]))
        print(f"   plan_deliveries {speed['seconds']:.3f} s best of {REPEATS} "
              f"(first call {speed['first_call_seconds']:.3f} s), {speed['orders_per_s']:,} orders/s, "
              f"peak RSS {speed['peak_rss_mib']:.0f} MiB (inputs alone {speed['peak_rss_mib_inputs']:.0f}); "
              f"on time {speed['on_time_pct']} %, unschedulable {speed['unschedulable_by_reason']}",
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
        print(f"3. quality vs exact optimum (HiGHS, {MILP_TIME_LIMIT_S:.0f} s limit per MILP); the greedy "
              "follows strict priority, not min Σ w·days late, so the gap is the price of that rule",
              flush=True)  # fmt: skip
        for spec in QUALITY:
            q = _child("quality", spec["name"])
            quality.append(q)
            m, lp = q["milp"], q["lp"]
            print(f"   {q['name']}: {q['orders']} orders, {q['resources']} res, {q['load']:.0%} load, "
                  f"overtime {q['overtime_share']:.0%}, {q['columns']:,} columns: greedy "
                  f"{q['greedy']['objective']:,} ({q['greedy']['seconds'] * 1000:.1f} ms, "
                  f"{q['greedy']['unschedulable']} unschedulable, a solution of the model: "
                  f"{q['greedy']['feasible_in_model']}); MILP "
                  f"{m['objective']:,} ({m['status']}, {m['seconds']} s, bound {m['dual_bound']:,}); "
                  f"LP {lp['objective']:,} ({lp['seconds']} s); gap vs MILP {_pct(q['gap_vs_milp'])}, "
                  f"vs LP {_pct(q['gap_vs_lp'])}", flush=True)  # fmt: skip
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
        "plan_100k_under_1s": speed["seconds"] <= TARGETS["plan_100k_seconds"],
        "peak_rss_100k_under_1GiB": speed["peak_rss_mib"] < TARGETS["peak_rss_mib_at_100k"],
        "weekly_plan_under_15min": weekly["seconds"] <= TARGETS["weekly_plan_seconds"],
    }
    path = write_result(
        "schedule",
        {
            "seed": SEED, "plan_date": str(PLAN_DATE), "targets": TARGETS,
            "milp_time_limit_s": MILP_TIME_LIMIT_S, "weights": WEIGHT,
            "speed": speed, "weekly_capacity_plan": weekly, "ordering": ordering, "quality": quality,
            "targets_met": met,
        },
    )  # fmt: skip
    replace_readme_section("schedule", _markdown(speed, weekly, ordering, quality, met))
    print(f"targets met: {met}\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
