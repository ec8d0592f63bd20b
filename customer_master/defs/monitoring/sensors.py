"""Sensors that watch the platform and tell Slack: run failures, failed checks, freshness transitions,
slow runs, and after every run its row in ops_pipeline_runs (plus the digest after the nightly run).

Every sensor reads only what Dagster serves on every instance kind: run records, run status
changes (the index shard on SQLite's run-sharded event log, one table on Postgres), a run's own
event log, and asset-keyed latest materializations. Never an event query across all runs without an
asset key: the shipped SQLite instance refuses it. The run sensors watch runs of every code
location and runs without one (`dagster asset materialize`, `dagster job execute`).

All messages go through the `slack` resource's `SlackNotifier` (customer_master/alerts): it never
raises and bounds each message by a deadline, so a Slack outage never fails or stalls a sensor tick.
Decisions (what is stale, what is slow, what a run counts as) live in customer_master/monitoring and
are tested there; this module gathers facts from Dagster.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Literal

import dagster as dg

from customer_master.alerts.messages import (
    check_failure_alert,
    daily_digest_alert,
    freshness_alert,
    ops_summary_alert,
    run_duration_alert,
    run_failure_alert,
)
from customer_master.alerts.models import Alert, DailyDigest, FailedCheck
from customer_master.common import fmt_pct, utcnow
from customer_master.defs.monitoring.freshness import FRESHNESS_RULES
from customer_master.defs.pipeline import NIGHTLY_SCHEDULE_NAME, daily_pipeline_job
from customer_master.defs.resources import SlackResource, WarehouseResource
from customer_master.defs.shared import PERCENT_UNIT
from customer_master.monitoring.durations import due_alerts
from customer_master.monitoring.formats import minutes
from customer_master.monitoring.freshness import ALERT_STATES, evaluate, remembered, transitions
from customer_master.monitoring.runs import (
    CheckOutcome,
    RunFacts,
    RunStatus,
    delivery_outlook,
    latest_outcomes,
    plan_summary,
    run_label,
    run_record_fields,
)
from customer_master.realtime_defs.assets import REALTIME_JOB_NAME
from customer_master.thresholds import get_thresholds
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.run_reports import PipelineRunRecord, record_pipeline_run

log = logging.getLogger(__name__)

SCHEDULE_TAG = "dagster/schedule_name"
PARTITION_TAG = "dagster/partition"
_RUN_EVENTS = {
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    dg.DagsterEventType.STEP_FAILURE,
}
# A finished run's status change: the check sensor reads the checks of each such run. (The Literal is
# what RunStatusChangeRecordsFilter takes: the run status event types.)
_FINISHED_RUN_EVENTS: tuple[
    Literal[
        dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_CANCELED
    ],
    ...,
] = (
    dg.DagsterEventType.RUN_SUCCESS,
    dg.DagsterEventType.RUN_FAILURE,
    dg.DagsterEventType.RUN_CANCELED,
)
FINISHED_RUNS_PER_TICK = 25

# The configured thresholds as the definitions load: the check descriptions quote them.
_T = get_thresholds()
_STATUS: dict[dg.DagsterRunStatus, RunStatus] = {
    dg.DagsterRunStatus.SUCCESS: "success",
    dg.DagsterRunStatus.FAILURE: "failure",
    dg.DagsterRunStatus.CANCELED: "canceled",
}


def _utc(timestamp: float | None) -> dt.datetime | None:
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp, dt.UTC)


def _metadata_values(metadata) -> dict[str, object]:
    return {k: getattr(v, "value", v) for k, v in (metadata or {}).items()}


def _check_outcome(evaluation) -> CheckOutcome:
    md = _metadata_values(evaluation.metadata)
    summary = md.get("summary") or evaluation.description or ""
    value, threshold = md.get("value"), md.get("threshold")
    if md.get("unit") == PERCENT_UNIT:  # a rate, shown in percent: back to the fraction alerts format
        value = value / 100 if isinstance(value, int | float) else None
        threshold = threshold / 100 if isinstance(threshold, int | float) else None
    return CheckOutcome(
        asset=evaluation.asset_key.to_user_string(),
        check=evaluation.check_name,
        passed=evaluation.passed,
        severity="critical" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warn",
        summary=str(summary),
        value=value if isinstance(value, int | float) else None,
        threshold=threshold if isinstance(threshold, int | float) else None,
        partition=getattr(evaluation, "partition", None),
    )


def label_of(run: dg.DagsterRun) -> str:
    """The job's name, or for an ad-hoc asset run (`__ASSET_JOB`) the assets it selected."""
    return run_label(run.job_name, [key.to_user_string() for key in run.asset_selection or ()])


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
        job=label_of(run),
        partition=run.tags.get(PARTITION_TAG),
        status=_finished_status(run),
        started_at=_utc(record.start_time if record else None),
        ended_at=_utc(record.end_time if record else None) or dt.datetime.now(dt.UTC),
        materializations=materializations,
        checks=checks,
        failed_steps=sorted(set(failed_steps)),
        error=error,
    )


