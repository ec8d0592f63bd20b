"""`MondayClient.execute` against scripted HTTP responses, for the error shapes of monday-api.md §1.7
that the sandbox does not emit (concurrency, IP and minute limits, 423, daily limit, partial data,
connection errors). Everything the sandbox can produce is tested against it over real HTTP in
tests/integration/test_monday_client.py; here only the HTTP transport is scripted, no code of ours.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import httpx
import orjson
import pytest

from customer_master.monday import (
    MondayAuthError,
    MondayClient,
    MondayDailyLimitError,
    MondayQueryError,
    MondayServerError,
    MondayTimeoutError,
    MondayTransportError,
)

TOKEN = "tok-UNIT-very-secret-0123456789"
URL = "http://monday.test/v2"
OK_DATA = {
    "complexity": {"before": 10_000_000, "query": 1000, "after": 9_999_000, "reset_in_x_seconds": 30},
    "boards": [{"id": "1"}],
}

Reply = httpx.Response | Exception


def ok(data: dict | None = None) -> httpx.Response:
    return httpx.Response(200, content=orjson.dumps({"data": data or OK_DATA, "account_id": 1}))


def err(
    status: int, body: dict | None = None, headers: dict | None = None, text: str | None = None
) -> httpx.Response:
    content = text.encode() if text is not None else orjson.dumps(body or {})
    return httpx.Response(status, content=content, headers=headers or {})


class Script:
    """An httpx transport that answers from a list and records what it was sent."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(script: Script, **kwargs) -> tuple[MondayClient, Sleeps]:
    sleeps = Sleeps()
    client = MondayClient(
        URL,
        TOKEN,
        transport=httpx.MockTransport(script),
        sleep=sleeps,
        rng=random.Random(0),
        **kwargs,
    )
    return client, sleeps


def run(script: Script, **kwargs) -> tuple[MondayClient, Sleeps, dict | Exception]:
    client, sleeps = make_client(script, **kwargs)
    try:
        result: dict | Exception = client.execute(
            "query { boards(ids: [1]) { id } }", board_id="1", purpose="board"
        )
    except Exception as exc:  # noqa: BLE001 - returned for inspection
        result = exc
    finally:
        client.close()
    return client, sleeps, result


# ------------------------------------------------------------------------------------------


def test_requests_carry_the_pinned_version_the_token_and_the_complexity_field():
    script = Script(ok())
    client, _, data = run(script)
    (request,) = script.requests
    assert request.headers["API-Version"] == "2026-07"
    assert request.headers["Authorization"] == TOKEN
    body = orjson.loads(request.content)
    assert "complexity { before query after reset_in_x_seconds }" in body["query"]
    assert data == OK_DATA
    assert client.stats.api_calls == 1 and client.stats.complexity_used == 1000


RATE_LIMITS: dict[str, Callable[[], httpx.Response]] = {
    "current_429": lambda: err(
        429,
        {
            "errors": [
                {
                    "message": "Complexity budget exhausted",
                    "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 7},
                }
            ]
        },
    ),
    "variant_2025_01_at_200": lambda: err(
        200,
        {
            "errors": [
                {
                    "message": "Complexity budget exhausted",
                    "extensions": {
                        "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                        "retry_in_seconds": 7,
                        "status_code": 429,
                    },
                }
            ]
        },
    ),
    "legacy_flat": lambda: err(
        429,
        {
            "error_code": "ComplexityException",
            "status_code": 429,
            "error_message": "Complexity budget exhausted, query cost 1 budget remaining 0 out of 1 "
            "reset in 7 seconds",
            "error_data": {},
            "errors": ["Complexity budget exhausted"],
        },
    ),
    "max_concurrency": lambda: err(
        429,
        {
            "errors": [
                {"message": "Max concurrency exceeded", "extensions": {"code": "maxConcurrencyExceeded"}}
            ]
        },
        headers={"Retry-After": "7"},
    ),
    "rate_limit_exceeded": lambda: err(
        429,
        {
            "errors": [
                {
                    "message": "Rate Limit Exceeded",
                    "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 7},
                }
            ]
        },
    ),
    "ip_rate_limit": lambda: err(
        429,
        {"errors": [{"message": "IP rate limit exceeded", "extensions": {"code": "IP_RATE_LIMIT_EXCEEDED"}}]},
        headers={"Retry-After": "7"},
    ),
    "minute_limit_plain_text": lambda: err(
        429, text="Minute limit rate exceeded", headers={"Retry-After": "7"}
    ),
}


