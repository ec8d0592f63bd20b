"""A warm order-update run (`apply_session`): it applies what waits, then the changes that arrive while
it lingers, and ends when none came for the linger, when another run wants the warehouse, after its
maximum, or when what waits is not its to claim. A real change store (SQLite); the batch is the
store's claim + complete (what apply_pending_changes does around landing and dbt); the clock is
simulated so a test never sleeps."""

from __future__ import annotations

import pytest

from customer_master.realtime.apply import ApplyReport, apply_session
from customer_master.realtime.store import ChangeKey, ChangeStore


class World:
    def __init__(self, store: ChangeStore) -> None:
        self.store = store
        self.now = 0.0
        self.arrivals: dict[float, list[str]] = {}  # simulated time -> items changed then
        self.recorded: list[ApplyReport] = []
        self.batches: list[list[str]] = []
        self.others_from: float | None = None  # another run asks for the warehouse from this time on

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        for at in sorted(t for t in self.arrivals if t <= self.now):
            self.change(*self.arrivals.pop(at))

    def change(self, *items: str, source: str = "monday") -> None:
        self.store.enqueue([(ChangeKey(source, "b1", i), None, "update_column_value") for i in items])

    def apply_batch(self) -> ApplyReport:
        claimed = self.store.claim("run-1", sources=["monday"])
        done = self.store.complete("run-1")
        self.batches.append(sorted(c.key.item_id for c in claimed))
        return ApplyReport(claimed=len(claimed), applied=done.applied)

    def session(self, linger: float, **kw) -> list[ApplyReport]:
        return apply_session(
            self.store,
            self.apply_batch,
            self.recorded.append,
            linger_seconds=linger,
            sources=["monday"],
            yield_to_others=lambda: self.others_from is not None and self.now >= self.others_from,
            clock=self.clock,
            sleep=self.sleep,
            **kw,
        )


@pytest.fixture()
def world(tmp_path) -> World:
    return World(ChangeStore(tmp_path / "changes.sqlite"))


def test_without_linger_one_batch_and_the_run_ends(world):
    world.change("1", "2")
    world.arrivals[1.0] = ["3"]
    reports = world.session(0)
    assert world.batches == [["1", "2"]] and [r.applied for r in reports] == [2]
    assert world.store.pending_count() == 0 and world.now == 0.0  # "3" comes later: the next run's


def test_changes_arriving_while_it_lingers_are_applied_in_the_same_run(world):
    world.change("1")
    world.arrivals[3.0] = ["2"]
    world.arrivals[20.0] = ["3", "4"]  # 17 s after the last batch: within a 30 s linger
    world.arrivals[100.0] = ["5"]  # 80 s after the last batch: the run has ended
    world.session(30)
    assert world.batches == [["1"], ["2"], ["3", "4"]]
    assert [r.claimed for r in world.recorded] == [1, 1, 2]  # each batch recorded
    assert world.now == pytest.approx(50.0, abs=0.5)  # 30 s after the last batch
    assert world.store.pending_count() == 0  # "5" not yet arrived when it ended


def test_it_makes_way_at_once_for_another_run(world):
    world.change("1")
    world.arrivals[10.0] = ["2"]
    world.others_from = 5.0  # e.g. the nightly run is queued
    world.session(60)
    assert world.batches == [["1"]] and world.now == pytest.approx(5.0, abs=0.5)


def test_a_steady_stream_ends_at_the_maximum(world):
    world.change("0")
    for n in range(1, 200):
        world.arrivals[n * 2.0] = [str(n)]
    world.session(60, max_seconds=30)
    assert world.now <= 31 and 10 <= len(world.batches) <= 16


def test_the_first_batch_is_recorded_even_empty_and_others_only_with_changes(world):
    world.session(1)
    assert [r.claimed for r in world.recorded] == [0] and world.batches == [[]]


def test_changes_it_may_not_claim_do_not_keep_it_busy(world):
    world.change("1")
    world.change("x", source="oms")  # pending, but this run claims Monday's only
    assert world.session(60) and world.batches == [["1"]] and world.now == pytest.approx(60, abs=0.5)
    # told nothing of its sources, it sees the OMS change waiting, claims nothing, and ends
    world.now, world.batches = 0.0, []
    apply_session(world.store, world.apply_batch, world.recorded.append, linger_seconds=60, sleep=world.sleep)
    assert world.batches == [[], []] and world.now == 0.0
    assert world.store.pending_count(["oms"]) == 1
