"""The decisions behind the monitoring checks and sensors: freshness, run duration, run summaries and
the ingestion/data-quality verdicts."""

from __future__ import annotations

import datetime as dt

import pytest

from customer_master.monitoring import verdicts
from customer_master.monitoring.durations import due_alerts, duration_level
from customer_master.monitoring.freshness import (
    FreshnessRule,
    evaluate,
    last_deadline,
    remembered,
    transitions,
)
from customer_master.monitoring.runs import (
    MAX_RUN_LABEL_CHARS,
    CheckOutcome,
    RunFacts,
    plan_summary,
    run_label,
    run_record_fields,
)
from customer_master.thresholds import AlertThresholds

T = AlertThresholds()
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def test_window_freshness_warns_then_fails_with_age():
    rule = FreshnessRule("window", fail_after=HOUR, warn_after=0.75 * HOUR)
    assert evaluate(rule, NOW - dt.timedelta(minutes=30), NOW) == "PASS"
    assert evaluate(rule, NOW - dt.timedelta(minutes=50), NOW) == "WARN"
    assert evaluate(rule, NOW - dt.timedelta(minutes=61), NOW) == "FAIL"
    assert evaluate(rule, None, NOW) == "UNKNOWN"
    with pytest.raises(ValueError, match="warn_after"):
        FreshnessRule("window", fail_after=HOUR, warn_after=HOUR)


def test_daily_freshness_wants_an_update_in_each_window_before_the_deadline():
    rule = FreshnessRule("daily", deadline=dt.time(4), window=2 * HOUR, timezone="Europe/Berlin")
    # 10:00 UTC = 11:00 Berlin: the last deadline was 04:00 Berlin = 03:00 UTC today.
    assert last_deadline(rule, NOW) == dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    assert evaluate(rule, dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC), NOW) == "PASS"  # 02:30 Berlin
    assert (
        evaluate(rule, dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), NOW) == "PASS"
    )  # a late rerun counts
    assert (
        evaluate(rule, dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC), NOW) == "FAIL"
    )  # before 02:00 Berlin
    early = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 03:00 Berlin: yesterday's deadline still rules
    assert evaluate(rule, dt.datetime(2026, 11, 22, 1, 30, tzinfo=dt.UTC), early) == "PASS"


def test_freshness_alerts_once_per_transition_and_once_on_recovery():
    assert transitions({}, {"a": "PASS", "b": "UNKNOWN"}) == []
    assert transitions({"a": "PASS"}, {"a": "WARN"}) == [("a", "PASS", "WARN")]
    assert transitions({"a": "WARN"}, {"a": "WARN"}) == []
    assert transitions({"a": "WARN"}, {"a": "FAIL"}) == [("a", "WARN", "FAIL")]
    assert transitions({"a": "FAIL"}, {"a": "PASS"}) == [("a", "FAIL", "PASS")]
    assert transitions({}, {"a": "FAIL"}) == [("a", None, "FAIL")]
    assert remembered({"a": "FAIL"}, {"a": "UNKNOWN", "b": "PASS"}) == {"a": "FAIL", "b": "PASS"}


def test_run_duration_levels_alert_once_each():
    assert duration_level(299, T) is None
    assert duration_level(301, T) == "warn"
    assert duration_level(601, T) == "critical"
    due, cursor = due_alerts({"r1": 320, "r2": 10}, {}, T)
    assert due == [("r1", "warn")] and cursor == {"r1": "warn"}
    due, cursor = due_alerts({"r1": 400}, cursor, T)
    assert due == [] and cursor == {"r1": "warn"}
    due, cursor = due_alerts({"r1": 700}, cursor, T)
    assert due == [("r1", "critical")]
    due, cursor = due_alerts({}, cursor, T)  # the run finished: forgotten
    assert due == [] and cursor == {}


def test_a_run_summary_counts_source_records_quarantine_failed_steps_and_checks():
    facts = RunFacts(
        run_id="abc",
        job="daily_pipeline_job",
        partition="2026-11-23",
        status="failure",
        started_at=NOW,
        ended_at=NOW + dt.timedelta(seconds=95),
        materializations={
            "monday/orders": {"dagster/row_count": 100, "quarantined": 3, "column_values": 1000},
            "monday/customers": {"dagster/row_count": 20, "quarantined": 1, "column_values": 200},
            "delivery_plan": {
                "dagster/row_count": 80,
                "scheduled": 70,
                "late": 5,
                "unschedulable": 10,
                "peak_utilization": 0.97,
            },
        },  # fmt: skip
        checks=[
            CheckOutcome("delivery_plan", "unscheduled_backlog", False, "critical", "120 orders"),
            CheckOutcome("customer_master", "customer_name_nulls", False, "warn", "60 nameless"),
            CheckOutcome("delivery_plan", "capacity_never_exceeded", True, "critical", "ok"),
        ],
        failed_steps=["schedule_models_dbt"],
    )
    row = run_record_fields(facts)
    assert (row["records_processed"], row["errors"], row["failed_checks"]) == (120, 4 + 1, 2)
    assert row["duration_seconds"] == 95 and row["run_date"] == dt.date(2026, 11, 23)
    assert row["issues"].splitlines() == [
        "step failed: schedule_models_dbt",
        "critical check delivery_plan/unscheduled_backlog: 120 orders",
        "warn check customer_master/customer_name_nulls: 60 nameless",
    ]
    assert facts.error_rate == pytest.approx(4 / 1200)
    assert plan_summary(facts) == {
        "orders_planned": 70,
        "late": 5,
        "unschedulable": 10,
        "peak_utilization": 0.97,
    }


