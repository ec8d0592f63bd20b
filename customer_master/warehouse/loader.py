"""The engine-neutral board load: staging -> validate -> one-transaction swap, over a `Session`.

`SqlWarehouse` implements the `Warehouse` protocol for any engine that can give it a `Session`
(DuckDB and SQL Server do) and a `Statements` object. All SQL comes from `Statements`; a session
only executes it and bulk-appends Arrow tables in its engine's fastest way.

Swap, inside BEGIN/COMMIT (both modes):
  1. delete the production rows (items + values) of every staged item, insert staging (upsert);
  2. apply the reported state changes (state updated, last values kept);
  3. FULL only: an active item neither pulled nor reported is marked `deleted` (never lingers active);
  (each time an item's recorded state changes in 1-3, `_state_changed_at` becomes the load time;)
  4. upsert raw_monday_boards, replace the (board, partition) columns snapshot and quarantine,
     upsert ops_sync_state.
Anything failing rolls the whole transaction back; staging is dropped either way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any

import pyarrow as pa

from customer_master.common import utcnow
from customer_master.monday.models import (
    Board,
    Column,
    ExtractMode,
    ExtractStats,
    ItemPage,
    ItemState,
    ItemStateChange,
    QuarantineRecord,
)
from customer_master.warehouse.arrow import (
    arrow_schema,
    changes_table,
    items_table,
    quarantine_table,
    to_utc_naive,
    values_table,
)
from customer_master.warehouse.base import (
    AnalystCopy,
    LoadResult,
    Row,
    RunInfo,
    RunLogEntry,
    Session,
    SyncState,
)
from customer_master.warehouse.keys import fit_quarantine, split_overlong_columns, split_overlong_keys
from customer_master.warehouse.sql import BEGIN, COMMIT, Statements
from customer_master.warehouse.tables import (
    ACTIVE,
    OPS_SYNC_STATE,
    PRODUCTION_TABLES,
    RAW_COLUMNS,
    RAW_ITEMS,
    RAW_VALUES,
    SOURCE_MONDAY,
    STAGING_CHANGES,
    STAGING_ITEMS,
    STAGING_QUARANTINE,
    STAGING_TABLES,
    STAGING_VALUES,
    TABLES_BY_NAME,
    TableSpec,
)
from customer_master.warehouse.validation import LoadRules, StagingCounts, error_rate, validate_load

COLUMNS_SCHEMA = arrow_schema(RAW_COLUMNS)


__all__ = ["Session", "SqlWarehouse", "StagedBoardLoad", "transaction", "write_sync_state"]


@contextmanager
def transaction(s: Session, rollback: str) -> Iterator[Session]:
    """BEGIN ... COMMIT around the block; on any error roll back (`rollback` is the engine's
    statement) and re-raise the original error, whatever the rollback does."""
    s.execute(BEGIN)
    try:
        yield s
        s.execute(COMMIT)
    except BaseException:
        with contextlib.suppress(Exception):  # the original error is what matters
            s.execute(rollback)
        raise


def write_sync_state(
    s: Session,
    st: Statements,
    source: str,
    board_id: str,
    *,
    now: dt.datetime,
    full: bool,
    updated: Iterable[dt.datetime | None],
    active: int,
    run_id: str,
    load_id: str | None = None,
) -> None:
    """Replace the (source, board_id) row of ops_sync_state inside the load's transaction: synced
    now, fully if `full` (else the last full sync is kept), the high watermark the later of the
    previous one and `updated`. `load_id`: the dlt load an OMS contract is in step with."""
    prev = s.query(st.select_sync_state(), [source, board_id])
    prev_row = dict(zip(OPS_SYNC_STATE.column_names, prev[0], strict=True)) if prev else {}
    marks = [m for m in (prev_row.get("high_watermark"), *updated) if m is not None]
    s.execute(st.delete_sync_state(), [source, board_id])
    s.execute(
        st.insert_sync_state(),
        [
            source,
            board_id,
            now,
            now if full else prev_row.get("last_full_sync_at"),
            max(marks) if marks else None,
            active,
            run_id,
            load_id,
        ],
    )


def _sort_key(row: Row) -> tuple[tuple[bool, Any], ...]:
    return tuple((v is None, v if v is not None else 0) for v in row)


def _given(value: float | None, default: float) -> float:
    return default if value is None else value


class SqlWarehouse(ABC):
    """`Warehouse` over a `Session`; subclasses say how to open one (`_open_session`, their only
    hook) and, for DuckDB, how to publish the analysts' copy."""

    def __init__(
        self,
        statements: Statements,
        *,
        rules: LoadRules | None = None,
        max_error_rate: float | None = None,
        max_shrink_fraction: float | None = None,
        max_delete_fraction: float | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        stage_batch_rows: int = 100_000,
        background_staging: bool = True,
    ) -> None:
        rules = rules or LoadRules()
        rules = dataclasses.replace(  # an explicit threshold overrides the rules' own
            rules,
            max_error_rate=_given(max_error_rate, rules.max_error_rate),
            max_shrink_fraction=_given(max_shrink_fraction, rules.max_shrink_fraction),
            max_delete_fraction=_given(max_delete_fraction, rules.max_delete_fraction),
        )
        self.statements = statements
        self.rules = rules
        self.clock = clock
        # Rows (items + values) buffered in memory before they are appended to staging.
        self.stage_batch_rows = stage_batch_rows
        # Append staging batches on a writer thread while the caller produces the next pages.
        self.background_staging = background_staging
        self._ensured = False

    @abstractmethod
    def _open_session(self) -> Session: ...

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short-lived session; the first one of this object makes sure the tables exist."""
        s = self._open_session()
        try:
            if not self._ensured:
                self._ensure(s)
            yield s
        finally:
            s.close()

    # --- schema ---------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create schemas and tables that are missing, add missing columns (idempotent)."""
        s = self._open_session()
        try:
            self._ensure(s)
        finally:
            s.close()

    def _ensure(self, s: Session) -> None:
        self._ensure_on(s)
        self._ensured = True

    def _ensure_on(self, s: Session) -> None:
        st = self.statements
        for schema in st.schemas():
            if s.query(st.schema_exists(), [schema])[0][0]:
                continue
            try:
                s.execute(st.create_schema(schema))
            except Exception:
                if not s.query(st.schema_exists(), [schema])[0][0]:  # not a lost race: a real error
                    raise
        for ddl in st.create_production_tables():
            s.execute(ddl)
        live: dict[str, dict[str, int | None]] = {}
        for _schema, table, column, length in s.query(st.existing_columns(), st.existing_columns_params()):
            live.setdefault(str(table).lower(), {})[str(column).lower()] = length
        for spec in PRODUCTION_TABLES:
            have = live.get(spec.name.lower())
            if have is None:
                continue
            for col in spec.columns:
                if col.name.lower() not in have:
                    s.execute(st.add_column(spec, col))
                elif st.needs_widening(col, have[col.name.lower()]):
                    s.execute(st.widen_column(spec, col))

    # --- loads ----------------------------------------------------------------------------------
    def begin_board_load(
        self,
        board: Board,
        *,
        mode: ExtractMode,
        since: dt.date | None,
        run: RunInfo,
        force: bool = False,
    ) -> StagedBoardLoad:
        """A board load; `force=True` waives the guards on losing items (the FULL-load shrink guard
        and the mass-deletion guard), nothing else."""
        return StagedBoardLoad(self, board, mode=mode, since=since, run=run, force=force)

    # --- reads ----------------------------------------------------------------------------------
    def sync_state(self, board_id: str) -> SyncState | None:
        with self.session() as s:
            rows = s.query(self.statements.select_sync_state(), [SOURCE_MONDAY, board_id])
        if not rows:
            return None
        row = dict(zip(OPS_SYNC_STATE.column_names, rows[0], strict=True))
        return SyncState(
            board_id=row["board_id"],
            last_sync_at=row["last_sync_at"],
            last_full_sync_at=row["last_full_sync_at"],
            high_watermark=row["high_watermark"],
            active_items=int(row["active_items"] or 0),
        )

    def active_item_ids(self, board_id: str) -> set[str]:
        with self.session() as s:
            return {r[0] for r in s.query(self.statements.active_item_ids(), [board_id, ACTIVE])}

    def record_run(self, entry: RunLogEntry) -> None:
        """One row in ops_run_log, autocommitted on its own (also after a failed load)."""
        params = [
            entry.run_id,
            entry.asset,
            entry.partition_key,
            to_utc_naive(entry.started_at),
            to_utc_naive(entry.ended_at),
            entry.status,
            entry.records,
            entry.errors,
            entry.api_calls,
            entry.complexity_used,
            entry.message,
            entry.board_id,
        ]
        with self.session() as s:
            s.execute(self.statements.insert_run_log(), params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows of one statement (build it from `self.statements` so it runs on both engines)."""
        with self.session() as s:
            return s.query(sql, params)

    def publish_for_analysts(self) -> AnalystCopy | None:
        """Nothing to publish by default: a server engine serves analysts next to the pipeline."""
        return None

    def table_counts(self) -> dict[str, int]:
        with self.session() as s:
            return {
                spec.name: int(s.query(self.statements.count_rows(spec))[0][0]) for spec in PRODUCTION_TABLES
            }

    def staging_tables(self) -> list[str]:
        """Tables in the staging schema: SQL Server loads running or killed (DuckDB stages in TEMP)."""
        with self.session() as s:
            rows = s.query(self.statements.list_staging_tables(), [self.statements.staging_schema])
        return sorted(str(r[0]) for r in rows)

    def table_rows(self, table: str) -> list[Row]:
        """All rows of a production table, columns in spec order, sorted (for comparisons/reports)."""
        spec = TABLES_BY_NAME[table]
        with self.session() as s:
            rows = [tuple(r) for r in s.query(self.statements.select_all(spec))]
        return sorted(rows, key=_sort_key)


_STAGED_PAGE_SPECS: tuple[TableSpec, ...] = (STAGING_ITEMS, STAGING_VALUES, STAGING_QUARANTINE)


class StagedBoardLoad:
    """One board's load. Use as a context manager; see `customer_master.warehouse.base`.

    Pages are converted to Arrow in `add_page` and buffered; every `stage_batch_rows` rows the
    buffer is appended to staging by one background writer thread (one short transaction per
    batch), so converting the next pages (and, in production, waiting for the API) overlaps the
    database write. At most two batches are held in memory. A writer error surfaces at the next
    `add_page` or at `commit`.
    """

    def __init__(
        self,
        warehouse: SqlWarehouse,
        board: Board,
        *,
        mode: ExtractMode,
        since: dt.date | None,
        run: RunInfo,
        force: bool = False,
    ) -> None:
        if mode not in ("full", "incremental", "changes"):
            raise ValueError(f"mode must be 'full', 'incremental' or 'changes', got {mode!r}")
        self.warehouse = warehouse
        self.board = board
        self.mode: ExtractMode = mode
        self.since = since
        self.run = run
        self.force = force
        self._st = warehouse.statements
        self._session: Session | None = None
        self._closer = ExitStack()  # closes the load's session (`warehouse.session()`)
        self._status = "new"  # new -> open -> committed | discarded
        self._changes: list[ItemStateChange] = []
        self._buffer: dict[str, list[pa.Table]] = {spec.name: [] for spec in _STAGED_PAGE_SPECS}
        self._buffered_rows = 0
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._t0 = time.perf_counter()

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> StagedBoardLoad:
        self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status == "open":
            self._discard(quiet=exc[0] is not None)

    def _open(self) -> None:
        if self._status != "new":
            return
        # The load holds one session from here to commit or discard (DuckDB's TEMP staging lives
        # in it); `warehouse.session()` also makes sure the production tables exist.
        s = self._closer.enter_context(self.warehouse.session())
        try:
            # One transaction for the staging DDL: one commit (one log flush) instead of one each.
            with transaction(s, self._st.rollback):
                for sql in self._st.begin_load(self.board.id):
                    s.execute(sql)
        except BaseException:
            self._closer.close()
            raise
        self._session = s
        self._status = "open"
        self._t0 = time.perf_counter()

    def _live_session(self) -> Session:
        if self._status == "new":
            self._open()
        if self._status != "open" or self._session is None:
            raise RuntimeError(f"board {self.board.id} load is already {self._status}")
        return self._session

    def _stop_writer(self) -> BaseException | None:
        """Wait for the background write (if any) and stop the thread; returns its error."""
        error: BaseException | None = None
        if self._pending is not None:
            pending, self._pending = self._pending, None
            error = pending.exception()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        return error

    def _discard(self, *, quiet: bool) -> None:
        """Drop this board's staging and close; production was never touched."""
        self._stop_writer()
        s, self._session = self._session, None
        self._status = "discarded"
        self._buffer = {name: [] for name in self._buffer}
        self._buffered_rows = 0
        if s is None:
            return
        try:
            for sql in self._st.drop_staging(self.board.id):
                s.execute(sql)
        except Exception:
            if not quiet:
                raise
        finally:
            self._closer.close()

    def _ref(self, spec: TableSpec) -> str:
        return self._st.staging_ref(spec, self.board.id)

    # --- staging --------------------------------------------------------------------------------
    def add_page(self, page: ItemPage) -> None:
        """Convert the page to Arrow and buffer it; full buffers go to staging in the background."""
        self._live_session()
        if str(page.board_id) != self.board.id:
            raise ValueError(f"page of board {page.board_id} added to the load of board {self.board.id}")
        # An id too long for an id column is quarantined here, on every engine (keys.py).
        items, values, too_long = split_overlong_keys(self.board.id, items_table(page), values_table(page))
        quarantine = fit_quarantine([*page.quarantine, *too_long])
        if items.num_rows:
            self._buffer[STAGING_ITEMS.name].append(items)
        if values.num_rows:
            self._buffer[STAGING_VALUES.name].append(values)
        if quarantine:
            self._buffer[STAGING_QUARANTINE.name].append(quarantine_table(quarantine))
        self._buffered_rows += items.num_rows + values.num_rows + len(quarantine)
        if self._buffered_rows >= self.warehouse.stage_batch_rows:
            self._flush(background=self.warehouse.background_staging)

    def _flush(self, *, background: bool) -> None:
        """Hand the buffer to the writer (after the previous batch is written); or write it now."""
        s = self._live_session()
        previous = self._pending
        if previous is not None:
            self._pending = None
            previous.result()  # one batch in flight at most; re-raises a writer error
        batch = {name: pa.concat_tables(tables) for name, tables in self._buffer.items() if tables}
        self._buffer = {name: [] for name in self._buffer}
        self._buffered_rows = 0
        if not batch:
            return
        if not background:
            self._write(s, batch)
            return
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"stage-{self.board.id}")
        self._pending = self._writer.submit(self._write, s, batch)

    def _write(self, s: Session, batch: dict[str, pa.Table]) -> None:
        """Append one batch to staging in one short transaction."""
        with transaction(s, self._st.rollback):
            for spec in _STAGED_PAGE_SPECS:
                table = batch.get(spec.name)
                if table is not None and table.num_rows:
                    s.bulk_insert(self._ref(spec), spec, table)

    def staged_rows(self) -> dict[str, int]:
        """Rows this load has written to staging so far, per staging table (buffered pages not yet
        written are not counted). Only the load's own connection can see DuckDB's TEMP staging."""
        s = self._live_session()
        if self._pending is not None:  # the connection is the writer's until its batch is in
            self._pending.result()
            self._pending = None
        return {
            spec.name: int(s.query(self._st.count_staging(spec, self.board.id))[0][0])
            for spec in STAGING_TABLES
        }

    def set_state_changes(self, changes: list[ItemStateChange]) -> None:
        self._live_session()
        self._changes = list(changes)

    # The board as re-read after the pull (`set_board`); None: the board the load began with.
    _board_after_pull: Board | None = None

    def set_board(self, board: Board) -> None:
        """The board's metadata as re-read after the items were pulled: the run's columns snapshot
        and `raw_monday_boards` row come from it, so a column added during the pull is in them."""
        self._live_session()
        if str(board.id) != self.board.id:
            raise ValueError(f"board {board.id} handed to the load of board {self.board.id}")
        self._board_after_pull = board

    # --- validate + swap ------------------------------------------------------------------------
    def commit(self, stats: ExtractStats) -> LoadResult:
        s = self._live_session()
        try:
            _columns, too_long = self._snapshot_columns()
            if too_long:
                self._buffer[STAGING_QUARANTINE.name].append(quarantine_table(fit_quarantine(too_long)))
            self._flush(background=False)
            error = self._stop_writer()
            if error is not None:
                raise error
            changes = changes_table(self._changes)
            if changes.num_rows:
                s.bulk_insert(self._ref(STAGING_CHANGES), STAGING_CHANGES, changes)
            if self.mode == "changes":
                for sql in self._st.discard_stale_staged(self.board.id):
                    s.execute(sql, [self.board.id])
            counts, max_updated = self.measure(s)
            validate_load(counts, self.warehouse.rules, force=self.force)
            with transaction(s, self._st.rollback):
                changed = self._swap(s, counts, max_updated, changes)
                # Staging goes in the same transaction: it is gone exactly when the swap lands.
                for sql in self._st.drop_staging(self.board.id):
                    s.execute(sql)
        except BaseException:
            self._discard(quiet=True)
            raise
        self._status = "committed"
        self._session = None
        self._closer.close()
        return LoadResult(
            board_id=self.board.id,
            mode=self.mode,
            items_loaded=counts.items,
            values_loaded=counts.values,
            quarantined=counts.quarantined,
            state_changes=changed,
            error_rate=error_rate(counts.quarantined, counts.values),
            seconds=time.perf_counter() - self._t0,
        )

    def measure(self, s: Session) -> tuple[StagingCounts, dt.datetime | None]:
        st, b = self._st, self.board.id
        n_items, dup_items, miss_items, foreign_items, max_updated = s.query(st.count_staged_items(b), [b])[0]
        n_values, miss_values, foreign_values = s.query(st.count_staged_values(b), [b])[0]
        dup_values = s.query(st.count_duplicate_values(b))[0][0]
        orphans = s.query(st.count_orphan_values(b))[0][0]
        n_quarantine, foreign_quarantine = s.query(st.count_staged_quarantine(b), [b])[0]
        active_before = s.query(st.count_active(), [b, ACTIVE])[0][0]
        reported_deleted = s.query(st.count_reported_deletions(b), [b, ACTIVE, ItemState.DELETED.value])[0][0]
        if self.mode == "full":
            active_after = s.query(st.count_active_after_full(b), [ACTIVE, ACTIVE])[0][0]
            retired = s.query(st.count_unreported_retirements(b), [b, ACTIVE])[0][0]
        else:
            active_after, retired = active_before, 0
        counts = StagingCounts(
            board_id=b,
            mode=self.mode,
            items=int(n_items or 0),
            duplicate_item_ids=int(dup_items or 0),
            items_missing_required=int(miss_items or 0),
            values=int(n_values or 0),
            duplicate_values=int(dup_values or 0),
            values_missing_required=int(miss_values or 0),
            orphan_values=int(orphans or 0),
            foreign_rows=int((foreign_items or 0) + (foreign_values or 0) + (foreign_quarantine or 0)),
            quarantined=int(n_quarantine or 0),
            active_before=int(active_before or 0),
            active_after=int(active_after or 0),
            reported_deleted=int(reported_deleted or 0),
            unreported_retired=int(retired or 0),
        )
        return counts, max_updated

    def _swap(
        self, s: Session, counts: StagingCounts, max_updated: dt.datetime | None, changes: pa.Table
    ) -> int:
        """Everything between BEGIN and COMMIT; returns the number of items whose state changed."""
        st, board, b = self._st, self._board_after_pull or self.board, self.board.id
        pk, rid = self.run.partition_key, self.run.run_id
        now = to_utc_naive(self.warehouse.clock())
        full = self.mode == "full"
        pk_params = [] if pk is None else [pk]

        if counts.items:  # before their rows go: insert_staged_items carries _state_changed_at over
            s.execute(st.save_prior_states(b), [b])
        s.execute(st.delete_staged(RAW_VALUES, b), [b])
        s.execute(st.delete_staged(RAW_ITEMS, b), [b])
        if counts.items:
            s.execute(st.insert_staged_items(b), [pk, rid, now, now])
        if counts.values:
            s.execute(st.insert_staged(RAW_VALUES, STAGING_VALUES, b), [pk, rid, now])

        changed = 0
        for state in sorted(set(changes.column("state").to_pylist())):
            params = [state, state, now, pk, rid, now, b, state]
            changed += max(0, s.execute(st.apply_state_change(b), params))
        if full:
            params = [ItemState.DELETED.value, now, pk, rid, now, b, ACTIVE]
            retired = s.execute(st.retire_unreported(b), params)
            changed += max(0, retired)

        # A changes load (a few items by id) leaves the board row, columns snapshot and sync state
        # to the nightly loads.
        if self.mode != "changes":
            s.execute(st.delete_board(), [b])
            s.execute(
                st.insert_board(),
                [
                    b,
                    board.name,
                    board.state,
                    board.board_kind,
                    to_utc_naive(board.updated_at),
                    board.items_count,
                    len(board.columns),
                    pk,
                    rid,
                    now,
                ],
            )

            s.execute(st.delete_columns_snapshot(pk), [b, *pk_params])
            if self._snapshot_columns()[0]:
                s.bulk_insert(st.ref(RAW_COLUMNS), RAW_COLUMNS, self._columns_snapshot(pk, rid, now))

        s.execute(st.delete_quarantine(b, pk, full=full), [SOURCE_MONDAY, b, *pk_params])
        if counts.quarantined:
            s.execute(st.insert_quarantine(b), [SOURCE_MONDAY, pk, rid, now])

        if self.mode == "changes":
            return changed

        active = int(s.query(st.count_active(), [b, ACTIVE])[0][0] or 0)
        write_sync_state(
            s, st, SOURCE_MONDAY, b, now=now, full=full, updated=[to_utc_naive(max_updated)], active=active,
            run_id=rid,
        )  # fmt: skip
        return changed

    def _snapshot_columns(self) -> tuple[list[Column], list[QuarantineRecord]]:
        """The board's columns that fit the snapshot, and quarantine records for the others."""
        return split_overlong_columns(self.board.id, (self._board_after_pull or self.board).columns)

    def _columns_snapshot(self, pk: str | None, rid: str, now: dt.datetime) -> pa.Table:
        cols, _too_long = self._snapshot_columns()
        n = len(cols)
        data = {
            "board_id": [self.board.id] * n,
            "column_id": [c.id for c in cols],
            "title": [c.title for c in cols],
            "column_type": [c.type for c in cols],
            "settings_str": [c.settings_str for c in cols],
            "archived": [bool(c.archived) for c in cols],
            "position": list(range(n)),
            "_partition_key": [pk] * n,
            "_run_id": [rid] * n,
            "_snapshot_at": [now] * n,
        }
        return pa.Table.from_pydict(data, schema=COLUMNS_SCHEMA)
