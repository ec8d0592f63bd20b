"""The sandbox's deterministic workspace generator (pure: no server, no I/O)."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import re

import pytest
from graphql import GraphQLObjectType

from customer_master.sandbox import (
    ACCOUNT_BOARD_IDS,
    ACCOUNT_COLUMN_IDS,
    ACCOUNTS,
    BOARD_IDS,
    COLUMN_IDS,
    WorkspaceSpec,
    generate_workspace,
)
from customer_master.sandbox.engine import load_schema
from customer_master.sandbox.model import STATE_ACTIVE, STATE_ARCHIVED, STATE_DELETED
from customer_master.sandbox.oms.data import OmsSpec, OmsStore
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
    column = orders.columns_by_id[COLUMN_IDS["orders"]["delivered_date"]]
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


# --------------------------------------------------------------------------- account profiles

NW_BOARDS = ACCOUNT_BOARD_IDS["northwind"]
NW_COLUMNS = ACCOUNT_COLUMN_IDS["northwind"]


def nw_cell(board, item, role):
    col = board.columns_by_id[NW_COLUMNS[board.key][role]]
    return item.cell(col.slot)


def labels_of(board, role) -> set[str]:
    col = board.columns_by_id[NW_COLUMNS[board.key][role]]
    settings = json.loads(col.settings_str)["labels"]
    return set(settings.values()) if isinstance(settings, dict) else {x["name"] for x in settings}


@pytest.fixture(scope="module")
def pair():
    """The same spec generated as the sandbox account and as the northwind account."""
    spec = WorkspaceSpec(orders=3000)
    return generate_workspace(spec), generate_workspace(spec.with_changes(account="northwind"))


def test_the_sandbox_account_is_the_default_and_unknown_accounts_are_rejected():
    assert WorkspaceSpec().account == "sandbox" and ACCOUNTS == ("sandbox", "northwind")
    assert ACCOUNT_BOARD_IDS["sandbox"] == BOARD_IDS and ACCOUNT_COLUMN_IDS["sandbox"] == COLUMN_IDS
    assert digest(generate_workspace(WorkspaceSpec(orders=300, account="sandbox"))) == digest(
        generate_workspace(WorkspaceSpec(orders=300))
    )
    with pytest.raises(ValueError, match="unknown account 'acme'; one of sandbox, northwind"):
        WorkspaceSpec(account="acme")


def test_northwind_is_deterministic_and_seeded():
    spec = WorkspaceSpec(orders=400, account="northwind")
    assert digest(generate_workspace(spec)) == digest(generate_workspace(spec))
    assert digest(generate_workspace(spec)) != digest(generate_workspace(spec.with_changes(seed=2)))


def test_northwind_boards_have_their_own_ids_names_titles_and_types(pair):
    _, nw = pair
    assert [(b.id, b.name, b.workspace_id) for b in nw.boards.values()] == [
        ("4410000101", "Accounts", "3310042"),
        ("4410000202", "Sales orders", "3310042"),
        ("4410000303", "Line capacity", "3310042"),
    ]
    assert NW_BOARDS == {"customers": "4410000101", "orders": "4410000202", "capacity": "4410000303"}
    shape = {b.key: [(c.id, c.title, c.type) for c in b.columns] for b in nw.boards.values()}
    assert shape == {
        "customers": [
            ("name", "Account", "name"),
            ("status_1", "Account status", "status"),
            ("person", "Owner", "people"),
            ("email0", "E-mail", "email"),
            ("phone_2", "Tel.", "phone"),
            ("location", "Site", "location"),
            ("dropdown4", "Territory", "dropdown"),
            ("dropdown7", "Delivery days", "dropdown"),
            ("hour_from", "Deliver from", "hour"),
            ("hour_to", "Deliver until", "hour"),
            ("long_text", "Remarks", "long_text"),
            ("date", "Customer since", "date"),
        ],
        "orders": [
            ("name", "PO number", "name"),
            ("connect_boards8", "Account", "board_relation"),
            ("dropdown0", "Item", "dropdown"),
            ("numbers3", "Qty", "numbers"),
            ("status", "Stage", "status"),
            ("status_19", "Urgency", "status"),
            ("date4", "Due date", "date"),
            ("date_1", "Delivered", "date"),
        ],
        "capacity": [
            ("name", "Line day", "name"),
            ("dropdown_line", "Resource", "dropdown"),
            ("date_day", "Day", "date"),
            ("numbers_cap", "Units available", "numbers"),
            ("numbers_ot", "Overtime", "numbers"),
            ("check_maint", "Down for maintenance", "checkbox"),
        ],
    }
    for key, board_id in NW_BOARDS.items():
        assert [c.id for c in nw.boards[board_id].columns] == list(NW_COLUMNS[key].values())
    # No tier, customer-number, order-number, promised-date, production-window or rush-approved column.
    assert not {
        "tier",
        "customer_number",
        "order_number",
        "promised_date",
        "production_window",
        "rush_approved",
    } & {role for roles in NW_COLUMNS.values() for role in roles}


def test_sandbox_customers_carry_the_oms_emulators_customer_numbers_and_northwind_has_none(pair):
    sandbox, nw = pair
    board = sandbox.boards[BOARD_IDS["customers"]]
    column = board.columns_by_id[COLUMN_IDS["customers"]["customer_number"]]
    assert (column.id, column.title, column.type) == ("text_mkq1cn7q", "Customer No.", "text")
    numbers = {item.id: cell(board, item, "customer_number") for item in board.items}
    # The OMS emulator beside the same workspace knows every board customer by the same number.
    store = OmsStore(OmsSpec.for_workspace(sandbox.spec), "shopify")
    oms = {c.monday_item_id: c.number for c in store.customers if c.monday_item_id is not None}
    assert numbers == oms
    assert numbers[board.items[0].id] == "CUST-00001" and len(set(numbers.values())) == len(numbers)
    assert {item.state for item in board.items} >= {STATE_ARCHIVED, STATE_DELETED}  # they keep theirs
    # northwind has no such column: its customers are found by e-mail only.
    customers = nw.boards[NW_BOARDS["customers"]]
    assert not any(c.title == "Customer No." for c in customers.columns)
    assert not any(isinstance(v, str) and v.startswith("CUST-") for i in customers.items for v in i.cells)


def test_northwind_labels(pair):
    _, nw = pair
    customers, orders, capacity = (nw.boards[NW_BOARDS[k]] for k in ("customers", "orders", "capacity"))
    assert labels_of(customers, "status") == {"Active", "Churned", "On hold", "Prospect", "Inactive"}
    assert labels_of(orders, "status") == {"Open", "Confirmed", "Picking", "Done", "Canceled"}
    assert labels_of(orders, "priority") == {"Critical", "High", "Medium", "Low"}
    days = customers.columns_by_id[NW_COLUMNS["customers"]["delivery_days"]]
    assert [label for _, label in sorted(days.labels.items())] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    assert labels_of(capacity, "line") == {f"Line {i}" for i in range(1, 6)}
    relation = orders.columns_by_id[NW_COLUMNS["orders"]["customer"]]
    assert json.loads(relation.settings_str)["boardIds"] == [4410000101]


def test_northwind_customers_are_the_sandbox_customers_with_several_inactive_labels(pair):
    sandbox, nw = pair
    old, new = sandbox.boards[BOARD_IDS["customers"]], nw.boards[NW_BOARDS["customers"]]
    assert [(i.id, i.name, i.state, i.created, i.updated) for i in old.items] == [
        (i.id, i.name, i.state, i.created, i.updated) for i in new.items
    ]
    new_labels = new.columns_by_id["status_1"].labels
    old_labels = old.columns_by_id[COLUMN_IDS["customers"]["status"]].labels
    moves = collections.Counter(
        (old_labels[cell(old, a, "status")], new_labels[nw_cell(new, b, "status")])
        for a, b in zip(old.items, new.items, strict=True)
    )
    assert {after for before, after in moves if before == "Inactive"} == {
        "Churned",
        "On hold",
        "Prospect",
        "Inactive",
    }
    assert moves[("Active", "Prospect")] > 0
    assert moves[("Active", "Active")] > 0.8 * sum(
        n for (before, _), n in moves.items() if before == "Active"
    )
    for role in (
        "email",
        "phone",
        "address",
        "region",
        "delivery_days",
        "account_manager",
        "notes",
        "onboarded",
    ):
        assert [cell(old, i, role) for i in old.items] == [nw_cell(new, i, role) for i in new.items], role
    assert all(i.group_id == ("topics" if nw_cell(new, i, "status") == 1 else "new_group") for i in new.items)


def test_a_small_northwind_workspace_still_has_every_customer_status():
    nw = generate_workspace(WorkspaceSpec(account="northwind"))  # 20 customers
    board = nw.boards[NW_BOARDS["customers"]]
    labels = board.columns_by_id["status_1"].labels
    seen = collections.Counter(labels[nw_cell(board, i, "status")] for i in board.items)
    assert set(seen) == {"Active", "Churned", "On hold", "Prospect", "Inactive"}
    assert seen["Active"] > len(board.items) / 2


def test_northwind_delivery_window_is_split_into_two_hour_columns(pair):
    sandbox, nw = pair
    old, new = sandbox.boards[BOARD_IDS["customers"]], nw.boards[NW_BOARDS["customers"]]
    seen = collections.Counter()
    for a, b in zip(old.items, new.items, strict=True):
        text = cell(old, a, "delivery_window")
        start, end = nw_cell(new, b, "delivery_window_start"), nw_cell(new, b, "delivery_window_end")
        if text is None or text.strip() in ("mornings", "ASAP"):
            assert start is None and end is None, text
            seen["blank" if text is None else "dirt"] += 1
        else:
            assert f"{start[0]:02d}:{start[1]:02d}-{end[0]:02d}:{end[1]:02d}" == (
                "08:00-12:00" if text.strip() in ("8-12", "08:00 - 12:00") else text
            )
            seen["reversed" if start > end else "window"] += 1
    assert seen["blank"] and seen["window"] and seen["dirt"]
    assert seen["reversed"], "the sandbox's 12:00-08:00 dirt stays a reversed window"
    # Rendered as Monday renders an hour column.
    item = next(i for i in new.items if nw_cell(new, i, "delivery_window_start") == (8, 0))
    col = new.columns_by_id["hour_from"]
    rendered = render_full(col, item.cell(col.slot), item.updated, nw)
    assert rendered["text"] == "08:00" and (rendered["hour"], rendered["minute"]) == (8, 0)
    assert rendered["value"].startswith('{"hour":8,"minute":0,"changed_at":"')
    empty = next(i for i in new.items if nw_cell(new, i, "delivery_window_start") is None)
    assert render_full(col, None, empty.updated, nw)["text"] == ""


def test_northwind_orders_carry_the_order_number_as_item_name(pair):
    sandbox, nw = pair
    old, new = sandbox.boards[BOARD_IDS["orders"]], nw.boards[NW_BOARDS["orders"]]
    customer_ids = set(nw.boards[NW_BOARDS["customers"]].item_ids)
    status = {"New": "Open", "Confirmed": "Confirmed", "In production": "Picking", "Shipped": "Picking"}
    status |= {"Delivered": "Done", "Cancelled": "Canceled"}
    urgency = {"Rush": "Critical", "High": "High", "Normal": "Medium", "Low": "Low"}
    old_status = old.columns_by_id[COLUMN_IDS["orders"]["status"]].labels
    old_priority = old.columns_by_id[COLUMN_IDS["orders"]["priority"]].labels
    new_status = new.columns_by_id["status"].labels
    new_priority = new.columns_by_id["status_19"].labels
    for a, b in zip(old.items, new.items, strict=True):
        assert (a.id, a.state, a.updated) == (b.id, b.state, b.updated) and b.board_id == NW_BOARDS["orders"]
        number = cell(old, a, "order_number")
        assert b.name == ("" if a.name == "" else f"PO-{int(number[3:]) - 90000}")
        assert new_status[nw_cell(new, b, "status")] == status[old_status[cell(old, a, "status")]]
        assert new_priority[nw_cell(new, b, "priority")] == urgency[old_priority[cell(old, a, "priority")]]
        for role in ("customer", "product", "quantity", "requested_date", "delivered_date"):
            assert nw_cell(new, b, role) == cell(old, a, role), role
        assert set(nw_cell(new, b, "customer") or ()) <= customer_ids
    names = [i.name for i in new.items if i.name]
    assert re.fullmatch(r"PO-1\d{4}", names[0]) and len(set(names)) < len(names), "duplicates stay"
    assert any(i.name == "" for i in new.items)


def test_northwind_capacity_has_a_line_dropdown_and_line_day_names(pair):
    sandbox, nw = pair
    old, new = sandbox.boards[BOARD_IDS["capacity"]], nw.boards[NW_BOARDS["capacity"]]
    for a, b in zip(old.items, new.items, strict=True):
        line = cell(old, a, "line")
        assert nw_cell(new, b, "line") == (line + 1,)
        assert b.name == f"L{line + 1} {cell(old, a, 'date')}"
        for role in ("date", "capacity_units", "overtime_units", "maintenance"):
            assert nw_cell(new, b, role) == cell(old, a, role), role
    assert new.items[0].name == "L1 2026-09-02"
    assert nw.items_by_id == {i.id: i for b in nw.boards.values() for i in b.items}


# --------------------------------------------------------------------------- directory


@pytest.mark.parametrize("account", ACCOUNTS)
def test_the_directory_is_derived_from_the_generated_account(account):
    """Users, teams, tags, workspaces and updates (directory.py) follow from the spec alone and
    reference the account's own people, boards and items."""
    spec = WorkspaceSpec(orders=600, account=account)
    ws = generate_workspace(spec)
    d = ws.directory
    again = generate_workspace(spec).directory
    assert (d.users, d.teams, d.tags, d.workspaces, d.updates) == (
        again.users,
        again.teams,
        again.tags,
        again.workspaces,
        again.updates,
    )
    other_seed = generate_workspace(spec.with_changes(seed=7)).directory
    assert [u.created for u in other_seed.updates] != [u.created for u in d.updates]

    user_ids = {u["id"] for u in d.users}
    people_cols = [(b, c) for b in ws.boards.values() for c in b.value_columns if c.type == "people"]
    referenced = {str(p) for b, c in people_cols for it in b.items for p in (it.cell(c.slot) or ())}
    assert referenced and referenced <= user_ids
    assert {w["id"] for w in d.workspaces} == {b.workspace_id for b in ws.boards.values()}
    assert set(d.board_owners) == set(ws.boards) and set(d.board_owners.values()) <= user_ids
    assert all(set(members) <= user_ids for members in d.team_members.values())

    assert len({u.id for u in d.updates}) == len(d.updates)
    by_created = sorted(d.updates, key=lambda u: (u.created, u.id))
    assert [u.id for u in by_created] == sorted(u.id for u in d.updates), "ids grow with time"
    for update in d.updates:
        item = ws.items_by_id[update.item_id]
        assert item.created <= update.created <= item.updated and update.updated >= update.created
        assert update.board_id == item.board_id and str(update.creator_id) in user_ids
    for board in ws.boards.values():
        with_updates = sum(1 for it in board.items if it.id in d.updates_by_item)
        assert 0 < with_updates < len(board.items) // 3, board.key
