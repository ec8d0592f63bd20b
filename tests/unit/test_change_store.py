"""`ChangeStore`: the enqueue/claim/complete/fail rules, atomic claims across threads and processes,
durability across reopen and hard kills, and the stats math. Real SQLite files in tmp_path."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from customer_master.realtime.store import (
    ChangeKey,
    ChangeStore,
    percentile,
    success_rate,
)

REPO = Path(__file__).resolve().parents[2]


class Clock:
    """A settable clock: lags and windows are exact numbers."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def store(tmp_path, clock):
    with ChangeStore(tmp_path / "cs" / "changes.db", clock=clock) as s:
        yield s


def key(item: str, board: str = "10", source: str = "monday") -> ChangeKey:
    return ChangeKey(source, board, item)


def event(
    store: ChangeStore,
    delivery: str,
    item: str = "1",
    *,
    board: str = "10",
    watched: bool = True,
    changed_at: float | None = None,
    kind: str = "update_column_value",
    reason: str | None = None,
) -> str:
    return store.record_event(
        delivery,
        source="monday",
        board_id=board,
        item_id=item,
        kind=kind,
        changed_at=changed_at,
        body=json.dumps({"event": {"pulseId": item}}),
        watched=watched,
        reason=reason,
    )


def rows(path: Path, sql: str) -> list[tuple]:
    """Read with a separate plain connection: what is on disk, not what the store object holds."""
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def change_row(store: ChangeStore, k: ChangeKey) -> dict:
    conn = sqlite3.connect(store.path)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute(
            "SELECT * FROM changes WHERE source = ? AND board_id = ? AND item_id = ?",
            (k.source, k.board_id, k.item_id),
        ).fetchone()
        return dict(row) if row else {}
    finally:
        conn.close()


# ----------------------------------------------------------------------- schema and pragmas


def test_creates_parents_and_schema_idempotently_in_wal(tmp_path, clock):
    path = tmp_path / "a" / "b" / "changes.db"
    ChangeStore(path, clock=clock).close()
    ChangeStore(path, clock=clock).close()  # a second open changes nothing
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    tables = {r[0] for r in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"events", "changes", "outcomes"} <= tables


def test_connection_is_full_sync_with_busy_timeout(store):
    conn = store._connect()
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000


# ----------------------------------------------------------------------- record_event


def test_watched_event_is_stored_and_enqueued_together(store, clock):
    assert event(store, "d1", "1", changed_at=999_990.0) == "queued"
    assert rows(store.path, "SELECT delivery_key, outcome, reason, received_at FROM events") == [
        ("d1", "queued", None, clock.now)
    ]
    row = change_row(store, key("1"))
    assert (row["status"], row["first_seen_at"], row["last_changed_at"], row["events"], row["attempts"]) == (
        "pending",
        clock.now,
        999_990.0,
        1,
        0,
    )
    assert store.pending_count() == 1 and store.oldest_pending_at() == clock.now


def test_duplicate_delivery_is_applied_once(store, clock):
    assert event(store, "d1", "1") == "queued"
    clock.now += 5
    assert event(store, "d1", "1") == "duplicate"
    assert rows(store.path, "SELECT COUNT(*) FROM events") == [(1,)]
    row = change_row(store, key("1"))
    assert row["events"] == 1 and row["last_received_at"] == clock.now - 5


def test_duplicate_of_an_applied_change_does_not_requeue_it(store):
    event(store, "d1", "1")
    store.claim("r1")
    store.complete("r1")
    assert event(store, "d1", "1") == "duplicate"
    assert change_row(store, key("1"))["status"] == "applied"


def test_unwatched_event_is_stored_for_audit_only(store):
    assert event(store, "d1", "1", board="99", watched=False, reason="board 99 is not watched") == "ignored"
    assert rows(store.path, "SELECT outcome, reason FROM events") == [("ignored", "board 99 is not watched")]
    assert rows(store.path, "SELECT COUNT(*) FROM changes") == [(0,)]
    assert event(store, "d2", "2", watched=False) == "ignored"
    assert rows(store.path, "SELECT reason FROM events WHERE delivery_key = 'd2'") == [("not watched",)]


