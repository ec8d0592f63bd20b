"""Realtime order_master: `dbt run --select order_master --vars '{order_changes: {...}}'` updates the table
in place, recomputing only the orders the changed source rows touch, and gives exactly the table a full
rebuild gives (macros/order_changes.sql). Real DuckDB file, real dbt.

A small sandbox workspace is landed, OMS orders are written into `raw_oms_orders` and order_master is
built once (a table, as the nightly build makes it). Each test then changes raw rows on its own orders
(disjoint from the other tests', so the tests hold in any order and on any xdist worker), runs the
realtime `dbt run`, and compares every row and column of order_master with the full-rebuild select
(the table model's compiled SQL, run on the same raw data). The SQL Server cases compile offline.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import sqlglot

from customer_master.sandbox import BOARD_IDS, COLUMN_IDS
from customer_master.warehouse.duckdb import DuckDBWarehouse
from tests.integration.dbt_helpers import land_boards, run_dbt
from tests.integration.test_dbt_order_aggregator import _insert_oms, _oms, _rows

pytestmark = pytest.mark.slow

ORDERS = BOARD_IDS["orders"]
ORDER_COLS = COLUMN_IDS["orders"]
CHANGED_AT = dt.datetime(2026, 11, 2, 9, 30)
COMPILED = Path("compiled") / "customer_master" / "models" / "marts" / "order_master.sql"


class Warehouse:
    def __init__(self, work: Path, db_path: Path, full_sql: str, orders: dict[str, tuple[str, str]]):
        self.work, self.db_path, self.full_sql, self.orders = work, db_path, full_sql, orders

    def dbt(self, *args: str, changes: dict | None = None):
        vars_ = ["--vars", json.dumps({"order_changes": changes})] if changes is not None else []
        return run_dbt(
            [*args, *vars_], self.work, env={"CM_DUCKDB_PATH": str(self.db_path), "DBT_TARGET": "duckdb"}
        )

    def realtime(self, changes: dict):
        result = self.dbt("run", "--select", "order_master", changes=changes)
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
        assert "1 incremental model" in result.stdout
        return result

    def execute(self, sql: str, params=()) -> None:
        with duckdb.connect(str(self.db_path)) as con:
            con.execute(sql, params)

    def master(self) -> tuple[list[str], list[tuple]]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            cur = con.execute("select * from order_master order by order_id")
            return [d[0] for d in cur.description], cur.fetchall()

    def full_rebuild(self) -> tuple[list[str], list[tuple]]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            cur = con.execute(f"select * from (\n{self.full_sql}\n) as full_rebuild order by order_id")
            return [d[0] for d in cur.description], cur.fetchall()

    def assert_same_as_full_rebuild(self) -> list[tuple]:
        columns, rows = self.master()
        full_columns, full_rows = self.full_rebuild()
        assert columns == full_columns
        assert rows == full_rows
        return rows

    def row(self, order_id: str) -> dict | None:
        columns, rows = self.master()
        found = [dict(zip(columns, r, strict=True)) for r in rows if r[0] == order_id]
        return found[0] if found else None

    def by_key(self, number: str) -> list[tuple]:
        return _rows(
            self.db_path,
            "select order_id, source, monday_source_id, oms_source_id, match_status from order_master "
            "where order_number_key = ? order by order_id",
            (number.upper(),),
        )

    # raw changes, as the realtime landing writes them
    def set_monday(self, item_id: str, field: str, *, text=None, number=None, touch: bool = True) -> None:
        """Set a field's raw value; `touch` moves the item's updated_at, as a real edit does."""
        self.execute(
            "update main.raw_monday_column_values set text = ?, value_string = ?, value_number = ? "
            "where item_id = ? and column_id = ?",
            (text, text, number, item_id, ORDER_COLS[field]),
        )
        if touch:
            self.execute(
                "update main.raw_monday_items set updated_at = ? where item_id = ?", (CHANGED_AT, item_id)
            )


def _monday_orders(db_path) -> list[tuple[str, str]]:
    """Active raw Monday orders with a number and a quantity: (item id, order number), by item id."""
    number, quantity = ORDER_COLS["order_number"], ORDER_COLS["quantity"]
    return _rows(
        db_path,
        f"""
        select i.item_id,
            max(case when v.column_id = '{number}' then upper(trim(coalesce(v.value_string, v.text))) end)
        from main.raw_monday_items as i join main.raw_monday_column_values as v on v.item_id = i.item_id
        where i.board_id = '{ORDERS}' and i.state = 'active'
        group by i.item_id
        having max(case when v.column_id = '{number}' then nullif(trim(v.text), '') end) is not null
            and max(case when v.column_id = '{quantity}' then v.value_number end) is not null
        order by i.item_id
        """,
    )


@pytest.fixture(scope="module")
def warehouse(_sandbox_server, tmp_path_factory) -> Warehouse:
    """Sandbox orders + OMS orders; order_master built whole once (a table, like the nightly build)."""
    sandbox = _sandbox_server
    sandbox.control.reset(orders=40, dirt=False)
    work = tmp_path_factory.mktemp("dbt_order_master_incremental")
    db_path = work / "warehouse.duckdb"
    land_boards(sandbox.url, sandbox.token, DuckDBWarehouse(db_path))
    sandbox.control.reset()  # leave the shared sandbox as the other modules expect it

    items = _monday_orders(db_path)
    names = ["quantity", "renumbered", "paired", "archived", "twin_of_new", "duplicated", "thousand",
             "failing", "nightly", "first"]  # fmt: skip
    assert len(items) >= len(names)
    orders = dict(zip(names, items, strict=False))
    number = {name: orders[name][1] for name in orders}

    def twin(oms_id: str, name: str, **kw) -> dict:
        return _oms(oms_id, number[name], quantity=99.0, priority="normal", **kw)

    _insert_oms(
        db_path,
        [
            twin("9101", "renumbered"),  # pairs with 'renumbered' until it is renumbered to WEB-7001
            _oms("9102", "WEB-7001", quantity=2.0),  # OMS-only until 'renumbered' takes its number
            _oms("9103", "WEB-7002", quantity=3.0),  # renumbered on the OMS side to 'paired''s number
            twin("9104", "archived"),
            _oms("9105", "WEB-7003", quantity=5.0),  # a new Monday item takes this number
            twin("9106", "duplicated"),  # a second OMS order gets this number: ambiguous
            twin("9108", "thousand"),  # with 9109: ambiguous until 9109 is deleted from the OMS
            twin("9109", "thousand", oms="woocommerce"),
            twin("9110", "nightly"),
        ],
    )
    wh = Warehouse(work, db_path, "", orders)
    result = wh.dbt("run", "--select", "+order_master")  # no order_changes: a table, built whole
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "1 table model" in result.stdout
    wh.full_sql = (work / "target" / COMPILED).read_text(encoding="utf-8")
    assert "order_changes_recomputed" not in wh.full_sql
    assert wh.by_key(number["renumbered"])[0][4] == "matched"
    assert wh.by_key(number["thousand"])[0][4] == "ambiguous"
    wh.assert_same_as_full_rebuild()
    return wh


@pytest.fixture(scope="module")
def realtime_batch(warehouse):
    """One realtime run for a batch of changes on different orders; (rows before, rows after)."""
    wh = warehouse
    o = wh.orders
    _, before = wh.master()
    # a Monday order's quantity
    wh.set_monday(o["quantity"][0], "quantity", text="123", number=123.0)
    # a Monday order renumbered: leaves its OMS twin 9101, pairs with the OMS-only 9102
    wh.set_monday(o["renumbered"][0], "order_number", text="web-7001")
    # an OMS order renumbered to a Monday-only order's number: pairs
    wh.execute(
        "update main.raw_oms_orders set order_number = ?, updated_at = ? where source_id = '9103'",
        ("#" + o["paired"][1].lower(), CHANGED_AT),
    )
    # a Monday item archived
    wh.execute(
        "update main.raw_monday_items set state = 'archived', _state_changed_at = ? where item_id = ?",
        (CHANGED_AT, o["archived"][0]),
    )
    # a brand-new Monday item, a copy of another's values with the OMS-only 9105's number
    template = o["twin_of_new"][0]
    wh.execute(
        "insert into main.raw_monday_items select board_id, '8999000001', 'New order', state, group_id, "
        "created_at, ?, _partition_key, _run_id, _loaded_at, _state_changed_at "
        "from main.raw_monday_items where item_id = ?",
        (CHANGED_AT, template),
    )
    wh.execute(
        "insert into main.raw_monday_column_values select board_id, '8999000001', column_id, column_type, "
        "text, value_json, value_string, value_number, value_date, value_date_to, value_bool, value_ids, "
        "value_extra, item_updated_at, _partition_key, _run_id, _loaded_at "
        "from main.raw_monday_column_values where item_id = ?",
        (template,),
    )
    wh.set_monday("8999000001", "order_number", text="WEB-7003")
    # a second OMS order with a matched order's number: the pair becomes ambiguous
    _insert_oms(wh.db_path, [_oms("9107", o["duplicated"][1], oms="woocommerce", quantity=7.0)])

    wh.realtime(
        {
            "monday": [o["quantity"][0], o["renumbered"][0], o["archived"][0], "8999000001"],
            "oms": ["shopify:9103", "woocommerce:9107"],
        }
    )
    _, after = wh.master()
    return before, after


def test_a_realtime_batch_gives_the_full_rebuild(warehouse, realtime_batch):
    warehouse.assert_same_as_full_rebuild()


def test_a_changed_quantity_reaches_order_master(warehouse, realtime_batch):
    item = warehouse.orders["quantity"][0]
    assert warehouse.row(f"monday:{item}")["quantity"] == 123.0


def test_a_renumbered_monday_order_leaves_its_twin_and_pairs_with_another(warehouse, realtime_batch):
    item, old_number = warehouse.orders["renumbered"]
    assert warehouse.by_key("WEB-7001") == [(f"monday:{item}", "both", item, "shopify:9102", "matched")]
    assert warehouse.by_key(old_number) == [("oms:shopify:9101", "oms", None, "shopify:9101", "one_source")]


def test_an_oms_order_that_takes_a_monday_number_pairs(warehouse, realtime_batch):
    item, number = warehouse.orders["paired"]
    assert warehouse.by_key(number) == [(f"monday:{item}", "both", item, "shopify:9103", "matched")]
    assert warehouse.by_key("WEB-7002") == []


def test_an_archived_item_stays_paired_but_inactive(warehouse, realtime_batch):
    item, _ = warehouse.orders["archived"]
    row = warehouse.row(f"monday:{item}")
    assert (row["source"], row["is_active"], row["is_open"]) == ("both", False, False)


def test_a_new_monday_item_pairs_with_its_oms_twin(warehouse, realtime_batch):
    assert warehouse.by_key("WEB-7003") == [
        ("monday:8999000001", "both", "8999000001", "shopify:9105", "matched")
    ]


def test_a_duplicate_key_makes_the_pair_ambiguous(warehouse, realtime_batch):
    item, number = warehouse.orders["duplicated"]
    assert warehouse.by_key(number) == [
        (f"monday:{item}", "monday", item, None, "ambiguous"),
        ("oms:shopify:9106", "oms", None, "shopify:9106", "ambiguous"),
        ("oms:woocommerce:9107", "oms", None, "woocommerce:9107", "ambiguous"),
    ]


def test_orders_the_batch_does_not_touch_stay_as_they_were(warehouse, realtime_batch):
    before, after = realtime_batch
    o = warehouse.orders
    touched = {f"monday:{o[n][0]}" for n in ("quantity", "renumbered", "paired", "archived", "duplicated")}
    touched |= {"monday:8999000001", "oms:shopify:9101", "oms:shopify:9102", "oms:shopify:9103",
                "oms:shopify:9105", "oms:shopify:9106", "oms:woocommerce:9107"}  # fmt: skip
    untouched_before = [r for r in before if r[0] not in touched]
    untouched_after = [r for r in after if r[0] not in touched]
    assert untouched_after == untouched_before
    assert len(untouched_before) > 20


def test_unknown_ids_change_nothing(warehouse):
    _, before = warehouse.master()
    warehouse.realtime({"monday": ["0", "no-such-item"], "oms": ["shopify:does-not-exist", "o'hara:1"]})
    assert warehouse.master()[1] == before
    warehouse.assert_same_as_full_rebuild()


def test_a_thousand_ids_with_quotes(warehouse):
    item, number = warehouse.orders["thousand"]
    # the OMS order 9109 deleted outright (gone from raw): 'thousand' pairs with 9108 again
    warehouse.execute("delete from main.raw_oms_orders where oms = 'woocommerce' and source_id = '9109'")
    warehouse.set_monday(item, "quantity", text="17", number=17.0)
    unknown = [f"it'{i}" for i in range(996)] + ["x'; drop table order_master; --"]
    changes = {"monday": [item, *unknown[:500]], "oms": ["woocommerce:9109", *unknown[500:]]}
    assert len(changes["monday"]) + len(changes["oms"]) == 999
    changes["oms"].append("shopify:9108")
    warehouse.realtime(changes)
    warehouse.assert_same_as_full_rebuild()
    assert warehouse.by_key(number) == [(f"monday:{item}", "both", item, "shopify:9108", "matched")]
    assert warehouse.row(f"monday:{item}")["quantity"] == 99.0  # the OMS twin's quantity wins


def test_the_nightly_run_without_the_var_rebuilds_everything(warehouse):
    wh = warehouse
    item, number = wh.orders["nightly"]
    wh.execute(
        "insert into order_master (order_id, source, source_id, source_ids, match_status, priority_rank, "
        "is_open) values ('monday:by-hand', 'monday', 'by-hand', 'monday:by-hand', 'one_source', 3, true)"
    )
    # a change no realtime run reported
    wh.execute("update main.raw_oms_orders set quantity = 55.0 where source_id = '9110'")
    result = wh.dbt("run", "--select", "order_master")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert wh.row("monday:by-hand") is None
    assert wh.row(f"monday:{item}")["quantity"] == 55.0
    wh.assert_same_as_full_rebuild()


def test_a_failing_realtime_run_leaves_order_master_as_it_was(warehouse):
    """The insert fails after the delete (a NOT NULL someone put on order_master rejects an order whose
    number was cleared): the whole replacement rolls back."""
    wh = warehouse
    item, number = wh.orders["failing"]
    _, before = wh.master()
    raw_number = _rows(
        wh.db_path,
        "select text, value_string from main.raw_monday_column_values where item_id = ? and column_id = ?",
        (item, ORDER_COLS["order_number"]),
    )
    assert raw_number[0][1] == number
    wh.execute("alter table order_master alter column order_number set not null")
    try:
        wh.set_monday(item, "order_number", text="", touch=False)
        result = wh.dbt("run", "--select", "order_master", changes={"monday": [item]})
        assert result.returncode != 0
        assert "order_number" in result.stdout
        assert wh.master()[1] == before
    finally:
        wh.execute("alter table order_master alter column order_number drop not null")
        wh.execute(
            "update main.raw_monday_column_values set text = ?, value_string = ? "
            "where item_id = ? and column_id = ?",
            (*raw_number[0], item, ORDER_COLS["order_number"]),
        )  # raw as it was
    wh.assert_same_as_full_rebuild()


def test_a_first_realtime_run_creates_the_whole_table(warehouse):
    wh = warehouse
    _, before = wh.master()
    wh.execute("alter table order_master rename to order_master_kept")
    try:
        wh.realtime({"monday": [wh.orders["first"][0]]})
        assert wh.master()[1] == before
        wh.assert_same_as_full_rebuild()
    finally:
        wh.execute("drop table if exists order_master")
        wh.execute("alter table order_master_kept rename to order_master")


def test_a_malformed_var_fails_naming_it(tmp_path):
    result = run_dbt(
        ["compile", "--target", "sqlserver", "--no-populate-cache", "--select", "order_master",
         "--vars", json.dumps({"offline_compile": True, "order_changes": {"monday": "123"}})],
        tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    assert "var('order_changes').monday must be a list of ids" in result.stdout


def test_the_incremental_tsql_parses(tmp_path):
    """Offline SQL Server compile of the realtime branch (ids with quotes) and of the strategy's
    delete + insert: both parse as T-SQL."""
    changes = {"monday": ["123", "o'brien"], "oms": ["shopify:9001"]}
    result = run_dbt(
        ["compile", "--target", "sqlserver", "--no-populate-cache", "--select", "order_master",
         "--vars", json.dumps({"offline_compile": True, "offline_compile_incremental": True,
                               "order_changes": changes})],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    model = (tmp_path / "target" / COMPILED).read_text(encoding="utf-8")
    assert "order_changes_recomputed" in model
    assert "monday_source_id in (N'123', N'o''brien')" in model
    assert all(s is not None for s in sqlglot.parse(model, read="tsql"))

    inline = (
        "{{ get_incremental_order_changes_sql({'target_relation': ref('order_master'), "
        "'temp_relation': api.Relation.create(database=ref('order_master').database, "
        "schema=ref('order_master').schema, identifier='order_master__dbt_tmp'), "
        "'dest_columns': [api.Column('order_id', 'nvarchar'), api.Column('source', 'nvarchar')], "
        "'unique_key': none, 'incremental_predicates': none}) }}"
    )
    result = run_dbt(
        ["compile", "--target", "sqlserver", "--no-populate-cache", "--inline", inline,
         "--vars", json.dumps({"offline_compile": True, "order_changes": changes})],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    strategy = result.stdout[result.stdout.index("SET NOCOUNT ON") :]
    assert "delete from" in strategy and "insert into" in strategy
    assert "oms_source_id in (N'shopify:9001')" in strategy
    statements = sqlglot.parse(strategy, read="tsql")
    assert sum(s is not None for s in statements) >= 4
