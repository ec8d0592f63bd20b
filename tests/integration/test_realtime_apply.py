"""Applying order changes (issue 13 §3) without Dagster: change store -> Monday by id -> raw -> dbt.

A small sandbox workspace is landed (full pull) and built once with real dbt; then each test changes
orders on the sandbox over real HTTP, puts the change in a real change store (SQLite), and runs
`apply_pending_changes` with real dbt running `order_master` incrementally, in process with the ids
in the environment, as the Dagster asset does. What must hold:
every kind of change reaches order_master; the read is of Monday *now*, so an update after a
delete does not resurrect the order; a version older than the warehouse's never overwrites it;
a change of another board is refused; a failing run puts its changes back, parked after the last
attempt with the error, but never for a warehouse locked by another process (no attempt
counted); a second apply of the same change changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from customer_master.monday import MondayClient
from customer_master.realtime.apply import apply_pending_changes
from customer_master.realtime.order_master import build_order_master
from customer_master.realtime.store import ChangeKey, ChangeStore
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, SandboxServer, WorkspaceSpec
from customer_master.settings import dbt_vars, get_settings
from customer_master.warehouse.base import RunInfo
from customer_master.warehouse.duckdb import DuckDBWarehouse
from tests.integration.dbt_helpers import DBT_PROJECT_DIR, land_boards, run_dbt

pytestmark = pytest.mark.slow

ORDERS = BOARD_IDS["orders"]
QUANTITY = COLUMN_IDS["orders"]["quantity"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    work = tmp_path_factory.mktemp("realtime")
    db_path = work / "warehouse.duckdb"
    with SandboxServer(WorkspaceSpec(orders=60, dirt=False)) as sandbox:
        land_boards(sandbox.url, sandbox.token, DuckDBWarehouse(db_path))
        built = _dbt(work, db_path, "build", "--vars", json.dumps(dbt_vars(get_settings())))
        assert built.returncode == 0, built.stdout[-3000:]
        yield {"sandbox": sandbox, "work": work, "db": db_path, "store": ChangeStore(work / "changes.sqlite")}


def _dbt(work, db_path, *args: str):
    return run_dbt(list(args), work, env={"CM_DUCKDB_PATH": str(db_path), "DBT_TARGET": "duckdb"})


def _rows(db_path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _order(db_path, item_id: str) -> dict | None:
    rows = _rows(
        db_path,
        "select quantity, is_active, is_open, order_number from order_master where monday_source_id = ?",
        [item_id],
    )
    if not rows:
        return None
    quantity, active, open_, number = rows[0]
    return {"quantity": quantity, "is_active": active, "is_open": open_, "order_number": number}


_USED: set[str] = set()


def _open_items(db_path, n: int) -> list[str]:
    """Open orders no earlier test of this module touched (each test changes its own orders)."""
    rows = _rows(
        db_path,
        "select monday_source_id from order_master where source = 'monday' and is_open "
        "and quantity is not null order by monday_source_id",
    )
    fresh = [r[0] for r in rows if r[0] not in _USED][:n]
    _USED.update(fresh)
    return fresh


def _apply(world, *, run_id: str, custom_build=None, max_attempts: int = 3, board=ORDERS):
    sandbox, work, db_path = world["sandbox"], world["work"], world["db"]
    builds: list[dict] = []

    def build(changes: dict) -> None:  # what the Dagster asset runs: dbt in process, ids in the env
        builds.append(changes)
        build_order_master(
            changes["order_changes"],
            project_dir=DBT_PROJECT_DIR,
            profiles_dir=DBT_PROJECT_DIR,
            target="duckdb",
            dbt_vars=dbt_vars(get_settings()),
            env={"CM_DUCKDB_PATH": str(db_path)},
            target_path=work / "target_realtime",
        )

    run = RunInfo(run_id, "realtime/order_updates", "2026-11-02", dt.datetime(2026, 11, 2))
    report = apply_pending_changes(
        world["store"],
        run_id=run_id,
        run=run,
        warehouse=DuckDBWarehouse(db_path),
        monday=lambda: MondayClient(sandbox.url, sandbox.token, timeout=30),
        orders_board_id=board,
        build_order_master=custom_build or build,
        max_attempts=max_attempts,
    )
    return report, builds


def _enqueue(world, *item_ids: str, board: str = ORDERS, kind: str = "update_column_value") -> None:
    world["store"].enqueue([(ChangeKey("monday", board, i), None, kind) for i in item_ids])


def test_each_kind_of_change_reaches_order_master(world):
    control, db_path = world["sandbox"].control, world["db"]
    edited, archived, deleted = _open_items(db_path, 3)
    control.update_item(ORDERS, edited, column_values={QUANTITY: json.dumps("4321")})
    control.archive_item(ORDERS, archived)
    control.delete_item(ORDERS, deleted)
    created = control.create_item(ORDERS, "Realtime order", {QUANTITY: json.dumps("17")})
    _enqueue(world, edited, archived, deleted, created)

    report, builds = _apply(world, run_id="run-kinds")

    assert report.claimed == 4 and report.applied == 4
    assert len(builds) == 1 and sorted(builds[0]["order_changes"]["monday"]) == sorted(
        [edited, archived, deleted, created]
    )
    assert _order(db_path, edited)["quantity"] == 4321
    assert _order(db_path, archived)["is_active"] is False
    assert _order(db_path, deleted)["is_active"] is False
    assert _order(db_path, created)["quantity"] == 17
    assert world["store"].pending_count() == 0
    assert report.lags and all(lag >= 0 for lag in report.lags)


def test_update_after_delete_does_not_resurrect_the_order(world):
    control, db_path = world["sandbox"].control, world["db"]
    (item,) = _open_items(db_path, 1)
    control.delete_item(ORDERS, item)
    # The delete's event and an older update's event, in the wrong order: both only name the item.
    _enqueue(world, item, kind="delete_pulse")
    _apply(world, run_id="run-delete")
    _enqueue(world, item, kind="update_column_value")
    _apply(world, run_id="run-late-update")
    assert _order(db_path, item)["is_active"] is False


def test_an_older_version_never_overwrites_a_newer_one(world):
    control, db_path = world["sandbox"].control, world["db"]
    (item,) = _open_items(db_path, 1)
    before = _order(db_path, item)
    # The warehouse already holds a version newer than anything Monday will answer with.
    with duckdb.connect(str(db_path)) as con:
        con.execute(
            "update raw_monday_items set updated_at = timestamp '2099-01-01' where item_id = ?", [item]
        )
    control.update_item(ORDERS, item, column_values={QUANTITY: json.dumps("999")})
    _enqueue(world, item)
    _apply(world, run_id="run-stale")
    assert _order(db_path, item)["quantity"] == before["quantity"]


def test_a_change_of_another_board_is_refused_by_name(world):
    _enqueue(world, "123", board=BOARD_IDS["customers"])
    with pytest.raises(ValueError, match="only the Orders board"):
        _apply(world, run_id="run-foreign")
    # Back to waiting (attempt 1 of 3); parked after the last attempt, with the error.
    assert world["store"].pending_count() == 1
    for attempt in (2, 3):
        with pytest.raises(ValueError):
            _apply(world, run_id=f"run-foreign-{attempt}")
    assert world["store"].pending_count() == 0
    parked = world["store"].parked()
    assert [p.key.item_id for p in parked] == ["123"] and "only the Orders board" in parked[0].last_error


def test_a_failed_build_leaves_the_changes_waiting_and_order_master_as_it_was(world):
    control, db_path = world["sandbox"].control, world["db"]
    (item,) = _open_items(db_path, 1)
    before = _order(db_path, item)
    control.update_item(ORDERS, item, column_values={QUANTITY: json.dumps("2468")})
    _enqueue(world, item)

    def broken_build(changes: dict) -> None:
        raise RuntimeError("dbt run of order_master failed: simulated")

    with pytest.raises(RuntimeError, match="simulated"):
        _apply(world, run_id="run-broken", custom_build=broken_build)
    assert _order(db_path, item) == before
    assert world["store"].pending_count() == 1
    report, _ = _apply(world, run_id="run-retry")
    assert report.applied == 1 and _order(db_path, item)["quantity"] == 2468


def test_applying_the_same_change_twice_changes_nothing(world):
    db_path = world["db"]
    (item,) = _open_items(db_path, 1)
    _enqueue(world, item)
    _apply(world, run_id="run-once")
    first = _rows(db_path, "select * exclude (updated_at) from order_master order by order_id")
    _enqueue(world, item)
    _apply(world, run_id="run-twice")
    assert _rows(db_path, "select * exclude (updated_at) from order_master order by order_id") == first


def test_a_locked_warehouse_never_parks_the_changes(world, caplog):
    """dbt failing because another process holds the DuckDB file (the nightly run, an analyst) is not
    the changes' fault: they go back to waiting without counting an attempt, however long it lasts."""
    control, db_path, store = world["sandbox"].control, world["db"], world["store"]
    (item,) = _open_items(db_path, 1)
    control.update_item(ORDERS, item, column_values={QUANTITY: json.dumps("1357")})
    _enqueue(world, item)

    def locked_build(changes: dict) -> None:
        raise RuntimeError(
            'dbt run of order_master failed: IO Error: Could not set lock on file "warehouse.duckdb": '
            "Conflicting lock is held in /usr/bin/python3 (PID 4242)"
        )

    def parked() -> list[str]:  # an earlier test of this module parks a change of its own
        return [p.key.item_id for p in store.parked() if p.key.item_id == item]

    max_attempts = 2
    for n in range(max_attempts + 3):
        with (
            caplog.at_level("ERROR", logger="customer_master.realtime.apply"),
            pytest.raises(RuntimeError, match="Could not set lock"),
        ):
            _apply(world, run_id=f"run-locked-{n}", custom_build=locked_build, max_attempts=max_attempts)
        assert store.pending_count() == 1 and parked() == []
    assert store.running_run_ids() == []
    assert (
        "the warehouse is locked by another process; 1 change(s) back to waiting, attempts not counted"
        in caplog.text
    )
    [claimed] = store.claim("run-peek")
    assert claimed.attempts == 0
    store.release("run-peek")

    report, _ = _apply(world, run_id="run-unlocked", max_attempts=max_attempts)
    assert report.applied == 1 and _order(db_path, item)["quantity"] == 1357
    assert store.pending_count() == 0 and parked() == []


