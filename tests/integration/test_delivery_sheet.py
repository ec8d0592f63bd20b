"""The delivery sheet read from a real DuckDB warehouse: a plan written by `write_plan` (made by the real
engine), order numbers and customer names from `order_master` / `customer_master` tables with the marts'
columns, an earlier plan and deliveries for the weekly history; files replaced on a rerun; every
statement parses as T-SQL."""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from customer_master.reports import (
    PlanNotWritten,
    SheetStatements,
    markdown_preview,
    next_delivery_day,
    read_delivery_sheet,
    write_delivery_sheet,
)
from customer_master.scheduling import CapacityDay, Order, PlanSettings, plan_deliveries
from customer_master.scheduling.records import assignment_columns, capacity_columns, summarize
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.plans import write_plan
from customer_master.warehouse.sqlserver import statements as tsql_statements

D = dt.date(2026, 12, 3)  # a Thursday
DAY = dt.timedelta(days=1)
AT = dt.datetime(2026, 12, 3, 2, 0)
EARLIER = dt.date(2026, 11, 25)  # a Wednesday two ISO weeks before: W48
NUMBERS = {o: f"SO-{o}" for o in "ABCEFGH"}
NAMES = {"c1": "Smith & <Sons>", "c2": "Acme", "c3": "Gone Ltd"}
# The orders' quantities as order_master holds them (F's is the bad one that makes it unschedulable).
QUANTITIES = {"A": 4.0, "B": 8.0, "C": 2.0, "E": 5.0, "F": -1.0, "G": 1.0, "H": 1.0}


def known_plan(plan_date: dt.date):
    """One line of 10 units a day (the unit test's plan): A (rush, past due) on the plan date, B pushed a
    day by capacity, C and E on time, F/G/H unschedulable (bad quantity, unknown, inactive customer)."""
    orders = [
        Order("A", "c1", "rush", 4.0, plan_date - 3 * DAY),
        Order("B", "c2", "normal", 8.0, plan_date),
        Order("C", "c1", "low", 2.0, plan_date + DAY),
        Order("E", "c2", "normal", 5.0, plan_date + 4 * DAY),
        Order("F", "c1", "normal", -1.0, plan_date),
        Order("G", "ghost", "high", 1.0, plan_date),
        Order("H", "c3", "normal", 1.0, plan_date),
    ]
    capacity = [CapacityDay("L1", plan_date + i * DAY, 10.0) for i in range(14)]
    settings = PlanSettings(plan_date=plan_date, horizon_days=14, country=None)
    return plan_deliveries(
        orders, {"c1": None, "c2": None, "c3": None}, capacity, settings, frozenset({"c3"})
    )


def _write(wh, plan_date: dt.date, run_id: str = "run-1") -> None:
    plan = known_plan(plan_date)
    write_plan(
        wh,
        plan_date,
        assignments=assignment_columns(plan),
        capacity=capacity_columns(plan),
        run=summarize(plan).run_row(plan.settings, 0.01),
        run_id=run_id,
        planned_at=AT,
    )


def _build_marts(path) -> None:
    """The columns the sheet reads of dbt's order_master and customer_master (dbt itself is not needed)."""
    delivered = [  # W48: two on time, one late
        ("X1", "SO-X1", "c1", dt.date(2026, 11, 24), dt.date(2026, 11, 24), "delivered"),
        ("X2", "SO-X2", "c2", dt.date(2026, 11, 26), dt.date(2026, 11, 25), "delivered"),
        ("X3", "SO-X3", "c2", dt.date(2026, 11, 24), dt.date(2026, 11, 27), "delivered"),
        ("X4", "SO-X4", "c2", dt.date(2026, 11, 30), dt.date(2026, 12, 3), "delivered"),  # this week: out
    ]
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE main.order_master (order_id VARCHAR, order_number VARCHAR, customer_id VARCHAR, "
            "requested_date DATE, delivered_date DATE, status VARCHAR, quantity DOUBLE)"
        )
        con.executemany("INSERT INTO main.order_master VALUES (?, ?, ?, ?, ?, ?, 1)", delivered)
        con.executemany(
            "INSERT INTO main.order_master VALUES (?, ?, NULL, NULL, NULL, 'open', ?)",
            [(o, number, QUANTITIES[o]) for o, number in NUMBERS.items()],
        )
        con.execute("CREATE TABLE main.customer_master (customer_id VARCHAR, company VARCHAR)")
        con.executemany("INSERT INTO main.customer_master VALUES (?, ?)", list(NAMES.items()))