def test_events_on_a_pending_change_merge(store, clock):
    event(store, "d1", "1", changed_at=100.0, kind="create_pulse")
    first = clock.now
    clock.now += 3
    event(store, "d2", "1", changed_at=None, kind="update_name")  # unknown time keeps the known one
    clock.now += 3
    event(store, "d3", "1", changed_at=50.0, kind="update_column_value")  # out of order: max stays
    row = change_row(store, key("1"))
    assert (row["status"], row["events"], row["first_seen_at"], row["last_changed_at"]) == (
        "pending",
        3,
        first,
        100.0,
    )
    assert row["last_received_at"] == clock.now and row["kind"] == "update_column_value"


def test_failed_commit_stores_nothing(store, monkeypatch):
    def boom(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(ChangeStore, "_enqueue_one", staticmethod(boom))
    with pytest.raises(sqlite3.OperationalError):
        event(store, "d1", "1")
    # The event and its change share one transaction: a failure rolls back both, so a retry is new.
    assert rows(store.path, "SELECT COUNT(*) FROM events") == [(0,)]
    monkeypatch.undo()
    assert event(store, "d1", "1") == "queued"


# ----------------------------------------------------------------------- enqueue (polling path)


def test_enqueue_counts_rows_made_pending(store, clock):
    assert store.enqueue([(key("1"), 10.0, "poll"), (key("2"), None, "poll")]) == 2
    assert store.enqueue([(key("1"), 20.0, "poll"), (key("3"), 5.0, "poll")]) == 1  # 1 merges
    assert store.pending_count() == 3
    assert (
        change_row(store, key("1"))["events"] == 2 and change_row(store, key("1"))["last_changed_at"] == 20.0
    )
    assert store.enqueue([], received_at=5.0) == 0


def test_enqueue_uses_given_received_at(store):
    store.enqueue([(key("1"), None, "poll")], received_at=123.0)
    assert change_row(store, key("1"))["first_seen_at"] == 123.0


def test_new_event_after_applied_starts_a_fresh_cycle(store, clock):
    event(store, "d1", "1")
    store.claim("r1")
    clock.now += 10
    store.complete("r1")
    clock.now += 100
    assert store.enqueue([(key("1"), 7.0, "poll")]) == 1
    row = change_row(store, key("1"))
    assert (row["status"], row["first_seen_at"], row["events"], row["attempts"], row["last_error"]) == (
        "pending",
        clock.now,
        1,
        0,
        None,
    )


# ----------------------------------------------------------------------- claim / complete


def test_claim_oldest_first_with_limit_and_sources(store, clock):
    for i in range(5):
        store.enqueue([(key(str(i)), None, "poll")])
        clock.now += 1
    store.enqueue([(key("x", source="oms"), None, "poll")])
    got = store.claim("r1", limit=2, sources=["monday"])
    assert [c.key.item_id for c in got] == ["0", "1"]
    assert store.pending_count(["monday"]) == 3 and store.pending_count(["oms"]) == 1
    assert store.claim("r2", sources=[]) == []
    assert [c.key.source for c in store.claim("r3", sources={"oms"})] == ["oms"]
    assert store.running_run_ids() == ["r1", "r3"]
    assert store.oldest_pending_at(["monday"]) == 1_000_002.0
    assert store.oldest_pending_at(["oms"]) is None


def test_complete_applies_and_logs_lag(store, clock):
    event(store, "d1", "1")
    clock.now += 2
    event(store, "d2", "2")
    store.claim("r1")
    result = store.complete("r1", applied_at=clock.now + 8)
    assert (result.applied, result.requeued, sorted(result.lags)) == (2, 0, [8.0, 10.0])
    assert change_row(store, key("1"))["status"] == "applied"
    assert sorted(rows(store.path, "SELECT outcome, lag_seconds FROM outcomes")) == [
        ("applied", 8.0),
        ("applied", 10.0),
    ]
    assert store.running_run_ids() == [] and store.complete("r1").applied == 0  # completing twice is a no-op


def test_event_while_running_requeues_instead_of_applying(store, clock):
    event(store, "d1", "1")
    store.claim("r1")
    clock.now += 4
    assert event(store, "d2", "1") == "queued"  # the run may have read item 1 before this change
    row = change_row(store, key("1"))
    assert (row["status"], row["dirty"], row["events"]) == ("running", 1, 2)
    clock.now += 6
    result = store.complete("r1")
    assert (result.applied, result.requeued, result.lags) == (0, 1, [])
    row = change_row(store, key("1"))
    # Its lag counts from the event the run may have missed.
    assert (row["status"], row["first_seen_at"], row["dirty"], row["run_id"]) == (
        "pending",
        clock.now - 6,
        0,
        None,
    )
    assert rows(store.path, "SELECT COUNT(*) FROM outcomes") == [(0,)]
    # The next run applies it; lag from the missed event.
    [claimed] = store.claim("r2")
    assert claimed.first_seen_at == clock.now - 6
    assert store.complete("r2").lags == [6.0]


def test_claim_clears_dirty(store):
    event(store, "d1", "1")
    store.claim("r1")
    event(store, "d2", "1")
    store.fail("r1", "boom")
    store.claim("r2")
    assert change_row(store, key("1"))["dirty"] == 0
    assert store.complete("r2").applied == 1


# ----------------------------------------------------------------------- fail / park / retry


def test_fail_retries_then_parks(store, clock):
    event(store, "d1", "1")
    for attempt in (1, 2):
        assert len(store.claim(f"r{attempt}")) == 1
        result = store.fail(f"r{attempt}", f"error {attempt}", max_attempts=3)
        assert (result.requeued, result.parked) == (1, [])
        row = change_row(store, key("1"))
        assert (row["status"], row["attempts"], row["last_error"]) == ("pending", attempt, f"error {attempt}")
    [claimed] = store.claim("r3")
    assert claimed.attempts == 2
    clock.now += 1
    result = store.fail("r3", "error 3", max_attempts=3)
    assert (result.requeued, result.parked) == (0, [key("1")])
    assert store.pending_count() == 0 and store.claim("r4") == []
    [parked] = store.parked()
    assert (parked.key, parked.attempts, parked.last_error, parked.run_id, parked.parked_at) == (
        key("1"),
        3,
        "error 3",
        "r3",
        clock.now,
    )
    assert [r[0] for r in rows(store.path, "SELECT outcome FROM outcomes ORDER BY id")] == [
        "failed",
        "failed",
        "parked",
    ]
    # Operator retry: back to pending with a fresh budget; first_seen_at is kept.
    assert store.retry_parked() == 1
    row = change_row(store, key("1"))
    assert (row["status"], row["attempts"], row["last_error"], row["first_seen_at"]) == (
        "pending",
        0,
        None,
        1_000_000.0,
    )
    assert store.parked() == []


def test_retry_parked_by_key_and_new_event_unparks(store):
    for item in ("1", "2", "3"):
        event(store, f"d{item}", item)
    store.claim("r1")
    assert len(store.fail("r1", "bad", max_attempts=1).parked) == 3
    assert store.retry_parked([key("1"), key("nope")]) == 1
    assert event(store, "d2b", "2") == "queued"  # a new event on a parked change re-queues it
    assert change_row(store, key("2"))["attempts"] == 0
    assert [p.key for p in store.parked()] == [key("3")]


def test_release_requeues_without_counting_an_attempt(store, clock):
    """A run that could not try its changes (the warehouse locked) puts them back as they were:
    no attempt counted, no outcome logged, so a long lock never parks them."""
    event(store, "d1", "1")
    event(store, "d2", "2")
    first_seen = change_row(store, key("1"))["first_seen_at"]
    store.claim("r0")
    store.fail("r0", "a real error", max_attempts=3)  # one attempt used: release must keep it
    for n in range(1, 6):  # more releases than max_attempts
        clock.now += 1
        assert len(store.claim(f"r{n}")) == 2
        assert store.release(f"r{n}") == 2
    for item in ("1", "2"):
        row = change_row(store, key(item))
        assert (row["status"], row["attempts"], row["run_id"], row["dirty"]) == ("pending", 1, None, 0)
        assert row["status_changed_at"] == clock.now
    assert change_row(store, key("1"))["first_seen_at"] == first_seen  # the lag stays honest
    assert store.running_run_ids() == [] and store.parked() == []
    assert [r[0] for r in rows(store.path, "SELECT outcome FROM outcomes")] == ["failed", "failed"]
    assert store.release("r5") == 0 and store.release("nobody") == 0
    # An event that came while the run held them: released as pending, read again by the next run.
    [claimed, _] = store.claim("r6")
    assert claimed.attempts == 1
    event(store, "d1b", "1")
    assert store.release("r6") == 2
    assert store.pending_count() == 2 and change_row(store, key("1"))["dirty"] == 0


def test_fail_truncates_huge_errors(store):
    event(store, "d1", "1")
    store.claim("r1")
    store.fail("r1", "x" * 100_000)
    assert len(change_row(store, key("1"))["last_error"]) == 4_000


# ----------------------------------------------------------------------- stats / prune


def test_percentile_and_success_rate():
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile(list(map(float, range(1, 101))), 0.95) == pytest.approx(95.05)
    assert success_rate(0, 0) is None and success_rate(3, 1) == 0.75


def test_stats_math(store, clock):
    start = clock.now
    # An old applied change (outside a 1 h window).
    event(store, "old", "old")
    store.claim("r0")
    store.complete("r0", applied_at=start + 100)
    clock.now = start + 10_000
    # Four applied in the window with lags 1, 2, 3, 10.
    for i, lag in enumerate([1, 2, 3, 10]):
        event(store, f"a{i}", f"a{i}")
        store.claim(f"ra{i}")
        store.complete(f"ra{i}", applied_at=clock.now + lag)
    # One failed once then parked (max 2), one failing (pending again), one running, two pending.
    event(store, "p", "p")
    store.claim("rp1")
    store.fail("rp1", "e", max_attempts=2)
    store.claim("rp2")
    store.fail("rp2", "e", max_attempts=2)
    event(store, "f", "f")
    store.claim("rf")
    store.fail("rf", "e")
    event(store, "run", "run")
    store.claim("rr", limit=1, sources=None)  # claims 'f' (oldest); 'run' stays pending
    clock.now += 1
    event(store, "q", "q")
    s = store.stats(window_seconds=3600)
    assert (s.pending, s.running, s.parked_total) == (2, 1, 1)
    assert (s.applied_in_window, s.failed_attempts_in_window, s.parked_in_window) == (4, 3, 1)
    assert s.success_rate == 4 / 5
    assert s.oldest_pending_at == start + 10_000
    assert s.lag_p50 == 2.5 and s.lag_max == 10.0 and s.lag_p95 == pytest.approx(3 + 0.85 * 7)
    # The whole history in a wide window: the old applied change counts too (lag 100).
    wide = store.stats(window_seconds=10**9)
    assert wide.applied_in_window == 5 and wide.lag_max == 100.0 and wide.success_rate == 5 / 6


def test_stats_of_an_empty_store(store):
    s = store.stats()
    assert (s.pending, s.running, s.parked_total, s.applied_in_window) == (0, 0, 0, 0)
    assert s.success_rate is None and s.lag_p50 is None and s.lag_max is None and s.oldest_pending_at is None


def test_prune_keeps_every_unfinished_change(store, clock):
    start = clock.now
    for item in ("applied", "pending", "running", "parked"):
        event(store, f"d-{item}", item)
    store.claim("r-applied", limit=1)  # 'applied' (oldest, same time: ordered by key)
    store.complete("r-applied")
    store.claim("r-parked", limit=1)  # 'parked'
    store.fail("r-parked", "bad", max_attempts=1)
    store.claim("r-running", limit=1)  # item "pending" (key order); item "running" stays pending
    statuses = dict(rows(store.path, "SELECT item_id, status FROM changes"))
    assert sorted(statuses.values()) == ["applied", "parked", "pending", "running"]
    clock.now = start + 8 * 86400
    event(store, "fresh", "fresh")
    deleted = store.prune(keep_seconds=7 * 86400)
    # 4 old events + 2 old outcomes (applied, parked) + 1 applied change.
    assert deleted == 4 + 2 + 1
    after = dict(rows(store.path, "SELECT item_id, status FROM changes"))
    assert sorted(after.values()) == ["parked", "pending", "pending", "running"]
    assert rows(store.path, "SELECT delivery_key FROM events") == [("fresh",)]
    assert store.prune() == 0


# ----------------------------------------------------------------------- concurrency and durability


def test_concurrent_claims_from_threads_never_overlap(tmp_path):
    path = tmp_path / "changes.db"
    with ChangeStore(path) as s:
        s.enqueue([(key(str(i)), None, "poll") for i in range(600)])
    store = ChangeStore(path)  # one object shared by the threads, as in the receiver
    claimed: dict[str, list[ChangeKey]] = {}
    errors: list[BaseException] = []
    # Rounds: all threads claim at once, then wait for each other, so every thread competes in every
    # round (left free, one thread can drain the queue before the others start).
    barrier = threading.Barrier(6)

    def worker(n: int) -> None:
        mine: list[ChangeKey] = []
        try:
            for round_ in range(100):
                barrier.wait(timeout=60)
                mine += [c.key for c in store.claim(f"t{n}-{round_}", limit=7)]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        claimed[f"t{n}"] = mine

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert not errors
    every = [k for keys in claimed.values() for k in keys]
    assert len(every) == len(set(every)) == 600
    assert all(claimed[f"t{n}"] for n in range(6))  # every thread got some: they really competed


CLAIMER = """
import json, sys
from customer_master.realtime.store import ChangeStore
store = ChangeStore(sys.argv[1])
mine = []
while batch := store.claim(sys.argv[2] + str(len(mine)), limit=5):
    mine += [c.key.item_id for c in batch]
print(json.dumps(mine))
"""


def test_concurrent_claims_from_processes_never_overlap(tmp_path):
    path = tmp_path / "changes.db"
    with ChangeStore(path) as s:
        s.enqueue([(key(str(i)), None, "poll") for i in range(800)])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(path), f"p{n}-"], stdout=subprocess.PIPE, cwd=REPO
        )
        for n in range(4)
    ]
    results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    every = [item for items in results for item in items]
    assert len(every) == len(set(every)) == 800


