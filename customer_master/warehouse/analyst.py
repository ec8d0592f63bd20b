"""The analysts' copy of the DuckDB warehouse, and the error a held file lock gives.

DuckDB allows one writer process per file, and a reader locks writers out as well: an analyst with
`.data/warehouse.duckdb` open makes the next pipeline step wait (30 s) and fail, and dbt fail at
once. So analysts get their own file: after each successful pipeline run `publish_copy` copies the
warehouse into a temporary file next to the copy (DuckDB `ATTACH` + `COPY FROM DATABASE`, from a
connection that holds the warehouse's lock, so no writer is half-way through) and swaps it in with
`os.replace`. An analyst holding the previous copy open keeps reading that snapshot (on Linux their
open file is the old inode; the path now names the new one) and never blocks the pipeline.

The copy goes through DuckDB rather than a byte copy of the file because DuckDB's lock is a POSIX
`fcntl` lock: closing any other descriptor of the file in this process would drop it.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from customer_master.warehouse.base import AnalystCopy

ANALYST_DIR = "analyst"
ANALYST_FILE = "customer_master.duckdb"
_ALIAS = "cm_analyst_copy"
# What a held lock's message contains, whoever reports it (DuckDB itself, or dbt-duckdb through dbt).
LOCK_MARKERS = ("could not set lock", "conflicting lock", "lock on file")
# DuckDB: 'Could not set lock on file "...": Conflicting lock is held in /usr/bin/python3 (PID 123)'
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


class WarehouseLockedError(RuntimeError):
    """Another process kept the DuckDB warehouse file locked for longer than the pipeline waits."""


def analyst_copy_path(warehouse_path: str | Path) -> Path:
    """`.data/warehouse.duckdb` -> `.data/analyst/customer_master.duckdb`."""
    return Path(warehouse_path).parent / ANALYST_DIR / ANALYST_FILE


def is_lock_message(text: str) -> bool:
    """Whether `text` (DuckDB's error, or dbt's report of it) says another process holds the file."""
    lowered = text.lower()
    return any(marker in lowered for marker in LOCK_MARKERS)


def is_lock_error(exc: BaseException) -> bool:
    """DuckDB's error for a file another process holds, or ours after waiting for it too long."""
    if isinstance(exc, WarehouseLockedError):
        return True
    return isinstance(exc, duckdb.IOException) and is_lock_message(str(exc))


def lock_holder(message: str) -> str | None:
    """'python3 (PID 123)' when DuckDB's lock error names the process holding the file."""
    m = _HOLDER.search(message)
    if m is None:
        return None
    return f"{Path(m['program']).name} (PID {m['pid']})"


def locked_message(path: Path, waited_seconds: float, cause: str, analyst_path: Path | None) -> str:
    """What to do about a held lock: which file, who holds it (when DuckDB says), where to read instead."""
    holder = lock_holder(cause)
    who = f"process {holder}" if holder else "another process"
    text = (
        f"the DuckDB warehouse {path} is locked by {who}; waited {waited_seconds:g} s. DuckDB allows "
        "one process to write a file, and a process that has it open, even read-only, keeps writers "
        "out. If that is a query session (DuckDB CLI, a notebook, a BI tool), close it"
    )
    if analyst_path is not None:
        text += (
            f" and query the analysts' copy {analyst_path} instead (refreshed after every successful "
            "pipeline run; holding it open never blocks the pipeline)"
        )
    return f"{text}. DuckDB said: {cause}"


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_copy(connect: Callable[[], duckdb.DuckDBPyConnection], target: str | Path) -> AnalystCopy:
    """Copy the warehouse that `connect()` opens (read-write, so it holds the file's lock) to
    `target`, atomically: analysts see the previous copy or this one, never a partial file.

    The copy is checked (opened read-only, tables counted) before it replaces the old one; on any
    failure the old copy stays and the temporary file is removed."""
    started = time.perf_counter()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove(tmp)
    try:
        con = connect()
        try:
            source = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
            escaped = str(tmp).replace("'", "''")
            con.execute(f"ATTACH '{escaped}' AS {_ALIAS}")
            con.execute(f'COPY FROM DATABASE "{source}" TO {_ALIAS}')
            con.execute(f"DETACH {_ALIAS}")  # checkpoints the copy: no .wal is left beside it
        finally:
            con.close()
        with duckdb.connect(str(tmp), read_only=True) as check:
            tables = int(
                check.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE NOT internal").fetchone()[0]  # type: ignore[index]
            )
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        # A log someone's write session left beside the old copy must not be replayed into this one.
        with contextlib.suppress(FileNotFoundError):
            target.with_name(target.name + ".wal").unlink()
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        _remove(tmp)
        raise
    return AnalystCopy(
        path=target, tables=tables, bytes=target.stat().st_size, seconds=time.perf_counter() - started
    )
