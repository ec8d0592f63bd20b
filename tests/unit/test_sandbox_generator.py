"""The sandbox's deterministic workspace generator (pure: no server, no I/O)."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib

import pytest
from graphql import GraphQLObjectType

from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, WorkspaceSpec, generate_workspace
from customer_master.sandbox.engine import load_schema
from customer_master.sandbox.model import STATE_ACTIVE, STATE_ARCHIVED, STATE_DELETED
from customer_master.sandbox.values import SPECS, full_renderer, graphql_type_for, render_full

DAY = 86400


def digest(ws) -> str:
    h = hashlib.sha256()
    for board_id in sorted(ws.boards):
        board = ws.boards[board_id]
        h.update(repr([(c.id, c.title, c.type, c.settings_str) for c in board.columns]).encode())
        h.update(repr([(g.id, g.title, g.color, g.position) for g in board.groups]).encode())
        for it in board.items:
            h.update(repr((it.id, it.name, it.state, it.group_id, it.created, it.updated, it.cells)).encode())
    return h.hexdigest()


def cell(board, item, role):
    col = board.columns_by_id[COLUMN_IDS[board.key][role]]
    return item.cell(col.slot)


@pytest.fixture(scope="module")
def ws():
    return generate_workspace(WorkspaceSpec(orders=3000))


def test_same_spec_generates_the_same_workspace():
    assert digest(generate_workspace(WorkspaceSpec(orders=400))) == digest(
        generate_workspace(WorkspaceSpec(orders=400))
    )


def test_another_seed_generates_different_data_with_the_same_column_ids():
    a = generate_workspace(WorkspaceSpec(orders=400, seed=1))
    b = generate_workspace(WorkspaceSpec(orders=400, seed=2))
    assert digest(a) != digest(b)
    for key, board_id in BOARD_IDS.items():
        assert [c.id for c in a.boards[board_id].columns] == list(COLUMN_IDS[key].values())
        assert [c.id for c in b.boards[board_id].columns] == list(COLUMN_IDS[key].values())


def test_changing_the_order_count_does_not_reshuffle_customers():
    small = generate_workspace(WorkspaceSpec(orders=100, customers=30))
    large = generate_workspace(WorkspaceSpec(orders=900, customers=30))
    key = BOARD_IDS["customers"]
    assert [(i.id, i.name, i.cells) for i in small.boards[key].items] == [
        (i.id, i.name, i.cells) for i in large.boards[key].items
    ]


@pytest.mark.parametrize(
    ("orders", "customers", "expected_customers"),
    [(50, None, 20), (2000, None, 80), (100_000, None, 4000), (500, 7, 7)],
)
def test_sizes_scale_with_the_spec(orders, customers, expected_customers):
    ws = generate_workspace(WorkspaceSpec(orders=orders, customers=customers, resources=3, capacity_days=30))
    assert len(ws.boards[BOARD_IDS["orders"]].items) == orders
    assert len(ws.boards[BOARD_IDS["customers"]].items) == expected_customers
    assert len(ws.boards[BOARD_IDS["capacity"]].items) == 3 * 30
    assert len(ws.items_by_id) == orders + expected_customers + 90
    ids = ws.boards[BOARD_IDS["orders"]].item_ids
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_derived_customer_count_is_capped():
    assert WorkspaceSpec(orders=1_000_000).customer_count == 5000


def test_invalid_specs_are_rejected():
    with pytest.raises(ValueError):
        WorkspaceSpec(resources=0)
    with pytest.raises(ValueError):
        WorkspaceSpec(orders=-1)
    assert WorkspaceSpec(as_of="2026-01-15").as_of == dt.date(2026, 1, 15)


def test_timestamps_spread_over_the_120_days_before_as_of(ws):
    as_of = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())
    for board in ws.boards.values():
        updated = [it.updated for it in board.items]
        assert all(as_of - 121 * DAY <= u < as_of for u in updated)
        assert all(it.created <= it.updated for it in board.items)
    orders = ws.boards[BOARD_IDS["orders"]].items
    recent = sum(1 for it in orders if it.updated >= as_of - 7 * DAY) / len(orders)
    assert 0.1 < recent < 0.7, "__last_updated__ filters must select a real subset"
    board = ws.boards[BOARD_IDS["orders"]]
    offsets = []
    for it in orders:
        req = cell(board, it, "requested_date")
        if req is not None:
            day = req[0] if isinstance(req, tuple) else req
            offsets.append((dt.date.fromisoformat(day) - dt.date(2026, 11, 1)).days)
    assert min(offsets) >= -120 and max(offsets) <= 60
    assert min(offsets) < -100 and max(offsets) > 50


def test_orders_reference_customers_and_use_realistic_priorities(ws):
    orders = ws.boards[BOARD_IDS["orders"]]
    customer_ids = set(ws.boards[BOARD_IDS["customers"]].item_ids)
    relations = [cell(orders, it, "customer") for it in orders.items]
    assert all(set(r) <= customer_ids for r in relations if r)
    priorities = collections.Counter(cell(orders, it, "priority") for it in orders.items)
    labels = dict(orders.columns_by_id[COLUMN_IDS["orders"]["priority"]].labels)
    share = {labels[i]: n / len(orders.items) for i, n in priorities.items()}
    assert share["Normal"] > share["High"] > share["Rush"] > 0.01 and share["Low"] > 0.05


def test_capacity_has_one_item_per_line_and_day_with_maintenance_days(ws):
    board = ws.boards[BOARD_IDS["capacity"]]
    keys = [(cell(board, it, "line"), cell(board, it, "date")) for it in board.items]
    assert len(keys) == len(set(keys)) == 5 * 120
    maintenance = collections.Counter(
        cell(board, it, "line") for it in board.items if cell(board, it, "maintenance")
    )
    assert set(maintenance) == set(range(5)) and all(1 <= n <= 6 for n in maintenance.values())
    sundays = [it for it in board.items if dt.date.fromisoformat(cell(board, it, "date")).weekday() == 6]
    assert all(cell(board, it, "capacity_units") == "0" for it in sundays)


def test_dirt_is_present_by_default(ws):
    customers = ws.boards[BOARD_IDS["customers"]]
    orders = ws.boards[BOARD_IDS["orders"]]
    assert any(it.name == "" for it in customers.items)
    assert any(it.name == "" for it in orders.items)
    emails = [cell(customers, it, "email") for it in customers.items]
    assert any(e in ("john.doe@", "n/a") for e in emails)
    assert any(cell(customers, it, "delivery_days") is None for it in customers.items)
    quantities = [cell(orders, it, "quantity") for it in orders.items]
    assert "0" in quantities and any(q and q.startswith("-") for q in quantities)
    numbers = [cell(orders, it, "order_number") for it in orders.items]
    assert len(set(numbers)) < len(numbers), "duplicate order numbers"
    assert any(isinstance(cell(orders, it, "requested_date"), tuple) for it in orders.items)
    for board in (customers, orders):
        states = collections.Counter(it.state for it in board.items)
        assert states[STATE_ARCHIVED] >= 1 and states[STATE_DELETED] >= 1
        assert states[STATE_ACTIVE] > 0.95 * len(board.items)


def test_clean_workspace_has_no_dirt():
    ws = generate_workspace(WorkspaceSpec(orders=3000, dirt=False))
    customers = ws.boards[BOARD_IDS["customers"]]
    orders = ws.boards[BOARD_IDS["orders"]]
    assert all(it.name for b in ws.boards.values() for it in b.items)
    assert all(it.state == STATE_ACTIVE for b in ws.boards.values() for it in b.items)
    assert all("@" in (cell(customers, it, "email") or "@") for it in customers.items)
    assert all(cell(customers, it, "delivery_days") for it in customers.items)
    quantities = [float(q) for q in (cell(orders, it, "quantity") for it in orders.items)]
    assert min(quantities) > 0
    numbers = [cell(orders, it, "order_number") for it in orders.items]
    assert len(set(numbers)) == len(numbers)
    assert all(cell(orders, it, "customer") for it in orders.items)


def test_every_column_value_type_renders_exactly_its_schema_fields(ws):
    """SPECS (one description per type) must cover schema.graphql's typed ColumnValue fields."""
    schema = load_schema()
    for col_type, spec in SPECS.items():
        gql_type = schema.type_map[spec.typename]
        assert isinstance(gql_type, GraphQLObjectType)
        assert graphql_type_for(col_type) == spec.typename
        expected = set(gql_type.fields) - {"column"}
        rendered = full_renderer(col_type)
        assert set(spec.fields) | {"id", "type"} == expected, col_type
        assert set(spec.empty) | {"id", "type"} == expected, col_type
        assert rendered.__name__ == "render"


