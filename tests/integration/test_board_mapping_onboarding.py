"""Onboarding an account with the mapping assistant, and the guard that runs before every dbt build.

Real parts: the Monday sandbox over HTTP (the repository's account and `northwind`, an account shaped
unlike it: other board and column ids and titles, the order number in the item name, the delivery
window in two hour columns, more inactive labels), the CLI as a subprocess, a real DuckDB warehouse.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest
import yaml

from customer_master.board_mapping import DEFAULT_MAPPING_PATH, load_board_mapping, parse_board_mapping
from customer_master.monday import MondayClient
from customer_master.sandbox import ACCOUNT_BOARD_IDS, ACCOUNT_COLUMN_IDS
from customer_master.warehouse.base import RunInfo
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.landing import land_board
from customer_master.warehouse.mapping import BoardMappingPreflightError, apply_board_mapping
from tests.integration.dbt_helpers import land_boards

NORTHWIND = ACCOUNT_BOARD_IDS["northwind"]


def _cli(sandbox, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MONDAY_API_URL": sandbox.url, "MONDAY_API_TOKEN": sandbox.token}
    env.pop("CM_BOARD_MAPPING", None)
    return subprocess.run(
        [sys.executable, "-m", "customer_master.board_mapping", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _discover(sandbox, out, ids: dict[str, str]) -> subprocess.CompletedProcess:
    return _cli(
        sandbox, "discover", "--customers", ids["customers"], "--orders", ids["orders"],
        "--capacity", ids["capacity"], "--out", str(out),
    )  # fmt: skip


@pytest.mark.slow  # waits on real time for seconds
def test_discover_on_an_unfamiliar_account_proposes_a_mapping_that_check_accepts(sandbox, tmp_path):
    sandbox.control.reset(account="northwind")
    out = tmp_path / "northwind.yml"
    result = _discover(sandbox, out, NORTHWIND)
    assert result.returncode == 0, result.stderr
    assert "fill in before use" not in result.stdout  # every required field was matched
    mapping = load_board_mapping(out)
    cols = ACCOUNT_COLUMN_IDS["northwind"]
    orders, customers = mapping.entities["orders"].fields, mapping.entities["customers"].fields
    assert mapping.board_ids == NORTHWIND
    assert orders["order_number"].column_id == "name"  # the order number is the item name
    assert orders["quantity"].column_id == cols["orders"]["quantity"]
    assert orders["requested_date"].column_id == cols["orders"]["requested_date"]
    assert orders["priority"].values == {
        "rush": ["Critical"],
        "high": ["High"],
        "normal": ["Medium"],
        "low": ["Low"],
    }
    assert set(customers["status"].values["inactive"]) == {"Churned", "On hold", "Prospect", "Inactive"}
    assert (customers["delivery_window_start"].kind, customers["delivery_window_end"].kind) == (
        "time",
        "time",
    )
    assert "tier" not in customers and "promised_date" not in orders  # optional and absent: left out
    text = out.read_text(encoding="utf-8")
    assert "# tier: no column matched (optional" in text and "alternatives:" in text

    check = _cli(sandbox, "check", "--mapping", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "fits the live boards (0 errors" in check.stdout
    line = next(ln for ln in check.stdout.splitlines() if ln.strip().startswith("order_number *"))
    assert "item_name" in line and "PO-1000" in line
    line = next(ln for ln in check.stdout.splitlines() if ln.strip().startswith("delivery_window_start"))
    assert "hour_from" in line and ":00" in line
    assert sandbox.token not in check.stdout + check.stderr


@pytest.mark.slow  # waits on real time for seconds
def test_discover_marks_what_it_cannot_match_and_check_names_the_problems(sandbox, tmp_path):
    sandbox.control.reset(account="northwind")
    orders = NORTHWIND["orders"]
    cols = ACCOUNT_COLUMN_IDS["northwind"]["orders"]
    sandbox.control.rename_column(orders, cols["quantity"], "Pieces")  # not a title it knows
    out = tmp_path / "proposed.yml"
    result = _discover(sandbox, out, NORTHWIND)
    assert result.returncode == 0 and "fill in before use (marked REQUIRED): orders.quantity" in result.stdout
    text = out.read_text(encoding="utf-8")
    assert "quantity: {column_id: null, title: null, kind: number}  # REQUIRED" in text
    assert f"{cols['quantity']} 'Pieces'" in text  # offered as a candidate
    refused = _cli(sandbox, "check", "--mapping", str(out))
    assert refused.returncode == 2 and "orders.fields.quantity: required" in refused.stderr

    # The user fills it in with the wrong column: check says which field, why, and shows samples.
    data = yaml.safe_load(text)
    data["entities"]["orders"]["fields"]["quantity"] = {
        "column_id": cols["product"],
        "title": "Item",
        "kind": "number",
    }
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    wrong = _cli(sandbox, "check", "--mapping", str(out))
    assert wrong.returncode == 1
    assert "orders.quantity" in wrong.stdout and "kind 'number' reads nothing from column" in wrong.stdout
    assert "does NOT fit the live boards" in wrong.stdout


@pytest.mark.slow  # waits on real time for seconds
def test_check_on_the_repository_mapping_and_a_board_that_is_gone(sandbox, tmp_path):
    ok = _cli(sandbox, "check", "--mapping", str(DEFAULT_MAPPING_PATH))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    gone = tmp_path / "gone.yml"
    gone.write_text(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8").replace("7000000003", "7000000099"))
    result = _cli(sandbox, "check", "--mapping", str(gone))
    assert result.returncode == 1 and "board 7000000099 cannot be read" in result.stdout


# --- the guard before dbt -------------------------------------------------------------------------


def _table(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_apply_writes_the_resolved_mapping_for_dbt(sandbox, tmp_path):
    db = tmp_path / "wh.duckdb"
    land_boards(sandbox.url, sandbox.token, DuckDBWarehouse(db))
    rows = _table(
        db, "select entity, field, column_id, resolved_by, is_required, mapping_line from ops_board_mapping"
    )
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    assert len(rows) == sum(len(mapping.entities[e].fields) for e in mapping.entities)
    by_field = {(e, f): (c, r, req, line) for e, f, c, r, req, line in rows}
    assert by_field[("orders", "quantity")] == (
        "numeric_mkq2qt4v",
        "id",
        True,
        mapping.line_of("orders", "quantity"),
    )
    labels = _table(db, "select canonical, label_key from ops_board_mapping_values where field = 'priority'")
    assert sorted(labels) == [("high", "high"), ("low", "low"), ("normal", "normal"), ("rush", "rush")]


def _pull(sandbox, wh, entity, board_id):
    with MondayClient(sandbox.url, sandbox.token, timeout=30) as client:
        run = RunInfo("it", f"monday/{entity}", "2026-11-02", dt.datetime(2026, 11, 2))
        land_board(client, wh, board_id, run=run, mode="full")


def test_a_board_the_run_did_not_pull_or_a_different_one_stops_dbt_naming_both(sandbox, tmp_path):
    db = tmp_path / "wh.duckdb"
    wh = DuckDBWarehouse(db)
    land_boards(sandbox.url, sandbox.token, wh)
    before = _table(db, "select * from ops_board_mapping order by entity, field")
    data = yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))
    data["entities"]["orders"]["board_id"] = "7000000099"
    other = parse_board_mapping(yaml.safe_dump(data, sort_keys=False), tmp_path / "edited.yml")
    with pytest.raises(BoardMappingPreflightError) as info:
        apply_board_mapping(wh, other)
    message = str(info.value)
    assert "maps orders to board 7000000099, but monday/orders last pulled board 7000000002" in message
    assert "no model was built" in message
    assert _table(db, "select * from ops_board_mapping order by entity, field") == before  # nothing written

    fresh = DuckDBWarehouse(tmp_path / "fresh.duckdb")
    _pull(sandbox, fresh, "orders", "7000000002")
    with pytest.raises(BoardMappingPreflightError, match="monday/customers has never pulled a board"):
        apply_board_mapping(fresh, load_board_mapping(DEFAULT_MAPPING_PATH))


def test_a_required_column_gone_from_the_board_stops_dbt_naming_field_and_line(sandbox, tmp_path):
    db = tmp_path / "wh.duckdb"
    wh = DuckDBWarehouse(db)
    land_boards(sandbox.url, sandbox.token, wh)
    sandbox.control.remove_column("7000000003", "numeric_mkq3cp5u")  # capacity units
    _pull(sandbox, wh, "capacity", "7000000003")
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    with pytest.raises(BoardMappingPreflightError) as info:
        apply_board_mapping(wh, mapping)
    line = mapping.line_of("capacity", "capacity_units")
    assert f"capacity.capacity_units (board_mapping.yml line {line}): column 'numeric_mkq3cp5u'" in str(
        info.value
    )
    assert "numeric_mkq3ot3h 'Overtime units' (numbers)" in str(info.value)  # what it could be instead
