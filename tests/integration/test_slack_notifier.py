"""The Slack notifier over real HTTP against a loopback stand-in for Slack (tests/slack_receiver.py).

Each test posts to a fresh receiver on 127.0.0.1 and asserts what arrived, how often, and what was
logged; retries use an injected sleep that records its delays instead of waiting, except where the
test is about wall time (deadline tests use real sleeps and assert generous upper bounds: behaviour
bounds such as "well under 10 s for a 3600 s Retry-After", not benchmarks).
"""

from __future__ import annotations

import logging
import socket
import time

import pytest

from customer_master.alerts import (
    Alert,
    SlackNotifier,
    check_failure_alert,
    notifier_from_env,
    run_failure_alert,
)
from tests.slack_receiver import WEBHOOK_PATH

LOGGER = "customer_master.alerts"
RUN_ID = "3f2a9c1e-7b4d-4e8a-9c2f-1d2e3f4a5b6c"
TOKEN = WEBHOOK_PATH.rsplit("/", 1)[-1]


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _alert() -> Alert:
    return check_failure_alert(
        "monday/orders",
        "record_error_rate",
        "2026-11-01",
        "critical",
        "6.1 %",
        "> 5 %",
        "6.1 % of order values could not be parsed.",
        RUN_ID,
    )


def _notifier(url, sleep=None, **kwargs) -> SlackNotifier:
    kwargs.setdefault("timeout_seconds", 2.0)
    return SlackNotifier(url, ui_base_url="http://127.0.0.1:3000", sleep=sleep or RecordingSleep(), **kwargs)


def _assert_no_secret(caplog, *extra: str) -> None:
    texts = [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records] + list(extra)
    for text in texts:
        assert WEBHOOK_PATH not in text and TOKEN not in text and "/services/" not in text, text


