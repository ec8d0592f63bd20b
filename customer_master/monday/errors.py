"""The Monday client's exception hierarchy and the classification of Monday's error bodies.

Every exception message names what was being done ("items_page for board 7000000002"), Monday's
error code and request id when Monday sent them, and never the API token: messages are built by
the client through `Redactor`, and wrapped httpx exceptions are reduced to their type and a
redacted message (their request objects carry the Authorization header, so they are not chained).

    MondayError
    ├── MondayAuthError            401/403, UserUnauthorizedException, ...      never retried
    ├── MondayQueryError           validation, InvalidArgumentException, ...    never retried
    │   └── MondayNotFoundError    ResourceNotFoundException, board not returned
    ├── CursorExpiredError         CursorException: the caller resumes the board without a cursor
    ├── MondayRateLimitError       429 / complexity / concurrency / minute / IP limits   retried
    │   └── MondayDailyLimitError  DAILY_LIMIT_EXCEEDED: resets at midnight UTC, never retried
    ├── MondayServerError          5xx, 423 locked, API_TEMPORARILY_BLOCKED, bad bodies  retried
    └── MondayTransportError       timeouts and connection errors                        retried
        └── MondayTimeoutError
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Re-exported for the client (the `as` form marks the re-export explicit).
from customer_master.redaction import REDACTED as REDACTED
from customer_master.redaction import Redactor as Redactor


class MondayError(Exception):
    """Base class. `retryable` tells the client's retry loop whether another attempt may help."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        board_id: str | None = None,
        purpose: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        self.reason = message
        self.code = code
        self.request_id = request_id
        self.board_id = board_id
        self.purpose = purpose
        self.status_code = status_code
        self.retry_after = retry_after
        self.attempts = attempts
        super().__init__(self._render())

    def _render(self) -> str:
        what = self.purpose or "request"
        if self.board_id:
            what = f"{what} for board {self.board_id}"
        details = []
        if self.code:
            details.append(f"code={self.code}")
        if self.status_code is not None:
            details.append(f"http={self.status_code}")
        if self.request_id:
            details.append(f"request_id={self.request_id}")
        if self.attempts > 1:
            details.append(f"attempts={self.attempts}")
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{what}: {self.reason}{suffix}"

    def with_attempts(self, attempts: int) -> MondayError:
        """Record how many attempts were made (the message is rebuilt to say so)."""
        self.attempts = attempts
        self.args = (self._render(),)
        return self

    def with_note(self, note: str) -> MondayError:
        """Say what the failed request was part of (the message is rebuilt to say so)."""
        self.reason = f"{self.reason} ({note})"
        self.args = (self._render(),)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.args[0]!r})"


class MondayAuthError(MondayError):
    """The token is missing, invalid, expired or lacks a scope/permission. Never retried."""


class MondayQueryError(MondayError):
    """Monday rejected the query itself (validation, arguments, unknown field). Never retried."""


class MondayNotFoundError(MondayQueryError):
    """The board or resource does not exist (or is not visible to this token)."""


class CursorExpiredError(MondayError):
    """An `items_page` cursor expired (60 min from the chain's first request); the extractor
    keeps what it read and finishes the board by an id scan and `items(ids)`."""


class MondayRateLimitError(MondayError):
    """Any of Monday's rate limits: complexity budget, concurrency, per-minute, per-IP."""

    retryable = True


class MondayDailyLimitError(MondayRateLimitError):
    """The daily call quota is used up; it resets at midnight UTC, so retrying now is pointless."""

    retryable = False


class MondayServerError(MondayError):
    """5xx, 423 (resource locked), a temporarily blocked API or an unreadable response body."""

    retryable = True


class MondayTransportError(MondayError):
    """The request never got a response: connection refused/reset, protocol error."""

    retryable = True


class MondayTimeoutError(MondayTransportError):
    """No response within the client's timeout."""


# --------------------------------------------------------------------------------------------
# Redaction: the shared `Redactor` (customer_master/redaction.py) scrubs the token in every
# representation a library may print (raw, repr, bytes repr, JSON-escaped, URL-encoded).


# --------------------------------------------------------------------------------------------
# Classification of error bodies (pure)

RATE_LIMIT_CODES = frozenset(
    {
        "COMPLEXITY_BUDGET_EXHAUSTED",
        "ComplexityException",
        "maxConcurrencyExceeded",
        "RATE_LIMIT_EXCEEDED",
        "RateLimitExceeded",
        "Rate Limit Exceeded",
        "IP_RATE_LIMIT_EXCEEDED",
        "FIELD_LIMIT_EXCEEDED",
        "MINUTE_LIMIT_EXCEEDED",
    }
)
RATE_LIMIT_MESSAGES = (
    "complexity budget exhausted",
    "minute limit rate exceeded",
    "rate limit exceeded",
    "max concurrency exceeded",
    "maxconcurrencyexceeded",
)
DAILY_LIMIT_CODES = frozenset({"DAILY_LIMIT_EXCEEDED"})
AUTH_CODES = frozenset(
    {
        "UserUnauthorizedException",
        "USER_UNAUTHORIZED",
        "UNAUTHENTICATED",
        "Unauthenticated",
        "NotAuthenticated",
        "Unauthorized",
        "UNAUTHORIZED",
        "MissingRequiredPermissions",
        "FORBIDDEN",
    }
)
AUTH_MESSAGES = ("not authenticated", "unauthorized", "invalid token", "user unauthorized")
CURSOR_CODES = frozenset({"CursorException", "CursorExpiredError"})
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "RESOURCE_NOT_FOUND"})
SERVER_CODES = frozenset({"INTERNAL_SERVER_ERROR", "API_TEMPORARILY_BLOCKED", "ResourceLocked"})
SERVER_MESSAGES = ("resource is currently locked", "internal server error", "api temporarily blocked")