def test_an_order_master_a_deploy_changed_is_rebuilt_whole_then_updated(world, caplog):
    """A deploy added a column to order_master's model and no full build has run since (here the
    table lacks one): dbt refuses the incremental run (on_schema_change='fail'); the run rebuilds
    order_master whole, once, in the model's shape, with the change in it."""
    control, db_path = world["sandbox"].control, world["db"]
    (item,) = _open_items(db_path, 1)
    columns = [r[0] for r in _rows(db_path, "select column_name from (describe order_master)")]
    with duckdb.connect(str(db_path)) as con:
        con.execute("alter table order_master drop column product")
    control.update_item(ORDERS, item, column_values={QUANTITY: json.dumps("4321")})
    _enqueue(world, item)
    with caplog.at_level("WARNING", logger="customer_master.realtime.order_master"):
        report, _ = _apply(world, run_id="run-after-deploy")
    assert report.applied == 1 and _order(db_path, item)["quantity"] == 4321
    assert [r[0] for r in _rows(db_path, "select column_name from (describe order_master)")] == columns
    assert "rebuilding it whole" in caplog.text
    # and the next change is incremental again
    (other,) = _open_items(db_path, 1)
    control.update_item(ORDERS, other, column_values={QUANTITY: json.dumps("4322")})
    _enqueue(world, other)
    caplog.clear()
    with caplog.at_level("WARNING", logger="customer_master.realtime.order_master"):
        _apply(world, run_id="run-after-deploy-2")
    assert _order(db_path, other)["quantity"] == 4322 and "rebuilding" not in caplog.text
