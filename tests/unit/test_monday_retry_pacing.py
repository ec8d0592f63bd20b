"""Backoff arithmetic, Retry-After parsing and complexity pacing decisions (pure)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from customer_master.monday.pacing import (
    MAX_PACING_SLEEP_SECONDS,
    ComplexityPacer,
    ComplexitySnapshot,
    pacing_delay,
)
from customer_master.monday.retry import (
    MAX_SERVER_WAIT_SECONDS,
    backoff_delay,
    parse_retry_after,
    retry_delay,
)

# ------------------------------------------------------------------------------------------
# Backoff


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_stays_within_zero_and_the_capped_exponential(attempt: int):
    rng = random.Random(attempt)
    ceiling = min(60.0, 1.0 * 2 ** (attempt - 1))
    delays = [backoff_delay(attempt, base=1.0, cap=60.0, rng=rng) for _ in range(500)]
    assert all(0.0 <= d <= ceiling for d in delays)


def test_backoff_uses_full_jitter_over_the_whole_range():
    rng = random.Random(7)
    delays = [backoff_delay(4, base=1.0, cap=60.0, rng=rng) for _ in range(2000)]  # ceiling 8 s
    assert len(set(delays)) > 1900  # jittered, not a fixed schedule
    assert min(delays) < 0.5 and max(delays) > 7.5  # spans [0, ceiling]
    assert 3.5 < sum(delays) / len(delays) < 4.5  # uniform: mean ~ ceiling / 2


def test_backoff_ceiling_grows_exponentially_then_caps():
    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    top = Top()
    assert [backoff_delay(n, base=0.5, cap=10.0, rng=top) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 10, 10]
    assert backoff_delay(10_000, base=1.0, cap=60.0, rng=top) == 60.0  # no overflow


def test_backoff_rejects_nonsense():
    with pytest.raises(ValueError):
        backoff_delay(0, base=1.0, cap=1.0, rng=random.Random())
    with pytest.raises(ValueError):
        backoff_delay(1, base=-1.0, cap=1.0, rng=random.Random())


def test_retry_delay_prefers_the_server_hint_and_bounds_it():
    rng = random.Random(1)
    assert retry_delay(1, server_hint=7, base=1.0, cap=60.0, rng=rng) == 7.0
    assert retry_delay(3, server_hint=0, base=1.0, cap=60.0, rng=rng) == 0.0
    assert retry_delay(1, server_hint=10_000, base=1.0, cap=60.0, rng=rng) == MAX_SERVER_WAIT_SECONDS
    assert 0.0 <= retry_delay(2, server_hint=None, base=1.0, cap=60.0, rng=rng) <= 2.0


def test_parse_retry_after_seconds_and_http_dates():
    now = dt.datetime(2026, 9, 6, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Sun, 06 Sep 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sun, 06 Sep 2026 11:00:00 GMT", now=now) == 0.0  # in the past
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None


# ------------------------------------------------------------------------------------------
# Pacing


def test_no_pause_while_the_budget_after_the_next_call_stays_above_the_reserve():
    assert pacing_delay(remaining=1_000_000, expected_cost=10_000, reserve=100_000, reset_in=30) == 0.0
    assert pacing_delay(remaining=110_000, expected_cost=10_000, reserve=100_000, reset_in=30) == 0.0


def test_pause_until_reset_when_the_next_call_would_dip_into_the_reserve():
    assert pacing_delay(remaining=109_999, expected_cost=10_000, reserve=100_000, reset_in=30) == 30
    assert pacing_delay(remaining=0, expected_cost=0, reserve=1, reset_in=12.5) == 12.5


def test_pause_is_bounded_and_never_negative():
    assert pacing_delay(remaining=0, expected_cost=5, reserve=10, reset_in=3600) == MAX_PACING_SLEEP_SECONDS
    assert pacing_delay(remaining=0, expected_cost=5, reserve=10, reset_in=-3) == 0.0


def test_snapshot_reads_the_complexity_object_or_nothing():
    data = {
        "complexity": {"before": 4995858, "query": 4142, "after": 4991716, "reset_in_x_seconds": 9},
        "boards": [],
    }
    assert ComplexitySnapshot.from_data(data) == ComplexitySnapshot(4995858, 4142, 4991716, 9.0)
    assert ComplexitySnapshot.from_data({"boards": []}) is None
    assert ComplexitySnapshot.from_data({"complexity": None}) is None
    assert ComplexitySnapshot.from_data({"complexity": {"before": 1}}) is None
    assert ComplexitySnapshot.from_data(None) is None


def test_pacer_learns_costs_per_purpose_and_sleeps_only_when_needed():
    pacer = ComplexityPacer(reserve=100_000)
    assert pacer.delay_before("items_page", now=0.0) == 0.0  # nothing known yet
    pacer.observe(ComplexitySnapshot(400_000, 50_000, 350_000, 40), purpose="items_page", now=0.0)
    pacer.observe(ComplexitySnapshot(350_000, 1_000, 349_000, 40), purpose="item_states", now=1.0)
    # 349k left: one more items_page (50k) keeps 299k > reserve.
    assert pacer.delay_before("items_page", now=2.0) == 0.0
    pacer.observe(ComplexitySnapshot(200_000, 50_000, 140_000, 30), purpose="items_page", now=10.0)
    # 140k - 50k = 90k < 100k reserve: sleep until the reset, 30 s after the reading minus 5 s elapsed.
    assert pacer.delay_before("items_page", now=15.0) == pytest.approx(25.0)
    # A cheap call still fits: 140k - 1k >= 100k.
    assert pacer.delay_before("item_states", now=15.0) == 0.0
    # An unknown purpose is assumed to cost what the last call cost.
    assert pacer.expected_cost("never_seen") == 50_000


def test_pacer_forgets_stale_readings_after_the_window_resets():
    pacer = ComplexityPacer(reserve=100_000)
    pacer.observe(ComplexitySnapshot(100_000, 50_000, 50_000, 10), purpose="p", now=0.0)
    assert pacer.delay_before("p", now=1.0) == pytest.approx(9.0)
    assert pacer.delay_before("p", now=11.0) == 0.0  # the window has reset meanwhile
    assert pacer.delay_before("p", now=11.5) == 0.0
    pacer.observe(ComplexitySnapshot(100_000, 50_000, 50_000, 10), purpose="p", now=20.0)
    pacer.forget()
    assert pacer.delay_before("p", now=21.0) == 0.0