@pytest.fixture
def wh(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb")
    _write(warehouse, EARLIER)
    _write(warehouse, D)
    _build_marts(warehouse.path)
    return warehouse


def test_the_sheet_reads_the_written_plan_with_names_and_history(wh):
    sheet = read_delivery_sheet(wh, D)
    assert sheet.planned_at == AT
    assert {o.order_id: o.order_number for o in sheet.orders} == NUMBERS
    assert {o.customer_name for o in sheet.orders if o.customer_id in NAMES} == set(NAMES.values())
    m = sheet.metrics
    assert (m["orders_planned"], m["scheduled"], m["late"], m["unschedulable"]) == (7, 4, 2, 3)
    assert (m["late_past_due"], m["late_pushed_by_capacity"]) == (1, 1)
    assert m["actual_on_time_rate"] == pytest.approx(2 / 3)  # the current week's delivery is not counted
    week = next(w for w in sheet.history if w.week_start == dt.date(2026, 11, 23))
    # That Wednesday's plan: A past due, B pushed, E requested for a Sunday goes Monday; only C on time.
    assert (week.planned_orders, week.planned_on_time, week.delivered_orders) == (4, 1, 3)
    assert len(sheet.capacity) == 14 and sheet.capacity[0].day == D
    day = next_delivery_day(sheet)
    assert day is not None and (day.date, day.orders, day.late) == (D, 1, 1)
    assert "SO-A" in markdown_preview(sheet)


def test_the_files_hold_the_plan_and_a_rerun_replaces_them(wh, tmp_path):
    out = tmp_path / "sheets"
    files = write_delivery_sheet(read_delivery_sheet(wh, D), out)
    assert (files.html.name, files.csv.name) == (
        "delivery-sheet-2026-12-03.html",
        "delivery-sheet-2026-12-03.csv",
    )
    page = files.html.read_text()
    assert "Smith &amp; &lt;Sons&gt;" in page and "SO-B" in page
    # Readable by the people and servers that open the reports, not only by the pipeline's user.
    assert {oct(p.stat().st_mode & 0o777) for p in (files.html, files.csv)} == {oct(0o644)}
    with files.csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    with duckdb.connect(str(wh.path), read_only=True) as con:
        planned = con.execute("SELECT COUNT(*) FROM plan_assignments WHERE plan_date = ?", [D]).fetchone()
    assert planned is not None and len(rows) == planned[0] == 7
    assert {r["late_reason"] for r in rows} == {"past_due", "pushed_by_capacity", ""}
    # An unschedulable order shows its quantity as entered (its units in the plan are 0): F's is wrong.
    f_row = next(r for r in rows if r["order_id"] == "F")
    assert (f_row["units"], f_row["quantity"], f_row["reason"]) == ("0", "-1", "invalid_quantity")
    assert (
        "<td>SO-F</td><td>Smith &amp; &lt;Sons&gt;</td><td>normal</td><td>2026-12-03</td><td>-1</td>" in page
    )

    with duckdb.connect(str(wh.path)) as con:  # the business renames a customer; the plan is rerun
        con.execute("UPDATE main.customer_master SET company = 'Smith Brothers' WHERE customer_id = 'c1'")
    _write(wh, D, run_id="run-2")
    again = write_delivery_sheet(read_delivery_sheet(wh, D), out)
    assert again == files
    assert "Smith Brothers" in files.html.read_text() and "Sons" not in files.html.read_text()
    assert sorted(p.name for p in out.iterdir()) == [files.csv.name, files.html.name]  # no temp files left


def test_without_the_marts_the_sheet_falls_back_to_ids(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "wh.duckdb")
    _write(wh, D)
    sheet = read_delivery_sheet(wh, D)
    assert {o.order_number for o in sheet.orders} == set(NUMBERS)  # the order ids
    assert {o.customer_name for o in sheet.orders if o.order_id == "A"} == {"c1"}
    assert "actual_on_time_rate" not in sheet.metrics


def test_a_plan_date_without_a_plan_says_so(wh):
    with pytest.raises(PlanNotWritten, match="no delivery plan was written for 2026-12-04"):
        read_delivery_sheet(wh, D + dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("name", "sql"),
    [
        pytest.param(name, sql, id=f"{set_name}:{name}")
        for set_name, st in {
            "default": tsql_statements(),
            "dbo+ops": tsql_statements(schema="dbo", ops_schema="ops", staging_schema="stg"),
        }.items()
        for name, sql in SheetStatements(st).catalog().items()
    ],
)
def test_every_sheet_statement_parses_as_tsql(name, sql):
    trees = sqlglot.parse(sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
    assert len(trees) == 1 and trees[0] is not None, name
    assert not list(trees[0].find_all(exp.Command)), trees[0].sql("tsql")
    assert not any(word in sql.upper() for word in (" LIMIT ", "::", "||", "DATE_TRUNC", "INTERVAL")), sql
