"""The Dagster board assets end to end: the real sandbox over HTTP, real DuckDB, real Dagster runs."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from customer_master.defs.monday.assets import MONDAY_GROUP, monday_board_assets
from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.resources import WarehouseResource
from customer_master.sandbox import SANDBOX_TOKEN, SandboxServer, WorkspaceSpec

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

PARTITION = "2026-11-01"
METADATA_KEYS = (
    "dagster/row_count",
    "quarantined",
    "error_rate_pct",
    "seconds",
    "api_calls",
    "complexity_used",
)
BUSINESS_TABLES = {
    "raw_monday_items": "board_id, item_id, name, state, group_id, created_at, updated_at",
    "raw_monday_column_values": "board_id, item_id, column_id, column_type, text, value_json, value_string, "
    "value_number, value_date, value_date_to, value_bool, value_ids, value_extra",
    "raw_monday_boards": "board_id, name, state",
}


@pytest.fixture()
def sandbox():
    with SandboxServer(WorkspaceSpec(orders=300, seed=7)) as server:
        yield server


@pytest.fixture()
def warehouse_path(tmp_path):
    return tmp_path / "warehouse.duckdb"


def _materialize(sandbox, warehouse_path, *, token=SANDBOX_TOKEN, mode="auto", instance=None):
    return dg.materialize(
        monday_board_assets,
        partition_key=PARTITION,
        resources={
            "monday": MondayResource(api_url=sandbox.url, api_token=token, max_attempts=3, timeout_seconds=5),
            "warehouse": WarehouseResource(duckdb_path=str(warehouse_path)),
        },
        run_config=dg.RunConfig(
            {a.key.to_python_identifier(): {"config": {"mode": mode}} for a in monday_board_assets}
        ),
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _business_rows(warehouse_path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        return {
            table: con.execute(f"select {cols} from {table} order by all").fetchall()
            for table, cols in BUSINESS_TABLES.items()
        }


def test_every_board_asset_lands_its_board_and_reports_metadata(sandbox, warehouse_path):
    result = _materialize(sandbox, warehouse_path)

    assert result.success
    materializations = {
        e.materialization.asset_key.path[-1]: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert set(materializations) == {"customers", "orders", "capacity"}
    for board, metadata in materializations.items():
        for key in METADATA_KEYS:
            assert key in metadata, f"{board} lacks {key}"
        assert metadata["dagster/row_count"].value > 0
        assert metadata["api_calls"].value > 0
    assert materializations["orders"]["dagster/row_count"].value == len(
        sandbox.workspace_active_item_ids(sandbox.board_ids["orders"])
    )
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        runs = con.execute("select asset, partition_key, status from ops_run_log order by asset").fetchall()
    assert runs == [
        ("monday/capacity", PARTITION, "success"),
        ("monday/customers", PARTITION, "success"),
        ("monday/orders", PARTITION, "success"),
    ]


def test_rerunning_a_partition_gives_the_same_rows(sandbox, warehouse_path):
    assert _materialize(sandbox, warehouse_path, mode="full").success
    first = _business_rows(warehouse_path)
    assert _materialize(sandbox, warehouse_path, mode="full").success
    assert _business_rows(warehouse_path) == first


def test_a_failed_run_leaves_the_raw_tables_unchanged_and_logs_the_failure(sandbox, warehouse_path):
    assert _materialize(sandbox, warehouse_path).success
    before = _business_rows(warehouse_path)

    sandbox.control.set_faults(server_error_next=1000, server_error_status=503)
    result = _materialize(sandbox, warehouse_path, mode="full")

    assert not result.success
    assert _business_rows(warehouse_path) == before
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        failed = con.execute("select count(*) from ops_run_log where status = 'failed'").fetchone()[0]
    assert failed == 3


def test_the_token_never_reaches_the_dagster_event_log(sandbox, warehouse_path):
    secret = "tok-9f8e7d6c5b4a-never-log-me"
    instance = dg.DagsterInstance.ephemeral()

    result = _materialize(sandbox, warehouse_path, token=secret, instance=instance)

    assert not result.success
    records = instance.get_records_for_run(result.run_id).records
    assert records, "the run should have logged events"
    assert any("auth" in str(r.event_log_entry).lower() for r in records)
    for record in records:
        assert secret not in str(record.event_log_entry)


def test_the_board_assets_form_one_partitioned_group():
    assert {a.key.to_user_string() for a in monday_board_assets} == {
        "monday/customers",
        "monday/orders",
        "monday/capacity",
    }
    for asset in monday_board_assets:
        assert asset.group_names_by_key[asset.key] == MONDAY_GROUP
        assert asset.partitions_def is not None


def _evaluations(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


def test_each_board_is_checked_against_the_extraction_thresholds(sandbox, warehouse_path):
    evaluations = _evaluations(_materialize(sandbox, warehouse_path))

    for board in ("customers", "orders", "capacity"):
        records = evaluations[(board, "records_extracted")]
        assert records.passed and records.metadata["value"].value > 0
        error_rate = evaluations[(board, "record_error_rate")]
        assert error_rate.passed, error_rate.description  # the sandbox's dirt stays under 2 %
        assert error_rate.metadata["threshold"].value == 2  # percent
        assert 0 <= error_rate.metadata["value"].value <= 2
    sync = evaluations[("customers", "customer_sync_duration")]
    assert sync.passed and sync.metadata["threshold"].value == 900
    assert ("orders", "customer_sync_duration") not in evaluations


def test_an_empty_board_fails_the_blocking_zero_records_check(warehouse_path):
    with SandboxServer(WorkspaceSpec(orders=0, seed=7)) as empty:
        result = _materialize(empty, warehouse_path)

    evaluations = _evaluations(result)
    records = evaluations[("orders", "records_extracted")]
    assert not records.passed and records.severity == dg.AssetCheckSeverity.ERROR
    assert records.metadata["value"].value == 0 and "zero records" in records.description
    assert evaluations[("customers", "records_extracted")].passed
