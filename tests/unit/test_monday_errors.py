"""Classification of every Monday error shape (monday-api.md §1.7) and error messages (pure)."""

from __future__ import annotations

import pytest

from customer_master.monday.errors import (
    CursorExpiredError,
    MondayAuthError,
    MondayDailyLimitError,
    MondayError,
    MondayNotFoundError,
    MondayQueryError,
    MondayRateLimitError,
    MondayServerError,
    Redactor,
    most_severe,
    parse_error_objects,
)

CURRENT_429 = {
    "errors": [
        {
            "message": "Complexity budget exhausted",
            "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 60},
        }
    ]
}
VARIANT_2025_01 = {
    "errors": [
        {
            "message": "Complexity budget exhausted",
            "extensions": {
                "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                "complexity": 6182,
                "complexity_budget_left": 100,
                "complexity_budget_limit": 5000000,
                "retry_in_seconds": 60,
                "status_code": 429,
            },
        }
    ]
}
LEGACY_FLAT = {
    "error_code": "ComplexityException",
    "status_code": 429,
    "error_message": "Complexity budget exhausted, query cost 30001 budget remaining 19986 out of 1000000 "
    "reset in 3 seconds",
    "error_data": {},
    "errors": ["..."],
    "account_id": 1,
}
CURSOR = {
    "errors": [
        {
            "message": "CursorExpiredError: The cursor provided for pagination has expired. "
            "Please refresh your query and obtain a new cursor to continue fetching items",
            "extensions": {"code": "CursorException"},
        }
    ]
}
APP_ERROR = {
    "data": {"me": None},
    "errors": [
        {
            "message": "User unauthorized to perform action",
            "locations": [{"line": 2, "column": 3}],
            "path": ["me"],
            "extensions": {"code": "UserUnauthorizedException", "error_data": {}, "status_code": 403},
        }
    ],
    "account_id": 123456,
}


def _one(body: dict, status: int | None = 200):
    (info,) = parse_error_objects(body, status)
    return info


def test_current_complexity_error_is_a_rate_limit_with_its_retry_hint():
    info = _one(CURRENT_429, 429)
    assert info.kind is MondayRateLimitError
    assert (info.code, info.retry_after) == ("COMPLEXITY_BUDGET_EXHAUSTED", 60.0)


def test_2025_01_variant_at_http_200_is_a_rate_limit():
    info = _one(VARIANT_2025_01, 200)
    assert info.kind is MondayRateLimitError and info.retry_after == 60.0 and info.status_code == 429


def test_legacy_flat_shape_is_a_rate_limit_and_its_reset_time_is_the_hint():
    info = _one(LEGACY_FLAT, 200)
    assert info.kind is MondayRateLimitError
    assert info.code == "ComplexityException"
    assert info.retry_after == 3.0


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("maxConcurrencyExceeded", "Max concurrency exceeded"),
        ("RATE_LIMIT_EXCEEDED", "Rate Limit Exceeded"),
        ("IP_RATE_LIMIT_EXCEEDED", "IP rate limit exceeded"),
        (None, "Minute limit rate exceeded"),
        ("FIELD_LIMIT_EXCEEDED", "Field limit exceeded"),
        ("ComplexityException", "Query cost too high"),
    ],
)
def test_every_rate_limit_code_is_retryable(code: str | None, message: str):
    ext = {"code": code} if code else {}
    info = _one({"errors": [{"message": message, "extensions": ext}]})
    assert info.kind is MondayRateLimitError and info.kind.retryable


def test_daily_limit_is_a_rate_limit_that_is_not_retried():
    info = _one(
        {"errors": [{"message": "Daily limit exceeded", "extensions": {"code": "DAILY_LIMIT_EXCEEDED"}}]}
    )
    assert info.kind is MondayDailyLimitError
    assert issubclass(info.kind, MondayRateLimitError) and not info.kind.retryable


def test_cursor_exception_is_recognised_by_code_or_message():
    assert _one(CURSOR).kind is CursorExpiredError
    by_message = {
        "errors": [{"message": "CursorExpiredError: The cursor provided for pagination has expired."}]
    }
    assert _one(by_message).kind is CursorExpiredError


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (APP_ERROR, 200, MondayAuthError),
        ({"errors": ["Not Authenticated"]}, 401, MondayAuthError),
        (
            {"errors": [{"message": "Not Authenticated", "extensions": {"code": "UNAUTHENTICATED"}}]},
            200,
            MondayAuthError,
        ),
        (
            {"errors": [{"message": "bad arg", "extensions": {"code": "InvalidArgumentException"}}]},
            200,
            MondayQueryError,
        ),
        (
            {
                "errors": [
                    {
                        "message": "Cannot query field 'x' on type 'Board'.",
                        "extensions": {"code": "undefinedField"},
                    }
                ]
            },
            200,
            MondayQueryError,
        ),
        (
            {"errors": [{"message": "nope", "extensions": {"code": "ResourceNotFoundException"}}]},
            200,
            MondayNotFoundError,
        ),
        ({"errors": [{"message": "Resource is currently locked"}]}, 200, MondayServerError),
        (
            {
                "errors": [
                    {"message": "API temporarily blocked", "extensions": {"code": "API_TEMPORARILY_BLOCKED"}}
                ]
            },
            200,
            MondayServerError,
        ),
        (
            {
                "errors": [
                    {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
                ]
            },
            500,
            MondayServerError,
        ),
    ],
)
def test_classification_of_other_errors(body: dict, status: int, kind: type[MondayError]):
    assert _one(body, status).kind is kind


def test_no_errors_means_nothing_to_classify():
    assert parse_error_objects({"data": {"boards": []}}, 200) == []
    assert parse_error_objects({"errors": None}, 200) == []


def test_the_most_severe_error_wins():
    infos = parse_error_objects(
        {
            "errors": [
                {"message": "bad", "extensions": {"code": "InvalidArgumentException"}},
                {
                    "message": "Complexity budget exhausted",
                    "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED"},
                },
            ]
        },
        200,
    )
    assert most_severe(infos).kind is MondayRateLimitError


def test_messages_name_purpose_board_code_and_request_id():
    err = MondayRateLimitError(
        "Complexity budget exhausted",
        code="COMPLEXITY_BUDGET_EXHAUSTED",
        request_id="req-1",
        board_id="7000000002",
        purpose="items_page",
        status_code=429,
    )
    text = str(err)
    assert text.startswith("items_page for board 7000000002: Complexity budget exhausted")
    assert "code=COMPLEXITY_BUDGET_EXHAUSTED" in text and "request_id=req-1" in text and "http=429" in text
    assert "attempts" not in text
    err.with_attempts(5)
    assert "attempts=5" in str(err) and "attempts=5" in repr(err)


def test_redactor_removes_the_token_everywhere():
    redact = Redactor("s3cr3t-token-value")
    assert (
        redact("Authorization: s3cr3t-token-value, again s3cr3t-token-value")
        == "Authorization: ***, again ***"
    )
    assert Redactor("")("anything") == "anything"