@pytest.mark.parametrize("shape", sorted(RATE_LIMITS))
def test_every_rate_limit_shape_is_retried_after_the_server_hint(shape: str):
    script = Script(RATE_LIMITS[shape](), RATE_LIMITS[shape](), ok())
    client, sleeps, data = run(script)
    assert data == OK_DATA
    assert sleeps == [7.0, 7.0]
    assert client.stats.retries == 2 and client.stats.api_calls == 3
    assert client.stats.seconds_waiting == 14.0


@pytest.mark.parametrize(
    "reply",
    [
        err(423, {"errors": [{"message": "Resource is currently locked"}]}),
        err(
            500,
            {
                "errors": [
                    {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
                ]
            },
        ),
        err(502, text="<html><h1>502 Bad Gateway</h1></html>"),
        err(504, text="<html><h1>504 Gateway Time-out</h1></html>"),
        err(200, text="<html>not json</html>"),
        err(
            200,
            {
                "errors": [
                    {"message": "API temporarily blocked", "extensions": {"code": "API_TEMPORARILY_BLOCKED"}}
                ]
            },
        ),
    ],
    ids=["423", "500", "502", "504", "200-html", "200-blocked"],
)
def test_server_side_failures_are_retried_with_jittered_backoff(reply: httpx.Response):
    script = Script(reply, reply, ok())
    client, sleeps, data = run(script, backoff_base=1.0, backoff_max=60.0)
    assert data == OK_DATA
    assert client.stats.retries == 2
    assert 0.0 <= sleeps[0] <= 1.0 and 0.0 <= sleeps[1] <= 2.0  # attempt 1 then attempt 2 ceilings


def test_retries_stop_after_max_attempts_with_a_clear_error():
    reply = err(503, text="<html>503 Service Temporarily Unavailable</html>")
    client, sleeps, result = run(Script(reply), max_attempts=4)
    assert isinstance(result, MondayServerError)
    assert client.stats.api_calls == 4 and client.stats.retries == 3 and len(sleeps) == 3
    text = str(result)
    assert text.startswith("board for board 1: HTTP 503") and "http=503" in text and "attempts=4" in text


def test_max_attempts_below_three_is_refused():
    with pytest.raises(ValueError, match="at least 3"):
        MondayClient(URL, TOKEN, max_attempts=2)


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (err(401, {"errors": ["Not Authenticated"]}), MondayAuthError),
        (err(403, {"errors": [{"message": "Forbidden"}]}), MondayAuthError),
        (
            err(
                200,
                {
                    "errors": [
                        {
                            "message": "User unauthorized to perform action",
                            "extensions": {"code": "UserUnauthorizedException", "status_code": 403},
                        }
                    ]
                },
            ),
            MondayAuthError,
        ),
        (
            err(
                200,
                {
                    "errors": [
                        {"message": "Invalid argument", "extensions": {"code": "InvalidArgumentException"}}
                    ]
                },
            ),
            MondayQueryError,
        ),
        (
            err(
                400,
                {
                    "errors": [
                        {
                            "message": "Syntax Error: Unexpected Name",
                            "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
                        }
                    ]
                },
            ),
            MondayQueryError,
        ),
        (
            err(
                200,
                {
                    "errors": [
                        {"message": "Daily limit exceeded", "extensions": {"code": "DAILY_LIMIT_EXCEEDED"}}
                    ]
                },
            ),
            MondayDailyLimitError,
        ),
    ],
    ids=["401", "403", "user-unauthorized-200", "invalid-argument", "parse-400", "daily-limit"],
)
def test_auth_validation_and_daily_limit_errors_are_raised_at_once(reply: httpx.Response, kind: type):
    client, sleeps, result = run(Script(reply, ok()))
    assert type(result) is kind
    assert client.stats.api_calls == 1 and client.stats.retries == 0 and sleeps == []
    assert "board for board 1" in str(result)


