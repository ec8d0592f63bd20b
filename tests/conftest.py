"""Shared fixtures."""

from __future__ import annotations

import pytest

from customer_master.sandbox import SandboxServer, WorkspaceSpec


@pytest.fixture(scope="session")
def _sandbox_server():
    with SandboxServer(WorkspaceSpec()) as server:
        yield server


@pytest.fixture()
def sandbox(_sandbox_server):
    """The Monday sandbox (default WorkspaceSpec: 500 orders, seed 42) on a loopback port.

    One server per session; every test starts from a fresh workspace with no faults, cursors,
    clock or spent complexity (`control.reset()`). Change the data with
    `sandbox.control.reset(orders=..., seed=...)`.
    """
    _sandbox_server.control.reset()
    yield _sandbox_server


@pytest.fixture()
def slack_receiver():
    """A fake Slack incoming webhook on 127.0.0.1 (tests/slack_receiver.py): records every POST,
    answers 200 "ok" unless scripted with `.respond(status, times=...)` or `.delay(seconds, ...)`."""
    from tests.slack_receiver import SlackReceiver

    with SlackReceiver() as receiver:
        yield receiver
