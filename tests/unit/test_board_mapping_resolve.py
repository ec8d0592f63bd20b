"""Resolving a mapping against a board's columns, the assistant's matching, and the sample projection."""

from __future__ import annotations

import orjson
import pytest
import yaml

from customer_master.board_mapping import DEFAULT_MAPPING_PATH, load_board_mapping, parse_board_mapping
from customer_master.board_mapping.discover import (
    classify_labels,
    propose,
    propose_entity,
    render_yaml,
    title_similarity,
)
from customer_master.board_mapping.resolve import column_labels, find_column, resolve_entity
from customer_master.board_mapping.samples import field_values, time_of_day
from customer_master.monday.models import Board, Column, ItemPage
from customer_master.sandbox import COLUMN_IDS, WorkspaceSpec, generate_workspace


def _status(cid: str, title: str, labels: list[str]) -> Column:
    settings = {"labels": {str(i): label for i, label in enumerate(labels)}}
    return Column(id=cid, title=title, type="status", settings_str=orjson.dumps(settings).decode())


def _sandbox_orders_columns() -> list[Column]:
    ids = COLUMN_IDS["orders"]
    return [
        Column(id="name", title="Order", type="name"),
        Column(id=ids["order_number"], title="Order number", type="text"),
        Column(id=ids["customer"], title="Customer", type="board_relation"),
        _status(
            "status", "Status", ["New", "Delivered", "Cancelled", "Confirmed", "In production", "Shipped"]
        ),
        _status(ids["priority"], "Priority", ["High", "Low", "Rush", "Normal"]),
        Column(id=ids["quantity"], title="Quantity", type="numbers"),
        Column(id=ids["requested_date"], title="Requested date", type="date"),
        Column(id=ids["promised_date"], title="Promised date", type="date"),
        Column(id=ids["product"], title="Product", type="dropdown"),
        Column(id=ids["production_window"], title="Production window", type="timeline"),
        Column(id=ids["rush_approved"], title="Rush approved", type="checkbox"),
        Column(id=ids["delivered_date"], title="Delivered on", type="date"),
    ]


def test_find_column_prefers_the_id_then_the_title_case_insensitively_then_nothing():
    cols = [Column(id="a", title="Qty", type="numbers"), Column(id="c", title=" qty ", type="numbers")]
    assert find_column(cols, "a", "whatever") == (cols[0], "id")
    assert find_column(cols, "gone", "QTY") == (cols[0], "title")  # lowest id of those sharing the title
    assert find_column(cols, "gone", "Amount") == (None, "missing")
    archived = [Column(id="a", title="Qty", type="numbers", archived=True)]
    assert find_column(archived, "a", "Qty") == (None, "missing")


def test_the_sandbox_mapping_resolves_every_field_by_id_without_findings():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    r = resolve_entity(mapping, "orders", _sandbox_orders_columns())
    assert r.all_errors == [] and r.all_warnings == []
    assert {f.field: f.resolved_by for f in r.fields} == {f: "id" for f in mapping.entities["orders"].fields}


def test_a_renamed_column_is_found_by_title_and_a_lost_required_one_is_an_error_naming_the_line():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    cols = _sandbox_orders_columns()
    qty = COLUMN_IDS["orders"]["quantity"]
    moved = [c if c.id != qty else Column(id="numeric_new", title="Quantity", type="numbers") for c in cols]
    assert resolve_entity(mapping, "orders", moved).field("quantity").column_id == "numeric_new"
    gone = [c for c in cols if c.id != qty]
    r = resolve_entity(mapping, "orders", gone, board_name="Orders")
    (error,) = r.all_errors
    assert error.startswith(
        f"orders.quantity (board_mapping.yml line {mapping.line_of('orders', 'quantity')})"
    )
    assert f"column '{qty}' (title 'Quantity') is not on board 7000000002 'Orders'" in error
    assert "the board has no column of a fitting type" in error


