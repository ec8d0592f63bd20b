"""The change store: one durable SQLite file (WAL) between the places that find order changes (the
webhook receiver, the polling sensor) and the Dagster runs that apply them to the warehouse.

Why a separate file and not the warehouse: DuckDB has one writer, and the receiver must answer Monday
within seconds whatever the warehouse is doing. Every write here is committed with
`synchronous=FULL` before the caller returns, so an event the receiver acknowledged survives a crash
of the receiver, the Dagster daemon or the warehouse.

Life of a change (one row per source/board/item in `changes`):

    (new event) -> pending --claim--> running --complete--> applied --(new event)--> pending ...
                     ^                   |  \\--complete, dirty--> pending (an event came mid-run)
                     |                   |\\--release--> pending (warehouse locked: attempt not counted)
                     |                   \\--fail--> pending (attempts < max) | parked (attempts >= max)
                     \\--------retry_parked (operator) / new event-------- parked

Many processes use the file at once (receiver threads, sensors, ops): each thread has its own
connection, and every read-modify-write runs in `BEGIN IMMEDIATE`, which takes SQLite's write lock
up front so two claimers can never read the same pending rows. Only the stdlib is used.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_MS = 10_000
MAX_ERROR_CHARS = 4_000  # a traceback is enough; a whole HTTP body in an error is not

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    delivery_key TEXT PRIMARY KEY,
    received_at REAL NOT NULL,
    source TEXT NOT NULL,
    board_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    changed_at REAL,
    outcome TEXT NOT NULL,
    reason TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_received_at ON events (received_at);

CREATE TABLE IF NOT EXISTS changes (
    source TEXT NOT NULL,
    board_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'applied', 'parked')),
    first_seen_at REAL NOT NULL,
    last_changed_at REAL,
    last_received_at REAL NOT NULL,
    events INTEGER NOT NULL DEFAULT 1,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_id TEXT,
    dirty INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    applied_at REAL,
    kind TEXT NOT NULL,
    status_changed_at REAL NOT NULL,
    PRIMARY KEY (source, board_id, item_id)
);
CREATE INDEX IF NOT EXISTS changes_status_first_seen ON changes (status, first_seen_at);
CREATE INDEX IF NOT EXISTS changes_run_id ON changes (run_id);

CREATE TABLE IF NOT EXISTS outcomes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    source TEXT NOT NULL,
    board_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'failed', 'parked')),
    run_id TEXT,
    lag_seconds REAL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS outcomes_ts ON outcomes (ts);
"""


# ----------------------------------------------------------------------- values


@dataclass(frozen=True, order=True)
class ChangeKey:
    source: str
    board_id: str
    item_id: str


@dataclass(frozen=True)
class Change:
    """A claimed change: the item to re-read from its source (the store never holds the item itself)."""

    key: ChangeKey
    first_seen_at: float
    last_changed_at: float | None
    events: int
    attempts: int
    kind: str


@dataclass(frozen=True)
class ParkedChange:
    key: ChangeKey
    first_seen_at: float
    parked_at: float
    attempts: int
    last_error: str | None
    run_id: str | None
    kind: str


@dataclass(frozen=True)
class CompleteResult:
    applied: int
    requeued: int
    lags: list[float]


@dataclass(frozen=True)
class FailResult:
    requeued: int
    parked: list[ChangeKey]


@dataclass(frozen=True)
class StoreStats:
    pending: int
    running: int
    parked_total: int
    applied_in_window: int
    failed_attempts_in_window: int
    parked_in_window: int
    success_rate: float | None
    oldest_pending_at: float | None
    lag_p50: float | None
    lag_p95: float | None
    lag_max: float | None


# ----------------------------------------------------------------------- pure helpers


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method), q in [0, 1]; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def success_rate(applied: int, parked: int) -> float | None:
    """Applied over applied + parked: retried failures are not failures yet, parked ones are."""
    total = applied + parked
    return applied / total if total else None


