"""Apply waiting order changes: read the changed items by id, land them, bring order_master up to date.

Orchestrator-free (the Dagster asset in realtime_defs only supplies the clients, the warehouse, the
dbt runner and the run id), so the whole path runs and is tested on its own:

    claim  the waiting changes of this run in the change store (one run at a time drains them)
    read   the changed Monday items with `items(ids)`, 100 per call: content and state in one answer,
           so an event's own payload is never trusted (an older event arriving after a newer one, or
           an update after a delete, reads what Monday holds *now*)
    land   them in the raw tables in one transaction (a `changes` board load: archived, deleted and
           moved-away items are marked, a version older than the warehouse's is dropped)
    build  order_master incrementally: dbt recomputes only the orders of the changed items
    settle the changes applied (their lag recorded), or on failure back to waiting, parked after the
           last attempt with the error; when the warehouse was locked by another process, back to
           waiting without counting the attempt

Changes are keyed (source, board, item); a change of a board other than the Orders board never gets
here (the receiver and the poller store those as ignored), and one that does is refused by name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from customer_master.common import truncate
from customer_master.monday import MondayClient
from customer_master.monday.models import ItemStateChange
from customer_master.realtime.store import Change, ChangeStore, percentile
from customer_master.warehouse.analyst import is_lock_error, is_lock_message
from customer_master.warehouse.base import RunInfo, Warehouse

if TYPE_CHECKING:  # the OMS side imports dlt (~1.5 s): only a run with OMS changes pays for it
    from customer_master.oms.changes import OmsChangeReader
    from customer_master.warehouse.oms_landing import OmsChangeReport

log = logging.getLogger(__name__)

MONDAY = "monday"
OMS = "oms"  # ChangeKey("oms", <oms name, the YAML's `name`>, <order id>)

# dbt var the incremental order_master reads (dbt_project/macros/order_changes.sql).
ORDER_CHANGES_VAR = "order_changes"


@dataclass(frozen=True, slots=True)
class BoardChanges:
    """What one board's changes did to the raw tables."""

    board_id: str
    requested: int
    upserted: int
    archived: int
    deleted: int
    quarantined: int
    api_calls: int
    complexity_used: int


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """One run's work: what it claimed, landed and built, and how far behind the changes were."""

    claimed: int
    applied: int = 0
    requeued: int = 0  # changed again while this run read them: the next run applies them
    boards: tuple[BoardChanges, ...] = ()
    oms: tuple[OmsChangeReport, ...] = ()
    lags: tuple[float, ...] = ()  # seconds from arrival to order_master, per applied change
    seconds_landing: float = 0.0
    seconds_dbt: float = 0.0
    by_kind: Mapping[str, int] = field(default_factory=dict)

    @property
    def lag_max(self) -> float | None:
        return max(self.lags) if self.lags else None

    @property
    def lag_p50(self) -> float | None:
        return percentile(self.lags, 0.5)

    def as_metadata(self) -> dict[str, Any]:
        upserted = sum(b.upserted for b in self.boards)
        return {
            "changes": self.claimed,
            "applied": self.applied,
            "requeued": self.requeued,
            "items_upserted": upserted,
            "items_archived": sum(b.archived for b in self.boards),
            "items_deleted": sum(b.deleted for b in self.boards),
            "quarantined": sum(b.quarantined for b in self.boards),
            "api_calls": sum(b.api_calls for b in self.boards),
            "complexity_used": sum(b.complexity_used for b in self.boards),
            "oms_orders_upserted": sum(o.upserted for o in self.oms),
            "oms_orders_deleted": sum(o.deleted for o in self.oms),
            "oms_stale_dropped": sum(o.stale for o in self.oms),
            "oms_quarantined": sum(o.quarantined for o in self.oms),
            "lag_p50_s": _rounded(self.lag_p50),
            "lag_max_s": _rounded(self.lag_max),
            "seconds_landing": round(self.seconds_landing, 3),
            "seconds_dbt": round(self.seconds_dbt, 3),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def order_changes_vars(changes: Sequence[Change]) -> dict[str, dict[str, list[str]]]:
    """The dbt var naming the changed orders per source: Monday item ids (order_master's
    `monday_source_id`); OMS ids as order_master's `oms_source_id` ('<oms>:<id>')."""
    by_source: dict[str, set[str]] = {}
    for change in changes:
        key = change.key
        source_id = key.item_id if key.source == MONDAY else f"{key.board_id}:{key.item_id}"
        by_source.setdefault(key.source, set()).add(source_id)
    return {ORDER_CHANGES_VAR: {source: sorted(ids) for source, ids in sorted(by_source.items())}}


def land_board_changes(
    client: MondayClient, warehouse: Warehouse, board_id: str, item_ids: Sequence[str], *, run: RunInfo
) -> BoardChanges:
    """Read `item_ids` from Monday now and land them on `board_id` in one transaction."""
    calls, points = client.stats.api_calls, client.stats.complexity_used
    board = client.get_board(board_id)
    fetched = client.fetch_items(board_id, item_ids)
    gone = [ItemStateChange(item_id=i, state=s) for i, s in sorted(fetched.gone.items())]
    with warehouse.begin_board_load(board, mode="changes", since=None, run=run) as load:
        if fetched.page.item_count or fetched.page.quarantine:
            load.add_page(fetched.page)
        load.set_state_changes(gone)
        result = load.commit(client.stats)
    return BoardChanges(
        board_id=str(board_id),
        requested=len(item_ids),
        upserted=result.items_loaded,
        archived=sum(c.state.value == "archived" for c in gone),
        deleted=sum(c.state.value == "deleted" for c in gone),
        quarantined=result.quarantined,
        api_calls=client.stats.api_calls - calls,
        complexity_used=client.stats.complexity_used - points,
    )


def items_by_board(changes: Sequence[Change], source: str) -> dict[str, list[str]]:
    """Changed item ids of one source, per board, in a stable order."""
    boards: dict[str, set[str]] = {}
    for change in changes:
        if change.key.source == source:
            boards.setdefault(change.key.board_id, set()).add(change.key.item_id)
    return {board: sorted(ids, key=lambda i: (len(i), i)) for board, ids in sorted(boards.items())}


def apply_pending_changes(
    store: ChangeStore,
    *,
    run_id: str,
    run: RunInfo,
    warehouse: Warehouse,
    monday: Callable[[], AbstractContextManager[MondayClient]] | None,
    orders_board_id: str,
    build_order_master: Callable[[dict[str, Any]], None],
    limit: int = 1000,
    max_attempts: int = 3,
    sources: Sequence[str] | None = None,
    oms: Callable[[], AbstractContextManager[OmsChangeReader]] | None = None,
) -> ApplyReport:
    """Claim this run's changes and apply them; on any error they go back to waiting (parked after
    `max_attempts`; a warehouse locked by another process counts no attempt) and the error is
    raised, so the run fails and says why.

    `oms` opens the OMS reader (`OmsChangeReader.from_settings`) when an OMS is configured;
    `sources` (which changes to claim) defaults to Monday's, and the OMS's when `oms` is given."""
    if sources is None:
        sources = change_sources(oms_configured=oms is not None)
    changes = store.claim(run_id, limit=limit, sources=list(sources))
    if not changes:
        return ApplyReport(claimed=0)
    try:
        started = time.perf_counter()
        boards = _land_monday(
            changes, run=run, warehouse=warehouse, monday=monday, orders_board_id=orders_board_id
        )
        oms_reports = _land_oms(changes, run=run, warehouse=warehouse, oms=oms)
        landed = time.perf_counter()
        build_order_master(order_changes_vars(changes))
        built = time.perf_counter()
    except BaseException as exc:
        if warehouse_locked(exc):
            # Not the changes' fault: a long lock (the nightly run's dbt, an analyst's session) must
            # never use up their attempts and park them. The next run tries them again.
            released = store.release(run_id)
            log.error(
                "the warehouse is locked by another process; %d change(s) back to waiting, "
                "attempts not counted: %s",
                released,
                truncate(str(exc), 500),
            )
            raise
        failed = store.fail(run_id, truncate(f"{type(exc).__name__}: {exc}", 500), max_attempts=max_attempts)
        log.error(
            "applying %d order change(s) failed: %d back to waiting, %d parked after %d attempts",
            len(changes),
            failed.requeued,
            len(failed.parked),
            max_attempts,
        )
        raise
    done = store.complete(run_id)
    kinds: dict[str, int] = {}
    for change in changes:
        kinds[change.kind or "unknown"] = kinds.get(change.kind or "unknown", 0) + 1
    return ApplyReport(
        claimed=len(changes),
        applied=done.applied,
        requeued=done.requeued,
        boards=tuple(boards),
        oms=tuple(oms_reports),
        lags=tuple(done.lags),
        seconds_landing=landed - started,
        seconds_dbt=built - landed,
        by_kind=kinds,
    )


def change_sources(*, oms_configured: bool) -> tuple[str, ...]:
    """The changes a run claims: Monday's, and the OMS's when an OMS is configured."""
    return (MONDAY, OMS) if oms_configured else (MONDAY,)


def warehouse_locked(exc: BaseException) -> bool:
    """The DuckDB warehouse was held by another process: DuckDB's own error (or the warehouse's after
    waiting), or dbt's failure (`build_order_master`'s RuntimeError) quoting it."""
    return is_lock_error(exc) or (isinstance(exc, RuntimeError) and is_lock_message(str(exc)))


def _land_monday(
    changes: Sequence[Change],
    *,
    run: RunInfo,
    warehouse: Warehouse,
    monday: Callable[[], AbstractContextManager[MondayClient]] | None,
    orders_board_id: str,
) -> list[BoardChanges]:
    boards = items_by_board(changes, MONDAY)
    if not boards:
        return []
    foreign = sorted(set(boards) - {str(orders_board_id)})
    if foreign:
        raise ValueError(
            f"changes of board(s) {', '.join(foreign)} reached the order run; only the Orders board "
            f"({orders_board_id}, the board mapping's `orders`) is applied in real time"
        )
    if monday is None:
        raise ValueError("Monday changes are waiting but no Monday client was given")
    with monday() as client:
        return [land_board_changes(client, warehouse, board, ids, run=run) for board, ids in boards.items()]


def _land_oms(
    changes: Sequence[Change],
    *,
    run: RunInfo,
    warehouse: Warehouse,
    oms: Callable[[], AbstractContextManager[OmsChangeReader]] | None,
) -> list[OmsChangeReport]:
    """Read the changed OMS orders by id now and upsert them (`upsert_oms_orders`), per OMS."""
    by_oms = items_by_board(changes, OMS)
    if not by_oms:
        return []
    # Imported only when OMS changes wait: the OMS side imports dlt (~1 s a run would pay for nothing).
    from customer_master.warehouse.oms_landing import upsert_oms_orders

    if oms is None:
        raise ValueError(
            f"OMS order changes are waiting ({', '.join(sorted(by_oms))}) but no OMS is configured for "
            "this run: set CM_OMS_ENABLED=true (with OMS_SOURCE, OMS_API_URL and OMS_API_TOKEN)"
        )
    reports: list[OmsChangeReport] = []
    with oms() as reader:
        foreign = sorted(set(by_oms) - {reader.name})
        if foreign:
            raise ValueError(
                f"changes of OMS {', '.join(foreign)} reached the order run; the configured OMS is "
                f"{reader.name!r} (OMS_SOURCE's `name`)"
            )
        for name, ids in by_oms.items():
            calls = reader.api_calls
            records = reader.fetch_orders(ids)
            report = upsert_oms_orders(warehouse, records, source=reader.source, run=run, requested_ids=ids)
            log.info(
                "OMS %s: %d order(s) read by id in %d call(s): %d upserted, %d deleted, %d stale dropped",
                name,
                len(ids),
                reader.api_calls - calls,
                report.upserted,
                report.deleted,
                report.stale,
            )
            reports.append(report)
    return reports


# A run stays at most this long, however steadily changes arrive: runs stay bounded in the UI and
# in their logs, and the sensor starts the next one.
SESSION_MAX_SECONDS = 900.0


def apply_session(
    store: ChangeStore,
    apply_batch: Callable[[], ApplyReport],
    on_batch: Callable[[ApplyReport], None],
    *,
    linger_seconds: float,
    sources: Sequence[str] | None = None,
    yield_to_others: Callable[[], bool] = lambda: False,
    max_seconds: float = SESSION_MAX_SECONDS,
    poll_seconds: float = 0.25,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ApplyReport]:
    """One run's work: apply what waits (`apply_batch`), then keep applying the changes that arrive
    until none has come for `linger_seconds`. A run's start-up (the daemon's sensor loop, a new
    process, dbt's import and parse) is most of a change's latency; a run kept warm applies the next
    change in about two seconds. It ends at once when `yield_to_others()` says another run wants the
    warehouse (the nightly run must never wait for an idle session), and after `max_seconds`.
    `on_batch` records each batch that claimed changes (and the first, even empty). Changes over the
    batch limit are taken by the next batch at once, lingering or not. `sources`: the changes this
    run claims (all when None). An error ends the run."""
    deadline = clock() + max_seconds
    reports: list[ApplyReport] = []
    while True:
        report = apply_batch()
        if report.claimed or not reports:
            on_batch(report)
        else:  # pending, yet nothing this run may claim (another source's): nothing to wait for
            return reports
        reports.append(report)
        until = min(clock() + linger_seconds, deadline)
        if not _more_changes(store, sources, until, yield_to_others, poll_seconds, clock, sleep):
            return reports


def _more_changes(
    store: ChangeStore,
    sources: Sequence[str] | None,
    until: float,
    yield_to_others: Callable[[], bool],
    poll_seconds: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> bool:
    """Wait until changes are pending (True) or `until` passes or another run wants the warehouse."""
    while True:
        if yield_to_others():
            return False
        if store.pending_count(sources):
            return True
        if clock() >= until:
            return False
        sleep(poll_seconds)
