"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from customer_master.sandbox import SandboxServer, WorkspaceSpec


def pytest_configure(config):
    """Every delivery plan a test makes writes its sheet (customer_master/reports) under CM_REPORTS_DIR,
    by default the project's .data/reports: tests write theirs to a temporary directory instead. Set
    here, before collection, because modules read the settings when they are imported."""
    config._cm_reports_dir = tempfile.mkdtemp(prefix="cm-reports-")
    os.environ["CM_REPORTS_DIR"] = config._cm_reports_dir


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "_cm_reports_dir", ""), ignore_errors=True)


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
    from customer_master.alerts.slack import DELIVERED
    from tests.slack_receiver import SlackReceiver

    DELIVERED.clear()  # delivered-message keys are per process; a reused port must not look like a repeat
    with SlackReceiver() as receiver:
        yield receiver


DEPLOY_DAGSTER_YAML = Path(__file__).resolve().parent.parent / "deploy" / "dagster.yaml"


@pytest.fixture()
def shipped_instance(tmp_path, monkeypatch):
    """The Dagster instance `make setup` ships: deploy/dagster.yaml in a fresh DAGSTER_HOME (SQLite
    storage with a run-sharded event log, the pools and run monitoring it configures). DAGSTER_HOME
    points at it for the test, so `dagster` subprocesses use the same instance."""
    import dagster as dg

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_DAGSTER_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        yield instance


@pytest.fixture()
def settings_from_defaults(monkeypatch):
    """No variable of the settings tree set (the developer's shell may set some), and the cached
    tree re-read before and after the test."""
    from customer_master.settings import env_var_names, get_settings

    for name in env_var_names():
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
