"""Sensors of the real-time path: launch order-update runs, poll Monday when it cannot push, alert.

- `order_changes_sensor` (every CM_REALTIME_SENSOR_INTERVAL_SECONDS; the daemon ticks at most every
  5 s): settles the changes of runs that died (back to waiting, parked after the last attempt),
  launches one `realtime_order_updates_job` run when changes wait and none is in flight (a run
  drains up to CM_REALTIME_BATCH_LIMIT changes; more wait for the next), and alerts on transitions:
  changes parked (critical), more than 100 unprocessed (critical), orders more than 30 s behind
  (the live freshness alert, warn) and their recoveries.
- `monday_order_poll_sensor` (every CM_POLL_INTERVAL_SECONDS, on by default in polling mode): asks
  Monday for the Orders board's items updated since yesterday (ids and updated_at only), stores
  those whose updated_at moved, and every few polls scans the active ids for items that left; it
  launches the run itself, saving a tick. The tick's log says the complexity points it cost.

Neither touches the warehouse: a nightly run holding DuckDB's write lock never stalls them (the
order-update run waits for the `warehouse` pool instead, then applies everything that waited).
"""

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import dagster as dg

from customer_master.alerts.messages import check_failure_alert, freshness_alert
from customer_master.alerts.models import Alert
from customer_master.board_mapping import configured_mapping
from customer_master.common import utcnow
from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.resources import SlackResource
from customer_master.monitoring.verdicts import order_change_lag, unprocessed_order_changes
from customer_master.realtime.polling import poll_board
from customer_master.realtime.store import ChangeStore

# The module, not its job: a defs module holding a job by name would define it twice.
from customer_master.realtime_defs import assets as realtime_assets
from customer_master.realtime_defs.assets import (
    BACKLOG_CHECK,
    ORDER_UPDATES_KEY,
    REALTIME_JOB_NAME,
    today_partition,
)
from customer_master.realtime_defs.resources import ChangeStoreResource
from customer_master.settings import get_settings
from customer_master.thresholds import get_thresholds

log = logging.getLogger(__name__)
T = TypeVar("T")

_S = get_settings()
_T = get_thresholds()
_LIVE = dg.DefaultSensorStatus.RUNNING if _S.realtime_mode != "off" else dg.DefaultSensorStatus.STOPPED
_POLLING = dg.DefaultSensorStatus.RUNNING if _S.realtime_mode == "polling" else dg.DefaultSensorStatus.STOPPED
# An OMS pushes nothing: with the OMS enabled and order changes live, it is polled in either mode.
_OMS_POLLING = (
    dg.DefaultSensorStatus.RUNNING
    if _S.oms_enabled and _S.realtime_mode != "off"
    else dg.DefaultSensorStatus.STOPPED
)

# After a failed order-update run the next one waits this long (its changes stay waiting).
RETRY_AFTER_FAILURE_S = 30.0
WAITING_NOTHING = (
    "no order changes waiting, a run is already applying them, or the last run failed less than "
    f"{RETRY_AFTER_FAILURE_S:.0f} s ago"
)
LAG_LIMIT = f"{_T.order_lag_seconds:.0f} s behind the order changes"
_FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def settle_dead_runs(instance: dg.DagsterInstance, store: ChangeStore, max_attempts: int) -> list[str]:
    """Changes claimed by a run that finished without settling them (its process died, or it failed
    before it could) go back to waiting, or are parked after `max_attempts`."""
    notes = []
    for run_id in store.running_run_ids():
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status not in _FINISHED:
            continue
        status = "is gone" if run is None else f"ended {run.status.value}"
        result = store.fail(
            run_id, f"run {run_id} {status} before applying its changes", max_attempts=max_attempts
        )
        notes.append(
            f"run {run_id} {status}: {result.requeued} change(s) back to waiting, {len(result.parked)} parked"
        )
    return notes


def run_in_flight(instance: dg.DagsterInstance) -> bool:
    in_flight = dg.RunsFilter(job_name=REALTIME_JOB_NAME, statuses=realtime_assets.IN_FLIGHT)
    return bool(instance.get_run_records(in_flight, limit=1))


