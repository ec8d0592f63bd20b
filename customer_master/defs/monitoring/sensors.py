"""Sensors that watch the platform and tell Slack: run failures, failed checks, freshness transitions,
slow runs, and after every run its row in ops_pipeline_runs (plus the digest after the nightly run).

All messages go through one `SlackNotifier` (customer_master/alerts); it never raises, so a Slack outage
never fails a sensor tick or a run. Decisions (what is stale, what is slow, what a run counts as) live
in customer_master/monitoring and are tested there; this module gathers facts from Dagster.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import dagster as dg

from customer_master.alerts.messages import (
    check_failure_alert,
    daily_digest_alert,
    freshness_alert,
    run_duration_alert,
    run_failure_alert,
)
from customer_master.alerts.models import DailyDigest
from customer_master.alerts.slack import SlackNotifier, notifier_from_env
from customer_master.defs.monitoring.freshness import FRESHNESS_RULES
from customer_master.defs.pipeline import NIGHTLY_SCHEDULE_NAME, daily_pipeline_job
from customer_master.defs.resources import WarehouseResource
from customer_master.monitoring.durations import due_alerts
from customer_master.monitoring.freshness import evaluate, remembered, transitions
from customer_master.monitoring.runs import CheckOutcome, RunFacts, plan_summary, run_record_fields
from customer_master.thresholds import get_thresholds
from customer_master.warehouse.loader import SqlWarehouse
from customer_master.warehouse.run_reports import PipelineRunRecord, record_pipeline_run

log = logging.getLogger(__name__)

SCHEDULE_TAG = "dagster/schedule_name"
PARTITION_TAG = "dagster/partition"
_RUN_EVENTS = {
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    dg.DagsterEventType.STEP_FAILURE,
}
_STATUS = {
    dg.DagsterRunStatus.SUCCESS: "success",
    dg.DagsterRunStatus.FAILURE: "failure",
    dg.DagsterRunStatus.CANCELED: "canceled",
}


def notifier() -> SlackNotifier:
    # Short timeouts and few attempts: one tick may send several alerts during a Slack outage and
    # must finish well inside Dagster's sensor timeout.
    return notifier_from_env(logger=log, timeout_seconds=3.0, max_attempts=3)


def _utc(timestamp: float | None) -> dt.datetime | None:
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp, dt.UTC)


def _metadata_values(metadata) -> dict[str, object]:
    return {k: getattr(v, "value", v) for k, v in (metadata or {}).items()}


def _check_outcome(evaluation) -> CheckOutcome:
    md = _metadata_values(evaluation.metadata)
    summary = md.get("summary") or evaluation.description or ""
    return CheckOutcome(
        asset=evaluation.asset_key.to_user_string(),
        check=evaluation.check_name,
        passed=evaluation.passed,
        severity="critical" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warn",
        summary=str(summary),
        value=md.get("value") if isinstance(md.get("value"), (int, float)) else None,
        threshold=md.get("threshold") if isinstance(md.get("threshold"), (int, float)) else None,
    )


def run_facts(instance: dg.DagsterInstance, run: dg.DagsterRun, error: str | None = None) -> RunFacts:
    """Everything the run log and the digest need, read from the run's events."""
    record = instance.get_run_record_by_id(run.run_id)
    materializations: dict[str, dict[str, object]] = {}
    checks: list[CheckOutcome] = []
    failed_steps: list[str] = []
    step_errors: list[str] = []
    for entry in instance.all_logs(run.run_id, of_type=_RUN_EVENTS):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.step_materialization_data.materialization
            materializations[mat.asset_key.to_user_string()] = _metadata_values(mat.metadata)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            checks.append(_check_outcome(event.asset_check_evaluation_data))
        elif event.step_key:
            failed_steps.append(event.step_key)
            step_errors.append(_step_error(event))
    # The run's own failure message only lists the failed steps; the step's error says what to fix.
    error = next((e for e in step_errors if e), None) or error
    return RunFacts(
        run_id=run.run_id,
        job=run.job_name,
        partition=run.tags.get(PARTITION_TAG),
        status=_STATUS.get(run.status, str(run.status.value).lower()),
        started_at=_utc(record.start_time if record else None),
        ended_at=_utc(record.end_time if record else None) or dt.datetime.now(dt.UTC),
        materializations=materializations,
        checks=checks,
        failed_steps=sorted(set(failed_steps)),
        error=error,
    )


def _step_error(event: dg.DagsterEvent) -> str:
    """The user-code error of a failed step (what raised inside the asset), else Dagster's wrapper."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None and _is_dagster_wrapper(error):
        error = error.cause
    return error.message.strip() if error is not None else ""


def _is_dagster_wrapper(error) -> bool:
    return error.cls_name in ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError")


def digest_of(facts: RunFacts) -> DailyDigest:
    plan = plan_summary(facts)
    return DailyDigest(
        run_id=facts.run_id,
        job=facts.job,
        partition=facts.partition,
        status=facts.status,
        duration_seconds=facts.duration_seconds,
        records=facts.records,
        error_rate=facts.error_rate,
        orders_planned=plan["orders_planned"],
        late=plan["late"],
        unschedulable=plan["unschedulable"],
        peak_utilization=plan["peak_utilization"],
        failed_checks=[(f"{c.asset}/{c.check}", c.summary) for c in facts.failed_checks],
        issues=[f"step failed: {s}" for s in facts.failed_steps],
    )


def record_run(warehouse: SqlWarehouse, facts: RunFacts) -> None:
    """The run's row in ops_pipeline_runs (replaced if the run is recorded again)."""
    record = PipelineRunRecord(**run_record_fields(facts))
    record_pipeline_run(warehouse, record, recorded_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))


