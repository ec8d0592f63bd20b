"""The one warehouse interface: what every caller may use, implemented by DuckDB (default) and
SQL Server (production) through `loader.SqlWarehouse`.

Callers (the Dagster defs, `landing`, `planning`, `plans`, `marts`, `mapping`, `run_reports`, the
demo) type against `Warehouse` and use nothing else: no private method, no engine-only method. SQL
for `session()` comes from `statements` (or a statement set built over it), so it runs on both.

A board load streams pages into staging tables, validates them, then swaps them into the
production tables in one transaction. Until `commit()` returns, production is untouched; if the
process dies or anything raises, production is exactly as it was and the staging leftovers are
cleared by the next load of that board.

    with warehouse.begin_board_load(board, mode="full", since=None, run=run) as load:
        for page in pages:
            load.add_page(page)
        load.set_state_changes(changes)
        result = load.commit(stats)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import pyarrow as pa

from customer_master.monday.models import Board, ExtractMode, ExtractStats, ItemPage, ItemStateChange
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import TableSpec

if TYPE_CHECKING:  # validation imports this module's LoadValidationError
    from customer_master.warehouse.validation import LoadRules

# One result row: the drivers hand back plain tuples of Python values.
Row: TypeAlias = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Who is loading: the orchestrator's run id, the asset and the partition (for the run log)."""

    run_id: str
    asset: str
    partition_key: str | None
    started_at: dt.datetime

    def log_entry(
        self,
        status: str,
        *,
        ended_at: dt.datetime,
        records: int = 0,
        errors: int = 0,
        api_calls: int = 0,
        complexity_used: int = 0,
        message: str | None = None,
        board_id: str | None = None,
    ) -> RunLogEntry:
        """This run's ops_run_log row, ended at `ended_at`."""
        return RunLogEntry(
            run_id=self.run_id,
            asset=self.asset,
            partition_key=self.partition_key,
            started_at=self.started_at,
            ended_at=ended_at,
            status=status,
            records=records,
            errors=errors,
            api_calls=api_calls,
            complexity_used=complexity_used,
            message=message,
            board_id=board_id,
        )


@dataclass(frozen=True, slots=True)
class SyncState:
    """What the warehouse knows about a board's last successful load (drives incremental pulls)."""

    board_id: str
    last_sync_at: dt.datetime
    last_full_sync_at: dt.datetime | None
    high_watermark: dt.datetime | None  # max item updated_at landed so far
    active_items: int


@dataclass(frozen=True, slots=True)
class LoadResult:
    board_id: str
    mode: ExtractMode
    items_loaded: int
    values_loaded: int
    quarantined: int
    state_changes: int
    error_rate: float  # quarantined values / values seen
    seconds: float


@dataclass(frozen=True, slots=True)
class RunLogEntry:
    run_id: str
    asset: str
    partition_key: str | None
    started_at: dt.datetime
    ended_at: dt.datetime
    status: str  # "success" | "failed"
    records: int
    errors: int
    api_calls: int
    complexity_used: int
    message: str | None = None
    board_id: str | None = None  # the Monday board the asset pulled


@dataclass(frozen=True, slots=True)
class AnalystCopy:
    """A read-only copy of the warehouse published for analysts (DuckDB; see `analyst.py`)."""

    path: Path
    tables: int
    bytes: int
    seconds: float


class LoadValidationError(Exception):
    """Staging failed validation; production tables were not touched."""


class Session(Protocol):
    """One open connection. `execute` returns the affected row count (-1 when unknown)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def bulk_insert(self, ref: str, spec: TableSpec, table: pa.Table) -> None: ...

    def close(self) -> None: ...


class BoardLoad(Protocol):
    def add_page(self, page: ItemPage) -> None: ...

    def set_board(self, board: Board) -> None:
        """The board as re-read after the pull: its columns are the partition's column snapshot."""
        ...

    def set_state_changes(self, changes: list[ItemStateChange]) -> None: ...

    def commit(self, stats: ExtractStats) -> LoadResult: ...

    def __enter__(self) -> BoardLoad: ...

    def __exit__(self, *exc: object) -> None: ...


class Warehouse(Protocol):
    """Raw landing for Monday boards, the ops tables (quarantine, run log), and sessions for the
    statement sets of plans, marts, run reports and the board mapping."""

    @property
    def statements(self) -> Statements:
        """This engine's statements and table locations (schemas, raw/ops/mart refs)."""
        ...

    @property
    def rules(self) -> LoadRules:
        """The gates every load applies before its swap (error rate, deletion and shrink guards)."""
        ...

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """The load time source (UTC): what `_loaded_at` and state-change times are stamped with."""
        ...

    def session(self) -> AbstractContextManager[Session]:
        """A short-lived connection (closed on exit); the first one makes sure the tables exist."""
        ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows of one statement built from `statements` (reporting)."""
        ...

    def ensure_schema(self) -> None: ...

    def begin_board_load(
        self, board: Board, *, mode: ExtractMode, since: dt.date | None, run: RunInfo, force: bool = False
    ) -> BoardLoad:
        """`force=True` waives the guards on losing items (FULL-load shrink, mass deletion): an operator
        confirming a board really lost them."""
        ...

    def sync_state(self, board_id: str) -> SyncState | None: ...

    def active_item_ids(self, board_id: str) -> set[str]: ...

    def record_run(self, entry: RunLogEntry) -> None: ...

    def table_counts(self) -> dict[str, int]: ...

    def table_rows(self, table: str) -> list[Row]:
        """All rows of a production table, in spec column order, sorted."""
        ...

    def staging_tables(self) -> list[str]:
        """Staging tables left in the staging schema (loads running, or killed)."""
        ...

    def publish_for_analysts(self) -> AnalystCopy | None:
        """Give analysts a consistent copy they can hold open without blocking the pipeline; None
        where they can query the warehouse itself (SQL Server serves readers concurrently)."""
        ...