def _finished_status(run: dg.DagsterRun) -> RunStatus:
    """The run's final status: the sensors and the demo only report runs that have ended."""
    status = _STATUS.get(run.status)
    if status is None:
        raise ValueError(f"run {run.run_id} has not ended (status {run.status.value})")
    return status


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
        order_conflicts=facts.order_conflicts,
        failed_checks=[
            FailedCheck(_check_name(c, facts.partition), c.severity, c.summary) for c in facts.failed_checks
        ],
        issues=[f"step failed: {s}" for s in facts.failed_steps],
    )


def _check_name(outcome: CheckOutcome, run_partition: str | None) -> str:
    name = f"{outcome.asset}/{outcome.check}"
    return name if outcome.partition in (None, run_partition) else f"{name} ({outcome.partition})"


def record_run(warehouse: Warehouse, facts: RunFacts) -> None:
    """The run's row in ops_pipeline_runs (replaced if the run is recorded again)."""
    record = PipelineRunRecord(**run_record_fields(facts))
    record_pipeline_run(warehouse, record, recorded_at=utcnow())


def _record_and_digest(
    context: dg.RunStatusSensorContext, warehouse: WarehouseResource, slack: SlackResource, facts: RunFacts
) -> str:
    """Log the run in ops_pipeline_runs; after the scheduled nightly run, post the daily digest and,
    when the run made the plan, the operations channel's delivery summary."""
    run = context.dagster_run
    if run.job_name == REALTIME_JOB_NAME:
        # Order-update runs come every few seconds: their record is the change store and the run
        # itself; writing each to the warehouse would only contend for DuckDB's one writer.
        return f"order-update run {run.run_id}: not recorded in ops_pipeline_runs"
    try:
        record_run(warehouse.get_warehouse(), facts)
    except Exception as exc:  # the run log is a report: a busy warehouse must not stop the alerts
        context.log.warning(
            f"run {run.run_id} not recorded in ops_pipeline_runs: {type(exc).__name__}: {exc}"
        )
    if run.job_name == daily_pipeline_job.name and run.tags.get(SCHEDULE_TAG) == NIGHTLY_SCHEDULE_NAME:
        slack.get_notifier(logger=log).send(daily_digest_alert(digest_of(facts)))
        outlook = delivery_outlook(facts)
        if outlook is None:
            return f"recorded run {run.run_id} and posted the daily digest (no plan in the run)"
        slack.get_ops_notifier(logger=log).send(ops_summary_alert(outlook))
        return f"recorded run {run.run_id}, posted the daily digest and the delivery summary"
    return f"recorded run {run.run_id}"


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="run_report_sensor",
    description="Records every successful run in ops_pipeline_runs; posts the digest after the nightly run.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    # Without this a run status sensor only sees runs whose origin is its own code location, so
    # runs launched from the CLI (no origin) or under another location name were never reported.
    monitor_all_code_locations=True,
)
def run_report_sensor(context: dg.RunStatusSensorContext, warehouse: WarehouseResource, slack: SlackResource):
    facts = run_facts(context.instance, context.dagster_run)
    return dg.SkipReason(_record_and_digest(context, warehouse, slack, facts))


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    description="Alerts Slack when a run fails, records it in ops_pipeline_runs (and the nightly digest).",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,  # CLI-launched runs too (see run_report_sensor)
)
def run_failure_alert_sensor(
    context: dg.RunFailureSensorContext, warehouse: WarehouseResource, slack: SlackResource
):
    run = context.dagster_run
    facts = run_facts(context.instance, run, context.failure_event.message if context.failure_event else None)
    alert = run_failure_alert(facts.job, run.run_id, facts.partition, facts.failed_steps, facts.error)
    slack.get_notifier(logger=log).send(alert)
    return dg.SkipReason(_record_and_digest(context, warehouse, slack, facts))


def _fmt(value: float | None, threshold_like: float | None) -> str | None:
    """Rates as percentages, counts and seconds as numbers."""
    if value is None:
        return None
    if threshold_like is not None and 0 < threshold_like < 1:
        return fmt_pct(value)
    return f"{value:g}"


