"""The dbt project as Dagster assets: one lineage graph from the Monday boards to the marts, dbt
tests as asset checks, and a real materialization (sandbox → DuckDB → dbt) through Dagster."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from customer_master.definitions import defs
from customer_master.defs.dbt.assets import customer_master_dbt
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.dbt.resources import dbt_executable
from customer_master.defs.resources import WarehouseResource
from customer_master.monday import MondayClient
from customer_master.sandbox import BOARD_IDS
from customer_master.warehouse.base import RunInfo
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.landing import land_board


@pytest.fixture(scope="module")
def asset_graph():
    return defs().resolve_asset_graph()


def _key(*path: str) -> dg.AssetKey:
    return dg.AssetKey(list(path))


def test_each_staging_model_hangs_off_its_monday_board_asset(asset_graph):
    for board in ("customers", "orders", "capacity"):
        parents = asset_graph.get(_key(f"stg_monday__{board}")).parent_keys
        assert _key("monday", board) in parents
        assert not any(p.path[0] == "monday" and p.path[-1].startswith("raw_") for p in parents)


def test_the_marts_reach_back_to_the_monday_boards(asset_graph):
    assert _key("monday", "orders") in asset_graph.upstream_key_iterator(_key("order_master"))
    assert _key("monday", "customers") in asset_graph.upstream_key_iterator(_key("customer_master"))
    assert asset_graph.get(_key("customer_master")).group_name == "marts"
    assert asset_graph.get(_key("stg_monday__orders")).group_name == "dbt_staging"


def test_dbt_tests_are_asset_checks_blocking_where_severity_is_error():
    specs = {spec.name: spec for spec in customer_master_dbt.check_specs}
    unique_customer = next(
        s for name, s in specs.items() if name.startswith("unique_customer_master_customer_id")
    )
    assert unique_customer.asset_key == _key("customer_master")
    assert unique_customer.blocking
    coverage = next(s for name, s in specs.items() if name.startswith("coverage_above_customer_master_email"))
    assert not coverage.blocking  # a warn-severity business rule reports, it does not stop the run


def test_materializing_the_models_builds_the_marts_and_evaluates_the_checks(sandbox, tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(path)
    with MondayClient(sandbox.url, sandbox.token) as client:
        for name, board_id in BOARD_IDS.items():
            run = RunInfo(f"run-{name}", f"monday/{name}", "2026-11-01", dt.datetime(2026, 11, 1))
            land_board(client, warehouse, board_id, run=run, mode="full")
    monkeypatch.setenv("CM_DUCKDB_PATH", str(path))  # dbt's profile reads the same variable

    # The dbt asset applies the board mapping itself before building (no apply step here).
    result = dg.materialize(
        [customer_master_dbt],
        resources={
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
            "warehouse": WarehouseResource(duckdb_path=str(path)),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert result.success
    materialized = {e.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert {_key("customer_master"), _key("order_master"), _key("stg_monday__orders")} <= materialized
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed or e.severity == dg.AssetCheckSeverity.WARN for e in evaluations), [
        e.check_name for e in evaluations if not e.passed
    ]
    with duckdb.connect(str(path), read_only=True) as con:
        orders = con.execute("select count(*) from order_master").fetchone()[0]
        applied = con.execute(
            "select count(*) from ops_board_mapping where column_id is not null"
        ).fetchone()[0]
    assert orders == len(sandbox.workspace_active_item_ids(BOARD_IDS["orders"]))
    assert applied > 0