def _record_and_digest(
    context: dg.RunStatusSensorContext, warehouse: WarehouseResource, facts: RunFacts
) -> str:
    """Log the run in ops_pipeline_runs; after the scheduled nightly run, post the daily digest."""
    run = context.dagster_run
    try:
        record_run(warehouse.get_warehouse(), facts)
    except Exception as exc:  # the run log is a report: a busy warehouse must not stop the alerts
        context.log.warning(
            f"run {run.run_id} not recorded in ops_pipeline_runs: {type(exc).__name__}: {exc}"
        )
    if run.job_name == daily_pipeline_job.name and run.tags.get(SCHEDULE_TAG) == NIGHTLY_SCHEDULE_NAME:
        notifier().send(daily_digest_alert(digest_of(facts)))
        return f"recorded run {run.run_id} and posted the daily digest"
    return f"recorded run {run.run_id}"


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="run_report_sensor",
    description="Records every successful run in ops_pipeline_runs; posts the digest after the nightly run.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_report_sensor(context: dg.RunStatusSensorContext, warehouse: WarehouseResource):
    return dg.SkipReason(
        _record_and_digest(context, warehouse, run_facts(context.instance, context.dagster_run))
    )


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    description="Alerts Slack when a run fails, records it in ops_pipeline_runs (and the nightly digest).",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, warehouse: WarehouseResource):
    run = context.dagster_run
    facts = run_facts(context.instance, run, context.failure_event.message if context.failure_event else None)
    notifier().send(
        run_failure_alert(run.job_name, run.run_id, facts.partition, facts.failed_steps, facts.error)
    )
    return dg.SkipReason(_record_and_digest(context, warehouse, facts))


def _fmt(value: float | None, threshold_like: float | None) -> str | None:
    """Rates as percentages, counts and seconds as numbers."""
    if value is None:
        return None
    if threshold_like is not None and 0 < threshold_like < 1:
        return f"{value:.2%}"
    return f"{value:g}"


@dg.sensor(
    name="check_failure_alert_sensor",
    minimum_interval_seconds=60,
    description="Alerts Slack once for every failed asset check (warn or critical), in event order.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def check_failure_alert_sensor(context: dg.SensorEvaluationContext):
    after = int(context.cursor) if context.cursor else None
    records = context.instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=after),
        limit=500,
        ascending=True,
    )
    if after is None and records:  # first tick: start from now, do not replay history
        context.update_cursor(str(records[-1].storage_id))
        return dg.SkipReason("started watching asset checks")
    sent = 0
    send = notifier().send
    for record in records:
        evaluation = record.event_log_entry.dagster_event.asset_check_evaluation_data
        if not evaluation.passed:
            outcome = _check_outcome(evaluation)
            run = context.instance.get_run_by_id(record.run_id)
            partition = run.tags.get(PARTITION_TAG) if run else None
            send(
                check_failure_alert(
                    outcome.asset, outcome.check, partition, outcome.severity,
                    _fmt(outcome.value, outcome.threshold), _fmt(outcome.threshold, outcome.threshold),
                    outcome.summary, record.run_id,
                )
            )  # fmt: skip
            sent += 1
    if records:
        context.update_cursor(str(records[-1].storage_id))
    return dg.SkipReason(f"{sent} failed checks alerted")


@dg.sensor(
    name="freshness_alert_sensor",
    minimum_interval_seconds=60,
    description="Alerts Slack once when an asset turns stale (warn/fail) and once when it recovers.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def freshness_alert_sensor(context: dg.SensorEvaluationContext):
    now = dt.datetime.now(dt.UTC)
    previous = json.loads(context.cursor) if context.cursor else {}
    current, updated_at = {}, {}
    for asset, rule in FRESHNESS_RULES.items():
        event = context.instance.get_latest_materialization_event(dg.AssetKey.from_user_string(asset))
        updated_at[asset] = _utc(event.timestamp) if event else None
        current[asset] = evaluate(rule, updated_at[asset], now)
    send = notifier().send
    changes = transitions(previous, current)
    for asset, before, state in changes:
        send(
            freshness_alert(
                asset, state.lower(), before.lower() if before else None, updated_at[asset],
                FRESHNESS_RULES[asset].describe(), now,
            )
        )  # fmt: skip
    context.update_cursor(json.dumps(remembered(previous, current), sort_keys=True))
    return dg.SkipReason(f"{len(changes)} freshness transitions alerted")


@dg.sensor(
    name="run_duration_sensor",
    minimum_interval_seconds=30,
    description="Warns while a run is past 5 minutes and raises critical past 10 (once per level).",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_duration_sensor(context: dg.SensorEvaluationContext):
    t = get_thresholds()
    now = dt.datetime.now(dt.UTC).timestamp()
    records = context.instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    elapsed = {r.dagster_run.run_id: now - r.start_time for r in records if r.start_time is not None}
    runs = {r.dagster_run.run_id: r.dagster_run for r in records}
    alerted = json.loads(context.cursor) if context.cursor else {}
    due, cursor = due_alerts(elapsed, alerted, t)
    send = notifier().send
    for run_id, level in due:
        run = runs[run_id]
        send(
            run_duration_alert(
                run.job_name, run_id, run.tags.get(PARTITION_TAG), elapsed[run_id], level,
                t.run_duration_warn_seconds, t.run_duration_critical_seconds,
            )
        )  # fmt: skip
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    return dg.SkipReason(f"{len(due)} slow-run alerts")