@pytest.fixture(autouse=True)
def _debug_logs(caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_delivers_the_rendered_message(slack_receiver, caplog):
    result = _notifier(slack_receiver.url).send(_alert())
    assert result.delivered and result.attempts == 1 and result.status_code == 200 and not result.skipped

    (request,) = slack_receiver.requests
    assert request.path == WEBHOOK_PATH
    assert request.headers["content-type"] == "application/json"
    payload = request.json
    assert payload["text"] == ":red_circle: Check failed: record_error_rate on monday/orders"
    section = payload["blocks"][1]["text"]["text"]
    assert section == ("6.1 % of order values could not be parsed.\n*Value:* 6.1 % (threshold &gt; 5 %)")
    fields = [f["text"] for f in payload["blocks"][2]["fields"]]
    assert fields == ["*Asset*\nmonday/orders", "*Partition*\n2026-11-01", "*Check*\nrecord_error_rate"]
    context = payload["blocks"][-1]["elements"][0]["text"]
    assert f"<http://127.0.0.1:3000/runs/{RUN_ID}|View run 3f2a9c1e>" in context
    assert any("delivered" in r.getMessage() for r in caplog.records)
    _assert_no_secret(caplog)


def test_httpx_request_log_shows_no_webhook_url(slack_receiver, caplog):
    caplog.set_level(logging.DEBUG)  # httpx logs each request with its URL at INFO, httpcore at DEBUG
    slack_receiver.respond(500)
    assert _notifier(slack_receiver.url).send(_alert()).delivered
    httpx_records = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(httpx_records) == 2 and all("POST <webhook>" in m for m in httpx_records)
    _assert_no_secret(caplog)


def test_non_ascii_text_arrives_intact(slack_receiver):
    alert = run_failure_alert("nightly_job", RUN_ID, None, ["kunden_übernahme"], "Zeitüberschreitung → 5 min")
    assert _notifier(slack_receiver.url).send(alert).delivered
    assert "kunden_übernahme" in slack_receiver.payloads[0]["blocks"][1]["text"]["text"]
    assert "Zeitüberschreitung → 5 min" in slack_receiver.payloads[0]["blocks"][-2]["text"]["text"]


def test_server_error_is_retried_with_backoff_then_delivered(slack_receiver, caplog):
    slack_receiver.respond(500, times=2, body="internal_error")
    sleep = RecordingSleep()
    result = _notifier(slack_receiver.url, sleep, backoff_seconds=0.5, max_backoff_seconds=4.0).send(_alert())
    assert result.delivered and result.attempts == 3 and result.status_code == 200
    assert len(slack_receiver.requests) == 3
    assert slack_receiver.payloads[0] == slack_receiver.payloads[2]  # the same message each time
    assert len(sleep.delays) == 2
    assert 0 <= sleep.delays[0] <= 0.5 and 0 <= sleep.delays[1] <= 1.0  # shared backoff: full jitter
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 2 and all(r.levelno == logging.WARNING for r in retries)
    assert "HTTP 500: internal_error" in retries[0].getMessage()
    _assert_no_secret(caplog)


def test_rate_limit_honours_retry_after_within_the_deadline(slack_receiver):
    slack_receiver.rate_limit(1)
    slack_receiver.rate_limit(2)
    sleep = RecordingSleep()
    result = _notifier(slack_receiver.url, sleep, deadline_seconds=5).send(_alert())
    assert result.delivered and result.attempts == 3
    assert sleep.delays == [1.0, 2.0]


def test_a_retry_after_past_the_deadline_is_not_waited_for(slack_receiver, caplog):
    slack_receiver.rate_limit(1)
    slack_receiver.rate_limit(120)
    sleep = RecordingSleep()
    result = _notifier(slack_receiver.url, sleep, deadline_seconds=5).send(_alert())
    assert not result.delivered and result.attempts == 2 and result.status_code == 429
    assert sleep.delays == [1.0]  # 1 + 120 s would end past the 5 s deadline: give up instead
    assert len(slack_receiver.requests) == 2
    (final,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "deadline 5 s" in final.getMessage() and "HTTP 429" in final.getMessage()
    _assert_no_secret(caplog, result.error)


def test_rate_limit_with_real_sleep_and_zero_wait(slack_receiver):
    slack_receiver.respond(429, headers={"Retry-After": "0"})
    started = time.monotonic()
    result = SlackNotifier(slack_receiver.url, timeout_seconds=2.0).send(_alert())
    assert result.delivered and result.attempts == 2
    assert time.monotonic() - started < 2.0


def test_slow_slack_times_out_is_retried_and_given_up_without_raising(slack_receiver, caplog):
    slack_receiver.delay(1.5, times=3)
    sleep = RecordingSleep()
    started = time.monotonic()
    result = _notifier(slack_receiver.url, sleep, timeout_seconds=0.2, max_attempts=3).send(_alert())
    assert time.monotonic() - started < 3.0
    assert not result.delivered and not result.skipped
    assert result.attempts == 3 and result.status_code is None
    assert "Timeout" in result.error
    assert len(slack_receiver.requests) == 3 and len(sleep.delays) == 2
    final = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(final) == 1 and "not delivered after 3 attempts" in final[0].getMessage()
    _assert_no_secret(caplog, result.error)


def test_slow_once_then_delivered(slack_receiver):
    slack_receiver.delay(1.0)
    result = _notifier(slack_receiver.url, timeout_seconds=0.2).send(_alert())
    assert result.delivered and result.attempts == 2


def test_bad_request_is_not_retried_and_logs_slacks_answer(slack_receiver, caplog):
    slack_receiver.respond(400, body="invalid_payload")
    sleep = RecordingSleep()
    result = _notifier(slack_receiver.url, sleep).send(_alert())
    assert not result.delivered and result.attempts == 1 and result.status_code == 400
    assert result.error == "HTTP 400: invalid_payload"
    assert len(slack_receiver.requests) == 1 and sleep.delays == []
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "HTTP 400: invalid_payload" in error.getMessage()
    assert "Check failed: record_error_rate" in error.getMessage()
    _assert_no_secret(caplog)


@pytest.mark.parametrize(
    ("status", "body"), [(403, "invalid_token"), (404, "no_service"), (410, "channel_is_archived")]
)
def test_other_client_errors_are_not_retried(slack_receiver, status, body):
    slack_receiver.respond(status, body=body)
    result = _notifier(slack_receiver.url).send(_alert())
    assert (result.delivered, result.attempts, result.status_code) == (False, 1, status)
    assert body in result.error


def test_long_error_bodies_are_truncated_in_logs(slack_receiver, caplog):
    slack_receiver.respond(400, body="x" * 5000)
    result = _notifier(slack_receiver.url).send(_alert())
    assert len(result.error) < 400
    assert all(len(r.getMessage()) < 1000 for r in caplog.records)


def test_slack_unreachable_gives_up_quietly_and_never_logs_the_url(caplog):
    url = f"http://127.0.0.1:{_closed_port()}{WEBHOOK_PATH}"
    notifier = _notifier(url, max_attempts=3)
    result = notifier.send(_alert())
    assert not result.delivered and result.attempts == 3
    assert "ConnectError" in result.error
    _assert_no_secret(caplog, result.error, repr(notifier))


def test_an_unexpected_failure_is_logged_not_raised(slack_receiver, caplog):
    def broken_sleep(seconds: float) -> None:
        raise RuntimeError(f"sleep broke while posting to {slack_receiver.url}")

    slack_receiver.respond(503)
    result = _notifier(slack_receiver.url, broken_sleep).send(_alert())
    assert not result.delivered
    assert result.error.startswith("RuntimeError: sleep broke while posting to")
    assert "<webhook>" in result.error
    _assert_no_secret(caplog, result.error)


def test_no_webhook_logs_the_alert_as_a_warning_and_skips(caplog):
    result = SlackNotifier(None).send(_alert())
    assert result.skipped and not result.delivered and result.attempts == 0
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = warning.getMessage()
    assert warning.name == LOGGER
    assert "CM_SLACK_WEBHOOK_URL is not set" in message
    assert "Check failed: record_error_rate on monday/orders" in message
    assert "6.1 % of order values could not be parsed." in message and "threshold > 5 %" in message


def test_custom_logger_is_used(slack_receiver, caplog):
    logger = logging.getLogger("tests.slack.custom")
    caplog.set_level(logging.INFO, logger="tests.slack.custom")
    SlackNotifier(slack_receiver.url, logger=logger).send(_alert())
    assert any(r.name == "tests.slack.custom" and "delivered" in r.getMessage() for r in caplog.records)


def test_notifier_from_env_posts_to_the_configured_webhook(slack_receiver, monkeypatch, caplog):
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", slack_receiver.url)
    monkeypatch.setenv("CM_DAGSTER_UI_URL", "https://dagster.example.internal/")
    notifier = notifier_from_env(timeout_seconds=2.0)
    assert notifier.configured and notifier.ui_base_url == "https://dagster.example.internal"
    assert notifier.send(_alert()).delivered
    context = slack_receiver.payloads[0]["blocks"][-1]["elements"][0]["text"]
    assert f"<https://dagster.example.internal/runs/{RUN_ID}|View run 3f2a9c1e>" in context
    _assert_no_secret(caplog, repr(notifier))


def test_notifier_from_env_without_webhook_is_skipped_with_default_ui(monkeypatch, caplog):
    monkeypatch.delenv("CM_SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("CM_DAGSTER_UI_URL", raising=False)
    notifier = notifier_from_env()
    assert not notifier.configured and notifier.ui_base_url == "http://127.0.0.1:3000"
    assert notifier.send(_alert()).skipped
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", "  ")
    assert not notifier_from_env().configured


# ------------------------------------------------------------------------------------------
# Bounded delivery: one deadline per message, real sleeps, real sockets


def test_sensor_notifier_under_a_3600_s_retry_after_gives_up_at_once(slack_receiver, monkeypatch, caplog):
    """The incident: Slack answered 429 with Retry-After 3600 and a sensor tick ran past Dagster's
    60 s limit. The sensors' own call (notifier_from_env with their timeout and attempts) now gives
    every alert of a tick up within its deadline, one POST each."""
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", slack_receiver.url)
    slack_receiver.rate_limit(3600, times=10)
    notifier = notifier_from_env(logger=logging.getLogger(LOGGER), timeout_seconds=3.0, max_attempts=3)
    alerts = [run_failure_alert("nightly_job", f"{RUN_ID[:-1]}{i}", None, ["step"], "boom") for i in range(5)]
    started = time.monotonic()
    results = [notifier.send(alert) for alert in alerts]
    assert time.monotonic() - started < 10.0  # five alerts; each would have waited 2 x 30 s before
    assert [r.delivered for r in results] == [False] * 5
    assert len(slack_receiver.requests) == 5  # one POST per alert, no repeats
    _assert_no_secret(caplog, *(r.error for r in results))


def test_retries_stop_at_the_deadline_with_real_sleeps(slack_receiver):
    slack_receiver.respond(500, times=100)
    notifier = SlackNotifier(
        slack_receiver.url,
        max_attempts=100,
        backoff_seconds=0.2,
        max_backoff_seconds=0.4,
        deadline_seconds=1.5,
    )
    started = time.monotonic()
    result = notifier.send(_alert())
    elapsed = time.monotonic() - started
    assert not result.delivered and result.status_code == 500
    assert elapsed < 3.0 and 1 < result.attempts < 100


@pytest.mark.slow  # waits on real time for seconds
def test_a_trickling_webhook_is_cut_off_at_the_deadline(slack_receiver, caplog):
    """One byte every 2 s never trips a 3 s per-read timeout; the deadline still ends the send."""
    slack_receiver.trickle(2.0)
    notifier = _notifier(slack_receiver.url, timeout_seconds=3.0, deadline_seconds=3.0)
    started = time.monotonic()
    result = notifier.send(_alert())
    elapsed = time.monotonic() - started
    assert elapsed < 6.0, elapsed  # before: the answer's ~75 bytes took ~150 s
    assert not result.delivered and result.attempts == 1
    assert "deadline" in result.error
    assert len(slack_receiver.requests) == 1  # a request Slack may have acted on is not repeated
    deadline = time.monotonic() + 10
    while not slack_receiver.trickle_seconds and time.monotonic() < deadline:
        time.sleep(0.1)
    assert slack_receiver.trickle_seconds and slack_receiver.trickle_seconds[0] < 10  # connection closed
    _assert_no_secret(caplog, result.error)


def test_a_delivered_alert_is_not_posted_again_by_a_re_run_tick(slack_receiver, caplog):
    """Sensors build a notifier per tick; a tick re-run after it posted must not post again."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    first = _notifier(slack_receiver.url).send(_alert())
    again = _notifier(slack_receiver.url).send(_alert())
    assert first.delivered and not first.duplicate
    assert again.delivered and again.duplicate and again.attempts == 0
    assert len(slack_receiver.requests) == 1
    assert any("already delivered" in r.getMessage() for r in caplog.records)
    other_run = check_failure_alert(
        "monday/orders", "record_error_rate", "2026-11-01", "critical", "6.1 %", "> 5 %", "again", "run-2"
    )
    assert _notifier(slack_receiver.url).send(other_run).delivered
    assert len(slack_receiver.requests) == 2


def test_an_undelivered_alert_is_not_remembered(slack_receiver):
    slack_receiver.respond(400, body="invalid_payload")
    assert not _notifier(slack_receiver.url).send(_alert()).delivered
    assert _notifier(slack_receiver.url).send(_alert()).delivered
    assert len(slack_receiver.requests) == 2


def test_the_deadline_comes_from_the_settings_tree(slack_receiver, monkeypatch):
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", slack_receiver.url)
    monkeypatch.setenv("CM_SLACK_DEADLINE_SECONDS", "2.5")
    assert notifier_from_env().deadline_seconds == 2.5
    assert notifier_from_env(deadline_seconds=1).deadline_seconds == 1


def test_a_webhook_url_with_a_trailing_newline_is_stripped_and_delivers(slack_receiver, monkeypatch, caplog):
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", slack_receiver.url + "\r\n")
    notifier = notifier_from_env(timeout_seconds=2.0)
    assert notifier.send(_alert()).delivered
    assert slack_receiver.requests[0].path == WEBHOOK_PATH
    _assert_no_secret(caplog, repr(notifier))


def test_a_webhook_url_with_an_interior_newline_fails_naming_the_variable_only(slack_receiver, monkeypatch):
    from customer_master.settings import SettingsError

    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", slack_receiver.url.replace("/B0TEST000/", "/B0TEST000\n/"))
    with pytest.raises(SettingsError) as failure:
        notifier_from_env()
    text = str(failure.value) + repr(failure.value)
    assert "CM_SLACK_WEBHOOK_URL" in text and "control character" in text
    assert "services" not in text and TOKEN not in text and "T0TEST000" not in text
    assert failure.value.__cause__ is None and failure.value.__context__ is None
    assert slack_receiver.requests == []
