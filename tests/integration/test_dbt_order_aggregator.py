"""order_master aggregates Monday and OMS orders (issue 12 §3), on a real DuckDB file with real dbt.

A small sandbox workspace is landed with the production landing code; a handful of OMS orders is
written straight into `raw_oms_orders` (as the OMS landing would, already in the order contract); then
ONE `dbt build`. The cases: an OMS-only order, an order in both systems that agrees, one that disagrees
on quantity (the OMS wins by default) and requested date (Monday wins), an order number that differs
only by case and '#', an unknown customer, a customer found by e-mail only, a cancelled and a deleted
OMS order, and an order number held twice by the OMS (not paired, reported). A second, narrow
`dbt run` on a copy of the file flips the precedence through `--vars`.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest

from customer_master.sandbox import BOARD_IDS, COLUMN_IDS
from customer_master.warehouse.duckdb import DuckDBWarehouse
from tests.integration.dbt_helpers import land_boards, run_dbt, run_results

pytestmark = pytest.mark.slow

CUSTOMERS, ORDERS = BOARD_IDS["customers"], BOARD_IDS["orders"]
ORDER_COLS, CUSTOMER_COLS = COLUMN_IDS["orders"], COLUMN_IDS["customers"]
UPDATED = dt.datetime(2026, 10, 30, 12, 0)
DEFAULT_PRECEDENCE = {
    "quantity": "oms",
    "status": "oms",
    "delivered_date": "oms",
    "priority": "monday",
    "requested_date": "monday",
    "customer": "monday",
}
MASTER_COLUMNS = (
    "order_id, source, source_id, source_ids, monday_source_id, oms_source_id, match_status, "
    "order_number, customer_id, customer_match, is_unknown_customer, status, priority, quantity, "
    "requested_date, is_active, is_open"
)


def _rows(db_path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _dbt(work, db_path, *args: str):
    return run_dbt(list(args), work, env={"CM_DUCKDB_PATH": str(db_path), "DBT_TARGET": "duckdb"})


def _monday_orders(db_path) -> list[dict]:
    """Open Monday orders with every compared field set, one per distinct customer, by item id."""
    c = ORDER_COLS
    rows = _rows(
        db_path,
        f"""
        select i.item_id,
            max(case when v.column_id = '{c["order_number"]}' then v.text end),
            max(case when v.column_id = '{c["customer"]}' then json_extract_string(v.value_ids, '$[0]') end),
            max(case when v.column_id = '{c["status"]}' then v.text end),
            max(case when v.column_id = '{c["priority"]}' then v.text end),
            max(case when v.column_id = '{c["quantity"]}' then v.value_number end),
            max(case when v.column_id = '{c["requested_date"]}' then v.value_date end)
        from raw_monday_items i join raw_monday_column_values v on v.item_id = i.item_id
        where i.board_id = '{ORDERS}' and i.state = 'active'
        group by i.item_id order by i.item_id
        """,
    )
    picked, customers = [], set()
    for item_id, number, customer, status, priority, quantity, requested in rows:
        if None in (number, customer, quantity, requested, priority) or customer in customers:
            continue
        if status not in ("New", "Confirmed", "In production", "Shipped"):
            continue
        customers.add(customer)
        picked.append(
            {
                "item_id": item_id,
                "order_number": number,
                "customer_id": customer,
                "priority": priority.lower(),
                "quantity": quantity,
                "requested_date": requested,
            }
        )
    return picked


def _customers(db_path) -> dict[str, tuple[str, str]]:
    """customer item id -> (customer number, e-mail) of active customers that have both."""
    rows = _rows(
        db_path,
        f"""
        select i.item_id,
            max(case when v.column_id = '{CUSTOMER_COLS["customer_number"]}' then v.text end),
            max(case when v.column_id = '{CUSTOMER_COLS["email"]}' then v.text end)
        from raw_monday_items i join raw_monday_column_values v on v.item_id = i.item_id
        where i.board_id = '{CUSTOMERS}' and i.state = 'active'
        group by i.item_id order by i.item_id
        """,
    )
    return {item: (number, email) for item, number, email in rows if number and email and "@" in email}


def _oms(source_id, order_number, *, oms="shopify", **kw) -> dict:
    status = kw.get("status", "open")
    return {
        "oms": oms,
        "source_id": source_id,
        "order_number": order_number,
        "customer_number": kw.get("customer_number"),
        "customer_email": kw.get("customer_email"),
        "quantity": kw.get("quantity"),
        "requested_date": kw.get("requested_date"),
        "priority": kw.get("priority"),
        "status": status,
        "is_cancelled": status == "cancelled",
        "is_deleted": status == "deleted",
        "delivered_date": None,
        "updated_at": UPDATED,
        "_partition_key": "2026-11-01",
        "_run_id": "oms-it",
        "_loaded_at": UPDATED,
        "_dlt_load_id": "1",
    }


def _insert_oms(db_path, rows: list[dict]) -> None:
    cols = list(rows[0])
    sql = f"insert into main.raw_oms_orders ({', '.join(cols)}) values ({', '.join('?' for _ in cols)})"
    with duckdb.connect(str(db_path)) as con:
        con.executemany(sql, [[r[c] for c in cols] for r in rows])


@pytest.fixture(scope="module")
def aggregated(_sandbox_server, tmp_path_factory):
    """Small sandbox -> raw; OMS orders inserted; one `dbt build`."""
    sandbox = _sandbox_server
    sandbox.control.reset(orders=40, dirt=False)
    work = tmp_path_factory.mktemp("dbt_oms")
    db_path = work / "warehouse.duckdb"
    land_boards(sandbox.url, sandbox.token, DuckDBWarehouse(db_path))
    sandbox.control.reset()  # leave the shared sandbox as the other modules expect it

    monday = _monday_orders(db_path)
    customers = _customers(db_path)
    a, b, c, d = monday[:4]
    # the customers a, b and c order for are known by number; pick others for the OMS-only orders
    spare = [cid for cid in customers if cid not in {o["customer_id"] for o in monday[:4]}]
    x, y = spare[0], spare[1]

    def agreeing(order, **kw):
        number, _ = customers[order["customer_id"]]
        return {
            "customer_number": number,
            "quantity": order["quantity"],
            "requested_date": order["requested_date"],
            "priority": order["priority"],
            **kw,
        }

    oms_rows = [
        _oms("9001", "WEB-0001", customer_number=customers[x][0].lower(), quantity=7.0,
             requested_date=dt.date(2026, 11, 20), priority="high"),
        _oms("9002", a["order_number"], **agreeing(a)),
        _oms("9003", b["order_number"], **agreeing(
            b, quantity=b["quantity"] + 5, requested_date=b["requested_date"] + dt.timedelta(days=3))),
        # '#so-100003' style: differs only by case and '#'; the quantity was quarantined (NULL)
        _oms("9004", "#" + c["order_number"].lower(), **agreeing(c, quantity=None)),
        _oms("9005", "WEB-0002", customer_number="CUST-99999", customer_email="nobody@nowhere.example",
             quantity=3.0, requested_date=dt.date(2026, 11, 21), priority="normal"),
        _oms("9006", "WEB-0003", customer_email="  " + customers[y][1].upper() + " ", quantity=4.0,
             requested_date=dt.date(2026, 11, 22), priority="low"),
        _oms("9007", "WEB-0004", customer_number=customers[x][0], quantity=5.0,
             requested_date=dt.date(2026, 11, 23), status="cancelled"),
        _oms("9008", "WEB-0005", customer_number=customers[x][0], quantity=6.0,
             requested_date=dt.date(2026, 11, 24), status="deleted"),
        # d's number twice on the OMS side (two systems): nothing pairs, all three are reported
        _oms("9009", d["order_number"], **agreeing(d)),
        _oms("77", d["order_number"], oms="woocommerce", **agreeing(d)),
    ]  # fmt: skip
    _insert_oms(db_path, oms_rows)

    result = _dbt(work, db_path, "build")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    picked = {"a": a, "b": b, "c": c, "d": d, "x": x, "y": y}
    return work, db_path, run_results(work), picked


def _master(db_path, where: str) -> list[tuple]:
    return _rows(db_path, f"select {MASTER_COLUMNS} from order_master where {where} order by order_id")


def test_the_build_passes_and_every_new_model_builds(aggregated):
    _, _, results, _ = aggregated
    bad = {uid: r["status"] for uid, r in results.items() if r["status"] not in ("success", "pass", "warn")}
    assert not bad
    built = {uid.split(".")[-1] for uid, r in results.items() if uid.startswith("model.")}
    assert {"stg_oms__orders", "int_customers__match_keys", "order_conflicts"} <= built


def test_oms_only_orders_appear_once_with_their_resolved_customer(aggregated):
    _, db_path, _, p = aggregated
    x, y = p["x"], p["y"]
    ids = (
        "('oms:shopify:9001', 'oms:shopify:9005', 'oms:shopify:9006', 'oms:shopify:9007', 'oms:shopify:9008')"
    )
    assert _master(db_path, f"order_id in {ids}") == [
        ("oms:shopify:9001", "oms", "shopify:9001", "oms:shopify:9001", None, "shopify:9001", "one_source",
         "WEB-0001", x, "customer_number", False, "open", "high", 7.0, dt.date(2026, 11, 20), True, True),
        # the unknown customer stays, visible: customer_id NULL, unmatched, still open
        ("oms:shopify:9005", "oms", "shopify:9005", "oms:shopify:9005", None, "shopify:9005", "one_source",
         "WEB-0002", None, "unmatched", True, "open", "normal", 3.0, dt.date(2026, 11, 21), True, True),
        # found by e-mail only (trimmed, case-insensitive)
        ("oms:shopify:9006", "oms", "shopify:9006", "oms:shopify:9006", None, "shopify:9006", "one_source",
         "WEB-0003", y, "email", False, "open", "low", 4.0, dt.date(2026, 11, 22), True, True),
        # cancelled: leaves the open set; deleted: neither open nor active
        ("oms:shopify:9007", "oms", "shopify:9007", "oms:shopify:9007", None, "shopify:9007", "one_source",
         "WEB-0004", x, "customer_number", False, "cancelled", None, 5.0, dt.date(2026, 11, 23), True, False),
        ("oms:shopify:9008", "oms", "shopify:9008", "oms:shopify:9008", None, "shopify:9008", "one_source",
         "WEB-0005", x, "customer_number", False, "deleted", None, 6.0, dt.date(2026, 11, 24), False, False),
    ]  # fmt: skip
    unknown = _rows(db_path, "select oms_customer_number, oms_customer_email from order_master "
                    "where order_id = 'oms:shopify:9005'")  # fmt: skip
    assert unknown == [("CUST-99999", "nobody@nowhere.example")]


def test_an_order_in_both_systems_is_one_row_with_the_configured_winner_per_field(aggregated):
    _, db_path, _, p = aggregated
    a, b, c = p["a"], p["b"], p["c"]
    rows = _master(db_path, f"monday_source_id in ('{a['item_id']}', '{b['item_id']}', '{c['item_id']}')")

    def both(order, oms_id, quantity, requested):
        item = order["item_id"]
        return (
            f"monday:{item}", "both", item, f"monday:{item}|oms:shopify:{oms_id}", item, f"shopify:{oms_id}",
            "matched", order["order_number"], order["customer_id"], "board", False, "open", order["priority"],
            quantity, requested, True, True,
        )  # fmt: skip

    expected = [
        both(a, "9002", a["quantity"], a["requested_date"]),
        # the OMS wins quantity, Monday the requested date
        both(b, "9003", b["quantity"] + 5, b["requested_date"]),
        # '#so-…' matched 'SO-…'; the OMS quantity is NULL, so Monday's is taken
        both(c, "9004", c["quantity"], c["requested_date"]),
    ]
    assert rows == sorted(expected)
    for order in (a, b, c):  # and no separate OMS row for them
        assert _rows(db_path, "select count(*) from order_master where order_number_key = ?",
                     (order["order_number"].upper(),)) == [(1,)]  # fmt: skip


def test_a_number_held_twice_on_one_side_pairs_nothing_and_is_reported(aggregated):
    _, db_path, _, p = aggregated
    d = p["d"]
    rows = _rows(
        db_path,
        "select order_id, source, match_status from order_master where order_number_key = ? "
        "order by order_id",
        (d["order_number"].upper(),),
    )
    assert rows == [
        (f"monday:{d['item_id']}", "monday", "ambiguous"),
        ("oms:shopify:9009", "oms", "ambiguous"),
        ("oms:woocommerce:77", "oms", "ambiguous"),
    ]


def test_order_conflicts_lists_every_disagreement_with_its_winner(aggregated):
    _, db_path, _, p = aggregated
    b, d = p["b"], p["d"]
    rows = _rows(
        db_path,
        "select order_id, order_number, field, monday_value, oms_value, winner, won_value "
        "from order_conflicts order by order_id, field",
    )
    b_id = f"monday:{b['item_id']}"
    q_m, q_o = str(b["quantity"]), str(b["quantity"] + 5)
    r_m, r_o = b["requested_date"].isoformat(), (b["requested_date"] + dt.timedelta(days=3)).isoformat()
    number = d["order_number"]
    assert rows == sorted(
        [
            (b_id, b["order_number"], "quantity", q_m, q_o, "oms", q_o),
            (b_id, b["order_number"], "requested_date", r_m, r_o, "monday", r_m),
            (f"monday:{d['item_id']}", number, "duplicate_order_number", "1", "2", "none", None),
            ("oms:shopify:9009", number, "duplicate_order_number", "1", "2", "none", None),
            ("oms:woocommerce:77", number, "duplicate_order_number", "1", "2", "none", None),
        ]
    )


def test_the_warn_checks_count_conflicts_and_open_unknown_customers(aggregated):
    _, db_path, results, _ = aggregated
    by_name = {uid.split(".")[2]: r for uid, r in results.items() if uid.startswith("test.")}
    conflicts = by_name["order_conflicts_none"]
    assert (conflicts["status"], conflicts["failures"]) == ("warn", 5)
    unknown = by_name["open_orders_unknown_customer"]
    expected = _rows(db_path, "select count(*) from order_master where is_open and is_unknown_customer")[0][0]
    assert (unknown["status"], unknown["failures"]) == ("warn", expected)
    assert _rows(
        db_path,
        "select order_id from order_master where is_open and is_unknown_customer and source <> 'monday'",
    ) == [("oms:shopify:9005",)]


def test_the_oms_source_feeds_staging_from_the_oms_orders_asset(aggregated):
    import dagster as dg

    from customer_master.defs.dbt.translator import CustomerMasterTranslator

    work, _, _, _ = aggregated
    manifest = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    spec = CustomerMasterTranslator().get_asset_spec(manifest, "model.customer_master.stg_oms__orders", None)
    assert {dep.asset_key for dep in spec.deps} == {dg.AssetKey(["oms", "orders"])}


def test_overriding_the_precedence_var_flips_the_winner(aggregated, tmp_path):
    _, db_path, _, p = aggregated
    b = p["b"]
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(db_path, copy)
    flipped = {**DEFAULT_PRECEDENCE, "quantity": "monday", "requested_date": "oms"}
    result = _dbt(tmp_path, copy, "run", "--select", "order_master", "order_conflicts",
                  "--vars", json.dumps({"order_precedence": flipped}))  # fmt: skip
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    b_id = f"monday:{b['item_id']}"
    moved = b["requested_date"] + dt.timedelta(days=3)
    assert _rows(copy, "select quantity, requested_date from order_master where order_id = ?", (b_id,)) == [
        (b["quantity"], moved)
    ]
    winners = _rows(
        copy, "select field, winner from order_conflicts where order_id = ? order by field", (b_id,)
    )
    assert winners == [("quantity", "monday"), ("requested_date", "oms")]