def test_ingestion_and_quality_verdicts_use_the_thresholds():
    assert not verdicts.records_extracted("orders", 0).passed
    assert verdicts.records_extracted("orders", 1).passed
    ok, warn, crit = (verdicts.record_error_rate("orders", r, 1, T) for r in (0.02, 0.03, 0.051))
    assert ok.passed and (warn.passed, warn.severity, warn.threshold) == (False, "warn", 0.02)
    assert (crit.passed, crit.severity, crit.threshold) == (False, "error", 0.05)
    assert (
        verdicts.customer_sync_duration(900, T).passed and not verdicts.customer_sync_duration(901, T).passed
    )
    assert verdicts.customer_name_nulls(49, T).passed and not verdicts.customer_name_nulls(50, T).passed
    coverage = verdicts.field_coverage({"email": 0.85, "address": 0.95, "status": None}, T)
    assert (coverage.passed, coverage.value, coverage.threshold) == (False, 0.85, 0.9)
    assert verdicts.field_coverage({"email": 0.9}, T).passed


def test_a_check_evaluated_twice_in_a_run_counts_once_with_its_last_outcome():
    backlog = CheckOutcome("delivery_plan", "unscheduled_backlog", False, "critical", "130 orders")
    nulls = CheckOutcome("customer_master", "customer_name_nulls", False, "warn", "60 nameless")
    nulls_fixed = CheckOutcome("customer_master", "customer_name_nulls", True, "warn", "0 nameless")
    facts = RunFacts(
        run_id="r",
        job="daily_pipeline_job",
        partition="2026-11-23",
        status="success",
        started_at=NOW,
        ended_at=NOW,
        checks=[backlog, nulls, backlog, nulls_fixed],  # e.g. a retried step evaluates again
    )
    assert facts.failed_checks == [backlog]
    assert run_record_fields(facts)["failed_checks"] == 1
    # Different partitions of one check are different outcomes.
    per_day = [
        CheckOutcome("delivery_plan", "unscheduled_backlog", False, "critical", "x", partition=day)
        for day in ("2026-11-22", "2026-11-23")
    ]
    assert len(RunFacts("r", "j", None, "success", NOW, NOW, checks=per_day).failed_checks) == 2


def test_an_ad_hoc_asset_run_is_named_for_its_selection_not_dagsters_asset_job():
    assert run_label("daily_pipeline_job", ["monday/orders"]) == "daily_pipeline_job"
    assert run_label("__ASSET_JOB", ["monday/customers"]) == "materialize: monday/customers"
    selection = ["monday/orders", "monday/customers", "customer_master", "monday/capacity"]
    assert run_label("__ASSET_JOB", selection) == "materialize: customer_master, +3 more"
    assert run_label("__anonymous_asset_job_abc", ["a", "a"]) == "materialize: a"
    assert run_label("__ASSET_JOB", []) == "materialize: ad-hoc selection"
    long = run_label("__ASSET_JOB", ["x" * 300, "y"])
    assert len(long) == MAX_RUN_LABEL_CHARS and long.endswith("…, +1 more")


def test_oms_orders_count_as_source_records_and_the_conflicts_come_from_order_conflicts():
    facts = RunFacts(
        run_id="r",
        job="daily_pipeline_job",
        partition="2026-12-01",
        status="success",
        started_at=NOW,
        ended_at=NOW,
        materializations={
            "monday/orders": {"dagster/row_count": 100, "quarantined": 3, "column_values": 1000},
            "oms/orders": {"dagster/row_count": 50, "quarantined": 2, "column_values": 500},
            "oms/deletions": {"rows_loaded": 4},  # dlt's own resource: not a source of orders
            "order_conflicts": {"dagster/row_count": 7},
        },
    )
    assert (facts.records, facts.quarantined, facts.order_conflicts) == (150, 5, 7)
    assert facts.error_rate == pytest.approx(5 / 1500)
    assert RunFacts("r", "j", None, "success", NOW, NOW).order_conflicts is None