def check_alerts(instance: dg.DagsterInstance, run_id: str) -> list[Alert]:
    """One alert per check whose latest evaluation in the run failed (read from the run's own log)."""
    run = instance.get_run_by_id(run_id)
    partition = run.tags.get(PARTITION_TAG) if run else None
    outcomes = [
        _check_outcome(entry.dagster_event.asset_check_evaluation_data)
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        if entry.dagster_event is not None
    ]
    return [
        check_failure_alert(
            o.asset,
            o.check,
            o.partition or partition,
            o.severity,
            _fmt(o.value, o.threshold),
            _fmt(o.threshold, o.threshold),
            o.summary,
            run_id,
        )
        for o in latest_outcomes(outcomes)
        if not o.passed
    ]


def _latest_status_change(instance: dg.DagsterInstance, event_type: dg.DagsterEventType) -> int:
    records = instance.fetch_run_status_changes(event_type, limit=1).records
    return records[0].storage_id if records else -1


@dg.sensor(
    name="check_failure_alert_sensor",
    minimum_interval_seconds=60,
    description="Alerts Slack once for every failed asset check (warn or critical) when its run ends.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def check_failure_alert_sensor(context: dg.SensorEvaluationContext, slack: SlackResource):
    # Cursor: per finished-run event type, the last status change handled. Status changes are read
    # from the index (fine on SQLite's run-sharded log and on Postgres), the checks from each run's
    # own log: a run's checks are alerted once, when it ends, whatever status it ends in.
    instance = context.instance
    cursor = json.loads(context.cursor) if context.cursor else None
    if not isinstance(cursor, dict):  # first tick (or a cursor of the old format): do not replay history
        start = {e.value: _latest_status_change(instance, e) for e in _FINISHED_RUN_EVENTS}
        context.update_cursor(json.dumps(start, sort_keys=True))
        return dg.SkipReason("started watching the asset checks of finished runs")
    send = slack.get_notifier(logger=log).send
    sent = runs = 0
    for event_type in _FINISHED_RUN_EVENTS:
        records = instance.fetch_run_status_changes(
            dg.RunStatusChangeRecordsFilter(event_type, after_storage_id=cursor.get(event_type.value, -1)),
            limit=FINISHED_RUNS_PER_TICK,
            ascending=True,
        ).records
        for record in records:
            for alert in check_alerts(instance, record.event_log_entry.run_id):
                send(alert)
                sent += 1
            runs += 1
            cursor[event_type.value] = record.storage_id
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    return dg.SkipReason(f"{sent} failed checks alerted from {runs} finished runs")


@dg.sensor(
    name="freshness_alert_sensor",
    minimum_interval_seconds=60,
    description="Alerts Slack once when an asset turns stale (warn/fail) and once when it recovers.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def freshness_alert_sensor(context: dg.SensorEvaluationContext, slack: SlackResource):
    now = dt.datetime.now(dt.UTC)
    previous = json.loads(context.cursor) if context.cursor else {}
    current, updated_at = {}, {}
    for asset, rule in FRESHNESS_RULES.items():
        event = context.instance.get_latest_materialization_event(dg.AssetKey.from_user_string(asset))
        updated_at[asset] = _utc(event.timestamp) if event else None
        current[asset] = evaluate(rule, updated_at[asset], now)
    send = slack.get_notifier(logger=log).send
    changes = transitions(previous, current)
    for asset, before, state in changes:
        send(
            freshness_alert(
                asset, ALERT_STATES[state.lower()], ALERT_STATES.get(before.lower()) if before else None,
                updated_at[asset], FRESHNESS_RULES[asset].describe(), now,
            )
        )  # fmt: skip
    context.update_cursor(json.dumps(remembered(previous, current), sort_keys=True))
    return dg.SkipReason(f"{len(changes)} freshness transitions alerted")


@dg.sensor(
    name="run_duration_sensor",
    minimum_interval_seconds=30,
    description=(
        f"Warns while a run is past {minutes(_T.run_duration_warn_seconds)} and raises critical past "
        f"{minutes(_T.run_duration_critical_seconds)} (once per level)."
    ),
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_duration_sensor(context: dg.SensorEvaluationContext, slack: SlackResource):
    t = get_thresholds()
    now = dt.datetime.now(dt.UTC).timestamp()
    records = context.instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    elapsed = {r.dagster_run.run_id: now - r.start_time for r in records if r.start_time is not None}
    runs = {r.dagster_run.run_id: r.dagster_run for r in records}
    alerted = json.loads(context.cursor) if context.cursor else {}
    due, cursor = due_alerts(elapsed, alerted, t)
    send = slack.get_notifier(logger=log).send
    for run_id, level in due:
        run = runs[run_id]
        send(
            run_duration_alert(
                label_of(run), run_id, run.tags.get(PARTITION_TAG), elapsed[run_id], level,
                t.run_duration_warn_seconds, t.run_duration_critical_seconds,
            )
        )  # fmt: skip
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    return dg.SkipReason(f"{len(due)} slow-run alerts")