def test_rendered_values_are_json_strings_in_mondays_shapes(ws):
    orders = ws.boards[BOARD_IDS["orders"]]
    item = next(
        it for it in orders.items if cell(orders, it, "rush_approved") and cell(orders, it, "quantity")
    )
    by_role = {
        role: render_full(
            orders.columns_by_id[cid], item.cell(orders.columns_by_id[cid].slot), item.updated, ws
        )
        for role, cid in COLUMN_IDS["orders"].items()
        if role != "name"
    }
    assert by_role["quantity"]["value"] == f'"{by_role["quantity"]["text"]}"'
    assert by_role["order_number"]["value"] == f'"{by_role["order_number"]["text"]}"'
    assert by_role["rush_approved"]["value"].startswith('{"checked":"true","changed_at":"')
    assert by_role["rush_approved"]["text"] == "v"
    assert by_role["customer"]["value"] is None and by_role["customer"]["text"] is None
    assert by_role["status"]["value"] == f'{{"index":{by_role["status"]["index"]}}}'
    assert by_role["product"]["value"].startswith('{"ids":[')


def test_only_delivered_orders_have_a_delivered_date_on_or_after_the_requested_day(ws):
    orders = ws.boards[BOARD_IDS["orders"]]
    column = orders.columns[-1]
    assert (column.id, column.title, column.type) == (
        COLUMN_IDS["orders"]["delivered_date"],
        "Delivered on",
        "date",
    )
    labels = dict(orders.columns_by_id[COLUMN_IDS["orders"]["status"]].labels)
    as_of = dt.date(2026, 11, 1)
    late = on_day = 0
    for item in orders.items:
        delivered = cell(orders, item, "delivered_date")
        if labels[cell(orders, item, "status")] != "Delivered":
            assert delivered is None
            continue
        day = dt.date.fromisoformat(delivered)
        assert day <= as_of
        requested = cell(orders, item, "requested_date")
        if requested is None:
            continue
        requested = dt.date.fromisoformat(requested[0] if isinstance(requested, tuple) else requested)
        assert 0 <= (day - requested).days <= 3 or day == as_of
        late += day > requested
        on_day += day == requested
    assert on_day > 0 and 0.04 < late / (late + on_day) < 0.15  # about 1 in 12 late
