"""The OMS source file (`oms_source.yml`): both shipped YAMLs validate, every error names the file,
line and key path; the mapping's path syntax; one API record -> one order-contract row, with every
quarantine reason. Pure: no HTTP (tests/integration/test_oms_dlt_load.py does that)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from customer_master.oms import contract
from customer_master.oms.config import (
    SHOPIFY_YML,
    WOOCOMMERCE_YML,
    ApiKeyHeaderAuth,
    BasicAuth,
    HeaderLinkPaginator,
    OmsConfigError,
    PageNumberPaginator,
    load_oms_source,
    parse_oms_source,
)
from customer_master.oms.contract import (
    REASON_INVALID_DATE,
    REASON_INVALID_QUANTITY,
    REASON_MISSING_ORDER_NUMBER,
    REASON_MISSING_SOURCE_ID,
    REASON_UNKNOWN_PRIORITY,
    REASON_UNKNOWN_STATUS,
    Problem,
    contract_rows,
    map_order,
)
from customer_master.oms.paths import FieldPath, PathSyntaxError

SHOPIFY = load_oms_source(SHOPIFY_YML)
WOO = load_oms_source(WOOCOMMERCE_YML)


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def _shopify_data() -> dict:
    return yaml.safe_load(SHOPIFY_YML.read_text(encoding="utf-8"))


def _line_of(text: str, pattern: str, after: str | None = None) -> int:
    """1-based line of the first line matching `pattern` (after the first line matching `after`)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if re.search(after, line)) + 1
    return next(i for i, line in enumerate(lines[start:], start) if re.search(pattern, line)) + 1


def _error(text: str) -> str:
    with pytest.raises(OmsConfigError) as info:
        parse_oms_source(text, "oms_source.yml")
    return str(info.value)


# --- the shipped files ---------------------------------------------------------------------------


def test_the_shopify_yaml_describes_the_admin_rest_orders_api():
    assert SHOPIFY.name == "shopify"
    assert SHOPIFY.auth == ApiKeyHeaderAuth(type="api_key_header", header="X-Shopify-Access-Token")
    orders = SHOPIFY.orders
    assert orders.path == "/admin/api/2024-10/orders.json"
    assert orders.params == {"status": "any", "order": "updated_at asc"}
    assert orders.data_selector == "orders" and orders.primary_key == "id"
    assert isinstance(orders.paginator, HeaderLinkPaginator)
    assert (orders.page_size.param, orders.page_size.size) == ("limit", 250)
    assert (orders.incremental.cursor_field, orders.incremental.param) == ("updated_at", "updated_at_min")
    deletions = SHOPIFY.deletions
    assert deletions.path == "/admin/api/2024-10/events.json"
    assert deletions.params == {"filter": "Order", "verb": "destroy"}
    assert str(deletions.order_id_field) == "subject_id"
    assert deletions.incremental.param == "created_at_min"
    assert str(SHOPIFY.mapping.order_number[0]) == "name"
    assert str(SHOPIFY.mapping.quantity.sum) == "line_items[*].quantity"


def test_the_woocommerce_yaml_describes_the_v3_orders_api():
    assert WOO.name == "woocommerce"
    assert WOO.auth == BasicAuth(type="basic")
    orders = WOO.orders
    assert orders.path == "/wp-json/wc/v3/orders"
    assert orders.data_selector == "$"
    assert orders.paginator == PageNumberPaginator(
        type="page_number", page_param="page", base_page=1, total_pages_header="X-WP-TotalPages"
    )
    assert (orders.page_size.param, orders.page_size.size) == ("per_page", 100)
    assert (orders.incremental.cursor_field, orders.incremental.param) == (
        "date_modified_gmt",
        "modified_after",
    )
    assert orders.params["orderby"] == "id" and orders.params["order"] == "asc"
    assert "trash" in orders.params["status"].split(",")
    assert WOO.mapping.status.values["deleted"] == ("trash",)
    assert WOO.deletions is None and WOO.order_lines is None


# --- errors name the file, the line and the key path ------------------------------------------------


def test_an_unknown_paginator_type_names_line_key_and_the_choices():
    text = SHOPIFY_YML.read_text(encoding="utf-8").replace("type: header_link", "type: pages", 1)
    message = _error(text)
    line = _line_of(text, r"type: pages")
    assert f"oms_source.yml:{line} orders.paginator.type: 'pages' is not one of" in message
    assert "'header_link'" in message and "'page_number'" in message


def test_an_error_inside_a_paginator_names_its_key_without_the_union_tag():
    data = _shopify_data()
    data["orders"]["paginator"] = {"type": "page_number", "base_page": -1}
    text = _yaml(data)
    message = _error(text)
    line = _line_of(text, r"base_page: -1")
    assert f"oms_source.yml:{line} orders.paginator.base_page:" in message
    assert "page_number.base_page" not in message


