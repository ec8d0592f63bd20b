"""Slack delivery: render an `Alert` as an incoming-webhook message and post it, never failing a run.

The webhook URL is a secret (it is the only credential an incoming webhook has): it is kept as a
pydantic `SecretStr`, never logged, never shown by `repr()`, and scrubbed from every error text
(httpx exception messages may quote the request URL) and from httpx's own INFO request log.
Without a URL the alert is logged as a warning instead, so it is still visible in the run logs.

Delivery retries connect errors, timeouts, 429 (honouring `Retry-After`, capped) and 5xx with
exponential backoff and jitter; other 4xx answers are configuration errors and are not retried.
`SlackNotifier.send` catches everything: an alert that cannot be delivered is logged, not raised.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from customer_master.alerts.models import Alert
from customer_master.alerts.settings import WEBHOOK_ENV_VAR, AlertSettings

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

# A Retry-After beyond this is not waited for in full: a sensor tick must stay short.
MAX_RETRY_AFTER_SECONDS = 30.0
RESPONSE_BODY_LOG_CHARS = 300
REDACTED = "<webhook>"


# ------------------------------------------------------------------------------------------
# Rendering (pure)


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters as entities (api.slack.com "Escaping text")."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        line = "• " + escape_mrkdwn(_cut(" ".join(raw.split()), DETAIL_LINE_MAX_CHARS))
        if index >= MAX_DETAIL_LINES or used + len(line) + 1 > budget:
            lines.append(f"… and {len(details) - index} more")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def render_slack_payload(alert: Alert, *, ui_base_url: str | None) -> dict[str, Any]:
    """The incoming-webhook JSON for `alert`: fallback `text` plus header/section/context blocks."""
    emoji = severity_emoji(alert)
    text = _cut(f"{emoji} {escape_mrkdwn(alert.title)}", TEXT_MAX_CHARS)
    # The header is plain_text, which Slack never parses (no mentions, no links): it is not escaped.
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _cut(f"{emoji} {alert.title}", HEADER_MAX_CHARS),
                "emoji": True,
            },
        }
    ]

    body = escape_mrkdwn(alert.what)
    value_line = _value_line(alert)
    if value_line:
        body = f"{body}\n{value_line}"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(body, SECTION_MAX_CHARS)}})

    if alert.where:
        fields = [
            {
                "type": "mrkdwn",
                "text": f"*{WHERE_LABELS.get(key, key.replace('_', ' ').capitalize())}*\n"
                f"{escape_mrkdwn(_cut(value, FIELD_MAX_CHARS))}",
            }
            for key, value in list(alert.where.items())[:MAX_FIELDS]
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


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret (the webhook URL, its path, its token) replaced by "<webhook>"."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _secret_parts(url: str) -> tuple[str, ...]:
    """The strings that give the webhook away: the URL, without a trailing slash, its path, its token."""
    parts = {url, url.rstrip("/")}
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:
        split = None
    if split is not None:
        path = split.path.rstrip("/")
        if len(path) > 1:
            parts.add(path)
            parts.add(path.lstrip("/"))
            token = path.rsplit("/", 1)[-1]
            if len(token) >= 6:
                parts.add(token)
        if split.query:
            parts.add(split.query)
    # Longest first, so the whole URL is replaced before its pieces.
    return tuple(sorted((p for p in parts if p), key=len, reverse=True))


class _WebhookRedactor(logging.Filter):
    """Scrubs webhook secrets from records of the `httpx` logger.

    httpx logs every request at INFO as 'HTTP Request: POST <full URL> ...'; with this filter on
    that logger the URL reads "<webhook>" in every handler. Only records carrying a secret change.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()

    def add(self, secrets: tuple[str, ...]) -> None:
        with self._lock:
            merged = set(self._secrets) | set(secrets)
            self._secrets = tuple(sorted(merged, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's business, not ours
            return True
        if any(secret in message for secret in secrets):
            record.msg, record.args = scrub(message, secrets), None
        return True


_REDACTOR = _WebhookRedactor()
# Loggers that may print the request URL (a filter applies to records of its own logger only).
_URL_LOGGERS = ("httpx",)


def _redact_in_library_logs(secrets: tuple[str, ...]) -> None:
    _REDACTOR.add(secrets)
    for name in _URL_LOGGERS:
        library_logger = logging.getLogger(name)
        if _REDACTOR not in library_logger.filters:
            library_logger.addFilter(_REDACTOR)


def parse_retry_after_seconds(value: str | None) -> float | None:
    """Slack's `Retry-After` (delta-seconds) as a float; None when absent or not a number."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 and seconds == seconds else None


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


class SlackNotifier:
    """Posts alerts to one Slack incoming webhook; `send` never raises."""

    def __init__(
        self,
        webhook_url: str | SecretStr | None,
        ui_base_url: str | None = None,
        timeout_seconds: float = 5.0,
        max_attempts: int = 4,
        backoff_seconds: float = 0.5,
        *,
        max_backoff_seconds: float = 8.0,
        max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        logger: logging.Logger | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        url = webhook_url.get_secret_value() if isinstance(webhook_url, SecretStr) else webhook_url
        url = url.strip() if url else None
        self._webhook = SecretStr(url) if url else None
        self._secrets = _secret_parts(url) if url else ()
        if self._secrets:
            _redact_in_library_logs(self._secrets)
        self.ui_base_url = ui_base_url.strip().rstrip("/") if ui_base_url and ui_base_url.strip() else None
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.max_retry_after_seconds = max_retry_after_seconds
        self._sleep = sleep
        self.logger = logger or logging.getLogger(DEFAULT_LOGGER_NAME)
        self._rng = rng or random.Random()

    @property
    def configured(self) -> bool:
        return self._webhook is not None

    def __repr__(self) -> str:
        return (
            f"SlackNotifier(configured={self.configured}, ui_base_url={self.ui_base_url!r}, "
            f"timeout_seconds={self.timeout_seconds}, max_attempts={self.max_attempts})"
        )

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def backoff_delay(self, attempt: int) -> float:
        """Exponential backoff with equal jitter after failed attempt `attempt` (1-based), capped."""
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * (2.0 ** min(attempt - 1, 30)))
        return ceiling / 2 + self._rng.uniform(0.0, ceiling / 2)

    def send(self, alert: Alert) -> DeliveryResult:
        """Deliver `alert`; returns what happened and never raises."""
        try:
            return self._send(alert)
        except Exception as exc:  # an alert must never fail the caller
            error = self._scrub(f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):  # not even through a broken logger
                title = getattr(alert, "title", "?")
                self.logger.error("Slack alert %r not delivered: unexpected %s", title, error)
            return DeliveryResult(delivered=False, attempts=0, error=error)

    def _send(self, alert: Alert) -> DeliveryResult:
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
        url = self._webhook.get_secret_value()
        last_error: str | None = None
        last_status: int | None = None
        with httpx.Client(timeout=self.timeout_seconds, follow_redirects=False) as client:
            for attempt in range(1, self.max_attempts + 1):
                try:
                    status = self._post_once(client, url, payload)
                except _Retryable as retry:
                    last_error, last_status = retry.error, retry.status_code
                    if attempt >= self.max_attempts:
                        break
                    if retry.wait is not None:
                        delay = min(retry.wait, self.max_retry_after_seconds)
                    else:
                        delay = self.backoff_delay(attempt)
                    self.logger.warning(
                        "Slack alert %r: attempt %d/%d failed (%s); retrying in %.2f s",
                        alert.title,
                        attempt,
                        self.max_attempts,
                        last_error,
                        delay,
                    )
                    self._sleep(delay)
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

        self.logger.error(
            "Slack alert %r not delivered after %d attempts: %s", alert.title, self.max_attempts, last_error
        )
        return DeliveryResult(
            delivered=False, attempts=self.max_attempts, status_code=last_status, error=last_error
        )

    def _post_once(self, client: httpx.Client, url: str, payload: dict[str, Any]) -> int:
        """One POST: the status on success, `_Retryable` or `_Permanent` otherwise (errors scrubbed)."""
        try:
            response = client.post(url, json=payload, headers={"User-Agent": "customer_master-alerts"})
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Retryable(self._scrub(f"{type(exc).__name__}: {exc}")) from None
        except httpx.HTTPError as exc:  # bad URL, unsupported scheme, proxy errors: not transient
            raise _Permanent(self._scrub(f"{type(exc).__name__}: {exc}")) from None
        status = response.status_code
        if 200 <= status < 300:
            return status
        body = self._scrub(_cut(" ".join(response.text.split()), RESPONSE_BODY_LOG_CHARS))
        error = f"HTTP {status}: {body}" if body else f"HTTP {status}"
        if status == 429:
            wait = parse_retry_after_seconds(response.headers.get("Retry-After"))
            raise _Retryable(error, status, wait)
        if status >= 500:
            raise _Retryable(error, status)
        raise _Permanent(error, status)


def notifier_from_env(**overrides: Any) -> SlackNotifier:
    """A notifier configured from `CM_SLACK_WEBHOOK_URL` and `CM_DAGSTER_UI_URL` (read now).

    `overrides` are passed to `SlackNotifier` (e.g. `logger=context.log`-like loggers, `timeout_seconds`).
    """
    settings = AlertSettings()
    return SlackNotifier(settings.slack_webhook_url, ui_base_url=settings.dagster_ui_url, **overrides)
