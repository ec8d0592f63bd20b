"""`land_board`: the sandbox over real HTTP, the real client, a real DuckDB file, no Dagster."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from customer_master.monday import CursorExpiredError, MondayClient
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, SandboxServer, WorkspaceSpec
from customer_master.warehouse.base import LoadValidationError, RunInfo
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.landing import choose_mode, land_board
from customer_master.warehouse.tables import PRODUCTION_TABLES, RAW_ITEMS, RAW_VALUES
from customer_master.warehouse.validation import RULE_MASS_DELETION
from tests.integration.monday_hooks import BeforeRequest

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


def _everything_but_the_run_log(warehouse: DuckDBWarehouse) -> dict[str, list[tuple]]:
    """Every production table, all columns (the run log records each attempt by design)."""
    return {t.name: warehouse.table_rows(t.name) for t in PRODUCTION_TABLES if t.name != "ops_run_log"}


def _states(warehouse: DuckDBWarehouse, *item_ids: str) -> dict[str, tuple]:
    marks = ", ".join("?" for _ in item_ids)
    rows = _query(
        warehouse,
        f"select item_id, state, _state_changed_at from raw_monday_items where item_id in ({marks})",
        item_ids,
    )
    return {item_id: (state, changed_at) for item_id, state, changed_at in rows}


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


def test_state_changed_at_follows_archive_delete_and_restore_and_is_carried_otherwise(
    sandbox, client, warehouse
):
    land_board(client, warehouse, ORDERS, run=_run())
    archived, deleted, restored, edited = sorted(sandbox.workspace_active_item_ids(ORDERS), key=int)[:4]
    sandbox.control.archive_item(ORDERS, restored)
    land_board(client, warehouse, ORDERS, run=_run("2026-11-02", "run-2"))
    t2 = warehouse.sync_state(ORDERS).last_sync_at  # the swap's load time
    assert _states(warehouse, restored) == {restored: ("archived", t2)}

    sandbox.control.archive_item(ORDERS, archived)
    sandbox.control.delete_item(ORDERS, deleted)
    sandbox.control.restore_item(ORDERS, restored)
    sandbox.control.update_item(ORDERS, edited, column_values={QUANTITY: json.dumps("5")})
    land_board(client, warehouse, ORDERS, run=_run("2026-11-03", "run-3"))
    t3 = warehouse.sync_state(ORDERS).last_sync_at
    assert t3 > t2
    assert _states(warehouse, archived, deleted, restored, edited) == {
        archived: ("archived", t3),
        deleted: ("deleted", t3),
        restored: ("active", t3),  # came back: a new version too
        edited: ("active", None),  # an edit is versioned by updated_at, not by a state change
    }

    sandbox.control.update_item(ORDERS, restored, column_values={QUANTITY: json.dumps("6")})
    land_board(client, warehouse, ORDERS, run=_run("2026-11-04", "run-4"))
    assert _states(warehouse, restored, deleted) == {restored: ("active", t3), deleted: ("deleted", t3)}


@pytest.mark.parametrize("mode", ["incremental", "full"])
def test_a_board_serving_a_quarter_of_its_items_is_stopped_unless_forced(sandbox, client, warehouse, mode):
    land_board(client, warehouse, ORDERS, run=_run())
    before = _everything_but_the_run_log(warehouse)
    active_before = warehouse.active_item_ids(ORDERS)
    # The token loses sight of 75 % of the orders board: an incremental sync's reconciliation hears
    # nothing of them from items(ids) (so: deleted), a full pull simply does not see them.
    sandbox.control.set_faults(hidden_fraction=0.75, hidden_board=ORDERS)
    visible = client.active_item_ids(ORDERS)
    assert 0.15 < len(visible) / len(active_before) < 0.35 and visible < active_before

    with pytest.raises(LoadValidationError) as err:
        land_board(client, warehouse, ORDERS, run=_run("2026-11-02", "run-2"), mode=mode)

    message = str(err.value)
    gone = len(active_before) - len(visible)
    assert f"board {ORDERS} ({mode} load)" in message and RULE_MASS_DELETION in message
    assert f"{gone} of {len(active_before)} active items" in message and "force: true" in message
    assert _everything_but_the_run_log(warehouse) == before
    assert warehouse.staging_tables() == []
    ((status, logged),) = _query(warehouse, "select status, message from ops_run_log where run_id = 'run-2'")
    assert status == "failed" and RULE_MASS_DELETION in logged

    report = land_board(client, warehouse, ORDERS, run=_run("2026-11-02", "run-3"), mode=mode, force=True)

    assert report.mode == mode
    assert warehouse.active_item_ids(ORDERS) == visible
    now = warehouse.sync_state(ORDERS).last_sync_at
    gone_rows = _states(warehouse, *(active_before - visible))
    assert set(gone_rows.values()) == {("deleted", now)}


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


def test_a_resume_that_fails_too_keeps_production_and_logs_a_failure(sandbox, client, warehouse):
    sandbox.control.reset(orders=1500)  # three pages, so the chain can break in the middle
    land_board(client, warehouse, ORDERS, run=_run())
    before = _production(warehouse)
    # Every chain dies after its first page: the item chain, and the id scan that would finish it.
    sandbox.control.set_faults(cursor_expire_after_pages=1)

    with pytest.raises(CursorExpiredError, match="after its cursor chain broke"):
        land_board(client, warehouse, ORDERS, run=_run("2026-11-02", "run-2"), mode="full")

    assert client.stats.cursor_resumes == 1
    assert _production(warehouse) == before
    assert warehouse.staging_tables() == []
    message = _query(warehouse, "select message from ops_run_log where status = 'failed'")[0][0]
    assert "cursor" in message.lower()


def _landed(warehouse: DuckDBWarehouse) -> dict[str, list[tuple]]:
    """Items and values as Monday gave them: every column but the load's own (`_run_id`, ...)."""
    landed = {}
    for spec in (RAW_ITEMS, RAW_VALUES):
        keep = [i for i, name in enumerate(spec.column_names) if not name.startswith("_")]
        landed[spec.name] = [tuple(row[i] for i in keep) for row in warehouse.table_rows(spec.name)]
    return landed


