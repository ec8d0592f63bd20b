"""The `tag:schedule` dbt models on a real DuckDB file: delivery_schedules, capacity_planning,
schedule_history (incremental, delete+insert by plan date) and delivery_performance (plan vs actual).

The sandbox boards are landed with the production landing code and the master-data marts are built;
then a tiny set of plans is written straight into the planning tables (as the schedule engine asset
would) and `dbt build --select tag:schedule+` runs, once for every plan and once per reloaded day.
Plan rows reference real orders: delivered ones (order_master.delivered_date, from the board's
"Delivered on" column) for plan vs actual, open ones for the current plan.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
import sqlglot

from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.tables import PLAN_TABLES, render_create_table
from tests.integration.dbt_helpers import PROJECT_ROOT, land_boards, run_dbt, run_results

pytestmark = pytest.mark.slow

D1, D2, D3 = dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)
DAY = dt.timedelta(days=1)
SCHEDULE_MODELS = {
    "stg_planning__assignments",
    "stg_planning__capacity",
    "stg_planning__runs",
    "schedule_history",
    "int_deliveries__plan_vs_actual",
    "delivery_schedules",
    "capacity_planning",
    "delivery_performance",
    "order_backlog",
}
HISTORY_SQL = (
    "select plan_date, order_id, status, scheduled_date, reason, _run_id from schedule_history "
    "order by plan_date, order_id"
)


def _rows(db_path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _execute(db_path, sql: str, params=()) -> None:
    with duckdb.connect(str(db_path)) as con:
        con.execute(sql, params)


def _dbt(work, db_path, *args: str):
    result = run_dbt(list(args), work, env={"CM_DUCKDB_PATH": str(db_path), "DBT_TARGET": "duckdb"})
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return run_results(work)


def _assignment(plan_date, order_id, customer_id, status="scheduled", scheduled=None, reason=None, **kw):
    return {
        "plan_date": plan_date,
        "order_id": order_id,
        "customer_id": customer_id,
        "priority": kw.get("priority", "normal"),
        "requested_date": kw.get("requested"),
        "status": status,
        "scheduled_date": scheduled,
        "window_start": "08:00:00" if scheduled else None,
        "window_end": "17:00:00" if scheduled else None,
        "resource": kw.get("resource", "Line 1") if scheduled else None,
        "units": kw.get("units", 10.0) if scheduled else None,
        "overtime_units": kw.get("overtime", 0.0) if scheduled else None,
        "is_late": bool(kw.get("days_late", 0)),
        "days_late": kw.get("days_late", 0),
        "reason": reason,
        "_run_id": kw.get("run_id", f"run-{plan_date}"),
        "_planned_at": dt.datetime.combine(plan_date, dt.time(2, 0)),
    }


def _insert(db_path, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    sql = f"insert into main.{table} ({', '.join(cols)}) values ({', '.join('?' for _ in cols)})"
    with duckdb.connect(str(db_path)) as con:
        con.executemany(sql, [[r[c] for c in cols] for r in rows])


def _capacity(plan_date, resource, day, cap, ot_cap, sched, ot_sched, holiday=False):
    return {
        "plan_date": plan_date,
        "resource": resource,
        "day": day,
        "capacity_units": cap,
        "overtime_capacity_units": ot_cap,
        "scheduled_units": sched,
        "scheduled_overtime_units": ot_sched,
        "utilization": (sched + ot_sched) / cap if cap else 0.0,
        "is_maintenance": False,
        "is_holiday": holiday,
        "_run_id": f"run-{plan_date}",
        "_planned_at": dt.datetime.combine(plan_date, dt.time(2, 0)),
    }


def _run(plan_date):
    return {
        "plan_date": plan_date,
        "horizon_days": 56,
        "ordering": "strict",
        "holiday_country": "US",
        "orders": 3,
        "scheduled": 2,
        "unschedulable": 1,
        "input_errors": 0,
        "late": 0,
        "overtime_units": 0.0,
        "peak_utilization": 1.0,
        "seconds": 0.1,
        "_run_id": f"run-{plan_date}",
        "_planned_at": dt.datetime.combine(plan_date, dt.time(2, 0)),
    }


def _pick_orders(db_path) -> dict:
    """A customer with an on-time and a late delivery, a third delivery, and three open orders."""
    delivered = _rows(
        db_path,
        "select order_id, customer_id, requested_date, delivered_date from order_master "
        "where delivered_date is not null and requested_date is not null and customer_id is not null "
        "and delivered_date <= date '2026-10-20' order by order_id",
    )
    on_time = {c: (o, r, d) for o, c, r, d in reversed(delivered) if d == r}
    late = {c: (o, r, d) for o, c, r, d in reversed(delivered) if d > r}
    customer = min(set(on_time) & set(late))
    other = next(row for row in delivered if row[1] != customer)
    open_orders = _rows(
        db_path,
        "select order_id, customer_id from order_master where is_open = 1 and customer_id is not null "
        "order by order_id",
    )[:3]
    return {
        "customer": customer,
        "x": on_time[customer],
        "y": late[customer],
        "z": other,
        "open": open_orders,
    }


def _plans(picked) -> tuple[list[dict], list[dict], list[dict]]:
    customer = picked["customer"]
    x_id, x_req, x_del = picked["x"]
    y_id, y_req, y_del = picked["y"]
    z_id, z_customer, z_req, z_del = picked["z"]
    (o1, c1), (o2, c2), (o3, c3) = picked["open"]
    assignments = [
        # X: the plan of the day before delivery scheduled it on the day it came (an earlier plan said X-1)
        _assignment(x_del - 3 * DAY, x_id, customer, scheduled=x_del - DAY, requested=x_req),
        _assignment(x_del - DAY, x_id, customer, scheduled=x_del, requested=x_req),
        # Y: planned the day before it came; a later unschedulable plan and a post-delivery one do not count
        _assignment(y_del - 2 * DAY, y_id, customer, scheduled=y_del - DAY, requested=y_req),
        _assignment(y_del - DAY, y_id, customer, "unschedulable", reason="no_capacity", requested=y_req),
        _assignment(y_del + DAY, y_id, customer, scheduled=y_del + 2 * DAY, requested=y_req),
        # Z: never scheduled before its delivery -> unplanned
        _assignment(z_del - DAY, z_id, z_customer, "unschedulable", reason="no_capacity", requested=z_req),
        # the current plans: D1, D2, D3 (latest)
        _assignment(D1, o1, c1, scheduled=D1 + 3 * DAY),
        _assignment(D1, o2, c2, scheduled=D1 + 4 * DAY),
        _assignment(D2, o1, c1, scheduled=D1 + 3 * DAY),
        _assignment(D2, o2, c2, "unschedulable", reason="no_capacity"),
        _assignment(D2, o3, c3, scheduled=D1 + 5 * DAY),
        _assignment(D3, o1, c1, scheduled=D3 + 2 * DAY, units=96.0, days_late=1),
        _assignment(D3, o2, c2, scheduled=D3 + 3 * DAY, units=100.0, overtime=5.0),
        _assignment(D3, o3, c3, "unschedulable", reason="unknown_customer"),
    ]
    capacity = [
        _capacity(D2, "Line 1", D2 + 2 * DAY, 100.0, 10.0, 50.0, 0.0),
        _capacity(D3, "Line 1", D3 + 2 * DAY, 100.0, 10.0, 96.0, 0.0),
        _capacity(D3, "Line 1", D3 + 3 * DAY, 100.0, 10.0, 100.0, 5.0),
        _capacity(D3, "Line 2", D3 + 2 * DAY, 0.0, 0.0, 0.0, 0.0, holiday=True),
        _capacity(D3, "Line 2", D3 + 14 * DAY, 80.0, 0.0, 40.0, 0.0),
    ]
    runs = [_run(d) for d in sorted({a["plan_date"] for a in assignments})]
    return assignments, capacity, runs


@pytest.fixture(scope="module")
def planned(_sandbox_server, tmp_path_factory):
    """Sandbox -> raw -> master-data marts; plans inserted; `dbt build --select tag:schedule+`."""
    sandbox = _sandbox_server
    sandbox.control.reset()
    work = tmp_path_factory.mktemp("dbt_schedule")
    db_path = work / "warehouse.duckdb"
    land_boards(sandbox.url, sandbox.token, DuckDBWarehouse(db_path))
    for spec in PLAN_TABLES:  # the warehouse creates them too; the engine asset may run first
        _execute(db_path, render_create_table(spec, "main", "duckdb"))
    _dbt(
        work,
        db_path,
        "build",
        "--exclude",
        "tag:schedule",
        "--resource-type",
        "model",
        "--resource-type",
        "seed",
    )

    picked = _pick_orders(db_path)
    assignments, capacity, runs = _plans(picked)
    _insert(db_path, "plan_assignments", assignments)
    _insert(db_path, "plan_capacity", capacity)
    _insert(db_path, "plan_runs", runs)
    results = _dbt(work, db_path, "build", "--select", "tag:schedule+")
    history = _rows(db_path, HISTORY_SQL)
    return {
        "work": work,
        "db": db_path,
        "picked": picked,
        "assignments": assignments,
        "results": results,
        "history": history,
    }


def test_the_schedule_selection_builds_only_the_tagged_models_and_all_checks_pass(planned):
    results = planned["results"]
    models = {uid.split(".")[-1] for uid in results if uid.startswith("model.")}
    assert models == SCHEDULE_MODELS
    bad = {uid: r["status"] for uid, r in results.items() if r["status"] not in ("success", "pass")}
    assert not bad
    names = {uid.split(".")[2] for uid in results}
    assert "capacity_never_exceeded" in names
    unit_tests = [uid for uid in results if uid.startswith("unit_test.")]
    assert len(unit_tests) >= 4


def test_tagged_models_depend_only_on_planning_marts_and_snapshots_and_nothing_untagged_uses_them(planned):
    manifest = json.loads((planned["work"] / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"]
    tagged = {uid for uid, n in nodes.items() if n["resource_type"] == "model" and "schedule" in n["tags"]}
    assert {nodes[uid]["name"] for uid in tagged} == SCHEDULE_MODELS
    for uid, node in nodes.items():
        if node["resource_type"] not in ("model", "snapshot"):
            continue
        parents = node["depends_on"]["nodes"]
        if uid in tagged:
            for parent in parents:
                ok = (
                    parent in tagged
                    or parent.startswith("source.customer_master.planning.")
                    or parent.startswith("snapshot.")
                    or (parent.startswith("model.") and "marts" in nodes[parent]["fqn"])
                )
                assert ok, f"{node['name']} depends on {parent}"
        else:
            assert not set(parents) & tagged, f"untagged {node['name']} depends on a schedule model"


def test_delivery_schedules_is_the_latest_plan_one_row_per_order(planned):
    db = planned["db"]
    (o1, _), (o2, _), (o3, c3) = planned["picked"]["open"]
    rows = _rows(
        db,
        "select order_id, status, scheduled_date, reason, plan_date, cast(window_start as varchar), "
        "units, overtime_units, is_late, days_late, order_number is not null from delivery_schedules "
        "order by order_id",
    )
    assert rows == sorted(
        [
            (o1, "scheduled", D3 + 2 * DAY, None, D3, "08:00:00", 96.0, 0.0, True, 1, True),
            (o2, "scheduled", D3 + 3 * DAY, None, D3, "08:00:00", 100.0, 5.0, False, 0, True),
            (o3, "unschedulable", None, "unknown_customer", D3, None, None, None, False, 0, True),
        ]
    )
    company = _rows(db, "select company from customer_master where customer_id = ?", (c3,))[0][0]
    assert _rows(db, "select company from delivery_schedules where order_id = ?", (o3,)) == [(company,)]


def test_capacity_planning_is_the_latest_plan_with_utilization_flags_and_weeks(planned):
    rows = _rows(
        planned["db"],
        "select resource, day, weekday, iso_week, week_start, weeks_ahead, total_scheduled_units, "
        "utilization, is_over_utilization_warn, is_holiday, plan_date "
        "from capacity_planning order by resource, day",
    )
    assert rows == [
        ("Line 1", D3 + 2 * DAY, 4, "2026-W45", dt.date(2026, 11, 2), 0, 96.0, 0.96, True, False, D3),
        ("Line 1", D3 + 3 * DAY, 5, "2026-W45", dt.date(2026, 11, 2), 0, 105.0, 1.05, True, False, D3),
        ("Line 2", D3 + 2 * DAY, 4, "2026-W45", dt.date(2026, 11, 2), 0, 0.0, 0.0, False, True, D3),
        ("Line 2", D3 + 14 * DAY, 2, "2026-W47", dt.date(2026, 11, 16), 2, 40.0, 0.5, False, False, D3),
    ]


def test_the_weekly_capacity_plan_query_groups_the_next_8_weeks_by_resource_and_iso_week(planned):
    sql = (PROJECT_ROOT / "docs" / "queries" / "weekly_capacity_plan.sql").read_text(encoding="utf-8")
    assert sqlglot.parse_one(sql, read="tsql") is not None  # the same text is meant for SQL Server
    rows = _rows(planned["db"], sql)
    monday_w45, monday_w47 = dt.date(2026, 11, 2), dt.date(2026, 11, 16)
    assert [r[:4] for r in rows] == [
        ("Line 1", "2026-W45", monday_w45, 2),
        ("Line 2", "2026-W45", monday_w45, 1),
        ("Line 2", "2026-W47", monday_w47, 1),
    ]
    line1 = rows[0][4:]
    assert line1[:5] == (200.0, 20.0, 196.0, 5.0, 4.0)
    assert line1[5] == pytest.approx(201 / 200)
    assert line1[6:] == (2, 0, D3)
    assert rows[1][9:] == (0, 0, 1, D3)  # a holiday: no capacity, utilization 0, one closed day
    assert rows[2][8:10] == (40.0, 0.5)


def test_schedule_history_keeps_every_plan_date_once(planned):
    history = planned["history"]
    expected = sorted(
        (a["plan_date"], a["order_id"], a["status"], a["scheduled_date"], a["reason"], a["_run_id"])
        for a in planned["assignments"]
    )
    assert history == expected
    keys = [(plan_date, order_id) for plan_date, order_id, *_ in history]
    assert len(keys) == len(set(keys))


def test_delivery_performance_judges_each_delivery_against_the_latest_plan_before_it(planned):
    db = planned["db"]
    picked = planned["picked"]
    customer = picked["customer"]
    x_id, y_id, z_id = picked["x"][0], picked["y"][0], picked["z"][0]
    y_del = picked["y"][2]
    per_order = _rows(
        db,
        "select order_id, is_planned, plan_date, planned_date, variance_days, matches_plan, on_time "
        "from int_deliveries__plan_vs_actual where order_id in (?, ?, ?) order by order_id",
        (x_id, y_id, z_id),
    )
    assert per_order == sorted(
        [
            (x_id, True, picked["x"][2] - DAY, picked["x"][2], 0, True, True),
            (y_id, True, y_del - 2 * DAY, y_del - DAY, 1, False, False),
            (z_id, False, None, None, None, False, picked["z"][3] <= picked["z"][2]),
        ]
    )
    delivered = dict(
        _rows(
            db, "select customer_id, count(*) from order_master where delivered_date is not null group by 1"
        )
    )
    all_delivered = sum(delivered.values())
    row = _rows(
        db,
        "select delivered_orders, on_time_orders, on_time_rate, matching_plan_orders, variance_orders, "
        "schedule_variance_rate, mean_abs_variance_days, first_delivered_date, last_delivered_date, "
        "unplanned_deliveries from delivery_performance where scope = 'customer' and customer_id = ?",
        (customer,),
    )
    first, last = sorted([picked["x"][2], y_del])
    assert row == [(2, 1, 0.5, 1, 1, 0.5, 0.5, first, last, delivered[customer] - 2)]
    overall = _rows(
        db,
        "select customer_id, delivered_orders, on_time_orders, schedule_variance_rate, unplanned_deliveries "
        "from delivery_performance where scope = 'overall'",
    )
    assert overall == [(None, 2, 1, 0.5, all_delivered - 2)]
    others = _rows(
        db,
        "select count(*), sum(delivered_orders), sum(unplanned_deliveries) from delivery_performance "
        "where scope = 'customer' and customer_id <> ?",
        (customer,),
    )
    customers_with_deliveries = len([c for c in delivered if c is not None])
    assert others == [
        (customers_with_deliveries - 1, 0, sum(n for c, n in delivered.items() if c) - delivered[customer])
    ]


def test_an_incremental_day_reload_replaces_only_that_plan_date_and_is_idempotent(planned):
    db, work = planned["db"], planned["work"]
    (o1, c1), (o2, _), (o3, _) = planned["picked"]["open"]
    # The engine reruns D2: o3 is gone, o1 moves. D1 also changes in the source but is not reloaded.
    _execute(db, "delete from main.plan_assignments where plan_date = ?", (D2,))
    _insert(
        db,
        "plan_assignments",
        [
            _assignment(D2, o1, c1, scheduled=D1 + 6 * DAY, run_id="rerun-D2"),
            _assignment(D2, o2, c1, "unschedulable", reason="no_capacity", run_id="rerun-D2"),
        ],
    )
    _execute(
        db, "update main.plan_assignments set scheduled_date = ? where plan_date = ?", (D1 + 9 * DAY, D1)
    )
    window = json.dumps({"min_date": D2.isoformat(), "max_date": D2.isoformat()})

    _dbt(work, db, "build", "--select", "tag:schedule+", "--vars", window)
    after = _rows(db, HISTORY_SQL)

    before = planned["history"]
    assert [r for r in after if r[0] != D2] == [r for r in before if r[0] != D2]  # D1 still the old plan
    assert [r for r in after if r[0] == D2] == [
        (D2, o1, "scheduled", D1 + 6 * DAY, None, "rerun-D2"),
        (D2, o2, "unschedulable", None, "no_capacity", "rerun-D2"),
    ]
    assert len(after) == len(before) - 1

    _dbt(work, db, "build", "--select", "tag:schedule+", "--vars", window)
    assert _rows(db, HISTORY_SQL) == after
