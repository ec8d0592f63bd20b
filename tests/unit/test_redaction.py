"""Secrets in, nothing out: `clean_secret` at the entry, `Redactor` on every text that leaves (pure)."""

from __future__ import annotations

import json
import logging
import urllib.parse

import h11
import httpx
import pytest

from customer_master.redaction import (
    RedactingLogFilter,
    Redactor,
    SecretValueError,
    clean_secret,
    install_log_redaction,
)
from customer_master.retry import transport_error_is_transient

TOKEN = "eyJhbGciOiJIUzI1NiJ9.SECRETPAYLOAD.sig"


def _h11_refusal(value: str) -> str:
    """The exact text h11 raises for an illegal header value (what httpx re-raises)."""
    with pytest.raises(h11.LocalProtocolError) as refusal:
        h11.Request(method="POST", target="/v2", headers=[("Host", "x"), ("Authorization", value)])
    return str(refusal.value)


@pytest.mark.parametrize("pasted", [TOKEN + "\n", TOKEN + "\r\n", "\t" + TOKEN, f"  {TOKEN} \n"])
def test_surrounding_whitespace_is_stripped(pasted):
    assert clean_secret(pasted, "MONDAY_API_TOKEN") == TOKEN


@pytest.mark.parametrize("blank", [None, "", "  ", "\n"])
def test_a_blank_secret_is_unset(blank):
    assert clean_secret(blank, "MONDAY_API_TOKEN") is None


@pytest.mark.parametrize("inside", ["\n", "\r", "\t", "\x00", "\x7f", "\u2028"])
def test_an_interior_control_character_is_refused_naming_the_variable_not_the_value(inside):
    value = f"eyJhbGci{inside}SECRETPAYLOAD"
    with pytest.raises(SecretValueError) as refused:
        clean_secret(value, "MONDAY_API_TOKEN")
    text = str(refused.value) + repr(refused.value)
    assert "MONDAY_API_TOKEN" in text and "control character" in text
    assert "SECRETPAYLOAD" not in text and "eyJhbGci" not in text


def test_the_h11_refusal_of_a_token_with_a_newline_is_redacted():
    """The incident: h11 quotes the header value as a bytes repr (escaped \\n), which the old
    raw-string redactor let through into stderr, the event log and ops_run_log."""
    for pasted in (TOKEN + "\n", TOKEN + "\r\n", "\t" + TOKEN):
        message = _h11_refusal(pasted)
        assert "SECRETPAYLOAD" in message  # the leak this guards against is real
        redacted = Redactor(pasted)(message)
        assert "SECRETPAYLOAD" not in redacted and "***" in redacted


@pytest.mark.parametrize(
    "render",
    [
        str,
        repr,
        lambda s: repr(s.encode()),
        json.dumps,
        lambda s: json.dumps({"token": s}),
        lambda s: urllib.parse.quote(s, safe=""),
        urllib.parse.quote_plus,
        lambda s: f"https://x.invalid/?token={urllib.parse.quote(s)}",
    ],
    ids=["raw", "repr", "bytes-repr", "json", "json-object", "url-encoded", "form-encoded", "query"],
)
def test_every_representation_of_a_secret_is_redacted(render):
    secret = 'tok/with spaces+symbols\n"quoted"ü'
    text = f"before {render(secret)} after"
    redacted = Redactor(secret)(text)
    assert "with spaces" not in redacted and "with%20spaces" not in redacted and "with+spaces" not in redacted
    assert redacted.startswith("before ") and redacted.endswith(" after")


def test_a_url_secret_is_redacted_whole_and_by_its_path_and_token():
    url = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"
    redact = Redactor(url, url=True, placeholder="<webhook>")
    text = f"POST {url} | path /services/T000/B000/XXXXSECRETXXXX | token XXXXSECRETXXXX | {url!r}"
    assert redact(text) == "POST <webhook> | path <webhook> | token <webhook> | '<webhook>'"


def test_short_or_empty_secrets_do_not_mangle_text():
    assert Redactor("", None, "ab")("a cab and an ab") == "a cab and an ab"


def test_the_log_filter_scrubs_messages_and_args_of_every_registered_secret():
    log_filter = RedactingLogFilter()
    log_filter.add(Redactor(TOKEN + "\n"))
    log_filter.add(Redactor("https://a.invalid/services/X/Y/Z123456", url=True, placeholder="<webhook>"))
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "sent %s to %s",
        (repr(TOKEN + "\n"), "/services/X/Y/Z123456"),
        None,
    )
    assert log_filter.filter(record)
    assert record.getMessage() == "sent '***' to <webhook>"


@pytest.mark.parametrize("logger", ["httpx", "httpcore.http11", "httpcore.connection"])
def test_install_log_redaction_covers_the_http_library_loggers(caplog, logger):
    """A filter on "httpcore" would miss "httpcore.http11", where the h11 refusal is traced."""
    install_log_redaction(Redactor("SECRET-INSTALLED-TOKEN"))
    caplog.set_level(logging.DEBUG, logger=logger)
    logging.getLogger(logger).debug("failed exception=Illegal header value b'SECRET-INSTALLED-TOKEN\\n'")
    (message,) = [r.getMessage() for r in caplog.records]
    assert "SECRET-INSTALLED" not in message and message.startswith(
        "failed exception=Illegal header value b'***"
    )


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (httpx.LocalProtocolError("Illegal header value"), False),
        (httpx.UnsupportedProtocol("ftp"), False),
        (httpx.ProxyError("refused"), False),
        (httpx.ConnectError("refused"), True),
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("server hung up"), True),
    ],
)
def test_a_request_we_cannot_form_is_not_worth_retrying(error, transient):
    assert transport_error_is_transient(error) is transient
