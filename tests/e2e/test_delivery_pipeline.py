"""The nightly pipeline end to end through Dagster, day after day, with the business's scenarios.

Real parts only: the Monday sandbox over HTTP on 127.0.0.1, a DuckDB file, real dbt, real Dagster runs
of `daily_pipeline_job` (ingestion → dbt → the day's plan → the schedule models, checks included).

The story (module-scoped, each test asserts one scenario of it):
  day 1 (2026-11-02)  baseline plan; rerun of the same partition gives the same plan
  overnight           a customer signs up (own window) and orders rush, a customer changes delivery
                      days, a customer is deactivated, an order's quantity gets corrupted, two planned
                      orders are delivered (one on its planned day, one a day late), a line goes
                      into maintenance, a planned order is deleted and another archived, a customer
                      with open orders is deleted
  day 2 (2026-11-03)  the plan reflects every change; plan vs actual is measured
  day 1 again         a backfill of day 1 plans from what was known then (snapshots)
  day 3 (2026-11-04)  Monday fails during the nightly run: nothing downstream runs, day 2's plan stays;
                      retried, the orders board serves only a quarter of its items: the load is
                      refused (mass_deletion), nothing downstream runs, day 2's plan and marts stay

One stand-in: the warehouse's clock is set to the night of each run (`ClockedWarehouse`, from
tests/e2e/nightly.py). The wall clock cannot be set back to November 2026, and the warehouse dates a
state change (deleted, archived) by its load time, which the snapshots and the plan as of a day read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from customer_master.defs.dbt.assets import customer_master_dbt, schedule_models_dbt
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.dbt.resources import dbt_executable
from customer_master.defs.monday.assets import monday_board_assets
from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.monitoring.checks import CHECK_COVERAGE, CHECK_NAME_NULLS, customer_quality_checks
from customer_master.defs.pipeline import daily_pipeline_job
from customer_master.defs.scheduling.assets import delivery_plan
from customer_master.defs.scheduling.checks import (
    CHECK_BACKLOG,
    CHECK_CALCULATION_ERRORS,
    CHECK_CAPACITY,
    CHECK_CHURN,
    CHECK_EXPLAINED,
    CHECK_PUBLISHED,
    CHECK_VARIANCE,
    schedule_variance_check,
)
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, SANDBOX_TOKEN, SandboxServer, WorkspaceSpec
from customer_master.settings import get_settings
from customer_master.warehouse.validation import RULE_MASS_DELETION
from tests.e2e.nightly import ClockedWarehouse

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

DAY1, DAY2, DAY3 = dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 4)
THANKSGIVING = dt.date(2026, 11, 26)
CUSTOMERS, ORDERS, CAPACITY = BOARD_IDS["customers"], BOARD_IDS["orders"], BOARD_IDS["capacity"]
CC, OC, KC = COLUMN_IDS["customers"], COLUMN_IDS["orders"], COLUMN_IDS["capacity"]
DELIVERED_ON = "date_mkq2dv5x"  # the Orders board's "Delivered on" column
# Index of each label on the sandbox boards (customer_master/sandbox/boards.py).
STATUS_ACTIVE, STATUS_INACTIVE = 1, 2
ORDER_NEW, ORDER_DELIVERED = 0, 1
PRIORITY_RUSH = 2
WEEKDAY_IDS = {"Mon": 1, "Tue": 2, "Wed": 3, "Thu": 4, "Fri": 5, "Sat": 6, "Sun": 7}


@dataclass
class Story:
    path: object
    runs: dict[str, dg.ExecuteInProcessResult] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def plan(self, day: dt.date) -> dict[str, tuple]:
        rows = self.rows(
            "select order_id, customer_id, status, scheduled_date, resource, units, overtime_units, "
            "days_late, reason, window_start, window_end from plan_assignments where plan_date = ?",
            [day],
        )
        return {r[0]: r[1:] for r in rows}


def _night_of(day: dt.date, minutes: int = 0) -> dt.datetime:
    """02:00 UTC on `day` (+ minutes): when the nightly run of that partition happens."""
    return dt.datetime.combine(day, dt.time(2)) + dt.timedelta(minutes=minutes)


def _run(
    server: SandboxServer, path, day: dt.date, instance: dg.DagsterInstance, at: dt.datetime
) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(
        assets=[*monday_board_assets, customer_master_dbt, delivery_plan, schedule_models_dbt],
        asset_checks=[schedule_variance_check, customer_quality_checks],
        jobs=[daily_pipeline_job],
        resources={
            "monday": MondayResource(
                api_url=server.url, api_token=SANDBOX_TOKEN, max_attempts=3, timeout_seconds=5
            ),
            "warehouse": ClockedWarehouse(duckdb_path=str(path), clock_at=at.isoformat()),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
    )
    job = defs.get_job_def("daily_pipeline_job")
    # Full pulls: the story's sandbox clock stands in November while the sync runs at today's real
    # date, so an incremental pull (by __last_updated__ since the last real sync) would see nothing.
    full = {a.key.to_python_identifier(): {"config": {"mode": "full"}} for a in monday_board_assets}
    return job.execute_in_process(
        partition_key=day.isoformat(), instance=instance, run_config={"ops": full}, raise_on_error=False
    )


def _json(value) -> str:
    return json.dumps(value)


def _active_customer_with_open_orders(story: Story, exclude: set[str]) -> str:
    rows = story.rows(
        "select customer_id, count(*) from plan_assignments where plan_date = ? and status = 'scheduled' "
        "group by 1 having count(*) >= 2 order by 2 desc, 1",
        [DAY1],
    )
    return next(str(c) for c, _ in rows if str(c) not in exclude)


def _overnight_changes(server: SandboxServer, story: Story) -> None:
    ctl = server.control
    ctl.set_clock("2026-11-03T01:00:00Z")  # the changes happen after day 1 ended, before day 2's run
    # A new customer delivering Tue/Thu 06:00-10:00 with a rush order for Wednesday 11-04.
    new_customer = ctl.create_item(
        CUSTOMERS,
        "Newco Foods",
        {
            CC["status"]: _json({"index": STATUS_ACTIVE}),
            CC["delivery_days"]: _json({"ids": [WEEKDAY_IDS["Tue"], WEEKDAY_IDS["Thu"]]}),
            CC["delivery_window"]: _json("06:00-10:00"),
        },
    )
    rush = ctl.create_item(
        ORDERS,
        "SO-900001",
        {
            OC["order_number"]: _json("SO-900001"),
            OC["customer"]: _json({"item_ids": [int(new_customer)]}),
            OC["status"]: _json({"index": ORDER_NEW}),
            OC["priority"]: _json({"index": PRIORITY_RUSH}),
            OC["quantity"]: _json("5"),
            OC["requested_date"]: _json({"date": "2026-11-04"}),
        },
    )
    # An existing customer now takes deliveries on Fridays only; another one is deactivated.
    friday_only = _active_customer_with_open_orders(story, exclude=set())
    ctl.update_item(
        CUSTOMERS, friday_only, column_values={CC["delivery_days"]: _json({"ids": [WEEKDAY_IDS["Fri"]]})}
    )
    deactivated = _active_customer_with_open_orders(story, exclude={friday_only})
    ctl.update_item(CUSTOMERS, deactivated, column_values={CC["status"]: _json({"index": STATUS_INACTIVE})})
    # One open order's quantity is corrupted.
    scheduled = story.rows(
        "select order_id, scheduled_date from plan_assignments where plan_date = ? and status = 'scheduled' "
        "and customer_id not in (?, ?) order by scheduled_date, order_id",
        [DAY1, friday_only, deactivated],
    )
    corrupted = scheduled[-1][0].split(":")[1]
    ctl.update_item(ORDERS, corrupted, column_values={OC["quantity"]: _json("-40")})
    # Two orders planned for day 1 itself are delivered: one that day, one a day late (so day 2's plan,
    # made after both deliveries, no longer holds them and day 1's plan is the one they are judged by).
    on_plan, late = [row for row in scheduled if row[1] == DAY1][:2]
    for order_id, delivered in ((on_plan[0], on_plan[1]), (late[0], late[1] + dt.timedelta(days=1))):
        ctl.update_item(
            ORDERS,
            order_id.split(":")[1],
            column_values={
                OC["status"]: _json({"index": ORDER_DELIVERED}),
                DELIVERED_ON: _json({"date": delivered.isoformat()}),
            },
        )
    # Line 1 goes into maintenance on Thursday 11-05.
    line1_slot = story.rows(
        "select item_id from stg_monday__capacity where resource = 'Line 1' and capacity_date = ?",
        [dt.date(2026, 11, 5)],
    )[0][0]
    ctl.update_item(CAPACITY, line1_slot, column_values={KC["maintenance"]: _json({"checked": "true"})})
    # A customer with open orders is deleted; of the other planned orders, one is deleted and one
    # archived (none of the orders or customers above, so each scenario stays on its own).
    used_orders = {corrupted, on_plan[0].split(":")[1], late[0].split(":")[1]}
    owners = {
        str(c)
        for (c,) in story.rows(
            "select customer_id from order_master where source_id in (?, ?, ?)", sorted(used_orders)
        )
    }
    deleted_customer = _active_customer_with_open_orders(story, exclude={friday_only, deactivated} | owners)
    ctl.delete_item(CUSTOMERS, deleted_customer)
    deleted_order, archived_order = [
        order_id
        for order_id, _day in scheduled
        if order_id.split(":")[1] not in used_orders
        and story.facts["day1_plan"][order_id][0] != deleted_customer
    ][:2]
    ctl.delete_item(ORDERS, deleted_order.split(":")[1])
    ctl.archive_item(ORDERS, archived_order.split(":")[1])
    story.facts.update(
        deleted_customer=deleted_customer,
        deleted_order=deleted_order,
        archived_order=archived_order,
        new_customer=new_customer,
        rush=f"monday:{rush}",
        friday_only=friday_only,
        deactivated=deactivated,
        corrupted=f"monday:{corrupted}",
        delivered_on_plan=on_plan[0],
        delivered_late=late[0],
    )


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    path = tmp_path_factory.mktemp("pipeline") / "warehouse.duckdb"
    s = Story(path)
    instance = dg.DagsterInstance.ephemeral()
    with SandboxServer(WorkspaceSpec(orders=600, seed=11)) as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv("CM_DUCKDB_PATH", str(path))  # dbt's profile reads the same variable
        s.runs["day1"] = _run(server, path, DAY1, instance, _night_of(DAY1))
        s.facts["day1_plan"] = s.plan(DAY1)
        s.facts["day1_open_orders"] = s.rows("select count(*) from order_master where is_open")[0][0]
        s.facts["day1_schedules"] = s.rows(
            "select count(*), min(plan_date), max(plan_date) from delivery_schedules"
        )
        s.runs["day1_rerun"] = _run(server, path, DAY1, instance, _night_of(DAY1, 30))
        s.facts["day1_rerun_plan"] = s.plan(DAY1)
        _overnight_changes(server, s)
        s.runs["day2"] = _run(server, path, DAY2, instance, _night_of(DAY2))
        s.runs["day1_backfill"] = _run(server, path, DAY1, instance, _night_of(DAY2, 30))
        s.facts["day1_backfill_plan"] = s.plan(DAY1)
        s.facts["day2_plan_before_failure"] = s.plan(DAY2)
        s.facts["schedules_before_failure"] = s.rows("select * from delivery_schedules order by order_id")
        server.control.set_faults(server_error_next=1000, server_error_status=500)
        s.runs["day3_monday_down"] = _run(server, path, DAY3, instance, _night_of(DAY3))
        server.control.clear_faults()
        s.facts["order_master_before_vanishing"] = s.rows("select * from order_master order by order_id")
        s.facts["raw_orders_before_vanishing"] = s.rows(
            "select * from raw_monday_items where board_id = ? order by item_id", [ORDERS]
        )
        server.control.set_faults(hidden_fraction=0.75, hidden_board=ORDERS)
        s.runs["day3_orders_vanish"] = _run(server, path, DAY3, instance, _night_of(DAY3, 30))
        server.control.clear_faults()
    return s


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_the_nightly_job_plans_the_day_and_builds_the_schedule_models(story):
    result = story.runs["day1"]
    assert result.success
    materialized = {
        e.materialization.asset_key.to_user_string() for e in result.get_asset_materialization_events()
    }
    assert {"monday/orders", "order_master", "delivery_plan", "delivery_schedules", "capacity_planning",
            "schedule_history", "delivery_performance"} <= materialized  # fmt: skip
    checks = _checks(result)
    assert checks[CHECK_CAPACITY].passed and checks[CHECK_EXPLAINED].passed
    assert {CHECK_CALCULATION_ERRORS, CHECK_BACKLOG, CHECK_VARIANCE} <= set(checks)
    # Data quality on the customer mart, measured value next to the threshold.
    nulls, coverage = checks[CHECK_NAME_NULLS], checks[CHECK_COVERAGE]
    assert nulls.passed and nulls.metadata["threshold"].value == 50
    assert 0 <= nulls.metadata["value"].value < 50
    assert coverage.metadata["threshold"].value == 90 and 0 < coverage.metadata["value"].value <= 100
    assert set(coverage.metadata["details"].value) == {"company", "address", "status", "email"}
    # And every board against the extraction thresholds.
    assert checks["records_extracted"].passed and "record_error_rate" in checks
    plan = story.facts["day1_plan"]
    assert len(plan) == story.facts["day1_open_orders"] > 100
    assert story.facts["day1_schedules"] == [(len(plan), DAY1, DAY1)]


def _plan_metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("delivery_plan")
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_each_plan_publishes_its_delivery_sheet_with_a_preview_on_the_assets_page(story):
    md = _plan_metadata(story.runs["day1"])
    html, csv = Path(md["sheet_html"]), Path(md["sheet_csv"])
    # Under CM_REPORTS_DIR (tests/conftest.py points it at a temporary directory), named by plan date.
    assert html.parent == get_settings().reports_dir and html.name == f"delivery-sheet-{DAY1}.html"
    # Reruns and the backfill of the day replaced the two files (no copies, no temporary files left);
    # they hold the last plan of the day, every order of it.
    assert _plan_metadata(story.runs["day1_backfill"])["sheet_html"] == str(html)
    assert sorted(p.name for p in html.parent.iterdir() if str(DAY1) in p.name) == [csv.name, html.name]
    assert len(csv.read_text().splitlines()) - 1 == len(story.facts["day1_backfill_plan"])
    # The preview: the first two delivery days of the plan, then where the full sheet is.
    preview = md["delivery_sheet"]
    first_two = sorted({d for _c, _s, d, *_ in story.facts["day1_plan"].values() if d is not None})[:2]
    assert all(f"{day:%a} {day.isoformat()}" in preview for day in first_two), preview[:400]
    assert f"full sheet: `{html}`" in preview
    # Numbers for Dagster's metadata plots, rates in percent; the operations message's facts.
    assert md["late"] == md["late_past_due"] + md["late_pushed_by_capacity"]
    assert 0 <= md["on_time_rate_pct"] <= 100 and md["peak_utilization_pct"] > 1
    assert md["next_delivery_day"]["date"] == first_two[0].isoformat()
    assert _checks(story.runs["day1"])[CHECK_PUBLISHED].passed


def test_rerunning_a_partition_gives_the_same_plan(story):
    assert story.runs["day1_rerun"].success
    assert story.facts["day1_rerun_plan"] == story.facts["day1_plan"]
    assert story.rows("select count(*) from schedule_history where plan_date = ?", [DAY1])[0][0] == len(
        story.facts["day1_plan"]
    )


def test_a_new_customer_with_its_own_window_gets_its_rush_order_on_one_of_its_days(story):
    assert story.runs["day2"].success
    (customer, status, day, _res, _units, _ot, days_late, reason, start, end) = story.plan(DAY2)[
        story.facts["rush"]
    ]
    assert (customer, status, reason) == (story.facts["new_customer"], "scheduled", None)
    assert day.isoweekday() in (2, 4) and (start, end) == ("06:00:00", "10:00:00")
    assert day == dt.date(2026, 11, 5) and days_late == 1  # Wed requested, Thu is its first delivery day


def test_the_second_plan_keeps_yesterdays_promises_and_says_what_moved_and_why(story):
    md = _plan_metadata(story.runs["day2"])
    assert md["previous_plan_date"] == str(DAY1) and md["frozen_days"] == "2026-11-03, 2026-11-04"
    rows = story.rows(
        "select order_id, customer_id, change, change_reason, promise_kept, previous_date, scheduled_date, "
        "days_moved, late_kind, is_late from schedule_history where plan_date = ?",
        [DAY2],
    )
    kept = [r for r in rows if r[4]]
    assert kept and md["promises_kept"] == len(kept)
    assert all(r[5] == r[6] and r[5] in (DAY2, DAY3) and r[3] == "promise_kept" for r in kept)
    # The Friday-only customer's window changed overnight: its orders moved, and say so.
    moved = [
        r for r in rows if r[1] == story.facts["friday_only"] and r[2] in ("moved_earlier", "moved_later")
    ]
    assert moved and all(r[3] == "window_changed" and r[7] == (r[6] - r[5]).days for r in moved)
    assert {r[0] for r in rows if r[2] == "new"} >= {story.facts["rush"]}
    assert all((r[8] is not None) == bool(r[9]) for r in rows)  # every late order says which lateness
    churn = _checks(story.runs["day2"])[CHECK_CHURN]
    assert churn.metadata["unit"].value == "percent"
    assert churn.metadata["details"].value["promised"] == md["promised"] > 0
    assert churn.metadata["value"].value == pytest.approx(md["moved_by_planner_pct"], abs=0.05)
    # The first plan had nothing to compare with.
    assert _plan_metadata(story.runs["day1"])["previous_plan_date"] == "-"
    assert _checks(story.runs["day1"])[CHECK_CHURN].passed


def test_an_updated_customer_is_planned_on_its_new_delivery_days(story):
    plan = story.plan(DAY2)
    theirs = [row for row in plan.values() if row[0] == story.facts["friday_only"] and row[1] == "scheduled"]
    assert theirs and all(row[2].isoweekday() == 5 for row in theirs)
    before = [row for row in story.facts["day1_plan"].values() if row[0] == story.facts["friday_only"]]
    assert any(row[2] is not None and row[2].isoweekday() != 5 for row in before)


def test_a_deactivated_customers_orders_are_not_planned_and_say_why(story):
    plan = story.plan(DAY2)
    theirs = [row for row in plan.values() if row[0] == story.facts["deactivated"]]
    assert theirs and all(row[1] == "unschedulable" and row[7] == "customer_inactive" for row in theirs)


def test_a_corrupted_order_is_explained_not_dropped(story):
    row = story.plan(DAY2)[story.facts["corrupted"]]
    assert (row[1], row[7]) == ("unschedulable", "invalid_quantity")
    reason = story.rows(
        "select reason from delivery_schedules where order_id = ?", [story.facts["corrupted"]]
    )
    assert reason == [("invalid_quantity",)]


def test_maintenance_and_holidays_get_no_deliveries(story):
    plan = story.plan(DAY2)
    on_maintenance = [r for r in plan.values() if r[3] == "Line 1" and r[2] == dt.date(2026, 11, 5)]
    assert on_maintenance == []
    assert not [r for r in plan.values() if r[2] == THANKSGIVING]
    flags = story.rows(
        "select resource, day, is_maintenance, is_holiday, capacity_units from capacity_planning "
        "where (resource = 'Line 1' and day = ?) or day = ? order by resource",
        [dt.date(2026, 11, 5), THANKSGIVING],
    )
    assert ("Line 1", dt.date(2026, 11, 5), True, False, 0.0) in flags
    assert all(r[3] and r[4] == 0 for r in flags if r[1] == THANKSGIVING)


def test_capacity_is_never_exceeded_in_any_plan(story):
    over = story.rows(
        "select plan_date, resource, day from capacity_planning "
        "where scheduled_units > capacity_units + 1e-9 "
        "or scheduled_overtime_units > overtime_capacity_units + 1e-9"
    )
    assert over == []
    for run in ("day1", "day2", "day1_backfill"):
        assert _checks(story.runs[run])[CHECK_CAPACITY].passed


def test_plan_versus_actual_counts_the_delivery_off_its_planned_day(story):
    overall = story.rows(
        "select delivered_orders, matching_plan_orders, variance_orders, schedule_variance_rate "
        "from delivery_performance where scope = 'overall'"
    )
    assert overall == [(2, 1, 1, 0.5)]
    variance = _checks(story.runs["day2"])[CHECK_VARIANCE]
    assert not variance.passed and variance.severity == dg.AssetCheckSeverity.WARN
    assert variance.metadata["value"].value == 50 and variance.metadata["threshold"].value == 2


def test_a_backfill_plans_a_past_day_from_what_was_known_that_day(story):
    assert story.runs["day1_backfill"].success
    backfill, original = story.facts["day1_backfill_plan"], story.facts["day1_plan"]
    assert set(backfill) == set(original)  # same open orders: the day-2 changes came later
    deactivated = [oid for oid, row in backfill.items() if row[0] == story.facts["deactivated"]]
    assert deactivated and all(backfill[oid][1] == "scheduled" for oid in deactivated)
    assert story.facts["rush"] not in backfill
    history = story.rows("select plan_date, count(*) from schedule_history group by 1 order by 1")
    assert [d for d, _ in history] == [DAY1, DAY2]
    assert history[0][1] == len(backfill)
    assert (
        story.rows(
            "select count(*) from (select plan_date, order_id from schedule_history "
            "group by 1, 2 having count(*) > 1)"
        )[0][0]
        == 0
    )


def test_monday_failing_during_the_nightly_run_stops_the_plan_and_keeps_yesterdays(story):
    result = story.runs["day3_monday_down"]
    assert not result.success
    materialized = {
        e.materialization.asset_key.to_user_string() for e in result.get_asset_materialization_events()
    }
    assert "delivery_plan" not in materialized and "delivery_schedules" not in materialized
    assert story.plan(DAY3) == {}
    assert story.plan(DAY2) == story.facts["day2_plan_before_failure"]
    assert (
        story.rows("select * from delivery_schedules order by order_id")
        == story.facts["schedules_before_failure"]
    )


def test_deleted_and_archived_orders_leave_the_plan_and_close_their_snapshot_version(story):
    gone = sorted([story.facts["deleted_order"], story.facts["archived_order"]])
    assert set(gone) <= set(story.facts["day1_plan"])  # both were planned on day 1
    assert not set(gone) & set(story.plan(DAY2))
    assert story.rows("select order_id from delivery_schedules where order_id in (?, ?)", gone) == []
    master = story.rows(
        "select order_id, is_active, is_open from order_master where order_id in (?, ?) order by 1", gone
    )
    assert master == [(order_id, False, False) for order_id in gone]
    noticed = _night_of(DAY2)  # the day-2 sync that saw them go
    versions = story.rows(
        "select order_id, is_open, dbt_valid_from, dbt_valid_to from snap_order_master "
        "where order_id in (?, ?) order by order_id, dbt_valid_from",
        gone,
    )
    assert [(order_id, is_open, valid_to) for order_id, is_open, _from, valid_to in versions] == [
        (gone[0], True, noticed),
        (gone[0], False, None),
        (gone[1], True, noticed),
        (gone[1], False, None),
    ]
    assert all(valid_from == noticed for _id, is_open, valid_from, _to in versions if not is_open)
    # Day 1 replanned later still sees them as they were that day.
    assert set(gone) <= set(story.facts["day1_backfill_plan"])


def test_a_deleted_customers_orders_are_not_planned_and_say_why(story):
    customer = story.facts["deleted_customer"]
    assert story.rows(
        "select item_state, is_active from customer_master where customer_id = ?", [customer]
    ) == [("deleted", False)]
    theirs = [row for row in story.plan(DAY2).values() if row[0] == customer]
    assert len(theirs) >= 2
    assert all(row[1] == "unschedulable" and row[7] == "customer_inactive" for row in theirs)
    before = [row for row in story.facts["day1_backfill_plan"].values() if row[0] == customer]
    assert before and all(row[1] == "scheduled" for row in before)


def test_a_board_serving_a_quarter_of_its_items_is_refused_and_changes_nothing(story):
    result = story.runs["day3_orders_vanish"]
    assert not result.success
    failures = {e.step_key: e for e in result.get_step_failure_events()}
    orders_step = next(a.op.name for a in monday_board_assets if a.key == dg.AssetKey(["monday", "orders"]))
    assert set(failures) == {orders_step}
    error = failures[orders_step].event_specific_data.error
    message = (error.cause or error).message
    assert "LoadValidationError: " in message and RULE_MASS_DELETION in message
    assert f"board {ORDERS} (full load)" in message and "force: true" in message
    materialized = {
        e.materialization.asset_key.to_user_string() for e in result.get_asset_materialization_events()
    }
    assert "monday/customers" in materialized  # the other boards landed
    assert not materialized & {"monday/orders", "order_master", "delivery_plan", "delivery_schedules"}
    assert (
        story.rows("select * from raw_monday_items where board_id = ? order by item_id", [ORDERS])
        == story.facts["raw_orders_before_vanishing"]
    )
    assert (
        story.rows("select * from order_master order by order_id")
        == story.facts["order_master_before_vanishing"]
    )
    assert story.plan(DAY3) == {}
    assert story.plan(DAY2) == story.facts["day2_plan_before_failure"]
    assert (
        story.rows("select * from delivery_schedules order by order_id")
        == story.facts["schedules_before_failure"]
    )
