"""Plans in a real DuckDB warehouse: a plan date is replaced atomically, a failed write keeps the old
plan, the written rows are re-checked for capacity, and retention purges old plan dates."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from customer_master.scheduling import CapacityDay, PlanSettings, plan_deliveries
from customer_master.scheduling.models import Order
from customer_master.scheduling.records import assignment_columns, capacity_columns, summarize
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.plans import (
    PlanInputsMissing,
    capacity_violations,
    plan_integrity,
    purge_plans_before,
    read_plan_inputs,
    write_plan,
)

DAY = dt.date(2026, 11, 23)
AT = dt.datetime(2026, 11, 23, 2, 0)


def _plan(plan_date: dt.date, n_orders: int):
    settings = PlanSettings(plan_date=plan_date, horizon_days=10, country=None)
    orders = [Order(f"monday:{i}", "c1", "normal", 4.0, plan_date) for i in range(n_orders)]
    capacity = [CapacityDay("L1", plan_date + dt.timedelta(days=i), 10.0, 2.0) for i in range(10)]
    return settings, plan_deliveries(orders, {"c1": None}, capacity, settings)


def _write(wh, plan_date: dt.date, n_orders: int, run_id: str = "run-1"):
    settings, plan = _plan(plan_date, n_orders)
    return write_plan(
        wh,
        plan_date,
        assignments=assignment_columns(plan),
        capacity=capacity_columns(plan),
        run=summarize(plan).run_row(settings, 0.01),
        run_id=run_id,
        planned_at=AT,
    )


def _rows(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def wh(tmp_path):
    return DuckDBWarehouse(tmp_path / "wh.duckdb")


def test_a_plan_date_is_replaced_not_appended_and_other_dates_are_untouched(wh):
    assert _write(wh, DAY, 5) == {"plan_assignments": 5, "plan_capacity": 10, "plan_runs": 1}
    _write(wh, DAY + dt.timedelta(days=1), 3)
    _write(wh, DAY, 4, run_id="run-2")  # a rerun of the first partition, with different data
    per_day = _rows(
        wh.path, "SELECT plan_date, COUNT(*), MIN(_run_id) FROM plan_assignments GROUP BY 1 ORDER BY 1"
    )
    assert per_day == [(DAY, 4, "run-2"), (DAY + dt.timedelta(days=1), 3, "run-1")]
    assert _rows(wh.path, "SELECT COUNT(*) FROM plan_runs")[0][0] == 2
    before = _rows(wh.path, "SELECT * EXCLUDE (_planned_at) FROM plan_assignments ORDER BY ALL")
    _write(wh, DAY, 4, run_id="run-2")
    assert _rows(wh.path, "SELECT * EXCLUDE (_planned_at) FROM plan_assignments ORDER BY ALL") == before


def test_a_failed_write_leaves_the_previous_plan_exactly_as_it_was(wh):
    _write(wh, DAY, 5)
    before = _rows(wh.path, "SELECT * FROM plan_assignments ORDER BY ALL")
    settings, plan = _plan(DAY, 6)
    broken = assignment_columns(plan)
    broken["order_id"][3] = None  # NOT NULL: the insert fails after the delete ran
    with pytest.raises(duckdb.ConstraintException):
        write_plan(
            wh, DAY, assignments=broken, capacity=capacity_columns(plan),
            run=summarize(plan).run_row(settings, 0.0), run_id="bad", planned_at=AT,
        )  # fmt: skip
    assert _rows(wh.path, "SELECT * FROM plan_assignments ORDER BY ALL") == before
    assert _rows(wh.path, "SELECT DISTINCT _run_id FROM plan_capacity") == [("run-1",)]


def test_capacity_is_rechecked_on_the_rows_as_written(wh):
    _write(wh, DAY, 6)
    assert capacity_violations(wh, DAY) == []
    assert plan_integrity(wh, DAY).rows == 6
    with duckdb.connect(str(wh.path)) as con:  # someone edits the plan by hand: 4 orders on one day
        con.execute(
            "UPDATE plan_assignments SET scheduled_date = ? "
            "WHERE order_id IN ('monday:0', 'monday:1', 'monday:2', 'monday:3')",
            [DAY],
        )
    (violation,) = capacity_violations(wh, DAY)
    assert (violation.resource, violation.day, violation.scheduled_units) == ("L1", DAY, 16.0)
    with duckdb.connect(str(wh.path)) as con:
        con.execute(
            "UPDATE plan_assignments SET status = 'unschedulable', reason = NULL WHERE order_id = 'monday:5'"
        )
    assert plan_integrity(wh, DAY).unexplained == 1


def test_retention_purges_plan_dates_before_the_cutoff_and_counts_them(wh):
    old, recent = dt.date(2021, 1, 4), dt.date(2026, 11, 2)
    _write(wh, old, 3)
    _write(wh, recent, 2)
    deleted = purge_plans_before(wh, dt.date(2021, 11, 23))
    assert deleted == {"plan_assignments": 3, "plan_capacity": 10, "plan_runs": 1}
    assert _rows(wh.path, "SELECT DISTINCT plan_date FROM plan_assignments") == [(recent,)]
    assert purge_plans_before(wh, dt.date(2021, 11, 23)) == {
        "plan_assignments": 0,
        "plan_capacity": 0,
        "plan_runs": 0,
    }


def test_reading_inputs_before_dbt_ran_says_what_to_do(wh):
    wh.ensure_schema()
    with pytest.raises(PlanInputsMissing, match="run the dbt models first"):
        read_plan_inputs(wh, DAY, 30)


# --- promises kept across plans (scheduling/stability.py) through the warehouse ----------------------
def _stable_write(wh, plan_date: dt.date, orders, capacity, run_id: str):
    from customer_master.scheduling.records import previous_plan, window_days_column
    from customer_master.scheduling.stability import plan_with_promises
    from customer_master.warehouse.plans import read_previous_plan

    settings = PlanSettings(plan_date=plan_date, horizon_days=10, country=None)
    windows = {"c1": None}
    rows = read_previous_plan(wh, plan_date)
    previous = None if rows is None else previous_plan(rows.plan_date, rows.assignments, rows.capacity)
    stable = plan_with_promises(orders, windows, capacity, settings, previous=previous)
    write_plan(
        wh,
        plan_date,
        assignments=assignment_columns(
            stable.plan, stable.churn, window_days_column(orders, windows, settings.default_window)
        ),
        capacity=capacity_columns(stable.plan),
        run=summarize(stable.plan).run_row(settings, 0.01),
        run_id=run_id,
        planned_at=AT,
    )
    return stable


def test_the_next_plan_reads_the_last_one_back_and_keeps_its_promise(wh):
    monday = dt.date(2026, 11, 23)
    capacity = [CapacityDay("L1", monday + dt.timedelta(days=i), 10.0) for i in range(12)]
    tuesday = monday + dt.timedelta(days=1)
    first = _stable_write(wh, monday, [Order("monday:1", "c1", "normal", 10.0, tuesday)], capacity, "run-1")
    assert first.churn.previous_plan_date is None
    assert read_previous_plan_date(wh, monday) is None

    # Tuesday's plan: a rush order for Tuesday arrived overnight; the promise of Tuesday holds.
    orders = [
        Order("monday:1", "c1", "normal", 10.0, tuesday),
        Order("monday:2", "c1", "rush", 10.0, tuesday),
    ]
    second = _stable_write(wh, tuesday, orders, capacity, "run-2")
    assert second.churn.previous_plan_date == monday
    rows = _rows(
        wh.path,
        "SELECT order_id, scheduled_date, change, change_reason, promise_kept, late_kind, window_days, "
        "newly_late FROM plan_assignments WHERE plan_date = DATE '2026-11-24' ORDER BY order_id",
    )
    assert rows == [
        ("monday:1", tuesday, "unchanged", "promise_kept", True, None, "Mon,Tue,Wed,Thu,Fri", False),
        (
            "monday:2",
            tuesday + dt.timedelta(days=1),
            "new",
            None,
            False,
            "pushed_by_capacity",
            "Mon,Tue,Wed,Thu,Fri",
            False,
        ),
    ]
    # A rerun of Tuesday reads Monday's plan again (not its own): the same rows.
    before = _rows(wh.path, "SELECT * EXCLUDE (_planned_at, _run_id) FROM plan_assignments ORDER BY ALL")
    _stable_write(wh, tuesday, orders, capacity, "run-3")
    assert (
        _rows(wh.path, "SELECT * EXCLUDE (_planned_at, _run_id) FROM plan_assignments ORDER BY ALL") == before
    )


def read_previous_plan_date(wh, plan_date):
    from customer_master.warehouse.plans import read_previous_plan

    rows = read_previous_plan(wh, plan_date)
    return None if rows is None else rows.plan_date


def test_a_plan_table_made_before_the_stability_columns_gets_them_and_old_rows_read_as_unknown(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # plan_assignments as plans before this change wrote it
        con.execute(
            "CREATE TABLE plan_assignments (plan_date DATE NOT NULL, order_id VARCHAR NOT NULL, "
            "customer_id VARCHAR, priority VARCHAR, requested_date DATE, status VARCHAR NOT NULL, "
            "scheduled_date DATE, window_start VARCHAR, window_end VARCHAR, resource VARCHAR, units DOUBLE, "
            "overtime_units DOUBLE, is_late BOOLEAN, days_late INTEGER, reason VARCHAR, _run_id VARCHAR, "
            "_planned_at TIMESTAMP)"
        )
        con.execute(
            "INSERT INTO plan_assignments VALUES (DATE '2026-11-22', 'monday:1', 'c1', 'normal', "
            "DATE '2026-11-23', 'scheduled', DATE '2026-11-23', '08:00:00', '17:00:00', 'L1', 4.0, 0.0, "
            "false, 0, NULL, 'old', TIMESTAMP '2026-11-22 02:00:00')"
        )
    wh = DuckDBWarehouse(path)
    _write(wh, DAY, 2)
    from customer_master.scheduling.records import previous_plan
    from customer_master.warehouse.plans import read_previous_plan

    columns = [r[0] for r in _rows(path, "DESCRIBE plan_assignments")]
    assert columns[-8:] == [
        "window_days", "late_kind", "change", "previous_date", "days_moved", "change_reason", "promise_kept",
        "newly_late",
    ]  # fmt: skip
    with duckdb.connect(str(path)) as con:  # plan_runs had no row for the old plan: give it one
        con.execute("INSERT INTO plan_runs (plan_date) VALUES (DATE '2026-11-22')")
    rows = read_previous_plan(wh, DAY)
    assert rows is not None and rows.plan_date == dt.date(2026, 11, 22)
    (old,) = previous_plan(rows.plan_date, rows.assignments, rows.capacity).assignments
    assert old.window_days is None and old.window_start == dt.time(8) and old.scheduled_date == DAY