def test_concurrent_writers_from_threads_lose_nothing(tmp_path):
    store = ChangeStore(tmp_path / "changes.db")

    def writer(n: int) -> None:
        for i in range(100):
            event(store, f"w{n}-{i}", f"{n}-{i % 10}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rows(store.path, "SELECT COUNT(*) FROM events") == [(800,)]
    assert rows(store.path, "SELECT COUNT(*), SUM(events) FROM changes") == [(80, 800)]
    store.close()


def test_reopen_after_close_keeps_everything(tmp_path, clock):
    path = tmp_path / "changes.db"
    with ChangeStore(path, clock=clock) as s:
        event(s, "d1", "1")
        event(s, "d2", "2")
        s.claim("r1", limit=1)
        s.complete("r1")
        event(s, "d3", "3")
        s.claim("r2", limit=1)
        before = s.stats()
    with ChangeStore(path, clock=clock) as s:
        assert s.stats() == before
        assert event(s, "d1", "1") == "duplicate"  # delivery keys survive too
        assert s.running_run_ids() == ["r2"]


KILLED_WRITER = """
import os, signal, sys
from customer_master.realtime.store import ChangeStore
store = ChangeStore(sys.argv[1])
print(store.record_event("k1", source="monday", board_id="10", item_id="1", kind="t", changed_at=None,
                         body="{}", watched=True), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close, no interpreter shutdown
"""


def test_a_returned_write_survives_a_hard_kill(tmp_path):
    path = tmp_path / "changes.db"
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path)], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == -9 and proc.stdout.strip() == "queued"
    with ChangeStore(path) as s:
        assert s.pending_count() == 1
        assert event(s, "k1", "1") == "duplicate"


def test_a_store_used_after_fork_opens_its_own_connection(tmp_path):
    store = ChangeStore(tmp_path / "changes.db")
    event(store, "parent", "1")
    pid = os.fork()
    if pid == 0:  # the child: the parent's connection must not be reused
        code = 0
        try:
            event(store, "child", "2")
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.pending_count() == 2
    store.close()