def later(a: float | None, b: float | None) -> float | None:
    """max() where an unknown change time does not erase a known one."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _sources_clause(sources: Collection[str] | None) -> tuple[str, list[Any]]:
    if sources is None:
        return "", []
    names = sorted(set(sources))
    if not names:
        return " AND 0", []
    return f" AND source IN ({', '.join('?' * len(names))})", names


def _key(row: sqlite3.Row) -> ChangeKey:
    return ChangeKey(row["source"], row["board_id"], row["item_id"])


# ----------------------------------------------------------------------- the store


class ChangeStore:
    """The change store at `path` (created with its parent directories and schema if missing)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction() as conn:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    # -- connections

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection. Connections are per thread (sqlite3 objects are not for sharing)
        and per process (a forked child must not reuse its parent's open file handle)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE), not sqlite3's implicit ones.
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL: readers (health, stats) never block the writer. Persistent in the file, but setting it
        # is idempotent and makes a file created by an older version right.
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged event survives a power loss too.
        conn.execute("PRAGMA synchronous = FULL")
        self._local.conn, self._local.pid = conn, os.getpid()
        with self._lock:
            self._connections.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock from its start (BEGIN IMMEDIATE): what it reads
        cannot change before it commits."""
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._connect().execute(sql, params).fetchall()

    def close(self) -> None:
        """Closes every connection this object opened (call it when no thread uses the store)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed already
                conn.close()
        self._local = threading.local()

    def __enter__(self) -> ChangeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing changes

    def record_event(
        self,
        delivery_key: str,
        *,
        source: str,
        board_id: str,
        item_id: str,
        kind: str,
        changed_at: float | None,
        body: str,
        watched: bool,
        reason: str | None = None,
    ) -> str:
        """Stores one delivery and, when watched, enqueues its change in the same transaction.

        Returns 'duplicate' when `delivery_key` is stored already (a redelivery is applied once:
        nothing else changes), 'ignored' when not watched (stored for audit with `reason`), else
        'queued'."""
        now = self.clock()
        outcome = "queued" if watched else "ignored"
        if not watched and reason is None:
            reason = "not watched"
        with self._transaction() as conn:
            inserted = conn.execute(
                "INSERT OR IGNORE INTO events (delivery_key, received_at, source, board_id, item_id, kind,"
                " changed_at, outcome, reason, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (delivery_key, now, source, board_id, item_id, kind, changed_at, outcome, reason, body),
            ).rowcount
            if not inserted:
                return "duplicate"
            if watched:
                self._enqueue_one(conn, ChangeKey(source, board_id, item_id), changed_at, kind, now)
        return outcome

    def enqueue(
        self, changes: Iterable[tuple[ChangeKey, float | None, str]], *, received_at: float | None = None
    ) -> int:
        """Enqueues (key, changed_at, kind) found by polling, in one transaction. Returns how many rows
        became pending (new, or applied/parked before); merges into pending/running rows do not count."""
        now = self.clock() if received_at is None else received_at
        made_pending = 0
        with self._transaction() as conn:
            for key, changed_at, kind in changes:
                made_pending += self._enqueue_one(conn, key, changed_at, kind, now)
        return made_pending

    @staticmethod
    def _enqueue_one(
        conn: sqlite3.Connection, key: ChangeKey, changed_at: float | None, kind: str, now: float
    ) -> int:
        """The enqueue rules for one key inside the caller's transaction; 1 when the row became pending."""
        where = (key.source, key.board_id, key.item_id)
        row = conn.execute(
            "SELECT status, last_changed_at FROM changes WHERE source = ? AND board_id = ? AND item_id = ?",
            where,
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO changes (source, board_id, item_id, status, first_seen_at, last_changed_at,"
                " last_received_at, events, attempts, kind, status_changed_at)"
                " VALUES (?, ?, ?, 'pending', ?, ?, ?, 1, 0, ?, ?)",
                (*where, now, changed_at, now, kind, now),
            )
            return 1
        if row["status"] in ("applied", "parked"):
            # A new cycle: its lag counts from this event, and past failures no longer apply.
            conn.execute(
                "UPDATE changes SET status = 'pending', first_seen_at = ?, last_changed_at = ?,"
                " last_received_at = ?, events = 1, attempts = 0, run_id = NULL, dirty = 0,"
                " last_error = NULL, kind = ?, status_changed_at = ?"
                " WHERE source = ? AND board_id = ? AND item_id = ?",
                (now, changed_at, now, kind, now, *where),
            )
            return 1
        # pending: merge. running: merge and mark dirty, since the run may have read the item before
        # this change; complete() then puts it back to pending instead of calling it applied.
        conn.execute(
            "UPDATE changes SET events = events + 1, last_changed_at = ?, last_received_at = ?, kind = ?,"
            " dirty = CASE WHEN status = 'running' THEN 1 ELSE dirty END"
            " WHERE source = ? AND board_id = ? AND item_id = ?",
            (later(row["last_changed_at"], changed_at), now, kind, *where),
        )
        return 0

    # -- running changes

    def claim(
        self, run_id: str, *, limit: int = 1000, sources: Collection[str] | None = None
    ) -> list[Change]:
        """Moves up to `limit` pending changes, oldest first, to running under `run_id`. Atomic: two
        concurrent claimers never get the same row."""
        clause, params = _sources_clause(sources)
        now = self.clock()
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT source, board_id, item_id, first_seen_at, last_changed_at, events, attempts, kind"
                f" FROM changes WHERE status = 'pending'{clause}"
                " ORDER BY first_seen_at, source, board_id, item_id LIMIT ?",
                (*params, limit),
            ).fetchall()
            conn.executemany(
                "UPDATE changes SET status = 'running', run_id = ?, dirty = 0, status_changed_at = ?"
                " WHERE source = ? AND board_id = ? AND item_id = ?",
                [(run_id, now, r["source"], r["board_id"], r["item_id"]) for r in rows],
            )
        return [
            Change(_key(r), r["first_seen_at"], r["last_changed_at"], r["events"], r["attempts"], r["kind"])
            for r in rows
        ]

    def complete(self, run_id: str, *, applied_at: float | None = None) -> CompleteResult:
        """The run applied its changes: clean rows become applied (lag logged); dirty rows (an event
        came while running) go back to pending with their lag counted from the last event."""
        now = self.clock() if applied_at is None else applied_at
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT source, board_id, item_id, first_seen_at, dirty FROM changes"
                " WHERE status = 'running' AND run_id = ?",
                (run_id,),
            ).fetchall()
            clean = [r for r in rows if not r["dirty"]]
            dirty = [r for r in rows if r["dirty"]]
            lags = [max(0.0, now - r["first_seen_at"]) for r in clean]
            conn.executemany(
                "UPDATE changes SET status = 'applied', applied_at = ?, attempts = 0, last_error = NULL,"
                " status_changed_at = ? WHERE source = ? AND board_id = ? AND item_id = ?",
                [(now, now, r["source"], r["board_id"], r["item_id"]) for r in clean],
            )
            conn.executemany(
                "INSERT INTO outcomes (ts, source, board_id, item_id, outcome, run_id, lag_seconds)"
                " VALUES (?, ?, ?, ?, 'applied', ?, ?)",
                [
                    (now, r["source"], r["board_id"], r["item_id"], run_id, lag)
                    for r, lag in zip(clean, lags, strict=True)
                ],
            )
            conn.executemany(
                "UPDATE changes SET status = 'pending', first_seen_at = last_received_at, run_id = NULL,"
                " dirty = 0, attempts = 0, last_error = NULL, status_changed_at = ?"
                " WHERE source = ? AND board_id = ? AND item_id = ?",
                [(now, r["source"], r["board_id"], r["item_id"]) for r in dirty],
            )
        return CompleteResult(applied=len(clean), requeued=len(dirty), lags=lags)

    def fail(self, run_id: str, error: str, *, max_attempts: int = 3) -> FailResult:
        """The run failed (or died: see running_run_ids): its changes are retried, or parked once they
        have failed `max_attempts` times, so one poisonous item cannot block the queue forever."""
        now = self.clock()
        error = error[:MAX_ERROR_CHARS]
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT source, board_id, item_id, attempts FROM changes"
                " WHERE status = 'running' AND run_id = ?",
                (run_id,),
            ).fetchall()
            parked = [r for r in rows if r["attempts"] + 1 >= max_attempts]
            retried = [r for r in rows if r["attempts"] + 1 < max_attempts]
            for group, status, outcome in ((parked, "parked", "parked"), (retried, "pending", "failed")):
                # A parked row keeps its run_id: the run to look at when the operator investigates.
                run_after = run_id if status == "parked" else None
                conn.executemany(
                    "UPDATE changes SET status = ?, attempts = attempts + 1, last_error = ?, run_id = ?,"
                    " dirty = 0, status_changed_at = ? WHERE source = ? AND board_id = ? AND item_id = ?",
                    [
                        (status, error, run_after, now, r["source"], r["board_id"], r["item_id"])
                        for r in group
                    ],
                )
                conn.executemany(
                    "INSERT INTO outcomes (ts, source, board_id, item_id, outcome, run_id, error)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(now, r["source"], r["board_id"], r["item_id"], outcome, run_id, error) for r in group],
                )
        return FailResult(requeued=len(retried), parked=[_key(r) for r in parked])

    def release(self, run_id: str) -> int:
        """The run could not try its changes (the warehouse was held by another process): they go
        back to pending as they were, the attempt not counted and no outcome logged, so a long lock
        never parks them. first_seen_at is kept. Returns how many went back."""
        now = self.clock()
        with self._transaction() as conn:
            return conn.execute(
                "UPDATE changes SET status = 'pending', run_id = NULL, dirty = 0, status_changed_at = ?"
                " WHERE status = 'running' AND run_id = ?",
                (now, run_id),
            ).rowcount

    def retry_parked(self, keys: Iterable[ChangeKey] | None = None) -> int:
        """Operator action: parked changes (all, or `keys`) back to pending with a fresh attempt budget.
        first_seen_at is kept: the lag is honest about how long the change has waited."""
        now = self.clock()
        sql = (
            "UPDATE changes SET status = 'pending', attempts = 0, last_error = NULL, run_id = NULL,"
            " status_changed_at = ? WHERE status = 'parked'"
        )
        with self._transaction() as conn:
            if keys is None:
                return conn.execute(sql, (now,)).rowcount
            return sum(
                conn.execute(
                    sql + " AND source = ? AND board_id = ? AND item_id = ?",
                    (now, k.source, k.board_id, k.item_id),
                ).rowcount
                for k in keys
            )

    def prune(self, *, keep_seconds: float = 7 * 86400) -> int:
        """Deletes events, outcomes and applied changes older than `keep_seconds`; never a pending,
        running or parked change. Returns the number of rows deleted."""
        cutoff = self.clock() - keep_seconds
        with self._transaction() as conn:
            deleted = conn.execute("DELETE FROM events WHERE received_at < ?", (cutoff,)).rowcount
            deleted += conn.execute("DELETE FROM outcomes WHERE ts < ?", (cutoff,)).rowcount
            deleted += conn.execute(
                "DELETE FROM changes WHERE status = 'applied' AND applied_at < ?", (cutoff,)
            ).rowcount
        return deleted

    # -- reading

    def running_run_ids(self) -> list[str]:
        """Runs holding changes: a sensor fails those whose Dagster run ended without complete()."""
        rows = self._read(
            "SELECT DISTINCT run_id FROM changes"
            " WHERE status = 'running' AND run_id IS NOT NULL ORDER BY run_id"
        )
        return [r["run_id"] for r in rows]

    def pending_count(self, sources: Collection[str] | None = None) -> int:
        clause, params = _sources_clause(sources)
        return int(self._read(f"SELECT COUNT(*) FROM changes WHERE status = 'pending'{clause}", params)[0][0])

    def oldest_pending_at(self, sources: Collection[str] | None = None) -> float | None:
        clause, params = _sources_clause(sources)
        row = self._read(f"SELECT MIN(first_seen_at) FROM changes WHERE status = 'pending'{clause}", params)
        oldest = row[0][0]
        return None if oldest is None else float(oldest)

    def parked(self, limit: int = 100) -> list[ParkedChange]:
        rows = self._read(
            "SELECT source, board_id, item_id, first_seen_at, status_changed_at, attempts, last_error,"
            " run_id, kind FROM changes WHERE status = 'parked' ORDER BY status_changed_at DESC LIMIT ?",
            (limit,),
        )
        return [
            ParkedChange(
                _key(r),
                r["first_seen_at"],
                r["status_changed_at"],
                r["attempts"],
                r["last_error"],
                r["run_id"],
                r["kind"],
            )
            for r in rows
        ]

    def stats(self, *, window_seconds: float = 86400) -> StoreStats:
        since = self.clock() - window_seconds
        conn = self._connect()
        # One read transaction: the counts and the lags describe the same moment.
        conn.execute("BEGIN")
        try:
            status = dict(conn.execute("SELECT status, COUNT(*) FROM changes GROUP BY status").fetchall())
            oldest = conn.execute(
                "SELECT MIN(first_seen_at) FROM changes WHERE status = 'pending'"
            ).fetchone()[0]
            counts = dict(
                conn.execute(
                    "SELECT outcome, COUNT(*) FROM outcomes WHERE ts >= ? GROUP BY outcome", (since,)
                )
            )
            lags = [
                r[0]
                for r in conn.execute(
                    "SELECT lag_seconds FROM outcomes WHERE ts >= ? AND outcome = 'applied'"
                    " AND lag_seconds IS NOT NULL",
                    (since,),
                )
            ]
        finally:
            conn.execute("COMMIT")
        applied, parked = counts.get("applied", 0), counts.get("parked", 0)
        return StoreStats(
            pending=status.get("pending", 0),
            running=status.get("running", 0),
            parked_total=status.get("parked", 0),
            applied_in_window=applied,
            # A parking attempt failed too: it is the last failed attempt of its change.
            failed_attempts_in_window=counts.get("failed", 0) + parked,
            parked_in_window=parked,
            success_rate=success_rate(applied, parked),
            oldest_pending_at=oldest,
            lag_p50=percentile(lags, 0.5),
            lag_p95=percentile(lags, 0.95),
            lag_max=max(lags) if lags else None,
        )
