"""MONDAY_API_TOKEN as users paste it, through dg.EnvVar into real Dagster runs against the sandbox:
a trailing newline is stripped and the boards land; a newline inside fails the run at once, naming
the variable, and the token's text appears nowhere (run failure, event log, stderr, logs, ops_run_log)."""

from __future__ import annotations

import logging
import time

import dagster as dg
import duckdb
import pytest

from customer_master.defs.monday.assets import monday_board_assets
from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.resources import WarehouseResource

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

PARTITION = "2026-11-01"
SECRET_TAIL = "SECRETPART0123"


def _materialize(sandbox, warehouse_path, instance):
    return dg.materialize(
        monday_board_assets,
        partition_key=PARTITION,
        resources={
            "monday": MondayResource(
                api_url=sandbox.url,
                api_token=dg.EnvVar("MONDAY_API_TOKEN"),
                max_attempts=3,
                timeout_seconds=5,
            ),
            "warehouse": WarehouseResource(duckdb_path=str(warehouse_path)),
        },
        instance=instance,
        raise_on_error=False,
    )


def test_a_token_with_a_trailing_newline_lands_the_boards(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("MONDAY_API_TOKEN", sandbox.token + "\n")
    result = _materialize(sandbox, tmp_path / "w.duckdb", dg.DagsterInstance.ephemeral())
    assert result.success
    assert {e.materialization.asset_key.path[-1] for e in result.get_asset_materialization_events()} == {
        "customers",
        "orders",
        "capacity",
    }


def test_a_token_with_an_interior_newline_fails_fast_and_never_shows(
    sandbox, tmp_path, monkeypatch, capfd, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MONDAY_API_TOKEN", f"{sandbox.token}\n{SECRET_TAIL}")
    instance = dg.DagsterInstance.ephemeral()
    warehouse = tmp_path / "w.duckdb"
    started = time.monotonic()
    result = _materialize(sandbox, warehouse, instance)
    assert time.monotonic() - started < 60  # no retries: before, each board retried for its budget
    assert not result.success

    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failures
    for event in failures:
        error = event.step_failure_data.error
        texts = []
        while error is not None:
            texts.append(error.to_string())
            error = error.cause or error.context
        assert any("MONDAY_API_TOKEN" in t and "control character" in t for t in texts), texts

    event_log = "\n".join(str(entry) for entry in instance.all_logs(result.run_id))
    out, err = capfd.readouterr()
    ops_run_log = ""
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            tables = {
                r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
            }
            if "ops_run_log" in tables:
                ops_run_log = repr(con.execute("select * from ops_run_log").fetchall())
    for where, text in {
        "event log": event_log,
        "stdout": out,
        "stderr": err,
        "logs": caplog.text,
        "ops_run_log": ops_run_log,
    }.items():
        assert SECRET_TAIL not in text, where