def test_an_unknown_key_is_refused_with_its_line():
    data = _shopify_data()
    data["orders"]["pagesize"] = 250
    text = _yaml(data)
    assert f"oms_source.yml:{_line_of(text, r'pagesize:')} orders.pagesize: unknown key" in _error(text)


def test_a_missing_required_key_names_the_path_and_the_parent_line():
    data = _shopify_data()
    del data["mapping"]["order_number"]
    text = _yaml(data)
    assert f"oms_source.yml:{_line_of(text, r'^mapping:')} mapping.order_number: required" in _error(text)


def test_a_malformed_mapping_path_names_the_field_and_line():
    data = _shopify_data()
    data["mapping"]["customer_email"] = ["customer.email", "billing[name=].email"]
    text = _yaml(data)
    message = _error(text)
    line = _line_of(text, r"billing\[name=\]")
    assert f"oms_source.yml:{line} mapping.customer_email.1:" in message
    assert "[name=] is not a selector" in message


def test_an_unknown_priority_value_set_is_refused():
    data = _shopify_data()
    data["mapping"]["priority"]["values"]["urgent"] = ["now"]
    text = _yaml(data)
    message = _error(text)
    assert (
        f"oms_source.yml:{_line_of(text, r'values:', after=r'priority:')} mapping.priority.values:" in message
    )
    assert "unknown value set(s) urgent (use: rush, high, normal, low)" in message


def test_a_label_in_two_status_sets_is_refused():
    data = _shopify_data()
    data["mapping"]["status"]["values"]["delivered"].append("partial")
    assert "'partial' is listed under both 'open' and 'delivered'" in _error(_yaml(data))


def test_a_duplicate_key_names_both_lines():
    text = SHOPIFY_YML.read_text(encoding="utf-8").replace(
        "  primary_key: id\n", "  primary_key: id\n  primary_key: order_id\n", 1
    )
    first = _line_of(text, r"primary_key: id")
    assert (
        f"oms_source.yml:{first + 1}: 'primary_key' is defined twice (lines {first} and {first + 1})"
        in _error(text)
    )


def test_an_offset_paginator_needs_a_page_size_and_params_are_not_set_twice():
    data = _shopify_data()
    data["orders"]["paginator"] = {"type": "offset"}
    del data["orders"]["page_size"]
    assert "orders: an offset paginator needs page_size" in _error(_yaml(data))
    data = _shopify_data()
    data["orders"]["params"]["limit"] = 50
    assert "params.limit is also set by page_size.param" in _error(_yaml(data))


def test_a_quantity_sum_must_select_a_list():
    data = _shopify_data()
    data["mapping"]["quantity"] = {"sum": "line_items[0].quantity"}
    assert "must select a list" in _error(_yaml(data))


def test_not_yaml_and_a_missing_file_are_clear(tmp_path):
    assert "not valid YAML" in _error("orders: [unclosed")
    with pytest.raises(OmsConfigError, match="set OMS_SOURCE"):
        load_oms_source(tmp_path / "nope.yml")


# --- the path syntax -----------------------------------------------------------------------------------

RECORD = {
    "name": "#1001",
    "customer": {"email": "a@example.com", "tags": None},
    "line_items": [{"quantity": 2}, {"quantity": "3"}, None, {"sku": "x"}],
    "note_attributes": [
        {"name": "priority", "value": "rush"},
        {"name": "requested_date", "value": "2026-12-01"},
    ],
    "meta_data": [{"id": 7, "key": "_n", "value": 12}],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("name", "#1001"),
        ("customer.email", "a@example.com"),
        ("customer.tags.first", None),
        ("customer.phone", None),
        ("line_items[0].quantity", 2),
        ("line_items[-1].sku", "x"),
        ("line_items[9].quantity", None),
        ("line_items[*].quantity", [2, "3"]),
        ("line_items[*].price", []),
        ("note_attributes[name=requested_date].value", "2026-12-01"),
        ("note_attributes[ name = priority ].value", "rush"),
        ("note_attributes[name=missing].value", None),
        ("meta_data[id=7].value", 12),
        ("name.first", None),
    ],
)
def test_a_path_finds_its_value_or_none(path, expected):
    assert FieldPath.parse(path).get(RECORD) == expected


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("", "must not be empty"),
        ("a..b", "expected a key"),
        ("a.", "ends with '.'"),
        ("a[", "unclosed '['"),
        ("a[x]", "[x] is not a selector"),
        ("a[=1]", "[=1] is not a selector"),
        ("a]b", "unexpected ']'"),
    ],
)
def test_a_malformed_path_says_where_it_breaks(path, fragment):
    with pytest.raises(PathSyntaxError, match=re.escape(fragment)):
        FieldPath.parse(path)


