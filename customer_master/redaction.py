"""Secrets: checked once where they enter, and scrubbed from every text that leaves (no dagster).

A secret pasted with its line break (`MONDAY_API_TOKEN="...\\n"`) used to travel into an HTTP header,
where h11 refused it with `Illegal header value b'<token>\\n'`: an error text that quotes the secret
*escaped*, so a redactor that looked for the raw string let it through. Two defences, both here:

- `clean_secret(value, name)` strips surrounding whitespace and rejects interior control characters
  with a message that names the variable, never the value (settings, resources and clients call it);
- `Redactor` replaces every representation of a secret a library may print: raw, `repr` (str and
  bytes), JSON-escaped and URL-encoded; for a URL secret (a Slack webhook) also its path and token.
  `install_log_redaction` puts one on library loggers (httpx logs request URLs at INFO).
"""

from __future__ import annotations

import json
import logging
import threading
import unicodedata
import urllib.parse
from collections.abc import Iterable

REDACTED = "***"
# Shorter strings could be ordinary words: replacing them would mangle messages.
MIN_SECRET_CHARS = 4
# Loggers that may print a request URL or header. A logger's filter sees only records logged on that
# very logger (not its children's), so httpcore's loggers are named one by one: its DEBUG trace
# quotes h11's "Illegal header value b'<token>\n'" on httpcore.http11.
LIBRARY_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class SecretValueError(ValueError):
    """A secret that can never work (e.g. an interior line break); the message names the variable."""


_CONTROL_NAMES = {"\n": "line feed", "\r": "carriage return", "\t": "tab", "\x00": "NUL"}


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls incl. \n \r \t \x00 \x7f; Zl/Zp: Unicode line/paragraph separators.
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def clean_secret(value: str | None, name: str) -> str | None:
    """`value` without surrounding whitespace; None when blank; SecretValueError naming `name` (never
    the value) when a control character is left inside, since no header or URL can carry it."""
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned:
        return None
    for position, char in enumerate(cleaned, start=1):
        if _is_control(char):
            label = _CONTROL_NAMES.get(char) or unicodedata.name(char, f"U+{ord(char):04X}")
            raise SecretValueError(
                f"{name} contains a control character ({label}, "
                f"character {position} of {len(cleaned)}), e.g. a line break pasted with the value; "
                f"set {name} again on one line"
            )
    return cleaned


def url_secret_parts(url: str) -> tuple[str, ...]:
    """The pieces of a secret URL that give it away on their own: its path and last path segment
    (a Slack webhook's token), and its query string."""
    parts: set[str] = set()
    try:
        split = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return ()
    path = split.path.rstrip("/")
    if len(path) > 1:
        parts.update({path, path.lstrip("/")})
        token = path.rsplit("/", 1)[-1]
        if len(token) >= 6:
            parts.add(token)
    if split.query:
        parts.add(split.query)
    return tuple(parts)


def representations(secret: str) -> set[str]:
    """Every way a library is known to print `secret`: raw, repr of the str and of its UTF-8 bytes
    (`b'tok\\n'`), JSON-escaped, URL-encoded (path and form style); each also for the stripped value."""
    found: set[str] = set()
    for value in {secret, secret.strip()}:
        if not value:
            continue
        found.add(value)
        found.add(repr(value)[1:-1])
        found.add(repr(value.encode("utf-8", "backslashreplace"))[2:-1])
        found.add(json.dumps(value)[1:-1])
        found.add(json.dumps(value, ensure_ascii=False)[1:-1])
        found.add(urllib.parse.quote(value, safe=""))
        found.add(urllib.parse.quote(value))
        found.add(urllib.parse.quote_plus(value))
    return {text for text in found if len(text) >= MIN_SECRET_CHARS}


class Redactor:
    """Replaces every representation of its secrets with a placeholder; call it on any text.

    `Redactor(token)` scrubs a token; `Redactor(url, url=True, placeholder="<webhook>")` also scrubs
    the URL's path and token. Longest representations are replaced first, so a whole URL reads as
    one placeholder rather than a scheme and a placeholder.
    """

    def __init__(self, *secrets: str | None, url: bool = False, placeholder: str = REDACTED) -> None:
        self.placeholder = placeholder
        variants: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            pieces = [secret, secret.rstrip("/")]
            if url:
                pieces += url_secret_parts(secret)
            for piece in pieces:
                variants |= representations(piece)
        self._variants = tuple(sorted(variants, key=len, reverse=True))

    @property
    def variants(self) -> tuple[str, ...]:
        return self._variants

    def __bool__(self) -> bool:
        return bool(self._variants)

    def __call__(self, text: object) -> str:
        out = str(text)
        for variant in self._variants:
            if variant in out:
                out = out.replace(variant, self.placeholder)
        return out

    def __repr__(self) -> str:
        return f"Redactor({len(self._variants)} representations -> {self.placeholder!r})"


class RedactingLogFilter(logging.Filter):
    """Scrubs the secrets of every registered `Redactor` from a logger's records (message and args).

    The representations of all redactors are merged and replaced longest first, so a webhook URL
    reads as one placeholder even when another registered URL shares its path."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pairs: tuple[tuple[str, str], ...] = ()

    def add(self, redactor: Redactor) -> None:
        with self._lock:
            merged = dict(self._pairs)
            for variant in redactor.variants:
                merged.setdefault(variant, redactor.placeholder)
            self._pairs = tuple(sorted(merged.items(), key=lambda pair: len(pair[0]), reverse=True))

    def redact(self, text: str) -> str:
        for variant, placeholder in self._pairs:
            if variant in text:
                text = text.replace(variant, placeholder)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._pairs:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's business, not ours
            return True
        scrubbed = self.redact(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


_LOG_FILTER = RedactingLogFilter()
_INSTALLED: set[tuple[str, int]] = set()
_INSTALL_LOCK = threading.Lock()


def install_log_redaction(redactor: Redactor, loggers: Iterable[str] = LIBRARY_LOGGERS) -> None:
    """Scrub `redactor`'s secrets from the records of `loggers` (once per secret set; idempotent)."""
    if not redactor:
        return
    key = hash(redactor.variants)
    with _INSTALL_LOCK:
        names = tuple(loggers)
        if all((name, key) in _INSTALLED for name in names):
            return
        _LOG_FILTER.add(redactor)
        for name in names:
            _INSTALLED.add((name, key))
            library_logger = logging.getLogger(name)
            if _LOG_FILTER not in library_logger.filters:
                library_logger.addFilter(_LOG_FILTER)