@pytest.mark.slow  # waits on real time for seconds
def test_a_board_that_outlives_its_cursors_lands_complete_and_exact_by_resuming(tmp_path):
    # Full 100-item pages take ~100 ms (1 ms per item with values), id pages almost nothing, and a
    # chain lives 1.5 s: the 4,000 orders cannot be paged through on one chain.
    with SandboxServer(WorkspaceSpec(orders=4000), cursor_ttl_seconds=1.5) as sb:
        reference = DuckDBWarehouse(tmp_path / "reference.duckdb")
        with MondayClient(sb.url, sb.token, page_limit=500) as clean:
            land_board(clean, reference, ORDERS, run=_run())  # no latency: one short chain
        assert clean.stats.cursor_resumes == 0

        sb.control.set_faults(latency_per_item_ms=1)
        warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
        with MondayClient(sb.url, sb.token, page_limit=100) as client:
            report = land_board(client, warehouse, ORDERS, run=_run())

        assert warehouse.active_item_ids(ORDERS) == set(sb.workspace_active_item_ids(ORDERS))
        assert report.result.items_loaded == len(sb.workspace_active_item_ids(ORDERS))
        assert _landed(warehouse) == _landed(reference)  # every item and value, once
        assert report.cursor_resumes == 1 and 0 < report.hydrated_items < report.result.items_loaded
        metadata = report.as_metadata()
        assert metadata["cursor_resumes"] == 1 and metadata["hydrated_items"] == report.hydrated_items


def test_the_heavy_fault_mix_lands_the_board_exactly(sandbox, tmp_path):
    reference = DuckDBWarehouse(tmp_path / "reference.duckdb")
    with MondayClient(sandbox.url, sandbox.token) as clean:
        land_board(clean, reference, ORDERS, run=_run())
    # 20 % of requests rate limited and 10 % failing with a 500, each independently (seeded).
    sandbox.control.set_faults(
        rate_limit_rate=0.2, server_error_rate=0.1, rate_limit_retry_in_seconds=0.01, fault_seed=11
    )
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    with MondayClient(
        sandbox.url, sandbox.token, page_limit=25, backoff_base=0.01, backoff_max=0.05
    ) as client:
        report = land_board(client, warehouse, ORDERS, run=_run())

    stats = sandbox.control.stats()
    assert stats["rate_limited"] > 0 and stats["server_errors"] > 0
    assert report.retries == stats["rate_limited"] + stats["server_errors"]
    assert _landed(warehouse) == _landed(reference)
    assert warehouse.active_item_ids(ORDERS) == set(sandbox.workspace_active_item_ids(ORDERS))


def test_a_deprecated_pinned_version_is_a_warning_in_the_landing_report(sandbox, warehouse, caplog):
    from customer_master.defs.monday.assets import materialization_metadata

    caplog.set_level(logging.WARNING, logger="customer_master.monday")
    # The sandbox, like Monday, answers a deprecated version with its Maintenance version.
    with MondayClient(sandbox.url, sandbox.token, api_version="2025-01") as client:
        report = land_board(client, warehouse, CUSTOMERS, run=_run())

    assert report.result.items_loaded == len(sandbox.workspace_active_item_ids(CUSTOMERS))
    metadata = report.as_metadata()
    assert metadata["api_version"] == "2025-01" and metadata["api_version_served"] == "2026-04"
    assert str(metadata["api_version_warning"]).startswith(
        "pinned 2025-01 but Monday served 2026-04: the pinned version is deprecated or unknown"
    )
    shown = materialization_metadata(report)
    assert shown["api_version"] == "2025-01" and shown["api_version_served"] == "2026-04"
    assert shown["warnings"].value == metadata["api_version_warning"]
    assert [r for r in caplog.records if "Monday served 2026-04" in r.getMessage()] != []
    assert len([r for r in caplog.records if "Monday served" in r.getMessage()]) == 1  # once per client


def test_a_column_added_during_the_pull_is_in_that_runs_column_snapshot(sandbox, warehouse):
    added = "text_mkzzmid1"
    hook = BeforeRequest(
        "NextItemsPage", 2, lambda: sandbox.control.add_column(ORDERS, added, "Added mid-pull", "text")
    )
    with MondayClient(sandbox.url, sandbox.token, page_limit=100, transport=hook) as client:
        land_board(client, warehouse, ORDERS, run=_run("2026-11-03"))

    assert hook.fired
    snapshot = dict(
        _query(
            warehouse,
            "select column_id, title from raw_monday_columns where board_id = ? and _partition_key = ?",
            (ORDERS, "2026-11-03"),
        )
    )
    assert snapshot[added] == "Added mid-pull"
    boards = _query(warehouse, "select columns_count from raw_monday_boards where board_id = ?", (ORDERS,))
    assert boards == [(len(snapshot),)]


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