def failed_recently(instance: dg.DagsterInstance, now: float) -> bool:
    """The latest order-update run failed less than RETRY_AFTER_FAILURE_S ago: the next waits, so a
    cause that lasts (a warehouse another process holds, Monday down) is not hammered every tick."""
    records = instance.get_run_records(dg.RunsFilter(job_name=REALTIME_JOB_NAME), limit=1)
    if not records or records[0].dagster_run.status != dg.DagsterRunStatus.FAILURE:
        return False
    ended = records[0].end_time or records[0].update_timestamp.timestamp()
    return now - ended < RETRY_AFTER_FAILURE_S


def launch_if_waiting(instance: dg.DagsterInstance, store: ChangeStore) -> dg.RunRequest | None:
    """One run for everything waiting, unless one is already queued or running (it, or the run after
    it, takes the rest: changes that arrive meanwhile wait in the store, never in a second run), or
    the last one failed moments ago."""
    if store.pending_count() == 0 or run_in_flight(instance) or failed_recently(instance, time.time()):
        return None
    return dg.RunRequest(tags={"customer_master/trigger": "order_changes"})


def _poll_and_launch(
    context: dg.SensorEvaluationContext,
    change_store: ChangeStoreResource,
    poll: Callable[[ChangeStore], T],
) -> tuple[T, dg.RunRequest | None]:
    """Every sensor's tick: open the change store, `poll` it (store the changes found, or settle the
    runs that died), then one run if changes wait (`launch_if_waiting`), the store still open.
    Returns what `poll` returned and the run to launch, if any."""
    with change_store.open() as store:
        found = poll(store)
        return found, launch_if_waiting(context.instance, store)


def _or_skip(request: dg.RunRequest | None, reason: str) -> dg.RunRequest | dg.SkipReason:
    return request if request is not None else dg.SkipReason(reason)


def live_alerts(
    store: ChangeStore, remembered: dict[str, Any], now: float
) -> tuple[list[Alert], dict[str, Any]]:
    """Alerts for what changed since the previous tick: parked changes, the backlog above its limit,
    orders behind by more than 30 s; and the recoveries. Returns them with the state to remember."""
    stats = store.stats()
    alerts: list[Alert] = []
    asset = ORDER_UPDATES_KEY.to_user_string()

    parked_before = int(remembered.get("parked_total", stats.parked_total))
    newly = stats.parked_total - parked_before
    if newly > 0:
        newest = store.parked(limit=newly)
        details = [f"{p.key.board_id}/{p.key.item_id}: {p.last_error}" for p in newest]
        alerts.append(
            Alert(
                kind="check_failure",
                severity="critical",
                title=f"Order updates parked: {newly} change(s) failed every attempt",
                what=(
                    "These order changes did not reach order_master after all their attempts. Fix the cause, "
                    "then `python -m customer_master.realtime retry-parked` (the nightly run also "
                    "catches them)."
                ),
                where={"asset": asset},
                value=str(newly),
                details=details[:10],
                dedupe_key=f"order_updates_parked:{stats.parked_total}",
            )
        )

    backlog = unprocessed_order_changes(stats.pending, _T)
    state = "pass" if backlog.passed else "fail"
    if state != remembered.get("backlog", "pass"):
        alerts.append(
            check_failure_alert(asset, BACKLOG_CHECK, None, "critical", str(stats.pending),
                                f"> {_T.order_backlog_critical}", backlog.description, None)
            if state == "fail"
            else Alert(kind="recovery", severity="info", title=f"Recovered: {BACKLOG_CHECK} on {asset}",
                       what=backlog.description, where={"asset": asset, "check": BACKLOG_CHECK})
        )  # fmt: skip

    age = None if stats.oldest_pending_at is None else max(0.0, now - stats.oldest_pending_at)
    lag = order_change_lag(age, _T)
    lag_state: Literal["pass", "warn"] = "pass" if lag.passed else "warn"
    previous_lag = remembered.get("lag", "pass")
    if lag_state != previous_lag:
        oldest = (
            None
            if stats.oldest_pending_at is None
            else dt.datetime.fromtimestamp(stats.oldest_pending_at, dt.UTC)
        )
        alerts.append(
            freshness_alert("order_master", lag_state, previous_lag, oldest, LAG_LIMIT, utcnow())
        )  # fmt: skip
    return alerts, {"parked_total": stats.parked_total, "backlog": state, "lag": lag_state}


