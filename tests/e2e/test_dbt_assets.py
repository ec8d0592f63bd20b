"""The dbt project as Dagster assets: one lineage graph from the Monday boards to the marts, dbt
tests as asset checks, and one real partition of the pipeline (sandbox → DuckDB → dbt → plan) through
Dagster: what the UI shows of it (row counts, check partitions, percentages, serializable metadata)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.remote_representation.external_data import RepositorySnap

from customer_master.definitions import defs
from customer_master.defs.dbt.assets import customer_master_dbt, schedule_models_dbt
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.shared import DELIVERY_PLAN_KEY
from customer_master.monitoring.formats import percent
from customer_master.sandbox import BOARD_IDS, SANDBOX_TOKEN
from tests.e2e.nightly import NIGHT1, NIGHT2

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

PARTITION = NIGHT1.isoformat()
# Keys the webserver never shows (its HIDDEN_METADATA_ENTRY_LABELS): dagster-dbt's in-process objects.
UI_HIDDEN_METADATA = {"dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator"}


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
    unique_customer = specs["customer_id_unique"]
    assert unique_customer.asset_key == _key("customer_master")
    assert unique_customer.blocking
    assert not specs[
        "email_coverage"
    ].blocking  # a warn-severity business rule reports, it does not stop the run


def test_the_dbt_assets_metadata_is_all_serializable_for_the_ui():
    # What the webserver receives: before, `dagster_dbt/project` read "[DbtProject] (unserializable)".
    repo = defs().get_repository_def()
    nodes = {n.asset_key: n for n in RepositorySnap.from_def(repo).asset_nodes}
    metadata = nodes[_key("customer_master")].metadata
    shown = {k: v for k, v in metadata.items() if k not in UI_HIDDEN_METADATA}
    assert not [k for k, v in shown.items() if "(unserializable)" in str(getattr(v, "value", ""))]
    assert metadata["dagster_dbt/project"] == dg.MetadataValue.path(str(dbt_project.project_dir))


@pytest.fixture()
def pipeline_run(_sandbox_server, oms_nights):
    """The first night of the nightly pipeline (boards, OMS, dbt, plan, schedule models) on a fresh
    warehouse: tests/e2e/nightly.py, shared with test_oms_pipeline. Its warehouse has seen night 2 too."""
    return _sandbox_server, oms_nights.path, oms_nights.runs["night1"]


def test_the_pipeline_builds_the_marts_and_every_dbt_error_test_passes(pipeline_run):
    sandbox, path, result = pipeline_run
    assert result.success
    materialized = {e.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert {_key("customer_master"), _key("order_master"), _key("stg_monday__orders")} <= materialized
    # The sandbox's dirty data fails some business thresholds (e.g. calculation errors); dbt's own
    # error-severity tests and every blocking check pass.
    dbt_keys = set(customer_master_dbt.keys) | set(schedule_models_dbt.keys)
    evaluations = [e for e in result.get_asset_check_evaluations() if e.asset_key in dbt_keys or e.blocking]
    assert evaluations and all(e.passed or e.severity == dg.AssetCheckSeverity.WARN for e in evaluations), [
        e.check_name for e in evaluations if not e.passed
    ]
    with duckdb.connect(str(path), read_only=True) as con:
        orders = con.execute(
            "select count(*) from order_master where monday_source_id is not null"
        ).fetchone()[0]
        applied = con.execute(
            "select count(*) from ops_board_mapping where column_id is not null"
        ).fetchone()[0]
    assert orders == len(sandbox.workspace_active_item_ids(BOARD_IDS["orders"]))
    assert applied > 0


def test_every_dbt_model_materialization_carries_its_row_count(oms_nights):
    # The warehouse as the last run (night 2) left it, against that run's counts.
    path, result = oms_nights.path, oms_nights.runs["night2"]
    dbt_keys = set(customer_master_dbt.keys) | set(schedule_models_dbt.keys)
    counts = {
        e.materialization.asset_key: e.materialization.metadata.get("dagster/row_count")
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key in dbt_keys
    }
    assert len(counts) > 20
    assert [k.to_user_string() for k, v in counts.items() if v is None] == []
    with duckdb.connect(str(path), read_only=True) as con:
        for name in ("customer_master", "stg_monday__orders", "schedule_history", "snap_order_master"):
            rows = con.execute(f"select count(*) from {name}").fetchone()[0]
            assert rows > 0 and counts[_key(name)].value == rows, name


def test_the_checks_of_partitioned_assets_carry_the_partition(pipeline_run):
    _, _, result = pipeline_run
    evaluations = result.get_asset_check_evaluations()
    partitioned = [
        e for e in evaluations if e.asset_key == DELIVERY_PLAN_KEY or e.asset_key.path[0] == "monday"
    ]
    assert {e.check_name for e in partitioned} >= {"capacity_never_exceeded", "mapped_columns_exist"}
    assert {e.partition for e in partitioned} == {PARTITION}


def test_mapped_columns_exist_is_a_check_result_on_every_board(pipeline_run):
    _, _, result = pipeline_run
    mapped = {
        e.asset_key.path[-1]: e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "mapped_columns_exist"
    }
    assert set(mapped) == set(BOARD_IDS) and all(e.passed for e in mapped.values())
    observed = [e for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION]
    assert observed == []


def test_rates_show_as_percentages_in_the_check_metadata(pipeline_run):
    _, _, result = pipeline_run
    (orders_rate,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "record_error_rate" and e.asset_key == _key("monday", "orders")
    ]
    md = {k: v.value for k, v in orders_rate.metadata.items()}
    assert md["value_percent"] == percent(md["value"])
    assert md["value_pct"] == round(md["value"] * 100, 2)


README = Path(__file__).resolve().parents[2] / "README.md"
DOCUMENTED_PREFIX = "DAGSTER_HOME=$PWD/.dagster_home "
DOCUMENTED_DAY, PAST_DAY = "2026-11-20", "2026-11-01"


def documented_partition_commands() -> list[str]:
    """The README's commands for running a past partition, exactly as written there."""
    return [
        line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith(DOCUMENTED_PREFIX)
    ]


def test_the_readmes_past_partition_commands_run_that_partition(pipeline_run, tmp_path):
    sandbox, path, _ = pipeline_run
    commands = documented_partition_commands()
    assert [c.split()[2:4] for c in commands] == [["asset", "materialize"], ["job", "execute"]]
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(path, warehouse)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "CM_DUCKDB_PATH": str(warehouse),
        "MONDAY_API_URL": sandbox.url,
        "MONDAY_API_TOKEN": SANDBOX_TOKEN,
    }
    (tmp_path / "dagster_home").mkdir()
    for command in commands:
        argv = shlex.split(command.removeprefix(DOCUMENTED_PREFIX).replace(DOCUMENTED_DAY, PAST_DAY))
        done = subprocess.run(
            argv, cwd=README.parent, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0 and "RUN_SUCCESS" in done.stderr + done.stdout, done.stderr[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        plans = {r[0].isoformat() for r in con.execute("select plan_date from plan_runs").fetchall()}
        history = con.execute(
            "select count(*) from schedule_history where plan_date = ?", [PAST_DAY]
        ).fetchone()
        pulled = con.execute(
            "select count(*) from ops_run_log where partition_key = ?", [PAST_DAY]
        ).fetchone()
    assert {PAST_DAY, PARTITION, NIGHT2.isoformat()} == plans
    assert history[0] > 0 and pulled[0] == len(BOARD_IDS)
