"""Slack delivery: render an `Alert` as an incoming-webhook message and post it, never failing a run.

The webhook URL is a secret (it is the only credential an incoming webhook has): it is kept as a
pydantic `SecretStr`, never logged, never shown by `repr()`, and scrubbed, in every representation,
from every error text and from httpx's own INFO request log (the shared customer_master/redaction.py).
Without a URL the alert is logged as a warning instead, so it is still visible in the run logs.

Delivery is bounded by one deadline per message (`deadline_seconds`, a few seconds: sensors send
alerts inside Dagster's 60 s tick). Within it, connect errors, timeouts, 429 and 5xx are retried
with the shared backoff (customer_master/retry.py) or Slack's `Retry-After`; a wait that would end
past the deadline is not started, and a response still trickling in at the deadline is cut off.
Other 4xx answers are configuration errors and are not retried. A delivered message is remembered
by its key (`Alert.dedupe_key` and run) for `remember_seconds`, so a sensor tick that is re-run
after it posted does not post it again. `SlackNotifier.send` catches everything: an alert that
cannot be delivered is logged, not raised.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import socket
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from customer_master.alerts.models import Alert
from customer_master.alerts.settings import DEFAULT_DEADLINE_SECONDS, WEBHOOK_ENV_VAR, AlertSettings
from customer_master.common import truncate
from customer_master.redaction import Redactor, clean_secret, install_log_redaction
from customer_master.retry import (
    backoff_delay,
    out_of_retries,
    parse_retry_after,
    transport_error_is_transient,
)

DEFAULT_LOGGER_NAME = "customer_master.alerts"

SEVERITY_EMOJI = {"critical": ":red_circle:", "warn": ":large_yellow_circle:", "info": ":white_check_mark:"}
RECOVERY_EMOJI = ":white_check_mark:"

# Slack Block Kit limits (api.slack.com/reference/block-kit): header text 150 characters, section
# text 3000, at most 10 fields of 2000 each. Top-level `text` is kept well under its 4000 guideline.
HEADER_MAX_CHARS = 150
SECTION_MAX_CHARS = 3000
FIELD_MAX_CHARS = 200
MAX_FIELDS = 10
TEXT_MAX_CHARS = 3000
MAX_DETAIL_LINES = 15
DETAIL_LINE_MAX_CHARS = 500

WHERE_LABELS = {"job": "Job", "asset": "Asset", "partition": "Partition", "check": "Check", "step": "Step"}

RESPONSE_BODY_LOG_CHARS = 300
REDACTED = "<webhook>"
# How long a delivered message's key is remembered: covers the re-runs of a sensor tick (seconds to
# minutes apart) but not the same condition recurring later (a check failing again in a new run has
# another run id anyway).
DEFAULT_REMEMBER_SECONDS = 900.0


# ------------------------------------------------------------------------------------------
# Rendering (pure)


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters as entities (api.slack.com "Escaping text")."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def severity_emoji(alert: Alert) -> str:
    return RECOVERY_EMOJI if alert.kind == "recovery" else SEVERITY_EMOJI[alert.severity]


def run_url(ui_base_url: str, run_id: str) -> str:
    return f"{ui_base_url.rstrip('/')}/runs/{urllib.parse.quote(run_id, safe='')}"


def _value_line(alert: Alert) -> str | None:
    if alert.value and alert.threshold:
        return f"*Value:* {escape_mrkdwn(alert.value)} (threshold {escape_mrkdwn(alert.threshold)})"
    if alert.value:
        return f"*Value:* {escape_mrkdwn(alert.value)}"
    if alert.threshold:
        return f"*Threshold:* {escape_mrkdwn(alert.threshold)}"
    return None


def _details_text(details: list[str]) -> str:
    """Bulleted detail lines within the section limit; what does not fit becomes "… and N more"."""
    lines: list[str] = []
    used = 0
    budget = SECTION_MAX_CHARS - 40  # room for the "… and N more" line
    for index, raw in enumerate(details):
        line = "• " + escape_mrkdwn(truncate(" ".join(raw.split()), DETAIL_LINE_MAX_CHARS))
        if index >= MAX_DETAIL_LINES or used + len(line) + 1 > budget:
            lines.append(f"… and {len(details) - index} more")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def render_slack_payload(alert: Alert, *, ui_base_url: str | None) -> dict[str, Any]:
    """The incoming-webhook JSON for `alert`: fallback `text` plus header/section/context blocks."""
    emoji = severity_emoji(alert)
    text = truncate(f"{emoji} {escape_mrkdwn(alert.title)}", TEXT_MAX_CHARS)
    # The header is plain_text, which Slack never parses (no mentions, no links): it is not escaped.
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": truncate(f"{emoji} {alert.title}", HEADER_MAX_CHARS),
                "emoji": True,
            },
        }
    ]

    body = escape_mrkdwn(alert.what)
    value_line = _value_line(alert)
    if value_line:
        body = f"{body}\n{value_line}"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(body, SECTION_MAX_CHARS)}})

    if alert.where:
        fields = [
            {
                "type": "mrkdwn",
                "text": f"*{WHERE_LABELS.get(key, key.replace('_', ' ').capitalize())}*\n"
                f"{escape_mrkdwn(truncate(value, FIELD_MAX_CHARS))}",
            }
            for key, value in list(alert.where.items())[:MAX_FIELDS]
            if value is not None  # always true (Alert drops None values): narrows the type
        ]
        blocks.append({"type": "section", "fields": fields})

    if alert.details:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _details_text(alert.details)}})

    context = [f"*{alert.severity}* · {alert.kind.replace('_', ' ')}"]
    if alert.run_id and ui_base_url and ui_base_url.strip():
        link = escape_mrkdwn(run_url(ui_base_url.strip(), alert.run_id))
        context.append(f"<{link}|View run {escape_mrkdwn(alert.run_id[:8])}>")
    elif alert.run_id:
        context.append(f"Run {escape_mrkdwn(alert.run_id)}")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]})
    return {"text": text, "blocks": blocks}


def plain_text(alert: Alert) -> str:
    """The alert as one log line (for the no-webhook warning): title, what, where, value, details."""
    parts = [f"[{alert.severity}] {alert.title}: {alert.what}"]
    if alert.where:
        parts.append(", ".join(f"{key}={value}" for key, value in alert.where.items()))
    if alert.value:
        parts.append(f"value {alert.value}" + (f" (threshold {alert.threshold})" if alert.threshold else ""))
    if alert.run_id:
        parts.append(f"run {alert.run_id}")
    parts.extend(alert.details)
    return " | ".join(parts)


# ------------------------------------------------------------------------------------------
# Delivery


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None
    skipped: bool = False
    # Already delivered under the same key lately: nothing was posted this time.
    duplicate: bool = False


class DeliveredKeys:
    """Keys of messages delivered lately, shared by every notifier in the process (sensors build a
    notifier per tick). Bounded in time and size; thread-safe."""

    def __init__(
        self,
        remember_seconds: float = DEFAULT_REMEMBER_SECONDS,
        max_keys: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.remember_seconds = remember_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._keys:
            key, at = next(iter(self._keys.items()))
            if now - at <= self.remember_seconds and len(self._keys) <= self.max_keys:
                break
            self._keys.popitem(last=False)

    def seen(self, key: str) -> bool:
        with self._lock:
            self._expire(self._clock())
            return key in self._keys

    def remember(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._keys[key] = now
            self._keys.move_to_end(key)
            self._expire(now)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


DELIVERED = DeliveredKeys()


def delivery_key(alert: Alert, payload: dict[str, Any]) -> str:
    """What makes a message the same message: its condition (`dedupe_key`) and run; without a
    dedupe key, the rendered payload itself."""
    if alert.dedupe_key:
        return f"{alert.dedupe_key}|run={alert.run_id or ''}"
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return "payload:" + hashlib.sha256(body).hexdigest()


class _Retryable(Exception):
    def __init__(self, error: str, status_code: int | None = None, wait: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status_code = status_code
        self.wait = wait


class _Permanent(Exception):
    def __init__(self, error: str, status_code: int | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status_code = status_code


class _Cutoff:
    """Cuts a request off at the deadline: a Timer shuts down the request's socket, which ends a
    read that per-read timeouts never would (a server trickling one byte every 2 s resets them)."""

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._cut)
        self._timer.daemon = True

    def trace(self, event: str, info: dict[str, Any]) -> None:
        # httpcore's documented trace extension hands over each new connection's network stream.
        if event == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with self._lock:
                    self._sockets.append(sock)
                if self.expired.is_set():
                    self._cut()

    def _cut(self) -> None:
        self.expired.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Cutoff:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


class SlackNotifier:
    """Posts alerts to one Slack incoming webhook; `send` never raises and never takes much longer
    than `deadline_seconds` per message."""

    def __init__(
        self,
        webhook_url: str | SecretStr | None,
        ui_base_url: str | None = None,
        timeout_seconds: float = 5.0,
        max_attempts: int = 4,
        backoff_seconds: float = 0.5,
        *,
        max_backoff_seconds: float = 8.0,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
        rng: random.Random | None = None,
        delivered: DeliveredKeys | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if deadline_seconds <= 0:
            raise ValueError("deadline_seconds must be positive")
        raw = webhook_url.get_secret_value() if isinstance(webhook_url, SecretStr) else webhook_url
        # Scrub the URL as given (a stray newline included) before validating it can fail.
        self._redact = Redactor(raw, url=True, placeholder=REDACTED)
        install_log_redaction(self._redact)
        url = clean_secret(raw, WEBHOOK_ENV_VAR)
        self._webhook = SecretStr(url) if url else None
        # Keys are per webhook (a digest, not the URL), so two channels never suppress each other.
        self._webhook_id = hashlib.sha256(url.encode()).hexdigest()[:16] if url else ""
        self.ui_base_url = ui_base_url.strip().rstrip("/") if ui_base_url and ui_base_url.strip() else None
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.deadline_seconds = deadline_seconds
        self._sleep = sleep
        self._clock = clock
        self.logger = logger or logging.getLogger(DEFAULT_LOGGER_NAME)
        self._rng = rng or random.Random()
        self._delivered = delivered if delivered is not None else DELIVERED

    @property
    def configured(self) -> bool:
        return self._webhook is not None

    def __repr__(self) -> str:
        return (
            f"SlackNotifier(configured={self.configured}, ui_base_url={self.ui_base_url!r}, "
            f"timeout_seconds={self.timeout_seconds}, max_attempts={self.max_attempts}, "
            f"deadline_seconds={self.deadline_seconds})"
        )

    def _scrub(self, text: str) -> str:
        return self._redact(text)

    def backoff_delay(self, attempt: int) -> float:
        """The shared backoff (full jitter) after failed attempt `attempt` (1-based)."""
        return backoff_delay(attempt, base=self.backoff_seconds, cap=self.max_backoff_seconds, rng=self._rng)

    def send(self, alert: Alert, *, key: str | None = None) -> DeliveryResult:
        """Deliver `alert` once: returns what happened and never raises. `key` overrides the
        message's identity for the repeat guard (default: `delivery_key`)."""
        try:
            return self._send(alert, key)
        except Exception as exc:  # an alert must never fail the caller
            error = self._scrub(f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):  # not even through a broken logger
                title = getattr(alert, "title", "?")
                self.logger.error("Slack alert %r not delivered: unexpected %s", title, error)
            return DeliveryResult(delivered=False, attempts=0, error=error)

    def _send(self, alert: Alert, key: str | None) -> DeliveryResult:
        if self._webhook is None:
            self.logger.warning(
                "Slack alert not delivered because %s is not set; the alert was: %s",
                WEBHOOK_ENV_VAR,
                plain_text(alert),
            )
            return DeliveryResult(
                delivered=False, attempts=0, skipped=True, error=f"{WEBHOOK_ENV_VAR} not set"
            )

        payload = render_slack_payload(alert, ui_base_url=self.ui_base_url)
        remembered = f"{self._webhook_id}|{key or delivery_key(alert, payload)}"
        if self._delivered.seen(remembered):
            self.logger.info("Slack alert %r already delivered; not posting it again", alert.title)
            return DeliveryResult(delivered=True, attempts=0, skipped=True, duplicate=True)

        result = self._deliver(alert, payload)
        if result.delivered:
            self._delivered.remember(remembered)
        return result

    def _deliver(self, alert: Alert, payload: dict[str, Any]) -> DeliveryResult:
        url = self._webhook.get_secret_value() if self._webhook else ""
        started = self._clock()
        waited = 0.0  # an injected `sleep` may not advance the clock
        last_error: str | None = None
        last_status: int | None = None
        attempt = 0
        # No keep-alive: every attempt opens its own connection, so the cutoff always has its socket.
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(timeout=self.timeout_seconds, follow_redirects=False, limits=limits) as client:
            while True:
                attempt += 1
                remaining = self.deadline_seconds - max(self._clock() - started, waited)
                try:
                    status = self._post_once(client, url, payload, remaining)
                except _Retryable as retry:
                    last_error, last_status = retry.error, retry.status_code
                    delay = retry.wait if retry.wait is not None else self.backoff_delay(attempt)
                    elapsed = max(self._clock() - started, waited)
                    if out_of_retries(
                        attempt,
                        elapsed + delay,
                        budget_seconds=self.deadline_seconds,
                        max_attempts=self.max_attempts,
                    ):
                        break
                    self.logger.warning(
                        "Slack alert %r: attempt %d/%d failed (%s); retrying in %.2f s",
                        alert.title,
                        attempt,
                        self.max_attempts,
                        last_error,
                        delay,
                    )
                    self._sleep(delay)
                    waited += delay
                    continue
                except _Permanent as failure:
                    self.logger.error("Slack alert %r not delivered: %s", alert.title, failure.error)
                    return DeliveryResult(
                        delivered=False,
                        attempts=attempt,
                        status_code=failure.status_code,
                        error=failure.error,
                    )
                self.logger.info("Slack alert %r delivered (attempt %d)", alert.title, attempt)
                return DeliveryResult(delivered=True, attempts=attempt, status_code=status)

        elapsed = max(self._clock() - started, waited)
        self.logger.error(
            "Slack alert %r not delivered after %d attempts in %.1f s (deadline %g s): %s",
            alert.title,
            attempt,
            elapsed,
            self.deadline_seconds,
            last_error,
        )
        return DeliveryResult(delivered=False, attempts=attempt, status_code=last_status, error=last_error)

    def _post_once(self, client: httpx.Client, url: str, payload: dict[str, Any], remaining: float) -> int:
        """One POST within `remaining` seconds: the status on success, `_Retryable` or `_Permanent`
        otherwise (errors scrubbed). Past the deadline, a failure is `_Permanent`."""
        if remaining <= 0:
            raise _Permanent(f"deadline of {self.deadline_seconds:g} s reached")
        timeout = httpx.Timeout(min(self.timeout_seconds, remaining))
        with _Cutoff(remaining) as cutoff:
            try:
                response = client.post(
                    url,
                    json=payload,
                    headers={"User-Agent": "customer_master-alerts"},
                    timeout=timeout,
                    extensions={"trace": cutoff.trace},
                )
            except httpx.HTTPError as exc:
                error = self._scrub(f"{type(exc).__name__}: {exc}")
                if cutoff.expired.is_set():
                    raise _Permanent(
                        f"no complete answer within the {self.deadline_seconds:g} s deadline ({error})"
                    ) from None
                if isinstance(exc, httpx.TransportError) and transport_error_is_transient(exc):
                    raise _Retryable(error) from None
                raise _Permanent(error) from None  # bad URL, illegal header, proxy: not transient
        status = response.status_code
        if 200 <= status < 300:
            return status
        body = self._scrub(truncate(" ".join(response.text.split()), RESPONSE_BODY_LOG_CHARS))
        error = f"HTTP {status}: {body}" if body else f"HTTP {status}"
        if status == 429:
            raise _Retryable(error, status, parse_retry_after(response.headers.get("Retry-After")))
        if status >= 500:
            raise _Retryable(error, status)
        raise _Permanent(error, status)


def notifier_from_env(settings: AlertSettings | None = None, **overrides: Any) -> SlackNotifier:
    """A notifier configured from the settings tree's alerts section, read now (CM_SLACK_WEBHOOK_URL,
    CM_SLACK_DEADLINE_SECONDS, CM_DAGSTER_UI_URL).

    `overrides` are passed to `SlackNotifier` (e.g. `logger=`, `timeout_seconds=`, `max_attempts=`).
    """
    if settings is None:
        from customer_master.settings import load_settings  # the tree imports this package

        settings = load_settings().alerts
    options: dict[str, Any] = {"deadline_seconds": settings.slack_deadline_seconds, **overrides}
    return SlackNotifier(settings.slack_webhook_url, ui_base_url=settings.dagster_ui_url, **options)
