"""The one retry stack for outgoing HTTP (the Monday client and the Slack notifier; no dagster).

Pure arithmetic and classification: backoff with full jitter, a server's wait hint, `Retry-After`
parsing, the "out of retries" rule (time budget, optional attempt cap), and which httpx failures
are worth another attempt. Callers own the loop, the clock and the sleeping.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random

import httpx

# A server-provided wait (retry_in_seconds / Retry-After) is honoured as given, up to this ceiling:
# Monday's windows are one minute, so anything far beyond that is a malformed hint, not a plan.
MAX_SERVER_WAIT_SECONDS = 300.0


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter (AWS architecture blog): uniform(0, min(cap, base·2^(n-1))).

    `attempt` is the number of the attempt that just failed, starting at 1.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if base < 0 or cap < 0:
        raise ValueError("backoff base and cap must not be negative")
    # Clamp the exponent so huge attempt numbers cannot overflow a float.
    ceiling = min(cap, base * (2.0 ** min(attempt - 1, 62)))
    return rng.uniform(0.0, ceiling)


def retry_delay(
    attempt: int,
    *,
    server_hint: float | None,
    base: float,
    cap: float,
    rng: random.Random,
) -> float:
    """Seconds to wait before the next attempt: the server's hint when it gave one, else backoff."""
    if server_hint is not None and server_hint >= 0:
        return min(float(server_hint), MAX_SERVER_WAIT_SECONDS)
    return backoff_delay(attempt, base=base, cap=cap, rng=rng)


def out_of_retries(
    attempts: int, seconds_at_next_attempt: float, *, budget_seconds: float, max_attempts: int | None
) -> bool:
    """True when no further attempt may start: the cap is reached, or the next attempt would begin
    after the time budget (so a long server hint is never waited for just to give up after it)."""
    if max_attempts is not None and attempts >= max_attempts:
        return True
    return seconds_at_next_attempt > budget_seconds


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """A `Retry-After` header as seconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def transport_error_is_transient(exc: httpx.HTTPError) -> bool:
    """Whether another attempt of a request that failed with `exc` (no response) may succeed.

    Timeouts, refused/reset connections and a server that broke the protocol are transient. A
    request *we* could not form (`LocalProtocolError`: e.g. a header value with a line break),
    a bad URL or scheme, or a proxy refusal fails the same way every time: not retried.
    """
    if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol | httpx.ProxyError):
        return False
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)