def test_a_lost_optional_column_only_warns_and_the_field_stays_empty():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    cols = [c for c in _sandbox_orders_columns() if c.id != COLUMN_IDS["orders"]["promised_date"]]
    r = resolve_entity(mapping, "orders", cols)
    assert r.all_errors == []
    (warning,) = r.all_warnings
    assert "orders.promised_date" in warning and "the field stays empty" in warning
    assert "columns of a fitting type:" in warning and COLUMN_IDS["orders"]["requested_date"] in warning


def test_a_kind_that_reads_nothing_from_the_column_type_is_an_error_for_a_required_field():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    cols = [
        c if c.id != COLUMN_IDS["orders"]["quantity"] else Column(id=c.id, title=c.title, type="text")
        for c in _sandbox_orders_columns()
    ]
    (error,) = resolve_entity(mapping, "orders", cols).all_errors
    assert "kind 'number' reads nothing from column" in error and "(text)" in error


def test_unclassified_labels_warn_with_what_they_will_mean():
    text = DEFAULT_MAPPING_PATH.read_text(encoding="utf-8")
    mapping = parse_board_mapping(text, "board_mapping.yml")
    cols = [
        _status("status", "Status", ["Active", "Inactive", "Churned"]) if c.id == "status" else c
        for c in [Column(id="status", title="Status", type="status")]
    ]
    r = resolve_entity(mapping, "customers", cols)
    assert any("'Churned'" in w and "those customers count as active" in w for w in r.all_warnings)


def test_column_labels_read_status_and_dropdown_settings():
    assert column_labels(_status("s", "S", ["A", "B"])) == ["A", "B"]
    dropdown = Column(id="d", title="D", type="dropdown", settings_str='{"labels":[{"id":1,"name":"Mon"}]}')
    assert column_labels(dropdown) == ["Mon"]
    assert column_labels(Column(id="x", title="X", type="text", settings_str="not json")) == []


def test_title_similarity_matches_words_and_refuses_short_hints_inside_longer_titles():
    assert title_similarity("Qty", ["qty"])[0] == 1.0
    assert title_similarity("Due date", ["due date", "requested date"]) == (1.0, "due date")
    assert title_similarity("Ship to", ["to"])[0] == 0.0
    assert title_similarity("PO", ["po"])[0] == 1.0


def test_labels_are_sorted_into_value_sets_by_their_wording():
    sets, rest = classify_labels("customers", "status", ["Active", "Churned", "On hold", "Prospect", "VIP"])
    assert sets == {"active": ["Active"], "inactive": ["Churned", "On hold", "Prospect"]} and rest == ["VIP"]
    sets, _ = classify_labels("orders", "priority", ["Critical", "High", "Medium", "Low"])
    assert sets == {"rush": ["Critical"], "high": ["High"], "normal": ["Medium"], "low": ["Low"]}
    sets, _ = classify_labels("orders", "status", ["Open", "Done", "Canceled", "Working on it"])
    assert sets == {"open": ["Open", "Working on it"], "delivered": ["Done"], "cancelled": ["Canceled"]}


def test_the_assistant_proposes_the_sandbox_mapping_from_its_own_columns():
    board = Board(id="7000000002", name="Orders", columns=tuple(_sandbox_orders_columns()))
    proposals = {p.field: p for p in propose_entity("orders", board)}
    committed = load_board_mapping(DEFAULT_MAPPING_PATH).entities["orders"].fields
    for name, f in committed.items():
        chosen = proposals[name].chosen
        assert chosen is not None and (chosen.column.id, chosen.kind) == (f.column_id, f.kind), name


def _generated_board(account: str, key: str) -> Board:
    board = generate_workspace(WorkspaceSpec(account=account)).board_by_key(key)
    columns = tuple(Column(id=c.id, title=c.title, type=c.type) for c in board.columns)
    return Board(id=board.id, name=board.name, columns=columns)