# --- one record -> one contract row -----------------------------------------------------------------


def _shopify_order(**changes) -> dict:
    order = {
        "id": 450789469,
        "name": "#1001",
        "email": "fallback@example.com",
        "customer": {"id": 1, "email": "buyer@example.com", "note": "C-0042"},
        "note_attributes": [
            {"name": "requested_date", "value": "2026-12-01"},
            {"name": "priority", "value": "High"},
        ],
        "line_items": [{"quantity": 2}, {"quantity": 3}],
        "fulfillment_status": None,
        "cancelled_at": None,
        "closed_at": None,
        "updated_at": "2026-11-20T10:15:00-05:00",
    }
    order.update(changes)
    return order


def _woo_order(**changes) -> dict:
    order = {
        "id": 727,
        "number": "727",
        "status": "processing",
        "billing": {"email": "woo@example.com"},
        "meta_data": [
            {"id": 1, "key": "_customer_number", "value": "C-0007"},
            {"id": 2, "key": "_requested_date", "value": "2026-12-03"},
            {"id": 3, "key": "_priority", "value": "rush"},
        ],
        "line_items": [{"quantity": 4}],
        "date_completed_gmt": None,
        "date_modified_gmt": "2026-11-20T15:00:00",
    }
    order.update(changes)
    return order


def test_a_shopify_order_maps_to_the_contract():
    mapped = map_order(_shopify_order(), SHOPIFY.mapping)
    assert mapped.problems == ()
    assert mapped.row == contract.OrderRow(
        order_number="#1001",
        source="oms",
        source_id="450789469",
        customer_number="C-0042",
        customer_email="buyer@example.com",
        quantity=5.0,
        requested_date=dt.date(2026, 12, 1),
        priority="high",
        status="open",
        is_cancelled=False,
        is_deleted=False,
        delivered_date=None,
        updated_at=dt.datetime(2026, 11, 20, 15, 15),  # -05:00 -> naive UTC
    )
    assert mapped.values == 9  # cancelled_at is only looked at, not read


def test_shopify_fallbacks_fulfilment_and_cancellation():
    fulfilled = {
        "customer": None,
        "fulfillment_status": "fulfilled",
        "closed_at": "2026-11-25T09:00:00-05:00",
    }
    delivered = map_order(_shopify_order(**fulfilled, note_attributes=[]), SHOPIFY.mapping).row
    assert delivered.customer_email == "fallback@example.com"
    assert (delivered.status, delivered.delivered_date) == ("delivered", dt.date(2026, 11, 25))
    assert (delivered.customer_number, delivered.requested_date, delivered.priority) == (None, None, "normal")
    tracked = map_order(
        _shopify_order(
            **fulfilled,
            fulfillments=[
                {"shipment_status": "in_transit", "updated_at": "2026-11-26T16:00:00-05:00"},
                {"shipment_status": "delivered", "updated_at": "2026-11-27T16:00:00-05:00"},
            ],
        ),
        SHOPIFY.mapping,
    ).row
    assert tracked.delivered_date == dt.date(2026, 11, 27)  # the carrier's confirmation wins
    cancelled = map_order(
        _shopify_order(cancelled_at="2026-11-21T08:00:00-05:00", closed_at="2026-11-21T08:00:00-05:00"),
        SHOPIFY.mapping,
    ).row
    assert (cancelled.status, cancelled.is_cancelled, cancelled.is_deleted) == ("cancelled", True, False)
    assert cancelled.delivered_date is None  # closed by the cancellation, not delivered


def test_woocommerce_statuses_map_to_the_contract_and_trash_is_deleted():
    row = map_order(_woo_order(), WOO.mapping).row
    assert (row.order_number, row.source_id, row.customer_number, row.customer_email) == (
        "727",
        "727",
        "C-0007",
        "woo@example.com",
    )
    assert (row.quantity, row.requested_date, row.priority, row.status) == (
        4.0,
        dt.date(2026, 12, 3),
        "rush",
        "open",
    )
    assert row.updated_at == dt.datetime(2026, 11, 20, 15, 0)
    done = map_order(
        _woo_order(status="completed", date_completed_gmt="2026-11-30T11:00:00"), WOO.mapping
    ).row
    assert (done.status, done.delivered_date) == ("delivered", dt.date(2026, 11, 30))
    refunded = map_order(_woo_order(status="refunded"), WOO.mapping).row
    assert (refunded.status, refunded.is_cancelled) == ("cancelled", True)
    trashed = map_order(_woo_order(status="trash"), WOO.mapping).row
    assert (trashed.status, trashed.is_deleted, trashed.is_cancelled) == ("deleted", True, False)


