"""`MondayClient`: one pooled httpx client with a pinned API version, retries and complexity pacing.

    with MondayClient(url, token) as client:
        board = client.get_board("7000000001")
        for page in client.iter_item_pages(board, since=incremental_since(last_sync)):
            ...

What it guarantees:
- every request carries `API-Version` (pinned) and `Authorization`; bodies are decoded with orjson;
- every query carries `complexity {...}`; before a call that would leave less than
  `min_complexity_reserve` points in the window, the client sleeps until the window resets;
- rate limits (all shapes in monday-api.md §1.7), 5xx, 423, timeouts and connection errors are
  retried with exponential backoff and full jitter, honouring `retry_in_seconds`/`Retry-After`,
  for as long as the request's retry budget (time, `retry_budget_seconds`) lasts; auth and query
  errors are raised at once;
- the `API-Version` Monday actually served is read from every response (`stats.api_version_served`)
  and a version other than the pinned one is logged as a warning, once per client;
- `errors[]` is inspected on every HTTP 200, in both the current and the legacy flat shape;
- the token never appears in a log line, an exception message or a repr: it is stripped of
  surrounding whitespace, a token with an interior control character (a pasted line break) is
  refused at construction naming `token_env_var`, and every representation of it is redacted;
- a request that can never be sent (httpx `LocalProtocolError`, a bad URL) is not retried.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from customer_master.common import truncate
from customer_master.monday import extract
from customer_master.monday.errors import (
    ErrorInfo,
    MondayAuthError,
    MondayError,
    MondayNotFoundError,
    MondayQueryError,
    MondayRateLimitError,
    MondayServerError,
    MondayTimeoutError,
    MondayTransportError,
    Redactor,
    classify,
    most_severe,
    parse_error_objects,
)
from customer_master.monday.models import Board, ExtractStats, ItemPage, ItemState
from customer_master.monday.pacing import ComplexityPacer, ComplexitySnapshot
from customer_master.monday.queries import MAX_PAGE_LIMIT, with_complexity
from customer_master.monday.versions import check_api_version, served_version_warning
from customer_master.redaction import clean_secret, install_log_redaction
from customer_master.retry import (
    out_of_retries,
    parse_retry_after,
    retry_delay,
    transport_error_is_transient,
)

if TYPE_CHECKING:
    from customer_master.settings import Settings

log = logging.getLogger("customer_master.monday")

DEFAULT_API_URL = "https://api.monday.com/v2"
DEFAULT_API_VERSION = "2026-07"
# Budget points to keep in hand: ~1 % of a personal token's 10M/minute, several full 500-item pages.
DEFAULT_COMPLEXITY_RESERVE = 100_000
# A request is retried while its first attempt is at most this long ago (plus the next wait):
# long enough to ride out a few minutes of rate limits or a flapping gateway.
DEFAULT_RETRY_BUDGET_SECONDS = 300.0
_BODY_PREVIEW = 300
TOKEN_ENV_VAR = "MONDAY_API_TOKEN"
MISSING_TOKEN = f"set {TOKEN_ENV_VAR} (Monday -> avatar -> Developers -> My access tokens)"


class MondayClient:
    """A synchronous Monday GraphQL client. Not thread-safe: use one per thread/worker."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        timeout: float = 30.0,
        retry_budget_seconds: float = DEFAULT_RETRY_BUDGET_SECONDS,
        max_attempts: int | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        page_limit: int = MAX_PAGE_LIMIT,
        min_complexity_reserve: int = DEFAULT_COMPLEXITY_RESERVE,
        max_cursor_restarts: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        token_env_var: str = "MONDAY_API_TOKEN",
    ) -> None:
        # Redact the token as given (with its stray newline, if any) before anything can fail.
        self._redact = Redactor(token)
        api_token = clean_secret(token, token_env_var)  # SecretValueError names the variable, not the value
        if not api_token:
            raise ValueError(f"a Monday API token is required ({token_env_var} is not set)")
        check_api_version(api_version)
        if retry_budget_seconds <= 0:
            raise ValueError("retry_budget_seconds must be positive")
        if max_attempts is not None and max_attempts < 3:
            raise ValueError(
                "max_attempts must be at least 3 (or None: only the retry budget bounds retries)"
            )
        if not 1 <= page_limit <= MAX_PAGE_LIMIT:
            raise ValueError(f"page_limit must be between 1 and {MAX_PAGE_LIMIT}")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_cursor_restarts < 0:
            raise ValueError("max_cursor_restarts must not be negative")
        install_log_redaction(self._redact)
        self.api_url = api_url
        self.api_version = api_version
        self.timeout = timeout
        self.retry_budget_seconds = retry_budget_seconds
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.page_limit = page_limit
        self.max_cursor_restarts = max_cursor_restarts
        self.stats = ExtractStats()
        self._stats_lock = threading.Lock()
        self._version_warned = False
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self._pacer = ComplexityPacer(reserve=min_complexity_reserve)
        self._http = httpx.Client(
            headers={
                "Authorization": api_token,
                "API-Version": api_version,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
        )

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def from_settings(
        cls, settings: Settings, *, environ: Mapping[str, str] | None = None, **options: Any
    ) -> MondayClient:
        """The client the operator commands use: the settings' URL (MONDAY_API_URL, else the
        sandbox or api.monday.com by CM_ENV), API version and timeout; the token from
        MONDAY_API_TOKEN in `environ` (default the process environment); `options` go to the
        constructor (e.g. `page_limit`). A missing token raises MondayAuthError saying how to get
        one (`.reason` is the bare sentence); the token itself is never part of any message."""
        token = (os.environ if environ is None else environ).get(TOKEN_ENV_VAR, "")
        if not token:
            raise MondayAuthError(MISSING_TOKEN, purpose="configuration")
        options = {
            "api_version": settings.monday_api_version,
            "timeout": settings.monday_timeout_seconds,
            **options,
        }
        return cls(settings.monday_url, token, token_env_var=TOKEN_ENV_VAR, **options)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MondayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"MondayClient(api_url={self._redact(self.api_url)!r}, api_version={self.api_version!r}, "
            f"token='***')"
        )

    # -- transport -----------------------------------------------------------------------------

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        board_id: str | None = None,
        purpose: str = "query",
        allow_partial: bool = False,
        on_body: Callable[[bytes], None] | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL query and return its `data`, retrying what is worth retrying.

        `purpose` names the call in logs and errors ("items_page for board 7000000002").
        `allow_partial=True` returns data even when some *fields* failed (query/permission errors
        with a path); by default any error in `errors[]` raises, because partial item data would
        silently lose rows. Errors confined to the injected `complexity` field are always tolerated.
        `on_body` sees each HTTP 200 body before it is decoded (the page reader peeks at the next
        cursor there). It may be called from several threads at once, like the rest of `execute`.

        A retryable failure is retried while the time since the first attempt plus the next wait
        stays within `retry_budget_seconds` (and, if set, `max_attempts` is not reached).
        """
        query = with_complexity(query)
        board = str(board_id) if board_id is not None else None
        started = self._clock()
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self._pace(purpose, board)
            try:
                return self._send_once(
                    query,
                    variables,
                    board_id=board,
                    purpose=purpose,
                    allow_partial=allow_partial,
                    on_body=on_body,
                )
            except MondayError as exc:
                if not exc.retryable:
                    exc.with_attempts(attempt)
                    raise
                delay = retry_delay(
                    attempt,
                    server_hint=exc.retry_after,
                    base=self.backoff_base,
                    cap=self.backoff_max,
                    rng=self._rng,
                )
                # Never less than the waits themselves: an injected `sleep` may not advance the clock.
                elapsed = max(self._clock() - started, waited)
                if self._out_of_retries(attempt, elapsed + delay):
                    exc.with_attempts(attempt)
                    log.error(
                        "giving up after %d attempts in %.1f s (retry budget %g s%s): %s",
                        attempt,
                        elapsed,
                        self.retry_budget_seconds,
                        f", max_attempts {self.max_attempts}" if self.max_attempts else "",
                        exc,
                    )
                    raise
                log.warning(
                    "attempt %d failed, retrying in %.2f s (%.0f s of the %g s retry budget left): %s",
                    attempt,
                    delay,
                    max(0.0, self.retry_budget_seconds - elapsed),
                    self.retry_budget_seconds,
                    exc,
                )
                self._count("retries", 1)
                if isinstance(exc, MondayRateLimitError):
                    self._pacer.forget()
                self._wait(delay)
                waited += delay

    def _out_of_retries(self, attempts: int, seconds_at_next_attempt: float) -> bool:
        return out_of_retries(
            attempts,
            seconds_at_next_attempt,
            budget_seconds=self.retry_budget_seconds,
            max_attempts=self.max_attempts,
        )

    def _note_served_version(self, served: str | None) -> None:
        """Record the version Monday answered with; warn once if it is not the pinned one."""
        if not served:
            return
        with self._stats_lock:
            self.stats.api_version_served = served
            warning = None if self._version_warned else served_version_warning(self.api_version, served)
            if warning:
                self._version_warned = True
        if warning:
            log.warning(warning)

    def _pace(self, purpose: str, board_id: str | None) -> None:
        delay = self._pacer.delay_before(purpose, now=self._clock())
        if delay > 0:
            log.info(
                "complexity budget low before %s%s: sleeping %.1f s until the window resets",
                purpose,
                f" for board {board_id}" if board_id else "",
                delay,
            )
            self._wait(delay)
            self._pacer.forget()

    def _count(self, counter: str, amount: float) -> None:
        # Page reads overlap (extract.py requests the next page while this one decodes), so
        # counters are updated under a lock: `+=` on an attribute is not atomic across threads.
        with self._stats_lock:
            setattr(self.stats, counter, getattr(self.stats, counter) + amount)

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self._count("seconds_waiting", seconds)
        self._sleep(seconds)

    def _send_once(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        *,
        board_id: str | None,
        purpose: str,
        allow_partial: bool,
        on_body: Callable[[bytes], None] | None = None,
    ) -> dict[str, Any]:
        content = orjson.dumps({"query": query, "variables": dict(variables or {})})
        self._count("api_calls", 1)
        started = time.perf_counter()
        failure: MondayError | None = None
        # httpx exceptions are not chained into ours: their request objects carry the headers.
        try:
            response = self._http.post(self.api_url, content=content)
        except httpx.TimeoutException as exc:
            failure = MondayTimeoutError(
                f"no response within {self.timeout:g} s ({type(exc).__name__})",
                board_id=board_id,
                purpose=purpose,
            )
        except httpx.UnsupportedProtocol as exc:
            failure = MondayError(f"bad API URL: {self._redact(exc)}", board_id=board_id, purpose=purpose)
        except httpx.TransportError as exc:
            if not transport_error_is_transient(exc):
                # The request itself cannot be formed (e.g. an illegal header value): retrying
                # cannot help. The text is redacted: h11 quotes the offending value as bytes.
                failure = MondayError(
                    f"request could not be sent: {type(exc).__name__}: {self._redact(exc)}",
                    board_id=board_id,
                    purpose=purpose,
                )
            else:
                failure = MondayTransportError(
                    f"{type(exc).__name__}: {self._redact(exc) or 'connection failed'}",
                    board_id=board_id,
                    purpose=purpose,
                )
        if failure is not None:
            raise failure
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._note_served_version(response.headers.get("API-Version"))
        if on_body is not None and response.status_code == 200:
            # The hook may send the next request before this body is decoded: pace it on this
            # response's complexity, read from the head of the body.
            snapshot = ComplexitySnapshot.from_body_head(response.content)
            if snapshot is not None:
                self._pacer.observe(snapshot, purpose=purpose, now=self._clock())
            on_body(response.content)
        return self._handle(
            response, board_id=board_id, purpose=purpose, allow_partial=allow_partial, elapsed_ms=elapsed_ms
        )

    def _handle(
        self,
        response: httpx.Response,
        *,
        board_id: str | None,
        purpose: str,
        allow_partial: bool,
        elapsed_ms: float,
    ) -> dict[str, Any]:
        status = response.status_code
        header_request_id = response.headers.get("x-request-id") or response.headers.get("request-id")
        header_retry = parse_retry_after(response.headers.get("retry-after"))
        try:
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            body = None
        infos = parse_error_objects(body, status) if isinstance(body, dict) else []

        if not 200 <= status < 300:
            raise self._http_error(response, body, infos, board_id, purpose, header_request_id, header_retry)

        if not isinstance(body, dict):
            raise MondayServerError(
                f"HTTP {status} with a body that is not a JSON object: {self._preview(response)}",
                board_id=board_id,
                purpose=purpose,
                status_code=status,
                request_id=header_request_id,
            )

        data = body.get("data")
        if infos:
            fatal = [i for i in infos if not self._tolerable(i, data, allow_partial)]
            if fatal:
                raise self._from_info(most_severe(fatal), board_id, purpose, header_request_id, header_retry)
            for info in infos:
                log.warning(
                    "%s%s: tolerated partial error at %s: %s (code=%s)",
                    purpose,
                    f" for board {board_id}" if board_id else "",
                    ".".join(map(str, info.path)) or "?",
                    self._redact(info.message),
                    info.code,
                )
        if not isinstance(data, dict):
            raise MondayServerError(
                "response has no data and no errors",
                board_id=board_id,
                purpose=purpose,
                status_code=status,
                request_id=header_request_id,
            )

        snapshot = ComplexitySnapshot.from_data(data)
        if snapshot is not None:
            self._count("complexity_used", snapshot.query)
            self._pacer.observe(snapshot, purpose=purpose, now=self._clock())
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s%s: HTTP %d in %.0f ms, complexity %s, remaining %s, reset in %s s",
                purpose,
                f" for board {board_id}" if board_id else "",
                status,
                elapsed_ms,
                snapshot.query if snapshot else "?",
                snapshot.after if snapshot else "?",
                snapshot.reset_in_x_seconds if snapshot else "?",
            )
        return data

    @staticmethod
    def _tolerable(info: ErrorInfo, data: Any, allow_partial: bool) -> bool:
        """Field-level errors that leave the rest of `data` trustworthy."""
        if not isinstance(data, dict) or not info.path:
            return False
        if info.kind not in (MondayQueryError, MondayNotFoundError, MondayAuthError):
            return False  # rate limits, cursor expiry and server errors are never partial successes
        if info.path[0] == "complexity":
            return True  # our own diagnostic field; pacing just goes without it
        return allow_partial

    def _http_error(
        self,
        response: httpx.Response,
        body: Any,
        infos: list[ErrorInfo],
        board_id: str | None,
        purpose: str,
        header_request_id: str | None,
        header_retry: float | None,
    ) -> MondayError:
        status = response.status_code
        info = most_severe(infos) if infos else None
        # The HTTP status decides the family; the body adds the code, message and hints.
        if status in (401, 403):
            kind: type[MondayError] = MondayAuthError
        elif status == 429:
            kind = info.kind if info and issubclass(info.kind, MondayRateLimitError) else MondayRateLimitError
        elif status >= 500 or status == 423:
            kind = MondayServerError
        elif info is not None:
            kind = info.kind
        else:
            kind = classify(None, "", status)
            if status == 404:
                kind = MondayError  # a wrong URL, not a missing board
        message = self._redact(info.message) if info else f"HTTP {status}: {self._preview(response)}"
        return kind(
            message,
            code=info.code if info else None,
            request_id=(info.request_id if info else None) or header_request_id,
            board_id=board_id,
            purpose=purpose,
            status_code=status,
            retry_after=info.retry_after if info and info.retry_after is not None else header_retry,
        )

    def _from_info(
        self,
        info: ErrorInfo,
        board_id: str | None,
        purpose: str,
        header_request_id: str | None,
        header_retry: float | None,
    ) -> MondayError:
        return info.kind(
            self._redact(info.message),
            code=info.code,
            request_id=info.request_id or header_request_id,
            board_id=board_id,
            purpose=purpose,
            status_code=info.status_code,
            retry_after=info.retry_after if info.retry_after is not None else header_retry,
        )

    def _preview(self, response: httpx.Response) -> str:
        try:
            text = response.text
        except Exception:  # undecodable bytes: describe rather than fail
            return f"<{len(response.content)} bytes>"
        return self._redact(truncate(" ".join(text.split()), _BODY_PREVIEW)) or "<empty body>"

    # -- extraction (see extract.py) -----------------------------------------------------------

    def get_board(self, board_id: str) -> Board:
        """Board metadata: columns (with settings_str), groups, items_count, state."""
        return extract.get_board(self, board_id)

    def iter_item_pages(
        self, board: Board, *, since: dt.date | None = None
    ) -> Generator[ItemPage, None, None]:
        """Every active item of `board` (or those updated on/after `since`), parsed, page by page.

        Each item is yielded exactly once, even when the cursor chain breaks mid-board (an expired
        cursor, or a page that used up its retry budget): the pages already yielded are kept and
        the rest of the board is found by an id scan and read by id (see extract.iter_item_pages).
        A generator: close it to stop early."""
        return extract.iter_item_pages(self, board, since=since)

    def active_item_ids(self, board_id: str) -> set[str]:
        """Ids of all active items on the board (a cheap id-only scan, for reconciliation; an
        expired cursor restarts the scan, at most `max_cursor_restarts` times)."""
        return extract.active_item_ids(self, board_id)

    def updated_item_stamps(self, board_id: str, since: dt.date) -> dict[str, str]:
        """Id -> updated_at of the active items updated on or after `since` (id pages only)."""
        return extract.updated_item_stamps(self, board_id, since)

    def fetch_items(self, board_id: str, item_ids: Iterable[str]) -> extract.FetchedItems:
        """The changed items by id: active ones parsed as a page, the state of the others
        (archived, deleted, moved away). Batches of 100 ids (`items(ids)`'s limit)."""
        return extract.fetch_items(self, board_id, item_ids)

    def item_states(self, item_ids: Iterable[str], *, board_id: str | None = None) -> dict[str, ItemState]:
        """Monday's current state of each item (batches of 100); items Monday no longer returns
        are `deleted`. With `board_id`, items now on another board count as deleted from this one."""
        return extract.item_states(self, item_ids, board_id=board_id)
