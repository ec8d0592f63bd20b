"""Land one Monday board in the warehouse: extract through the client, load through staging.

This is the whole ingestion step without any orchestrator in it, so it can be run and tested on
its own; the Dagster asset only supplies the client, the warehouse and the run identity.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass
from typing import Literal

from customer_master.common import truncate, utcnow
from customer_master.monday import MondayClient, incremental_since, reconcile
from customer_master.monday.models import ExtractMode
from customer_master.monday.prefetch import prefetched
from customer_master.monday.versions import served_version_warning
from customer_master.warehouse.base import LoadResult, RunInfo, RunLogEntry, SyncState, Warehouse

log = logging.getLogger(__name__)

RequestedMode = Literal["auto", "full", "incremental"]


@dataclass(frozen=True, slots=True)
class LandingReport:
    board_id: str
    board_name: str
    mode: ExtractMode
    since: dt.date | None
    result: LoadResult
    api_calls: int
    complexity_used: int
    retries: int
    cursor_restarts: int
    seconds: float
    cursor_resumes: int = 0
    hydrated_items: int = 0
    api_version: str | None = None  # pinned (the request header)
    api_version_served: str | None = None  # what Monday answered with (the response header)

    @property
    def api_version_warning(self) -> str | None:
        return served_version_warning(self.api_version, self.api_version_served)

    def as_metadata(self) -> dict[str, object]:
        """Flat, JSON-friendly numbers for run metadata and the demo summary."""
        return {
            "board_id": self.board_id,
            "board_name": self.board_name,
            "mode": self.mode,
            "since": self.since.isoformat() if self.since else None,
            **{k: v for k, v in asdict(self.result).items() if k not in {"board_id", "mode"}},
            "api_calls": self.api_calls,
            "complexity_used": self.complexity_used,
            "retries": self.retries,
            "cursor_restarts": self.cursor_restarts,
            "cursor_resumes": self.cursor_resumes,
            "hydrated_items": self.hydrated_items,
            "api_version": self.api_version,
            "api_version_served": self.api_version_served,
            **({"api_version_warning": warning} if (warning := self.api_version_warning) else {}),
            "seconds": round(self.seconds, 3),
        }


def choose_mode(
    requested: RequestedMode, state: SyncState | None, overlap_days: int
) -> tuple[ExtractMode, dt.date | None]:
    """Decide full vs incremental, and the `__last_updated__` lower bound for incremental pulls.

    `auto` pulls everything the first time (nothing to be incremental against) and incrementally
    afterwards, starting `overlap_days` before the last successful sync: Monday's filter is
    day-granular and follows the token owner's timezone, so an exact cut-off would lose edits.
    """
    if requested == "full" or (requested == "auto" and state is None):
        return "full", None
    if state is None:
        raise ValueError("an incremental pull needs a previous successful sync of this board; run a full one")
    return "incremental", incremental_since(state.last_sync_at, overlap_days)


def land_board(
    client: MondayClient,
    warehouse: Warehouse,
    board_id: str,
    *,
    run: RunInfo,
    mode: RequestedMode = "auto",
    overlap_days: int = 1,
    force: bool = False,
) -> LandingReport:
    """Pull `board_id` and swap it into the raw tables; the run log records success and failure.

    `force=True` lets a load through that the guards on losing items would stop (a full pull that
    shrinks the board by more than half, more than `max_delete_fraction` of it marked deleted)."""
    before = _counters(client)
    try:
        report = _land(
            client,
            warehouse,
            board_id,
            run=run,
            mode=mode,
            overlap_days=overlap_days,
            force=force,
            before=before,
        )
    except Exception as exc:
        warehouse.record_run(
            _run_entry(run, "failed", _spent(before, client), message=_short(exc), board_id=board_id)
        )
        raise
    entry = _run_entry(
        run,
        "success",
        _spent(before, client),
        records=report.result.items_loaded,
        errors=report.result.quarantined,
        board_id=board_id,
    )
    warehouse.record_run(entry)
    log.info("landed board %s: %s", board_id, report.as_metadata())
    return report


def _land(
    client: MondayClient,
    warehouse: Warehouse,
    board_id: str,
    *,
    run: RunInfo,
    mode: RequestedMode,
    overlap_days: int,
    force: bool,
    before: dict[str, int],
) -> LandingReport:
    started = time.perf_counter()
    board = client.get_board(board_id)
    extract_mode, since = choose_mode(mode, warehouse.sync_state(board_id), overlap_days)
    known_active = warehouse.active_item_ids(board_id)

    with warehouse.begin_board_load(board, mode=extract_mode, since=since, run=run, force=force) as load:
        pulled: set[str] = set()
        # The next page is fetched and parsed while this one is staged.
        for page in prefetched(client.iter_item_pages(board, since=since), name=f"monday-{board_id}"):
            load.add_page(page)
            pulled.update(page.items["item_id"])
        # A full pull sees every active item; an incremental one only the changed ones, so it
        # needs a cheap id scan to notice items that were archived or deleted since last time.
        active_now = pulled if extract_mode == "full" else client.active_item_ids(board_id)
        load.set_state_changes(reconcile(known_active, active_now, client, board_id=board.id))
        # The columns snapshot is taken after the pull, so a column added meanwhile is in it.
        load.set_board(client.get_board(board_id))
        result = load.commit(client.stats)

    spent = _spent(before, client)
    return LandingReport(
        board_id=board.id,
        board_name=board.name,
        mode=extract_mode,
        since=since,
        result=result,
        api_calls=spent["api_calls"],
        complexity_used=spent["complexity_used"],
        retries=spent["retries"],
        cursor_restarts=spent["cursor_restarts"],
        seconds=time.perf_counter() - started,
        cursor_resumes=spent["cursor_resumes"],
        hydrated_items=spent["hydrated_items"],
        api_version=client.api_version,
        api_version_served=client.stats.api_version_served,
    )


_COUNTERS = ("api_calls", "complexity_used", "retries", "cursor_restarts", "cursor_resumes", "hydrated_items")


def _counters(client: MondayClient) -> dict[str, int]:
    return {name: getattr(client.stats, name) for name in _COUNTERS}


def _spent(before: dict[str, int], client: MondayClient) -> dict[str, int]:
    """What this landing cost: the client may be shared by several boards of one run."""
    return {name: value - before[name] for name, value in _counters(client).items()}


def _run_entry(
    run: RunInfo,
    status: str,
    spent: dict[str, int],
    *,
    records: int = 0,
    errors: int = 0,
    message: str | None = None,
    board_id: str | None = None,
) -> RunLogEntry:
    return run.log_entry(
        status,
        ended_at=utcnow(),
        records=records,
        errors=errors,
        api_calls=spent["api_calls"],
        complexity_used=spent["complexity_used"],
        message=message,
        board_id=board_id,
    )


def _short(exc: BaseException, limit: int = 500) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return truncate(text, limit)
