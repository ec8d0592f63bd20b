"""The nightly job end to end with the OMS beside Monday, two nights in a row (tests/e2e/nightly.py,
run once per session by the `oms_nights` fixture): issue 12's aggregation, conflicts, unknown
customers and OMS changes; what the UI shows of a run (row counts, check partitions, percentages);
and the README's commands for running a past partition, on a copy of the same warehouse."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from customer_master.defs.dbt.assets import customer_master_dbt, schedule_models_dbt
from customer_master.defs.oms.assets import ORDERS_KEY
from customer_master.defs.shared import DELIVERY_PLAN_KEY
from customer_master.monitoring.formats import percent
from customer_master.sandbox import BOARD_IDS, SANDBOX_TOKEN
from customer_master.scheduling.models import REASON_UNKNOWN_CUSTOMER
from tests.e2e.nightly import NIGHT1, NIGHT2, SOURCE

pytestmark = pytest.mark.slow  # starts Dagster and dbt

PARTITION = NIGHT1.isoformat()


def _key(*path: str) -> dg.AssetKey:
    return dg.AssetKey(list(path))


@pytest.fixture()
def nights(oms_nights):
    return oms_nights


def _oms_id(order_id: int) -> str:
    return f"oms:{SOURCE.name}:{order_id}"


def test_both_nights_succeed_with_the_oms_assets_and_their_checks(nights):
    for name, result in nights.runs.items():
        assert result.success, name
        keys = {e.materialization.asset_key for e in result.get_asset_materialization_events()}
        assert {ORDERS_KEY, dg.AssetKey(["oms", "deletions"]), dg.AssetKey("order_master")} <= keys
        checks = {
            c.check_name: c.passed for c in result.get_asset_check_evaluations() if c.asset_key == ORDERS_KEY
        }
        assert checks == {"records_extracted": True, "record_error_rate": True}
    modes = [
        next(
            e.materialization.metadata["mode"].value
            for e in r.get_asset_materialization_events()
            if e.materialization.asset_key == ORDERS_KEY
        )
        for r in nights.runs.values()
    ]
    assert modes == ["full", "incremental"]


def test_order_master_is_one_row_per_real_order_from_both_sources(nights):
    by_source = dict(nights.rows("select source, count(*) from order_master group by 1"))
    both = nights.facts["both_systems"]
    assert by_source["both"] == len(both) and by_source["monday"] > 0 and by_source["oms"] > 0
    # One row per order: no OMS order of a pair shows up on its own.
    paired = [_oms_id(b["order_id"]) for b in both]
    assert nights.rows(
        f"select count(*) from order_master where order_id in ({', '.join('?' * len(paired))})", paired
    ) == [(0,)]
    for order in both:
        row = nights.rows(
            "select source, source_ids, quantity, requested_date from order_master where order_id = ?",
            [f"monday:{order['monday_item_id']}"],
        )[0]
        assert row[0] == "both" and _oms_id(order["order_id"]) in row[1]
        if order["conflict"] == "quantity":  # the OMS wins quantity by default
            assert row[2] == order["quantity"]
        if order["conflict"] == "requested_date":  # Monday wins the requested date
            assert row[3].isoformat() != order["requested_date"]


def test_conflicts_are_listed_with_their_winner_and_counted_in_the_digest(nights):
    expected = {
        (f"monday:{b['monday_item_id']}", b["conflict"])
        for b in nights.facts["both_systems"]
        if b["conflict"]
    }
    conflicts = nights.rows(
        "select order_id, field, winner from order_conflicts where field <> 'duplicate_order_number'"
    )
    assert expected <= {(c[0], c[1]) for c in conflicts}
    winners = {c[1]: c[2] for c in conflicts}
    assert winners.get("quantity", "oms") == "oms" and winners.get("requested_date", "monday") == "monday"
    total = nights.rows("select count(*) from order_conflicts")[0][0]
    # The digest was written after night 1, when order_conflicts held the same rows (nothing in
    # Monday changed, and night 2's OMS changes touch OMS-only orders).
    assert f"Order conflicts (Monday vs OMS): {total:,}" in nights.digest


def test_unknown_customers_stay_visible_and_are_planned_as_unknown_customer(nights):
    plan = nights.plan(NIGHT1)
    unknown = [_oms_id(i) for i in nights.facts["unknown_customer"]]
    rows = nights.rows(
        f"select order_id, is_unknown_customer, customer_id, is_open from order_master "
        f"where order_id in ({', '.join('?' * len(unknown))})",
        unknown,
    )
    assert len(rows) == len(unknown)
    assert all(r[1] and r[2] is None for r in rows)
    for order_id, _unknown, _customer, is_open in rows:
        if is_open:
            assert plan[order_id][:2] == ("unschedulable", REASON_UNKNOWN_CUSTOMER)


def test_oms_orders_are_planned_like_monday_orders(nights):
    plan = nights.plan(NIGHT1)
    scheduled = [
        oid for oid, (status, _r, _u) in plan.items() if oid.startswith("oms:") and status == "scheduled"
    ]
    assert len(scheduled) >= 10
    cancelled = {_oms_id(i) for i in nights.facts["cancelled"]} | {
        _oms_id(i) for i in nights.facts["deleted"]
    }
    assert not cancelled & set(plan)  # cancelled and deleted OMS orders are not open


def test_an_order_updated_cancelled_and_deleted_in_the_oms_changes_the_next_plan(nights):
    changed = nights.facts["overnight"]
    night1, night2 = nights.plan(NIGHT1), nights.plan(NIGHT2)
    updated, cancelled, deleted = (_oms_id(changed[k]) for k in ("updated", "cancelled", "deleted"))
    assert {updated, cancelled, deleted} <= set(night1)
    assert night2[updated][2] == 3.0
    assert cancelled not in night2 and deleted not in night2
    status = dict(
        nights.rows(
            "select order_id, status from order_master where order_id in (?, ?)", [cancelled, deleted]
        )
    )
    assert status == {cancelled: "cancelled", deleted: "deleted"}


# --- what the UI shows of a nightly run -----------------------------------------------------------


@pytest.fixture()
def pipeline_run(_sandbox_server, oms_nights):
    """The first night of the nightly pipeline (boards, OMS, dbt, plan, schedule models) on a fresh
    warehouse (tests/e2e/nightly.py). Its warehouse has seen night 2 too."""
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
    assert md["unit"] == "percent" and md["value_percent"] == percent(md["value"] / 100)


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
