"""The Monday token as users paste it, against the sandbox over real HTTP (real httpx and h11)."""

from __future__ import annotations

import logging
import time

import pytest

from customer_master.monday import MondayClient
from customer_master.monday.errors import MondayError
from customer_master.redaction import SecretValueError

SECRET_TAIL = "SECRETPART"


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.mark.parametrize("pasted", ["{token}\n", "{token}\r\n", "\t{token}", " {token} \n"])
def test_a_token_with_surrounding_whitespace_works(sandbox, pasted):
    with MondayClient(sandbox.url, pasted.format(token=sandbox.token), max_attempts=3) as client:
        board = client.get_board(sandbox.board_ids["customers"])
    assert board.items_count > 0


def test_a_token_with_an_interior_newline_fails_fast_naming_the_variable(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    token = f"{sandbox.token}\n{SECRET_TAIL}"
    started = time.monotonic()
    with pytest.raises(SecretValueError) as refused:
        MondayClient(sandbox.url, token, max_attempts=3)
    assert time.monotonic() - started < 1.0
    text = str(refused.value) + repr(refused.value)
    assert "MONDAY_API_TOKEN" in text and "line feed" in text
    assert SECRET_TAIL not in text and sandbox.token not in text
    assert SECRET_TAIL not in caplog.text


def test_a_request_h11_refuses_to_send_is_not_retried_and_not_quoted(sandbox, caplog):
    """An un-sendable header is refused by h11 before anything reaches the wire; retrying cannot
    help. (The token is validated at construction, so the bad value is put on the real httpx
    client's headers directly: the only way to reach h11's refusal through the real stack.)"""
    caplog.set_level(logging.DEBUG)
    sleep = RecordingSleep()
    client = MondayClient(sandbox.url, sandbox.token, max_attempts=5, sleep=sleep)
    client._http.headers["Authorization"] = f"{sandbox.token}\n"
    with client, pytest.raises(MondayError) as failure:
        client.get_board(sandbox.board_ids["customers"])
    error = failure.value
    assert not error.retryable and error.attempts == 1
    assert client.stats.api_calls == 1 and sleep.delays == []
    assert "LocalProtocolError" in str(error)
    for text in (str(error), repr(error), caplog.text):
        assert sandbox.token not in text, text
    assert error.__cause__ is None and error.__context__ is None
