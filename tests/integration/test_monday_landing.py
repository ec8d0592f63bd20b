"""`land_board`: the sandbox over real HTTP, the real client, a real DuckDB file, no Dagster."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from customer_master.monday import MondayClient
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS
from customer_master.warehouse.base import LoadValidationError, RunInfo
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.landing import choose_mode, land_board

ORDERS = BOARD_IDS["orders"]
CUSTOMERS = BOARD_IDS["customers"]
QUANTITY = COLUMN_IDS["orders"]["quantity"]


@pytest.fixture()
def warehouse(tmp_path):
    return DuckDBWarehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture()
def client(sandbox):
    with MondayClient(sandbox.url, sandbox.token, timeout=10, max_attempts=3) as monday:
        yield monday


def _run(partition: str = "2026-11-01", run_id: str = "run-1") -> RunInfo:
    return RunInfo(
        run_id=run_id, asset="monday/orders", partition_key=partition, started_at=dt.datetime(2026, 11, 1)
    )


def _query(warehouse: DuckDBWarehouse, sql: str, params=()) -> list[tuple]:
    return warehouse.query(sql, params)


def _production(warehouse: DuckDBWarehouse) -> dict[str, list[tuple]]:
    tables = ("raw_monday_items", "raw_monday_column_values", "raw_monday_columns", "ops_quarantine")
    return {table: sorted(warehouse.table_rows(table), key=repr) for table in tables}


def test_the_first_landing_is_full_and_lands_every_active_item(sandbox, client, warehouse):
    report = land_board(client, warehouse, ORDERS, run=_run())

    active = set(sandbox.workspace_active_item_ids(ORDERS))
    assert report.mode == "full"
    assert warehouse.active_item_ids(ORDERS) == active
    assert report.result.items_loaded == len(active)
    values = _query(warehouse, "select count(*) from raw_monday_column_values where board_id = ?", (ORDERS,))
    assert values[0][0] == report.result.values_loaded > len(active)
    assert _query(warehouse, "select status, records from ops_run_log") == [("success", len(active))]


def test_the_next_landing_is_incremental_and_picks_up_edits_new_items_and_removals(
    sandbox, client, warehouse
):
    first = land_board(client, warehouse, ORDERS, run=_run())
    active = sorted(sandbox.workspace_active_item_ids(ORDERS), key=int)
    edited, archived, deleted = active[0], active[1], active[2]
    sandbox.control.update_item(ORDERS, edited, column_values={QUANTITY: json.dumps("777")})
    new_id = sandbox.control.create_item(ORDERS, "SO-999999", column_values={QUANTITY: json.dumps("12")})
    sandbox.control.archive_item(ORDERS, archived)
    sandbox.control.delete_item(ORDERS, deleted)

    second = land_board(client, warehouse, ORDERS, run=_run("2026-11-02", "run-2"))

    assert second.mode == "incremental"
    assert second.since is not None
    assert second.result.items_loaded < first.result.items_loaded  # only what changed was pulled
    quantity = _query(
        warehouse,
        "select value_number from raw_monday_column_values where item_id = ? and column_id = ?",
        (edited, QUANTITY),
    )
    assert quantity == [(777.0,)]
    states = dict(
        _query(warehouse, "select item_id, state from raw_monday_items where item_id in (?, ?, ?)",
               (archived, deleted, str(new_id)))
    )  # fmt: skip
    assert states == {archived: "archived", deleted: "deleted", str(new_id): "active"}
    assert warehouse.active_item_ids(ORDERS) == set(sandbox.workspace_active_item_ids(ORDERS))


def test_column_drift_shows_in_the_snapshots_and_never_breaks_a_load(sandbox, client, warehouse):
    land_board(client, warehouse, CUSTOMERS, run=_run("2026-11-01"))
    notes, window = COLUMN_IDS["customers"]["notes"], COLUMN_IDS["customers"]["delivery_window"]
    sandbox.control.add_column(CUSTOMERS, "text_mkz9new1", "Loyalty code", "text")
    sandbox.control.rename_column(CUSTOMERS, window, "Preferred delivery hours")
    sandbox.control.remove_column(CUSTOMERS, notes)

    report = land_board(client, warehouse, CUSTOMERS, run=_run("2026-11-02", "run-2"), mode="full")

    def snapshot(partition):
        rows = _query(
            warehouse,
            "select column_id, title from raw_monday_columns where board_id = ? and _partition_key = ?",
            (CUSTOMERS, partition),
        )
        return dict(rows)

    before, after = snapshot("2026-11-01"), snapshot("2026-11-02")
    assert "text_mkz9new1" not in before and after["text_mkz9new1"] == "Loyalty code"
    assert after[window] == "Preferred delivery hours" != before[window]
    assert notes in before and notes not in after
    assert report.result.items_loaded == len(sandbox.workspace_active_item_ids(CUSTOMERS))
    landed_columns = {
        row[0] for row in _query(warehouse, "select distinct column_id from raw_monday_column_values")
    }
    assert "text_mkz9new1" in landed_columns and notes not in landed_columns


def test_malformed_values_are_quarantined_with_their_reason_and_the_rest_lands(sandbox, client, warehouse):
    sandbox.control.set_faults(malformed_rate=0.01)

    report = land_board(client, warehouse, ORDERS, run=_run())

    quarantined = _query(warehouse, "select board_id, item_id, column_id, reason from ops_quarantine")
    assert report.result.quarantined == len(quarantined) > 0
    assert all(board == ORDERS and item and column and reason for board, item, column, reason in quarantined)
    assert report.result.items_loaded == len(sandbox.workspace_active_item_ids(ORDERS))
    assert 0 < report.result.error_rate <= 0.05


def test_an_error_rate_above_five_percent_fails_the_load_and_keeps_production(sandbox, client, warehouse):
    land_board(client, warehouse, ORDERS, run=_run())
    before = _production(warehouse)
    sandbox.control.set_faults(malformed_rate=0.2)

    with pytest.raises(LoadValidationError, match="error"):
        land_board(client, warehouse, ORDERS, run=_run("2026-11-02", "run-2"), mode="full")

    assert _production(warehouse) == before
    assert _query(warehouse, "select status from ops_run_log order by ended_at") == [
        ("success",),
        ("failed",),
    ]


def test_an_api_outage_mid_board_keeps_production_and_logs_a_failure(sandbox, client, warehouse):
    sandbox.control.reset(orders=1500)  # three pages, so the chain can break in the middle
    land_board(client, warehouse, ORDERS, run=_run())
    before = _production(warehouse)
    sandbox.control.set_faults(cursor_expire_after_pages=1)  # every chain dies after its first page

    with pytest.raises(Exception, match="cursor"):
        land_board(client, warehouse, ORDERS, run=_run("2026-11-02", "run-2"), mode="full")

    assert _production(warehouse) == before
    assert warehouse.staging_tables() == []
    message = _query(warehouse, "select message from ops_run_log where status = 'failed'")[0][0]
    assert "cursor" in message.lower()


def test_choose_mode_is_full_first_then_incremental_with_a_day_of_overlap(warehouse, client):
    assert choose_mode("auto", None, 1) == ("full", None)
    land_board(client, warehouse, CUSTOMERS, run=_run())
    state = warehouse.sync_state(CUSTOMERS)
    mode, since = choose_mode("auto", state, 1)
    assert mode == "incremental"
    assert since == state.last_sync_at.date() - dt.timedelta(days=1)
    assert choose_mode("full", state, 1) == ("full", None)
    with pytest.raises(ValueError, match="previous successful sync"):
        choose_mode("incremental", None, 1)