_RESET_IN = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """The parts of one Monday error object (either generation) that decide what to do."""

    kind: type[MondayError]
    message: str
    code: str | None = None
    request_id: str | None = None
    retry_after: float | None = None
    status_code: int | None = None
    path: tuple[str | int, ...] = ()


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        return parsed if parsed >= 0 else None
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def classify(code: str | None, message: str, status_code: int | None = None) -> type[MondayError]:
    """Decide the exception class for one error from its code, message and status (HTTP or the
    `status_code` Monday embeds in the body)."""
    lowered = message.lower()
    if code in CURSOR_CODES or "cursorexpirederror" in lowered or "cursor provided for pagination" in lowered:
        return CursorExpiredError
    if code in DAILY_LIMIT_CODES or "daily limit" in lowered:
        return MondayDailyLimitError
    if code in RATE_LIMIT_CODES or any(m in lowered for m in RATE_LIMIT_MESSAGES) or status_code == 429:
        return MondayRateLimitError
    if code in AUTH_CODES or status_code in (401, 403) or any(m in lowered for m in AUTH_MESSAGES):
        return MondayAuthError
    if code in SERVER_CODES or any(m in lowered for m in SERVER_MESSAGES):
        return MondayServerError
    if status_code is not None and (status_code >= 500 or status_code == 423):
        return MondayServerError
    if code in NOT_FOUND_CODES:
        return MondayNotFoundError
    return MondayQueryError


def parse_error_objects(body: Mapping[str, Any], http_status: int | None = None) -> list[ErrorInfo]:
    """All errors in a response body, from both generations of Monday's error shapes:

    - `errors: [{message, path, extensions: {code, request_id, retry_in_seconds, status_code}}]`
    - the legacy flat `{error_code, error_message, status_code, errors: ["..."]}`.
    """
    found: list[ErrorInfo] = []
    flat_code = body.get("error_code")
    flat_message = body.get("error_message")
    if flat_code is not None or flat_message is not None:
        message = str(flat_message or flat_code)
        status = _as_int(body.get("status_code")) or http_status
        retry = _as_float(body.get("retry_in_seconds"))
        if retry is None and (m := _RESET_IN.search(message)):
            retry = float(m.group(1))
        found.append(
            ErrorInfo(
                kind=classify(str(flat_code) if flat_code else None, message, status),
                message=message,
                code=str(flat_code) if flat_code else None,
                request_id=_str_or_none(body.get("request_id")),
                retry_after=retry,
                status_code=status,
            )
        )
        # The legacy shape repeats the message as plain strings in `errors`: nothing more to learn.
        return found

    errors = body.get("errors")
    if isinstance(errors, Mapping):
        errors = [errors]
    if not isinstance(errors, list):
        return found
    for err in errors:
        if isinstance(err, str):
            found.append(
                ErrorInfo(kind=classify(None, err, http_status), message=err, status_code=http_status)
            )
            continue
        if not isinstance(err, Mapping):
            continue
        extensions = err.get("extensions")
        ext = extensions if isinstance(extensions, Mapping) else {}
        message = str(err.get("message") or ext.get("code") or "unknown error")
        code = _str_or_none(ext.get("code")) or _str_or_none(err.get("error_code"))
        status = _as_int(ext.get("status_code")) or http_status
        retry = _as_float(ext.get("retry_in_seconds"))
        if retry is None and (m := _RESET_IN.search(message)):
            retry = float(m.group(1))
        path = err.get("path")
        found.append(
            ErrorInfo(
                kind=classify(code, message, status),
                message=message,
                code=code,
                request_id=_str_or_none(ext.get("request_id")),
                retry_after=retry,
                status_code=status,
                path=tuple(path) if isinstance(path, list) else (),
            )
        )
    return found


_PRECEDENCE: tuple[type[MondayError], ...] = (
    MondayAuthError,
    MondayDailyLimitError,
    MondayRateLimitError,
    CursorExpiredError,
    MondayServerError,
    MondayNotFoundError,
    MondayQueryError,
)


def most_severe(infos: list[ErrorInfo]) -> ErrorInfo:
    """The error that decides the outcome when a response carries several."""

    def rank(info: ErrorInfo) -> int:
        for i, kind in enumerate(_PRECEDENCE):
            if info.kind is kind:
                return i
        return len(_PRECEDENCE)

    return min(infos, key=rank)


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