def test_the_assistant_proposes_the_sandbox_customers_mapping_and_no_customer_number_on_northwind():
    proposals = {p.field: p for p in propose_entity("customers", _generated_board("sandbox", "customers"))}
    committed = load_board_mapping(DEFAULT_MAPPING_PATH).entities["customers"].fields
    assert "customer_number" in committed
    for name, f in committed.items():
        chosen = proposals[name].chosen
        assert chosen is not None and (chosen.column.id, chosen.kind) == (f.column_id, f.kind), name
    # northwind has no customer number: neither "Customer since" (a date) nor "Account" (the item
    # name) may pass for one, however much their titles look like "customer no" / "account no".
    northwind = {p.field: p for p in propose_entity("customers", _generated_board("northwind", "customers"))}
    assert northwind["customer_number"].chosen is None
    assert northwind["customer_number"].alternatives == []


def test_the_assistant_takes_order_numbers_from_item_names_and_leaves_what_it_cannot_match():
    cols = (
        Column(id="name", title="Name", type="name"),
        Column(id="connect", title="Client", type="board_relation"),
        Column(id="n1", title="Pieces", type="numbers"),
        Column(id="d1", title="Ship by", type="date"),
    )
    board = Board(id="1", name="Jobs", columns=cols)
    samples = {"name": ["PO-1001", "PO-1002", "PO 1003"], "n1": ["5", "7"]}
    proposals = {p.field: p for p in propose_entity("orders", board, samples)}
    assert proposals["order_number"].chosen.column.id == "name"
    assert "look like order numbers" in proposals["order_number"].chosen.why
    assert proposals["customer"].chosen.column.id == "connect"
    assert proposals["quantity"].chosen is None  # "Pieces" is not a quantity title it knows
    assert [c.column.id for c in proposals["quantity"].alternatives] == ["n1"]


def test_the_rendered_proposal_is_a_mapping_that_marks_what_to_fill(tmp_path):
    boards = {
        "customers": Board(id="1", name="C", columns=(Column(id="name", title="Name", type="name"),)),
        "orders": Board(id="2", name="O", columns=(Column(id="name", title="Name", type="name"),)),
        "capacity": Board(id="3", name="K", columns=(Column(id="d", title="Day", type="date"),)),
    }
    text = render_yaml(propose(boards))
    data = yaml.safe_load(text)  # valid YAML, even with the REQUIRED markers
    assert data["entities"]["capacity"]["fields"]["capacity_date"]["column_id"] == "d"
    assert data["entities"]["orders"]["fields"]["quantity"] == {
        "column_id": None,
        "title": None,
        "kind": "number",
    }
    assert "quantity: {column_id: null, title: null, kind: number}  # REQUIRED" in text
    with pytest.raises(ValueError, match=r"orders\.fields\.order_number: required"):
        parse_board_mapping(text, tmp_path / "proposed.yml")


def test_time_of_day_reads_the_ways_a_board_holds_an_hour():
    assert [time_of_day(t) for t in ("8", "08", "8:30", "08:00", "25", "8-12", "", None)] == [
        "08:00", "08:00", "08:30", "08:00", None, None, None, None,
    ]  # fmt: skip


def test_field_values_follow_the_staging_rules():
    page = ItemPage(board_id="1")
    for item_id, name, state in (("1", " PO-1 ", "active"), ("2", "PO-2", "archived"), ("3", "", "active")):
        row = {"board_id": "1", "item_id": item_id, "name": name, "state": state}
        for key in page.items:
            page.items[key].append(row.get(key))
    for item_id, label in (("1", " Critical"), ("3", "Unheard")):
        row = dict.fromkeys(page.values, None) | {"item_id": item_id, "column_id": "u", "value_string": label}
        for key in page.values:
            page.values[key].append(row[key])
    cols = [Column(id="name", title="Name", type="name"), Column(id="u", title="Priority", type="status")]
    data = yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))
    fields = data["entities"]["orders"]["fields"]
    fields["order_number"] = {"column_id": "name", "kind": "string"}
    fields["priority"] = {
        "column_id": "u",
        "title": "Priority",
        "kind": "label",
        "values": {"rush": ["Critical"]},
    }
    mapping = parse_board_mapping(yaml.safe_dump(data), "m.yml")
    r = resolve_entity(mapping, "orders", cols)
    assert field_values(page, r.field("order_number")) == ["PO-1", None]
    assert field_values(page, r.field("priority"), {"critical": "rush"}) == ["rush", "unheard"]
