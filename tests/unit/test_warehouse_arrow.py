"""Columnar pages become typed Arrow tables; odd inputs are coerced, never silently dropped."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from customer_master.monday.models import (
    COLUMN_VALUE_FIELDS,
    ITEM_FIELDS,
    ItemPage,
    ItemState,
    ItemStateChange,
    QuarantineRecord,
)
from customer_master.warehouse.arrow import (
    ITEMS_SCHEMA,
    VALUES_SCHEMA,
    changes_table,
    items_table,
    quarantine_table,
    table_rows,
    values_table,
)


def page_with(items: dict[str, list], values: dict[str, list] | None = None) -> ItemPage:
    page = ItemPage(board_id="1")
    n = len(next(iter(items.values())))
    page.items = {f: items.get(f, [None] * n) for f in ITEM_FIELDS}
    if values is not None:
        m = len(next(iter(values.values())))
        page.values = {f: values.get(f, [None] * m) for f in COLUMN_VALUE_FIELDS}
    return page


def test_a_regular_page_converts_in_contract_order():
    page = page_with(
        {
            "board_id": ["1", "1"],
            "item_id": ["10", "11"],
            "name": ["A", "B"],
            "state": [ItemState.ACTIVE, "archived"],
            "updated_at": [dt.datetime(2026, 1, 1, 12), dt.datetime(2026, 1, 2, 12)],
        }
    )
    table = items_table(page)
    assert table.schema == ITEMS_SCHEMA
    assert table.column("state").to_pylist() == ["active", "archived"]
    assert table.num_rows == 2


def test_aware_timestamps_become_naive_utc_and_iso_strings_are_parsed():
    cet = dt.timezone(dt.timedelta(hours=1))
    page = page_with(
        {
            "item_id": ["1", "2", "3"],
            "updated_at": [dt.datetime(2026, 1, 1, 13, tzinfo=cet), "2026-01-01T12:00:00Z", None],
            "created_at": ["2026-01-01T12:00:00+00:00", "2026-01-01 12:00:00", None],
        }
    )
    table = items_table(page)
    assert table.column("updated_at").to_pylist() == [
        dt.datetime(2026, 1, 1, 12),
        dt.datetime(2026, 1, 1, 12),
        None,
    ]
    assert table.column("created_at").to_pylist()[:2] == [dt.datetime(2026, 1, 1, 12)] * 2


def test_values_coerce_ids_numbers_dates_bools_and_json():
    page = page_with(
        {"item_id": ["1"]},
        {
            "board_id": [1, 1, 1],
            "item_id": [10, "11", 12],
            "column_id": ["n", "d", "c"],
            "value_number": ["2.5", 3, None],
            "value_date": ["2026-02-03", dt.datetime(2026, 2, 4, 9), dt.date(2026, 2, 5)],
            "value_bool": ["true", None, 0],
            "value_ids": [["1", "2"], None, "[3]"],
            "value_extra": [{"lat": 1.5}, None, None],
        },
    )
    table = values_table(page)
    assert table.schema == VALUES_SCHEMA
    assert table.column("board_id").to_pylist() == ["1", "1", "1"]
    assert table.column("item_id").to_pylist() == ["10", "11", "12"]
    assert table.column("value_number").to_pylist() == [2.5, 3.0, None]
    assert table.column("value_date").to_pylist() == [
        dt.date(2026, 2, 3),
        dt.date(2026, 2, 4),
        dt.date(2026, 2, 5),
    ]
    assert table.column("value_bool").to_pylist() == [True, None, False]
    assert table.column("value_ids").to_pylist() == ['["1","2"]', None, "[3]"]
    assert table.column("value_extra").to_pylist() == ['{"lat":1.5}', None, None]


def test_a_value_that_cannot_be_typed_is_an_error_naming_the_column():
    page = page_with({"item_id": ["1"]}, {"item_id": ["1"], "value_number": ["twelve"]})
    with pytest.raises(ValueError, match="value_number"):
        values_table(page)


def test_ragged_columns_are_refused():
    page = page_with({"item_id": ["1", "2"], "name": ["only one"]})
    with pytest.raises(ValueError, match="not aligned"):
        items_table(page)


def test_a_field_missing_from_the_page_becomes_nulls():
    page = ItemPage(board_id="1")
    page.items = {"item_id": ["1"], "board_id": ["1"]}
    table = items_table(page)
    assert table.column("group_id").to_pylist() == [None]


def test_quarantine_and_state_changes():
    q = quarantine_table(
        [QuarantineRecord("1", "10", "status", "status", "unknown label", "???", '{"index": 99}')]
    )
    assert table_rows(q) == [("1", "10", "status", "status", "unknown label", "???", '{"index": 99}')]
    changes = changes_table(
        [
            ItemStateChange("2", ItemState.ARCHIVED),
            ItemStateChange("1", ItemState.DELETED),
            ItemStateChange("2", ItemState.DELETED),  # the last report wins
        ]
    )
    assert table_rows(changes) == [("1", "deleted"), ("2", "deleted")]
    assert changes_table([]).num_rows == 0
    assert isinstance(changes_table([]), pa.Table)
