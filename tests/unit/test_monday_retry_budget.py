"""`MondayClient.execute`'s retry budget (time, not a count) against scripted HTTP responses.

Only the HTTP transport, `sleep` and the clock are replaced: `SimulatedTime` makes every sleep
advance the clock, as real waiting would, so a budget of minutes is exercised in milliseconds.
"""

from __future__ import annotations

import random

import httpx
import orjson
import pytest

from customer_master.monday import MondayClient, MondayQueryError, MondayRateLimitError, MondayServerError
from customer_master.monday.client import DEFAULT_RETRY_BUDGET_SECONDS

TOKEN = "tok-UNIT-retry-budget-0123456789"
URL = "http://monday.test/v2"
DATA = {
    "complexity": {"before": 10_000_000, "query": 10, "after": 9_999_990, "reset_in_x_seconds": 30},
    "me": {"id": "1"},
}


def ok() -> httpx.Response:
    return httpx.Response(200, content=orjson.dumps({"data": DATA}))


def unavailable() -> httpx.Response:
    return httpx.Response(503, content=b"<html>503 Service Temporarily Unavailable</html>")


def rate_limited(retry_in: float) -> httpx.Response:
    body = {
        "errors": [
            {
                "message": "Complexity budget exhausted",
                "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": retry_in},
            }
        ]
    }
    return httpx.Response(429, content=orjson.dumps(body))


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client_for(replies: list[httpx.Response], time: SimulatedTime | None = None, **kwargs) -> MondayClient:
    queue = list(replies)

    def answer(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    time = time or SimulatedTime()
    return MondayClient(
        URL,
        TOKEN,
        transport=httpx.MockTransport(answer),
        sleep=time.sleep,
        clock=time.clock,
        rng=random.Random(3),
        **kwargs,
    )


def call(client: MondayClient) -> dict:
    with client:
        return client.execute("query { me { id } }", purpose="me")


def test_the_default_budget_is_five_minutes_and_no_attempt_cap():
    client = MondayClient(URL, TOKEN)
    assert client.retry_budget_seconds == DEFAULT_RETRY_BUDGET_SECONDS == 300.0
    assert client.max_attempts is None
    client.close()


def test_a_burst_of_failures_longer_than_five_attempts_is_ridden_out():
    # Eight 429s then six 503s: fourteen failures in a row, far past the old fixed five attempts.
    time = SimulatedTime()
    client = client_for([rate_limited(2)] * 8 + [unavailable()] * 6 + [ok()], time)
    assert call(client) == DATA
    assert client.stats.retries == 14 and client.stats.api_calls == 15
    assert time.sleeps[:8] == [2.0] * 8  # the server's hint is honoured
    assert time.now <= DEFAULT_RETRY_BUDGET_SECONDS


def test_retries_stop_when_the_next_wait_would_overrun_the_budget():
    # Hints of 7 s and a 20 s budget: attempts at 0, 7 and 14 s; a fourth would start at 21 s.
    time = SimulatedTime()
    client = client_for([rate_limited(7)], time, retry_budget_seconds=20)
    with pytest.raises(MondayRateLimitError) as info:
        call(client)
    assert time.sleeps == [7.0, 7.0] and client.stats.api_calls == 3
    assert "attempts=3" in str(info.value)


def test_a_persistent_outage_fails_after_the_budget_with_jittered_backoff():
    time = SimulatedTime()
    client = client_for([unavailable()], time, retry_budget_seconds=60, backoff_base=1.0, backoff_max=8.0)
    with pytest.raises(MondayServerError) as info:
        call(client)
    attempts = client.stats.api_calls
    assert attempts > 5 and client.stats.retries == attempts - 1
    assert sum(time.sleeps) <= 60 and all(0 <= s <= 8.0 for s in time.sleeps)
    assert f"attempts={attempts}" in str(info.value)


def test_waits_count_against_the_budget_even_when_sleep_does_not_move_the_clock():
    # A `sleep` that returns at once (as tests inject) must not turn the budget into a retry loop
    # without end: the time waited is the lower bound of the time spent.
    sleeps: list[float] = []
    client = MondayClient(
        URL,
        TOKEN,
        transport=httpx.MockTransport(lambda request: rate_limited(30)),
        sleep=sleeps.append,
        retry_budget_seconds=100,
    )
    with pytest.raises(MondayRateLimitError, match="Complexity budget exhausted"):
        call(client)
    assert sleeps == [30.0, 30.0, 30.0]


def test_max_attempts_is_an_optional_hard_cap_inside_the_budget():
    time = SimulatedTime()
    client = client_for([unavailable()], time, max_attempts=3, backoff_base=0.1)
    with pytest.raises(MondayServerError, match="attempts=3"):
        call(client)
    assert client.stats.api_calls == 3


def test_errors_that_cannot_heal_are_raised_at_once_whatever_the_budget():
    invalid = httpx.Response(
        200,
        content=orjson.dumps(
            {"errors": [{"message": "Invalid argument", "extensions": {"code": "InvalidArgumentException"}}]}
        ),
    )
    time = SimulatedTime()
    client = client_for([invalid, ok()], time, retry_budget_seconds=3600)
    with pytest.raises(MondayQueryError):
        call(client)
    assert client.stats.api_calls == 1 and time.sleeps == []


@pytest.mark.parametrize("budget", [0, -1])
def test_a_budget_that_is_not_positive_is_refused(budget: float):
    with pytest.raises(ValueError, match="retry_budget_seconds must be positive"):
        MondayClient(URL, TOKEN, retry_budget_seconds=budget)
