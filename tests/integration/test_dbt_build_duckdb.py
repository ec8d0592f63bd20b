"""`dbt build` on a real DuckDB file filled from the sandbox over real HTTP (no mocks, no Dagster).

The sandbox boards are landed with the production landing code, then the whole dbt project (seed,
staging, marts, snapshots, data tests, unit tests) is built, and the marts are checked against the
sandbox's own item lists and the raw values.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import duckdb
import pytest

from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, WorkspaceSpec
from customer_master.sandbox.oms.data import OmsSpec, OmsStore
from customer_master.warehouse.duckdb import DuckDBWarehouse
from tests.integration.dbt_helpers import land_boards, run_dbt, run_results

pytestmark = pytest.mark.slow

CUSTOMERS, ORDERS = BOARD_IDS["customers"], BOARD_IDS["orders"]
PRIORITY = COLUMN_IDS["orders"]["priority"]
PRODUCT = COLUMN_IDS["orders"]["product"]
WINDOW = COLUMN_IDS["customers"]["delivery_window"]
HHMM_RANGE = re.compile(r"^([0-2]\d):([0-5]\d)-([0-2]\d):([0-5]\d)$")


def _ingest(sandbox, db_path) -> None:
    land_boards(sandbox.url, sandbox.token, DuckDBWarehouse(db_path))


def _build(tmp_path, db_path):
    started = time.perf_counter()
    result = run_dbt(["build"], tmp_path, env={"CM_DUCKDB_PATH": str(db_path), "DBT_TARGET": "duckdb"})
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    print(f"dbt build: {seconds:.1f} s")
    return result, run_results(tmp_path)


def _rows(db_path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _by_name(results: dict[str, dict], prefix: str) -> list[dict]:
    return [r for uid, r in results.items() if uid.split(".")[2].startswith(prefix)]


def _by_suffix(results: dict[str, dict], suffix: str) -> list[dict]:
    return [r for uid, r in results.items() if uid.startswith("test.") and uid.split(".")[2].endswith(suffix)]


@pytest.fixture(scope="module")
def built(_sandbox_server, tmp_path_factory):
    """One ingest + build of the default sandbox workspace, shared by the read-only tests below."""
    _sandbox_server.control.reset()
    work = tmp_path_factory.mktemp("dbt_build")
    db_path = work / "warehouse.duckdb"
    _ingest(_sandbox_server, db_path)
    result, results = _build(work, db_path)
    return _sandbox_server, db_path, result, results


def test_every_node_builds_and_every_error_severity_test_passes(built):
    _, _, _, results = built
    bad = {uid: r["status"] for uid, r in results.items() if r["status"] not in ("success", "pass", "warn")}
    assert not bad
    kinds = {uid.split(".")[0] for uid in results}
    assert {"model", "snapshot", "test", "unit_test"} <= kinds
    assert all(r["status"] == "pass" for uid, r in results.items() if uid.startswith("unit_test."))


def test_the_business_dq_rules_pass_on_the_sandbox(built):
    _, _, _, results = built
    # The tests' own names (yml `name:`): `<column>_coverage`, `<entity>_not_empty`, ...
    names_null = _by_name(results, "company_nulls_below_max")
    coverage = [r for r in _by_suffix(results, "_coverage") if "email" not in r["unique_id"]]
    assert len(names_null) == 1 and names_null[0]["status"] == "pass"
    assert len(coverage) >= 6
    assert {r["status"] for r in coverage} == {"pass"}
    guards = _by_suffix(results, "_required_fields_populated") + _by_suffix(results, "_not_empty")
    assert len(guards) == 5 and {r["status"] for r in guards} == {"pass"}


def test_marts_have_one_row_per_sandbox_item(built):
    sandbox, db_path, _, _ = built
    customers = set(sandbox.workspace_active_item_ids(CUSTOMERS))
    orders = set(sandbox.workspace_active_item_ids(ORDERS))
    assert {r[0] for r in _rows(db_path, "select customer_id from customer_master")} == customers
    assert _rows(db_path, "select count(*) from customer_master") == [(len(customers),)]
    assert _rows(db_path, "select count(*) from order_master") == [(len(orders),)]
    source_ids = {r[0] for r in _rows(db_path, "select source_id from order_master where source = 'monday'")}
    assert source_ids == orders


def test_rush_orders_rank_first_and_ranks_follow_priority(built):
    _, db_path, _, _ = built
    ranks = dict(_rows(db_path, "select priority, min(priority_rank) from order_master group by priority"))
    assert ranks["rush"] == 1 and ranks["high"] == 2 and ranks["normal"] == 3 and ranks["low"] == 4
    assert _rows(
        db_path, "select count(*) from order_master where priority = 'rush' and priority_rank <> 1"
    ) == [(0,)]
    assert _rows(db_path, "select count(*) from order_master where priority = 'rush'")[0][0] > 0


def test_window_source_is_default_exactly_for_customers_without_their_own_window(built):
    _, db_path, _, _ = built
    raw = dict(
        _rows(
            db_path,
            f"select item_id, text from raw_monday_column_values where column_id = '{WINDOW}' "
            f"and board_id = '{CUSTOMERS}'",
        )
    )
    marts = _rows(
        db_path,
        "select customer_id, window_source, cast(delivery_window_start as varchar), "
        "cast(delivery_window_end as varchar) from customer_master",
    )
    own = 0
    for customer_id, source, start, end in marts:
        text = (raw.get(customer_id) or "").replace(" ", "")
        m = HHMM_RANGE.match(text)
        has_own = bool(m) and m.group(1, 2) < m.group(3, 4) and int(m.group(3)) < 24
        if has_own:
            own += 1
            assert source == "customer", customer_id
            assert (start[:5], end[:5]) == (text[:5], text[6:]), customer_id
        else:
            assert source == "default", (customer_id, text)
            assert (start, end) == ("08:00:00", "17:00:00"), customer_id
    assert 0 < own < len(marts)
    # delivery_windows carries the same source per customer and one row per effective weekday
    mismatched = _rows(
        db_path,
        "select count(*) from delivery_windows d join customer_master c using (customer_id) "
        "where d.window_source <> c.window_source or d.window_start <> c.delivery_window_start",
    )
    assert mismatched == [(0,)]
    days = _rows(
        db_path,
        "select c.customer_id, c.delivery_days, count(d.weekday) from customer_master c "
        "left join delivery_windows d using (customer_id) group by 1, 2",
    )
    assert all(n == len(delivery_days.split(",")) for _, delivery_days, n in days)


def test_capacity_calendar_is_one_row_per_line_and_day(built):
    _, db_path, _, _ = built
    (rows, slots) = _rows(
        db_path,
        "select count(*), count(distinct resource || '|' || cast(capacity_date as varchar)) "
        "from capacity_calendar",
    )[0]
    assert rows == slots > 0
    sundays = _rows(db_path, "select max(capacity_units) from capacity_calendar where weekday = 7")
    assert sundays == [(0,)]


def test_a_recreated_column_is_found_by_title_and_a_removed_optional_one_leaves_its_field_empty(
    sandbox, tmp_path
):
    # priority: removed, then re-added under a new id with the same title -> found by title.
    # product (optional): removed for good -> the applied mapping warns and the field stays empty.
    first = sorted(sandbox.workspace_active_item_ids(ORDERS), key=int)[0]
    sandbox.control.remove_column(ORDERS, PRIORITY)
    sandbox.control.add_column(
        ORDERS, "color_mkq9new1", "Priority", "status", labels={2: "Rush", 0: "High", 6: "Normal", 9: "Low"}
    )
    sandbox.control.update_item(ORDERS, first, column_values={"color_mkq9new1": {"label": "Rush"}})
    sandbox.control.remove_column(ORDERS, PRODUCT)
    db_path = tmp_path / "warehouse.duckdb"
    _ingest(sandbox, db_path)
    resolved = dict(
        _rows(db_path, "select field, resolved_by from ops_board_mapping where entity = 'orders'")
    )
    assert (resolved["priority"], resolved["product"]) == ("title", "missing")

    _, results = _build(tmp_path, db_path)

    assert all(r["status"] == "success" for uid, r in results.items() if uid.startswith("model."))
    assert _rows(db_path, "select count(*) from order_master where product is not null") == [(0,)]
    assert _rows(
        db_path, f"select priority, priority_rank from order_master where source_id = '{first}'"
    ) == [("rush", 1)]


def test_an_empty_required_field_and_an_empty_mart_fail_their_tests_naming_what_to_fix(built, tmp_path):
    # As a dbt-only user could: the applied mapping points capacity.resource at a column with no values.
    _, source_db, _, _ = built
    db_path = tmp_path / "warehouse.duckdb"
    shutil.copy(source_db, db_path)
    with duckdb.connect(str(db_path)) as con:
        con.execute(
            "update ops_board_mapping set column_id = 'gone', mapping_line = 77 "
            "where entity = 'capacity' and field = 'resource'"
        )
    env = {"CM_DUCKDB_PATH": str(db_path), "DBT_TARGET": "duckdb"}
    selected = ["--select", "stg_monday__capacity", "capacity_calendar"]
    assert run_dbt(["run", *selected], tmp_path, env=env).returncode == 0
    tested = run_dbt(["test", *selected, "--exclude", "test_type:unit"], tmp_path, env=env)
    assert tested.returncode == 1
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    failed = {
        manifest["nodes"][uid]["test_metadata"]["name"]: manifest["nodes"][uid]["relation_name"]
        for uid, r in run_results(tmp_path).items()
        if r["status"] == "fail"
    }
    assert set(failed) == {"required_fields_populated", "not_empty_when_board_has_items"}
    (required,) = _rows(db_path, f"select message from {failed['required_fields_populated']}")
    assert required[0].startswith("capacity.resource is empty on all 600 active items of board 7000000003")
    assert "it reads column gone (title Line, kind label)" in required[0] and "line 77" in required[0]
    (empty,) = _rows(db_path, f"select message from {failed['not_empty_when_board_has_items']}")
    assert empty[0] == (
        "capacity_calendar is empty but board 7000000003 (capacity) has 600 active items: check the board id "
        "and the fields of capacity in the board mapping (python -m customer_master.board_mapping check)"
    )


def test_dbt_docs_generate_describes_every_mart_and_column(built, tmp_path):
    _, db_path, _, _ = built
    docs = run_dbt(
        ["docs", "generate"], tmp_path, env={"CM_DUCKDB_PATH": str(db_path), "DBT_TARGET": "duckdb"}
    )
    assert docs.returncode == 0, docs.stdout[-3000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and "marts" in n["fqn"]]
    assert {m["name"] for m in marts} >= {
        "customer_master",
        "order_master",
        "capacity_calendar",
        "delivery_windows",
        "delivery_schedules",
        "capacity_planning",
        "schedule_history",
        "delivery_performance",
        "daily_run_report",
        "weekly_run_summary",
        "sync_health",
        "order_backlog",
    }
    for mart in marts:
        assert mart["description"].strip(), f"{mart['name']} has no description"
        built_columns = {c.lower() for c in catalog["nodes"][mart["unique_id"]]["columns"]}
        described = {name.lower() for name, col in mart["columns"].items() if col["description"].strip()}
        assert built_columns <= described, f"{mart['name']}: undescribed columns {built_columns - described}"


def test_customer_numbers_are_the_oms_numbers_and_null_on_an_account_without_the_column(built, tmp_path):
    # The OMS emulator beside the same workspace references customers as CUST-nnnnn (by board position):
    # customer_master carries exactly those, the key OMS orders are matched on.
    _, source_db, _, results = built
    store = OmsStore(OmsSpec.for_workspace(WorkspaceSpec()), "shopify")
    oms = {str(c.monday_item_id): c.number for c in store.customers if c.monday_item_id is not None}
    numbers = dict(_rows(source_db, "select customer_id, customer_number from customer_master"))
    assert numbers and {cid: oms[cid] for cid in numbers} == numbers
    assert [r["status"] for r in _by_name(results, "customer_number_unique")] == ["pass"]
    # email_normalised: the valid e-mail, trimmed and lower-case; NULL for the invalid ones.
    ((filled, mismatched),) = _rows(
        source_db,
        "select count(email_normalised), count(*) filter (where email_normalised is distinct from "
        "case when email_is_valid then lower(trim(email_as_entered)) end) from customer_master",
    )
    assert filled > 0 and mismatched == 0

    # An account whose customers board has no such column (as northwind): its mapping has no
    # customer_number, so the field stays NULL and orders fall back to the e-mail.
    db_path = tmp_path / "warehouse.duckdb"
    shutil.copy(source_db, db_path)
    column = COLUMN_IDS["customers"]["customer_number"]
    with duckdb.connect(str(db_path)) as con:
        con.execute(f"delete from raw_monday_column_values where column_id = '{column}'")
        con.execute(f"delete from raw_monday_columns where column_id = '{column}'")
        con.execute("delete from ops_board_mapping where entity = 'customers' and field = 'customer_number'")
    env = {"CM_DUCKDB_PATH": str(db_path), "DBT_TARGET": "duckdb"}
    ran = run_dbt(["run", "--select", "stg_monday__customers", "customer_master"], tmp_path, env=env)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert _rows(
        db_path, "select count(*), count(customer_number), count(email_normalised) from customer_master"
    ) == [(len(numbers), 0, filled)]
