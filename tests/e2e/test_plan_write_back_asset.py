"""The plan back on the Monday Orders board, through the `delivery_plan` asset (CM_PLAN_WRITE_BACK).

Real parts: the warehouse of the two nightly runs (tests/e2e/nightly.py: boards, OMS, dbt, plans), a
copy per test; the Monday sandbox over HTTP on 127.0.0.1, whose Orders board has the four write-back
columns the shipped mapping names; `dg.materialize` of the asset. What the asset adds to
`write_plan_back` (tested in tests/integration/test_plan_write_back.py) is the wiring: the mode from
the environment, the report in the metadata, and a failure that leaves the plan standing and fails
only the `plan_published` check (a warning, which the check sensor alerts).
"""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from customer_master.board_mapping import configured_mapping
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.scheduling.assets import delivery_plan
from customer_master.defs.scheduling.checks import CHECK_PUBLISHED
from customer_master.monday import MondayClient
from customer_master.monday.write_back import read_current_values, resolve_write_back
from customer_master.sandbox import BOARD_IDS, SANDBOX_TOKEN
from customer_master.settings import get_settings
from tests.e2e.nightly import NIGHT2

pytestmark = pytest.mark.slow  # starts Dagster and reads a dbt-built warehouse


@pytest.fixture
def planned(oms_nights, sandbox, tmp_path, monkeypatch):
    """A copy of the nights' warehouse and the sandbox serving the same Orders board, fresh."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(oms_nights.path, path)
    monkeypatch.setenv("MONDAY_API_URL", sandbox.url)
    monkeypatch.setenv("MONDAY_API_TOKEN", SANDBOX_TOKEN)
    monkeypatch.setenv("MONDAY_MAX_ATTEMPTS", "3")  # fail fast when the test takes Monday down
    monkeypatch.delenv("CM_BOARD_MAPPING", raising=False)  # the shipped mapping of the sandbox's boards
    yield path, sandbox
    get_settings.cache_clear()


def _plan(path, mode: str, monkeypatch) -> dg.ExecuteInProcessResult:
    monkeypatch.setenv("CM_PLAN_WRITE_BACK", mode)
    get_settings.cache_clear()
    return dg.materialize(
        [delivery_plan],
        partition_key=NIGHT2.isoformat(),
        resources={"warehouse": WarehouseResource(duckdb_path=str(path))},
        raise_on_error=False,
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _published(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK_PUBLISHED]
    return check


def _monday_orders_in_plan(path) -> dict[str, tuple]:
    """item id -> (status, scheduled date, resource, is_late) of the plan's Monday orders."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select o.monday_source_id, a.status, a.scheduled_date, a.resource, a.is_late "
            "from plan_assignments a join order_master o on o.order_id = a.order_id "
            "where a.plan_date = ? and o.monday_source_id is not null",
            [NIGHT2],
        ).fetchall()
    return {str(r[0]): r[1:] for r in rows}


def _board(sandbox, item_ids) -> dict[str, dict[str, str | None]]:
    settings = get_settings()
    with MondayClient.from_settings(settings) as client:
        board = client.get_board(BOARD_IDS["orders"])
        target = resolve_write_back(configured_mapping(settings), board.columns)
        current = read_current_values(client, target, sorted(item_ids))
    return {item: values for item, (_state, _board_id, values) in current.items()}


def test_a_dry_run_lists_the_changes_and_writes_nothing(planned, monkeypatch):
    path, sandbox = planned
    result = _plan(path, "dry-run", monkeypatch)
    assert result.success
    md = _metadata(result)
    in_plan = _monday_orders_in_plan(path)
    assert md["write_back_mode"] == "dry_run" and md["write_back_items_in_plan"] == len(in_plan) > 100
    assert md["write_back_items_changed"] == len(in_plan) and md["write_back_items_written"] == 0
    assert "Planned delivery" in md["write_back_changes_preview"]
    shown = _board(sandbox, list(in_plan)[:50])
    assert all(not any(values.values()) for values in shown.values())  # the board is untouched
    assert _published(result).passed


def test_the_plan_is_written_once_and_a_rerun_writes_nothing(planned, monkeypatch):
    path, sandbox = planned
    first = _plan(path, "true", monkeypatch)
    assert first.success
    md = _metadata(first)
    in_plan = _monday_orders_in_plan(path)
    assert md["write_back_items_written"] == md["write_back_items_changed"] == len(in_plan)
    assert md["write_back_failed"] == 0 and _published(first).passed
    assert "wrote" in _published(first).metadata["summary"].value
    # What the board shows now is the plan: a scheduled order's day and line, a late one's status.
    scheduled = {i: row for i, row in in_plan.items() if row[0] == "scheduled"}
    late = next(i for i, row in scheduled.items() if row[3])
    on_time = next(i for i, row in scheduled.items() if not row[3])
    shown = _board(sandbox, [late, on_time])
    assert set(shown[on_time].values()) >= {
        scheduled[on_time][1].isoformat(),
        scheduled[on_time][2],
        "Scheduled",
    }
    assert "Late" in shown[late].values()

    again = _metadata(_plan(path, "true", monkeypatch))
    assert again["write_back_items_written"] == 0 and again["write_back_unchanged"] == len(in_plan)


def test_monday_down_for_the_write_back_leaves_the_plan_and_fails_only_the_published_check(
    planned, monkeypatch
):
    path, sandbox = planned
    sandbox.control.set_faults(server_error_next=10_000, server_error_status=500)
    result = _plan(path, "true", monkeypatch)
    sandbox.control.clear_faults()
    assert result.success  # the plan is made, written and checked
    assert len(_monday_orders_in_plan(path)) > 100
    check = _published(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "not written back to the Orders board" in check.metadata["summary"].value
    md = _metadata(result)
    assert md["write_back"].startswith("failed: Monday")
    assert SANDBOX_TOKEN not in str(md)  # never the token, in any message
    # The other checks judged the plan as usual.
    assert {e.check_name for e in result.get_asset_check_evaluations()} > {CHECK_PUBLISHED}