@dg.sensor(
    name="order_changes_sensor",
    job=realtime_assets.realtime_order_updates_job,
    minimum_interval_seconds=_S.realtime_sensor_interval_seconds,
    default_status=_LIVE,
    description=(
        "Launches a run of realtime_order_updates_job when order changes wait (webhooks or polling); "
        "settles the changes of runs that died; alerts on parked changes, more than "
        f"{_T.order_backlog_critical} unprocessed, and orders more than {_T.order_lag_seconds:.0f} s behind."
    ),
)
def order_changes_sensor(
    context: dg.SensorEvaluationContext, change_store: ChangeStoreResource, slack: SlackResource
):
    remembered = json.loads(context.cursor) if context.cursor else {}

    def settle_and_watch(store: ChangeStore) -> tuple[list[Alert], dict[str, Any]]:
        for note in settle_dead_runs(context.instance, store, _S.realtime_max_attempts):
            context.log.warning(note)
        return live_alerts(store, remembered, time.time())

    (alerts, state), request = _poll_and_launch(context, change_store, settle_and_watch)
    if alerts:
        notifier = slack.get_notifier(logger=log)
        for alert in alerts:
            notifier.send(alert)
    # After the alerts went out: an alert that failed to send is sent again on the next tick.
    context.update_cursor(json.dumps(state, sort_keys=True))
    return _or_skip(request, WAITING_NOTHING)


@dg.sensor(
    name="monday_order_poll_sensor",
    job=realtime_assets.realtime_order_updates_job,
    minimum_interval_seconds=_S.poll_interval_seconds,
    default_status=_POLLING,
    description=(
        f"Polling fallback (CM_REALTIME_MODE=polling): every {_S.poll_interval_seconds} s, the Orders "
        "board's items updated since yesterday whose updated_at moved become order changes; every "
        f"{_S.poll_state_check_every} polls an id scan finds archived and deleted items."
    ),
)
def monday_order_poll_sensor(
    context: dg.SensorEvaluationContext, monday: MondayResource, change_store: ChangeStoreResource
):
    board_id = configured_mapping().board_ids["orders"]

    def poll(store: ChangeStore) -> str:
        with monday.get_client() as client:
            report = poll_board(
                client,
                store,
                change_store.poll_state(),
                board_id,
                today=dt.date.fromisoformat(today_partition()),
                state_check_every=_S.poll_state_check_every,
            )
        context.log.info(report.summary())
        return report.summary()

    summary, request = _poll_and_launch(context, change_store, poll)
    return _or_skip(request, summary)


@dg.sensor(
    name="oms_order_poll_sensor",
    job=realtime_assets.realtime_order_updates_job,
    minimum_interval_seconds=_S.poll_interval_seconds,
    default_status=_OMS_POLLING,
    description=(
        f"Every {_S.poll_interval_seconds} s, the OMS orders updated since the previous poll (the OMS "
        "YAML's updated-since cursor, a few seconds' overlap) and its deletions feed become order "
        "changes (CM_OMS_ENABLED and CM_REALTIME_MODE not off)."
    ),
)
def oms_order_poll_sensor(context: dg.SensorEvaluationContext, change_store: ChangeStoreResource):
    if not get_settings().oms_enabled:
        return dg.SkipReason("the OMS is not enabled (CM_OMS_ENABLED)")
    from customer_master.oms.changes import OmsChangeReader, OmsPollState, poll_oms  # imports dlt

    def poll(store: ChangeStore) -> str:
        with OmsChangeReader.from_settings(get_settings()) as reader:
            report = poll_oms(store, OmsPollState(change_store.path), reader)
        context.log.info(report.summary())
        return report.summary()

    summary, request = _poll_and_launch(context, change_store, poll)
    return _or_skip(request, summary)
