"""The DuckDB warehouse (local default): one file, short-lived connections, Arrow staging.

DuckDB allows one writer process per file and Dagster and dbt share it, so a connection is opened
per operation (or per board load) and closed right after; the Dagster `warehouse` pool keeps the
writers in line. Pages are appended as Arrow tables to the load connection's TEMP tables
`temp.main.<table>__b<board>` (`INSERT INTO ... SELECT * FROM <arrow>`): staging is never written to
the file's log, so the only commit that costs is the swap's, and a killed load leaves nothing behind.

Analysts never open this file: `publish_for_analysts` copies it to `analyst_path` after each
successful pipeline run (see `analyst.py`), and a lock held for longer than `lock_timeout_seconds`
fails with `WarehouseLockedError`, which names the file, the holder and that copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from customer_master.common import utcnow
from customer_master.warehouse.analyst import (
    WarehouseLockedError,
    analyst_copy_path,
    is_lock_error,
    locked_message,
    publish_copy,
)
from customer_master.warehouse.base import AnalystCopy, Row
from customer_master.warehouse.loader import SqlWarehouse
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import TableSpec
from customer_master.warehouse.validation import LoadRules

_relation_ids = itertools.count()


class DuckDBSession:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        rows = self.con.execute(sql, list(params) if params else None).fetchall()
        # DML answers with one row holding the affected count; DDL with nothing.
        if len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], int):
            return rows[0][0]
        return -1

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.con.execute(sql, list(params) if params else None).fetchall()

    def bulk_insert(self, ref: str, spec: TableSpec, table: pa.Table) -> None:
        name = f"__cm_arrow_{next(_relation_ids)}"
        self.con.register(name, table)
        try:
            self.con.execute(Statements.insert_from_relation(ref, spec.column_names, name))
        except BaseException:
            # A failed insert aborts the transaction and unregistering would raise over the real error.
            with contextlib.suppress(duckdb.Error):
                self.con.unregister(name)
            raise
        self.con.unregister(name)

    def close(self) -> None:
        self.con.close()


class DuckDBWarehouse(SqlWarehouse):
    """Raw landing into a DuckDB file (production tables in `main`, staging in TEMP tables)."""

    def __init__(
        self,
        path: str | Path,
        *,
        rules: LoadRules | None = None,
        max_error_rate: float | None = None,
        max_shrink_fraction: float | None = None,
        max_delete_fraction: float | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        stage_batch_rows: int = 100_000,
        background_staging: bool = True,
        config: Mapping[str, str] | None = None,
        lock_timeout_seconds: float = 30.0,
        analyst_path: str | Path | None = None,
    ) -> None:
        super().__init__(
            Statements("duckdb", raw_schema="main", ops_schema="main", staging_schema="staging"),
            rules=rules,
            max_error_rate=max_error_rate,
            max_shrink_fraction=max_shrink_fraction,
            max_delete_fraction=max_delete_fraction,
            clock=clock,
            stage_batch_rows=stage_batch_rows,
            background_staging=background_staging,
        )
        self.path = Path(path)
        # Typed as duckdb.connect's `config` (dict is invariant: a dict[str, str] does not fit it).
        self.config: dict[str, str | bool | int | float | list[str]] = dict(config or {})
        self.lock_timeout_seconds = lock_timeout_seconds
        # Where analysts read (default `<warehouse dir>/analyst/customer_master.duckdb`).
        self.analyst_path = Path(analyst_path) if analyst_path else analyst_copy_path(self.path)

    def __repr__(self) -> str:
        return f"DuckDBWarehouse({str(self.path)!r})"

    def connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A new connection; waits up to `lock_timeout_seconds` while another process holds the
        file, then raises `WarehouseLockedError` (the file, its holder, the analysts' copy)."""
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only, config=self.config)
            except duckdb.IOException as exc:
                if not is_lock_error(exc):
                    raise
                if time.monotonic() >= deadline:
                    message = locked_message(
                        self.path, self.lock_timeout_seconds, str(exc), self.analyst_path
                    )
                    raise WarehouseLockedError(message) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _open_session(self) -> DuckDBSession:
        con = self.connect()
        # Row order inside a table carries no meaning here; letting DuckDB append out of order
        # lets bulk inserts run in parallel.
        con.execute("SET preserve_insertion_order = false")
        return DuckDBSession(con)

    def publish_for_analysts(self) -> AnalystCopy:
        """Copy the warehouse to `analyst_path`, atomically (see `analyst.publish_copy`)."""
        return publish_copy(self.connect, self.analyst_path)

    @contextmanager
    def read_only(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for reporting (fails while this process holds a writer open)."""
        con = self.connect(read_only=True)
        try:
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one read-only query and return its rows (reporting helper)."""
        with self.read_only() as con:
            return con.execute(sql, list(params) if params else None).fetchall()