def test_request_id_and_code_appear_in_the_message():
    reply = err(
        200,
        {
            "errors": [
                {
                    "message": "Invalid argument",
                    "extensions": {"code": "InvalidArgumentException", "request_id": "req-42"},
                }
            ]
        },
    )
    _, _, result = run(Script(reply))
    assert "code=InvalidArgumentException" in str(result) and "request_id=req-42" in str(result)


def test_connection_errors_are_retried_and_never_leak_the_token(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    boom = httpx.ConnectError(f"connection refused (Authorization: {TOKEN})")
    client, sleeps, result = run(Script(boom, boom, ok()))
    assert result == OK_DATA and client.stats.retries == 2

    client, sleeps, result = run(Script(boom))
    assert isinstance(result, MondayTransportError)
    assert TOKEN not in str(result) and TOKEN not in repr(result)
    assert "***" in str(result)
    # httpx's exception (whose request carries the headers) is not chained into ours.
    assert result.__cause__ is None and result.__context__ is None
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_timeouts_are_retried():
    client, _, result = run(Script(httpx.ReadTimeout("timed out"), ok()))
    assert result == OK_DATA and client.stats.retries == 1
    client, _, result = run(Script(httpx.ReadTimeout("timed out")))
    assert isinstance(result, MondayTimeoutError) and "no response within 30 s" in str(result)


def test_errors_on_the_injected_complexity_field_are_tolerated():
    body = {
        "data": {"complexity": None, "boards": [{"id": "1"}]},
        "errors": [
            {
                "message": "Cannot query field",
                "path": ["complexity"],
                "extensions": {"code": "undefinedField"},
            }
        ],
    }
    client, _, data = run(Script(err(200, body)))
    assert data == {"complexity": None, "boards": [{"id": "1"}]}
    assert client.stats.complexity_used == 0


def test_partial_data_raises_unless_the_caller_allows_it():
    body = {
        "data": {"complexity": OK_DATA["complexity"], "boards": [{"id": "1", "owner": None}]},
        "errors": [
            {
                "message": "User unauthorized",
                "path": ["boards", 0, "owner"],
                "extensions": {"code": "USER_UNAUTHORIZED"},
            }
        ],
    }
    _, _, result = run(Script(err(200, body)))
    assert isinstance(result, MondayAuthError)
    client, _ = make_client(Script(err(200, body)))
    data = client.execute("query { boards { id } }", allow_partial=True)
    assert data["boards"] == [{"id": "1", "owner": None}]


def test_a_low_complexity_budget_makes_the_next_call_wait_for_the_reset():
    low = {
        "complexity": {"before": 150_000, "query": 60_000, "after": 90_000, "reset_in_x_seconds": 42},
        "boards": [],
    }
    script = Script(ok(low), ok())
    clock = iter([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    client, sleeps = make_client(script, min_complexity_reserve=50_000, clock=lambda: next(clock, 0.0))
    client.execute("query { boards { id } }", purpose="items_page")
    assert sleeps == []
    client.execute("query { boards { id } }", purpose="items_page")  # 90k - 60k < 50k reserve
    assert sleeps == [42.0]
    assert client.stats.seconds_waiting == 42.0 and client.stats.complexity_used == 61_000


def test_repr_never_shows_the_token():
    client, _ = make_client(Script(ok()))
    assert TOKEN not in repr(client) and "***" in repr(client)
    client.close()