@pytest.mark.parametrize(
    ("changes", "problem", "null_field"),
    [
        (
            {"line_items": [{"quantity": 2}, {"quantity": "two"}]},
            Problem("quantity", REASON_INVALID_QUANTITY, '[2, "two"]'),
            "quantity",
        ),
        (
            {"line_items": [{"quantity": -1}]},
            Problem("quantity", REASON_INVALID_QUANTITY, "[-1]"),
            "quantity",
        ),
        (
            {"note_attributes": [{"name": "requested_date", "value": "next tuesday"}]},
            Problem("requested_date", REASON_INVALID_DATE, "next tuesday"),
            "requested_date",
        ),
        ({"updated_at": "yesterday"}, Problem("updated_at", REASON_INVALID_DATE, "yesterday"), "updated_at"),
        (
            {"note_attributes": [{"name": "priority", "value": "ASAP"}]},
            Problem("priority", REASON_UNKNOWN_PRIORITY, "ASAP"),
            "priority",
        ),
        ({"fulfillment_status": "lost"}, Problem("status", REASON_UNKNOWN_STATUS, "lost"), "status"),
    ],
)
def test_a_bad_value_is_quarantined_and_the_order_kept_with_null(changes, problem, null_field):
    mapped = map_order(_shopify_order(**changes), SHOPIFY.mapping)
    assert mapped.problems == (problem,)
    assert mapped.row is not None and getattr(mapped.row, null_field) is None
    assert mapped.row.order_number == "#1001"


def test_an_order_without_number_or_id_yields_no_row_but_problems():
    no_number = map_order(_shopify_order(name="  "), SHOPIFY.mapping)
    assert no_number.row is None
    assert no_number.problems == (Problem("order_number", REASON_MISSING_ORDER_NUMBER, None),)
    no_id = map_order(_shopify_order(id=None), SHOPIFY.mapping)
    assert no_id.row is None and no_id.problems == (Problem("id", REASON_MISSING_SOURCE_ID, None),)


def test_a_batch_counts_values_applies_deletions_and_keeps_the_latest_version():
    records = [
        _shopify_order(),
        _shopify_order(id=2, name="#1002", line_items=[{"quantity": "x"}]),
        _shopify_order(id=3, name=None),
        _shopify_order(note_attributes=[{"name": "priority", "value": "low"}]),  # #1001 again, changed
    ]
    batch = contract_rows(
        records, SHOPIFY, deletion_events=[{"id": 9, "subject_id": 2}, {"id": 10, "subject_id": 77}]
    )
    assert batch.records == 4 and batch.values == 36
    assert [(r.source_id, r.priority, r.status) for r in batch.rows] == [
        ("450789469", "low", "open"),
        ("2", "high", "deleted"),
    ]
    assert [(q.source_id, q.field, q.reason) for q in batch.quarantine] == [
        ("2", "quantity", REASON_INVALID_QUANTITY),
        ("3", "order_number", REASON_MISSING_ORDER_NUMBER),
    ]
    assert batch.error_rate == pytest.approx(2 / 36)
    assert batch.deleted_elsewhere == frozenset({"77"})


def test_a_separate_lines_endpoint_feeds_the_quantity():
    data = _shopify_data()
    data["order_lines"] = {
        "path": "/orders/{order.id}/lines",
        "data_selector": "lines",
        "paginator": {"type": "json_link", "next_url_path": "next"},
    }
    data["mapping"]["quantity"] = {"sum": "_lines[*].qty"}
    source = parse_oms_source(_yaml(data))
    order = _shopify_order()
    batch = contract_rows([order], source, lines=[(450789469, {"qty": 4}), (450789469, {"qty": "1"})])
    assert batch.rows[0].quantity == 5.0
    data["mapping"]["quantity"] = {"sum": "line_items[*].quantity"}
    assert "with order_lines, sum the lines" in _error(_yaml(data))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01", dt.date(2026, 12, 1)),
        ("2026-12-01T23:30:00-05:00", dt.date(2026, 12, 1)),
        ("2026-12-01T00:00:00Z", dt.date(2026, 12, 1)),
    ],
)
def test_dates_are_iso_8601_and_a_timestamp_gives_its_own_day(value, expected):
    assert contract.parse_date(value) == expected


def test_extra_date_formats_come_from_the_yaml():
    data = _shopify_data()
    data["mapping"]["date_formats"] = ["%d.%m.%Y"]
    source = parse_oms_source(_yaml(data))
    order = _shopify_order(note_attributes=[{"name": "requested_date", "value": "01.12.2026"}])
    assert map_order(order, source.mapping).row.requested_date == dt.date(2026, 12, 1)
    assert map_order(order, SHOPIFY.mapping).problems[0].reason == REASON_INVALID_DATE
