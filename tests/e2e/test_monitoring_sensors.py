"""The monitoring sensors against real Dagster runs, a real DuckDB run log and a fake Slack webhook on
127.0.0.1: what each sensor posts, that it posts once, and what it records.

The runs are of small stand-in assets named like the pipeline's (so the real event log carries the
same materialization metadata, check evaluations and step failures); the Monday/dbt/plan steps
themselves are covered by test_delivery_pipeline.py.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import dagster as dg
import duckdb
import pytest

from customer_master.alerts.messages import fmt_pct
from customer_master.defs.monitoring import freshness as freshness_defs
from customer_master.defs.monitoring.sensors import (
    check_failure_alert_sensor,
    freshness_alert_sensor,
    run_duration_sensor,
    run_failure_alert_sensor,
    run_report_sensor,
)
from customer_master.defs.pipeline import NIGHTLY_SCHEDULE_NAME
from customer_master.defs.resources import WarehouseResource
from customer_master.monitoring.freshness import FreshnessRule
from customer_master.thresholds import get_thresholds

UI = "http://dagster.example.test"
NIGHTLY_TAGS = {"dagster/schedule_name": NIGHTLY_SCHEDULE_NAME, "dagster/partition": "2026-11-23"}


@dg.asset(key=["monday", "orders"])
def orders_standin() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 120, "quarantined": 6, "column_values": 1200})


@dg.asset(
    key="delivery_plan",
    deps=[orders_standin],
    check_specs=[dg.AssetCheckSpec("unscheduled_backlog", asset="delivery_plan")],
)
def plan_standin() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"scheduled": 90, "late": 7, "unschedulable": 130, "peak_utilization": 0.98},
        check_results=[
            dg.AssetCheckResult(
                check_name="unscheduled_backlog",
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "value": 130.0,
                    "threshold": 100.0,
                    "summary": "130 orders unscheduled (critical above 100)",
                },
            )
        ],
    )


@dg.asset(key="schedule_models", deps=[plan_standin])
def broken_models() -> None:
    raise RuntimeError("dbt build failed: capacity_never_exceeded")


@dg.asset(key="slow")
def slow_asset() -> None:
    time.sleep(3)


def _job(name: str, selection) -> dg.JobDefinition:
    return dg.Definitions(
        assets=[orders_standin, plan_standin, broken_models, slow_asset],
        jobs=[dg.define_asset_job(name, selection=selection)],
    ).get_job_def(name)


@pytest.fixture
def env(slack_receiver, tmp_path, monkeypatch):
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", slack_receiver.url)
    monkeypatch.setenv("CM_DAGSTER_UI_URL", UI)
    warehouse = WarehouseResource(duckdb_path=str(tmp_path / "wh.duckdb"))
    return dg.DagsterInstance.ephemeral(), warehouse, slack_receiver


def _texts(receiver) -> list[str]:
    return [p["text"] + "\n" + repr(p.get("blocks")) for p in receiver.payloads]


def _run_log(warehouse: WarehouseResource) -> list[tuple]:
    with duckdb.connect(warehouse.duckdb_path, read_only=True) as con:
        return con.execute(
            "select run_id, job_name, partition_key, status, records_processed, errors, failed_checks, "
            "issues from ops_pipeline_runs order by started_at"
        ).fetchall()


def test_a_failed_nightly_run_is_alerted_recorded_and_digested(env):
    instance, warehouse, receiver = env
    job = _job("daily_pipeline_job", ["monday/orders", "delivery_plan", "schedule_models"])
    result = job.execute_in_process(instance=instance, tags=NIGHTLY_TAGS, raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = result.get_run_failure_event()
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure,
    ).for_run_failure()

    run_failure_alert_sensor(context, warehouse=warehouse)

    alert, digest = receiver.payloads
    assert "daily_pipeline_job" in alert["text"] and "schedule_models" in repr(alert["blocks"])
    # The step's own error, not only Dagster's "Steps failed: [...]": it says what to fix.
    assert "dbt build failed: capacity_never_exceeded" in repr(alert["blocks"])
    assert f"{UI}/runs/{result.run_id}" in repr(alert["blocks"])
    assert "2026-11-23" in repr(alert["blocks"])
    digest_text = repr(digest["blocks"])
    assert "130" in digest_text and "unscheduled_backlog" in digest_text  # plan summary and failed checks
    assert fmt_pct(6 / 1200) in digest_text  # the error rate: quarantined / column values
    ((run_id, job_name, partition, status, records, errors, failed_checks, issues),) = _run_log(warehouse)
    assert (run_id, job_name, partition, status) == (
        result.run_id,
        "daily_pipeline_job",
        "2026-11-23",
        "failure",
    )
    assert (records, errors, failed_checks) == (120, 6 + 1, 1)
    assert "step failed: schedule_models" in issues and "unscheduled_backlog" in issues


def test_a_successful_run_is_recorded_and_only_the_nightly_one_posts_a_digest(env):
    instance, warehouse, receiver = env
    manual = _job("monday_ingestion_job", ["monday/orders"]).execute_in_process(instance=instance)
    nightly = _job("daily_pipeline_job", ["monday/orders", "delivery_plan"]).execute_in_process(
        instance=instance, tags=NIGHTLY_TAGS
    )
    for result in (manual, nightly):
        context = dg.build_run_status_sensor_context(
            sensor_name="run_report_sensor",
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            dagster_event=result.get_run_success_event(),
        )
        run_report_sensor(context, warehouse=warehouse)
        run_report_sensor(context, warehouse=warehouse)  # a repeated tick records the run once, posts again

    assert [r[:5] for r in _run_log(warehouse)] == [
        (manual.run_id, "monday_ingestion_job", None, "success", 120),
        (nightly.run_id, "daily_pipeline_job", "2026-11-23", "success", 120),
    ]
    assert len(receiver.payloads) == 2  # the digest, for the nightly run only
    digest = repr(receiver.payloads[0]["blocks"])
    assert "Daily digest" in receiver.payloads[0]["text"] and "unscheduled_backlog" in digest
    assert "90" in digest and f"{UI}/runs/{nightly.run_id}" in digest  # orders planned, link


def test_each_failed_check_is_alerted_once_with_value_and_threshold(env):
    instance, _, receiver = env
    job = _job("plan_job", ["monday/orders", "delivery_plan"])
    job.execute_in_process(instance=instance)  # history before the sensor starts: not replayed
    context = dg.build_sensor_context(instance=instance)
    check_failure_alert_sensor(context)
    assert receiver.payloads == []

    result = job.execute_in_process(instance=instance, tags={"dagster/partition": "2026-11-24"})
    check_failure_alert_sensor(context)
    check_failure_alert_sensor(context)

    (payload,) = receiver.payloads
    text = repr(payload["blocks"])
    assert "unscheduled_backlog" in text and "delivery_plan" in text and "2026-11-24" in text
    assert "130" in text and "100" in text and f"{UI}/runs/{result.run_id}" in text


def test_freshness_alerts_on_turning_stale_and_on_recovery_only(env, monkeypatch):
    instance, _, receiver = env
    context = dg.build_sensor_context(instance=instance)
    freshness_alert_sensor(context)  # nothing materialized yet: unknown, silent
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["monday", "customers"]))
    freshness_alert_sensor(context)  # fresh: silent
    assert receiver.payloads == []

    stale = FreshnessRule("window", fail_after=dt.timedelta(microseconds=1))
    monkeypatch.setitem(freshness_defs.FRESHNESS_RULES, "monday/customers", stale)
    time.sleep(0.01)
    freshness_alert_sensor(context)
    freshness_alert_sensor(context)  # still stale: no repeat
    (alert,) = receiver.payloads
    assert "monday/customers" in repr(alert["blocks"]) and alert["text"]

    monkeypatch.setitem(
        freshness_defs.FRESHNESS_RULES,
        "monday/customers",
        FreshnessRule("window", fail_after=dt.timedelta(hours=1)),
    )
    freshness_alert_sensor(context)
    assert len(receiver.payloads) == 2 and "monday/customers" in repr(receiver.payloads[1]["blocks"])


def test_a_run_past_the_duration_limits_is_alerted_once_per_level(env, monkeypatch):
    instance, _, receiver = env
    monkeypatch.setenv("CM_ALERT_RUN_DURATION_WARN_SECONDS", "0.5")
    monkeypatch.setenv("CM_ALERT_RUN_DURATION_CRITICAL_SECONDS", "1.5")
    get_thresholds.cache_clear()
    try:
        job = _job("slow_job", ["slow"])
        worker = threading.Thread(target=lambda: job.execute_in_process(instance=instance))
        worker.start()
        context = dg.build_sensor_context(instance=instance)
        deadline = time.monotonic() + 10
        while worker.is_alive() and time.monotonic() < deadline:
            run_duration_sensor(context)
            time.sleep(0.2)
        worker.join()
    finally:
        get_thresholds.cache_clear()
    levels = [p["text"] for p in receiver.payloads]
    assert len(levels) == 2, levels  # warn once, critical once, however many ticks
    assert all("slow_job" in t for t in levels)
