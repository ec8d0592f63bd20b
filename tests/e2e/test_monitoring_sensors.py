"""The monitoring sensors against real Dagster runs on the shipped instance (deploy/dagster.yaml: SQLite,
run-sharded event log), a real DuckDB run log and a fake Slack webhook on 127.0.0.1: what each sensor
posts, that it posts once over several ticks, and what it records.

Each sensor is ticked the way the daemon ticks it: `evaluate_tick` with the cursor of the previous
tick, in a context that names the code location workspace.yaml registers (the daemon's view: runs
launched from the CLI carry no code location at all). One test launches a failing run with
`dagster asset materialize` and evaluates the sensor with `dagster sensor preview` against
workspace.yaml, both in subprocesses, as an operator would.

The in-process runs are of small stand-in assets named like the pipeline's (so the event log carries
the same materialization metadata, check evaluations and step failures); the Monday/dbt/plan steps
themselves are covered by test_delivery_pipeline.py.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.definitions.assets.job.asset_job import IMPLICIT_ASSET_JOB_NAME
from dagster._core.definitions.materialize import EPHEMERAL_JOB_NAME
from dagster._core.definitions.run_status_sensor_definition import RunStatusSensorCursor
from dagster._core.definitions.target import ANONYMOUS_ASSET_JOB_PREFIX
from dagster._core.execution.build_resources import wrap_resources_for_execution
from dagster._core.remote_origin import RegisteredCodeLocationOrigin

from customer_master.common import fmt_pct
from customer_master.defs.monitoring import freshness as freshness_defs
from customer_master.defs.monitoring.sensors import (
    check_failure_alert_sensor,
    freshness_alert_sensor,
    run_duration_sensor,
    run_failure_alert_sensor,
    run_report_sensor,
)
from customer_master.defs.pipeline import NIGHTLY_SCHEDULE_NAME
from customer_master.defs.resources import WarehouseResource, slack_resource
from customer_master.monitoring.freshness import FreshnessRule
from customer_master.monitoring.runs import ADHOC_JOB_PREFIXES
from customer_master.sandbox.engine import SANDBOX_TOKEN
from customer_master.settings import get_settings

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

ROOT = Path(__file__).resolve().parents[2]
DAGSTER = str(Path(sys.executable).with_name("dagster"))
UI = "http://dagster.example.test"
NIGHTLY_TAGS = {"dagster/schedule_name": NIGHTLY_SCHEDULE_NAME, "dagster/partition": "2026-11-23"}
# The location workspace.yaml registers: the daemon evaluates sensors in a context naming it.
DAEMON_LOCATION = RegisteredCodeLocationOrigin("customer_master")


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
        metadata={
            "plan_date": "2026-11-23",
            "scheduled": 90,
            "late": 7,
            "unschedulable": 130,
            "peak_utilization_pct": 98.0,
            # What the operations summary reads (defs/scheduling/assets.py writes the real ones).
            "next_delivery_day": dg.MetadataValue.json(
                {"date": "2026-11-24", "orders": 31, "units": 812.5, "lines": ["Line 1", "Line 3"], "late": 2}
            ),
            "sheet_link": "https://reports.example.test/delivery-sheet-2026-11-23.html",
        },
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


STANDINS = dg.Definitions(assets=[orders_standin, plan_standin, broken_models, slow_asset])


def _job(name: str, selection) -> dg.JobDefinition:
    return dg.Definitions(
        assets=STANDINS.assets, jobs=[dg.define_asset_job(name, selection=selection)]
    ).resolve_job_def(name)


class Ticker:
    """Ticks one sensor like the daemon: each tick starts from the cursor the previous one left."""

    def __init__(self, sensor, instance: dg.DagsterInstance, cursor: str | None = None, **resources):
        # Slack as the shipped definitions configure it: from CM_SLACK_WEBHOOK_URL (the fake receiver).
        resources.setdefault("slack", slack_resource())
        self.sensor, self.instance, self.cursor, self.resources = sensor, instance, cursor, resources

    def __call__(self) -> str | None:
        # build_sensor_context cannot name a code location; the daemon's context always does.
        context = dg.SensorEvaluationContext(
            instance_ref=None,
            instance=self.instance,
            cursor=self.cursor,
            repository_name="__repository__",
            sensor_name=self.sensor.name,
            resources=wrap_resources_for_execution(self.resources),
            code_location_origin=DAEMON_LOCATION,
        )
        with context:
            data = self.sensor.evaluate_tick(context)
        self.cursor = data.cursor if data.cursor is not None else self.cursor
        return data.skip_message


@pytest.fixture
def env(slack_receiver, shipped_instance, tmp_path, monkeypatch):
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", slack_receiver.url)
    monkeypatch.setenv("CM_DAGSTER_UI_URL", UI)
    get_settings.cache_clear()
    warehouse = WarehouseResource(duckdb_path=str(tmp_path / "wh.duckdb"))
    yield shipped_instance, warehouse, slack_receiver
    get_settings.cache_clear()


def _run_log(warehouse_path: str) -> list[tuple]:
    with duckdb.connect(warehouse_path, read_only=True) as con:
        return con.execute(
            "select run_id, job_name, partition_key, status, records_processed, errors, failed_checks, "
            "issues from ops_pipeline_runs order by started_at"
        ).fetchall()


def test_the_adhoc_job_names_are_dagsters():
    assert ADHOC_JOB_PREFIXES == (IMPLICIT_ASSET_JOB_NAME, ANONYMOUS_ASSET_JOB_PREFIX, EPHEMERAL_JOB_NAME)


def test_a_failed_nightly_run_is_alerted_recorded_and_digested(env):
    instance, warehouse, receiver = env
    tick = Ticker(run_failure_alert_sensor, instance, warehouse=warehouse)
    tick()  # starts watching
    job = _job("daily_pipeline_job", ["monday/orders", "delivery_plan", "schedule_models"])
    result = job.execute_in_process(instance=instance, tags=NIGHTLY_TAGS, raise_on_error=False)
    assert not result.success

    tick()
    tick()  # nothing new: nothing posted twice

    # The plan was made before the failing step: operations still get tomorrow's deliveries.
    alert, digest, outlook = receiver.payloads
    assert "31 orders" in outlook["text"]
    assert "daily_pipeline_job" in alert["text"] and "schedule_models" in repr(alert["blocks"])
    # The step's own error, not only Dagster's "Steps failed: [...]": it says what to fix.
    assert "dbt build failed: capacity_never_exceeded" in repr(alert["blocks"])
    assert f"{UI}/runs/{result.run_id}" in repr(alert["blocks"])
    assert "2026-11-23" in repr(alert["blocks"])
    digest_text = repr(digest["blocks"])
    assert "Failed check (critical) delivery_plan/unscheduled_backlog" in digest_text
    assert "with 1 critical failed check" in digest_text and "130" in digest_text
    assert fmt_pct(6 / 1200) in digest_text  # the error rate: quarantined / column values
    ((run_id, job_name, partition, status, records, errors, failed_checks, issues),) = _run_log(
        warehouse.duckdb_path
    )
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
    tick = Ticker(run_report_sensor, instance, warehouse=warehouse)
    tick()
    # "Materialize" in the UI: Dagster's implicit __ASSET_JOB with an asset selection.
    adhoc = STANDINS.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey(["monday", "orders"])]
    )
    assert instance.get_run_by_id(adhoc.run_id).job_name == IMPLICIT_ASSET_JOB_NAME
    nightly = _job("daily_pipeline_job", ["monday/orders", "delivery_plan"]).execute_in_process(
        instance=instance, tags=NIGHTLY_TAGS
    )
    tick()
    tick()

    assert [r[:5] for r in _run_log(warehouse.duckdb_path)] == [
        (adhoc.run_id, "materialize: monday/orders", None, "success", 120),
        (nightly.run_id, "daily_pipeline_job", "2026-11-23", "success", 120),
    ]
    digest, outlook = receiver.payloads  # for the nightly run only
    assert "Daily digest" in digest["text"] and digest["text"].startswith(":red_circle:")
    blocks = repr(digest["blocks"])
    assert "unscheduled_backlog" in blocks and "with 1 critical failed check" in blocks
    assert "90" in blocks and f"{UI}/runs/{nightly.run_id}" in blocks  # orders planned, link
    # The operations channel's message: tomorrow's deliveries and the sheet (no alerts webhook set
    # apart, so it goes to the one channel).
    assert (
        outlook["text"].startswith(":large_yellow_circle:")
        and "Deliveries Tue 24 Nov 2026: 31 orders on 2 lines" in (outlook["text"])
    )
    ops = repr(outlook["blocks"])
    assert "812.5 units on 2 lines (Line 1, Line 3); 2 of them late" in ops
    assert "Unschedulable in this plan: 130" in ops
    assert "https://reports.example.test/delivery-sheet-2026-11-23.html" in ops


def test_the_delivery_summary_goes_to_the_operations_channel_when_it_has_its_own(env, monkeypatch):
    from tests.slack_receiver import SlackReceiver

    instance, warehouse, alerts = env
    with SlackReceiver() as ops_channel:
        monkeypatch.setenv("CM_SLACK_OPS_WEBHOOK_URL", ops_channel.url)
        get_settings.cache_clear()
        tick = Ticker(run_report_sensor, instance, warehouse=warehouse)
        tick()
        _job("daily_pipeline_job", ["monday/orders", "delivery_plan"]).execute_in_process(
            instance=instance, tags=NIGHTLY_TAGS
        )
        tick()
        (summary,) = ops_channel.payloads
    (digest,) = alerts.payloads
    assert "Daily digest" in digest["text"] and "31 orders" in summary["text"]


def test_each_failed_check_is_alerted_once_with_value_and_threshold(env):
    instance, _, receiver = env
    job = _job("plan_job", ["monday/orders", "delivery_plan"])
    job.execute_in_process(instance=instance)  # history before the sensor starts: not replayed
    tick = Ticker(check_failure_alert_sensor, instance)
    tick()
    tick()
    assert receiver.payloads == []

    result = job.execute_in_process(instance=instance, tags={"dagster/partition": "2026-11-24"})
    tick()
    tick()
    (payload,) = receiver.payloads
    text = repr(payload["blocks"])
    assert "unscheduled_backlog" in text and "delivery_plan" in text and "2026-11-24" in text
    assert "130" in text and "100" in text and f"{UI}/runs/{result.run_id}" in text

    # A run that fails after its checks ran: its failed checks are alerted too.
    failed = _job("nightly_like", ["monday/orders", "delivery_plan", "schedule_models"]).execute_in_process(
        instance=instance, tags={"dagster/partition": "2026-11-25"}, raise_on_error=False
    )
    tick()
    tick()
    assert len(receiver.payloads) == 2
    assert f"{UI}/runs/{failed.run_id}" in repr(receiver.payloads[1]["blocks"])


def test_freshness_alerts_on_turning_stale_and_on_recovery_only(env, monkeypatch):
    instance, _, receiver = env
    tick = Ticker(freshness_alert_sensor, instance)
    tick()  # nothing materialized yet: unknown, silent
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["monday", "customers"]))
    tick()  # fresh: silent
    assert receiver.payloads == []

    stale = FreshnessRule("window", fail_after=dt.timedelta(microseconds=1))
    monkeypatch.setitem(freshness_defs.FRESHNESS_RULES, "monday/customers", stale)
    time.sleep(0.01)
    tick()
    tick()  # still stale: no repeat
    (alert,) = receiver.payloads
    assert "monday/customers" in repr(alert["blocks"]) and alert["text"]

    monkeypatch.setitem(
        freshness_defs.FRESHNESS_RULES,
        "monday/customers",
        FreshnessRule("window", fail_after=dt.timedelta(hours=1)),
    )
    tick()
    tick()
    assert len(receiver.payloads) == 2 and "monday/customers" in repr(receiver.payloads[1]["blocks"])


def test_a_run_past_the_duration_limits_is_alerted_once_per_level(env, monkeypatch):
    instance, _, receiver = env
    monkeypatch.setenv("CM_ALERT_RUN_DURATION_WARN_SECONDS", "0.5")
    monkeypatch.setenv("CM_ALERT_RUN_DURATION_CRITICAL_SECONDS", "1.5")
    get_settings.cache_clear()  # the thresholds are a section of it
    job = _job("slow_job", ["slow"])
    worker = threading.Thread(target=lambda: job.execute_in_process(instance=instance))
    worker.start()
    tick = Ticker(run_duration_sensor, instance)
    deadline = time.monotonic() + 10
    ticks = 0
    while worker.is_alive() and time.monotonic() < deadline:
        tick()
        ticks += 1
        time.sleep(0.2)
    worker.join()
    levels = [p["text"] for p in receiver.payloads]
    assert ticks >= 2
    assert len(levels) == 2, levels  # warn once, critical once, however many ticks
    assert all("slow_job" in t for t in levels)


def test_a_run_that_failed_from_the_cli_is_alerted(env, sandbox, tmp_path):
    """Issue 11: `dagster asset materialize` with a wrong board id failed and nobody was told. The
    run has no code location, and the failure sensor only watched its own location's runs."""
    instance, _, receiver = env
    mapping = (ROOT / "dbt_project" / "board_mapping.yml").read_text()
    wrong = tmp_path / "wrong_board.yml"
    wrong.write_text(mapping.replace('board_id: "7000000001"', 'board_id: "7999999999"', 1))
    cli_env = {
        **os.environ,
        "CM_BOARD_MAPPING": str(wrong),
        "CM_DATA_DIR": str(tmp_path / "data"),
        "MONDAY_API_URL": sandbox.url,
        "MONDAY_API_TOKEN": SANDBOX_TOKEN,
    }
    # Where the sensor starts watching, as on its first tick: after every failure so far.
    before = instance.fetch_run_status_changes(dg.DagsterEventType.RUN_FAILURE, limit=1).records
    cursor = RunStatusSensorCursor(record_id=before[0].storage_id if before else -1).to_json()

    materialize = subprocess.run(
        [DAGSTER, "asset", "materialize", "-m", "customer_master.definitions",
         "--select", "monday/customers", "--partition", "2026-11-23"],
        cwd=ROOT, env=cli_env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert materialize.returncode != 0
    assert "7999999999" in materialize.stdout + materialize.stderr
    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.FAILURE and run.remote_job_origin is None

    preview = subprocess.run(
        [DAGSTER, "sensor", "preview", "run_failure_alert_sensor", "--cursor", cursor,
         "-w", "workspace.yaml", "-l", "customer_master"],  # workspace.yaml has two locations
        cwd=ROOT, env=cli_env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert preview.returncode == 0, preview.stderr[-2000:]
    (alert,) = receiver.payloads
    assert alert["text"].endswith("Run failed: materialize: monday/customers (2026-11-23)")
    assert "7999999999" in repr(alert["blocks"]) and run.run_id in repr(alert["blocks"])
    ((run_id, job_name, *_),) = _run_log(str(tmp_path / "data" / "warehouse.duckdb"))
    assert (run_id, job_name) == (run.run_id, "materialize: monday/customers")
