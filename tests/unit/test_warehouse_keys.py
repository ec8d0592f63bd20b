"""Ids that do not fit an id column (NVARCHAR(128) on SQL Server) are quarantined per record, with a
reason, and quarantine records always fit: the pure rules in `warehouse/keys.py`."""

from __future__ import annotations

import pyarrow as pa

from customer_master.monday.models import Column, QuarantineRecord
from customer_master.warehouse.arrow import ITEMS_SCHEMA, VALUES_SCHEMA
from customer_master.warehouse.keys import (
    ID_MAX_CHARS,
    REASON_KEY_TOO_LONG,
    fit_quarantine,
    fits,
    nvarchar_length,
    shorten,
    split_overlong_columns,
    split_overlong_keys,
)

LONG = "c" * 5000


def _items(ids: list[str]) -> pa.Table:
    n = len(ids)
    data = {name: [None] * n for name in ITEMS_SCHEMA.names}
    data.update(board_id=["1001"] * n, item_id=ids, name=[f"Item {i}" for i in ids], state=["active"] * n)
    return pa.Table.from_pydict(data, schema=ITEMS_SCHEMA)


def _values(rows: list[tuple[str, str]]) -> pa.Table:
    n = len(rows)
    data = {name: [None] * n for name in VALUES_SCHEMA.names}
    data.update(
        board_id=["1001"] * n,
        item_id=[r[0] for r in rows],
        column_id=[r[1] for r in rows],
        column_type=["text"] * n,
        text=[f"text {i}" for i in range(n)],
        value_json=[f'"v{i}"' for i in range(n)],
    )
    return pa.Table.from_pydict(data, schema=VALUES_SCHEMA)


def test_lengths_count_utf16_units_as_nvarchar_does():
    assert ID_MAX_CHARS == 128
    assert fits("a" * 128) and not fits("a" * 129)
    assert fits("ä" * 128)  # two UTF-8 bytes, one UTF-16 unit
    assert nvarchar_length("😀") == 2  # outside the BMP: a surrogate pair
    assert fits("😀" * 64) and not fits("😀" * 65)
    assert fits(None)


def test_shortened_keys_fit_and_stay_distinct():
    a, b = shorten(LONG), shorten(LONG + "x")
    assert a != b and fits(a) and fits(b)
    assert a.startswith("c" * 100)
    assert fits(shorten("😀" * 300))
    assert shorten("short") == "short"


def test_everything_fitting_passes_through_untouched():
    items, values = _items(["1", "2"]), _values([("1", "text"), ("2", "text")])
    out_items, out_values, records = split_overlong_keys("1001", items, values)
    assert out_items is items and out_values is values and records == []


def test_a_value_with_an_overlong_column_id_is_quarantined_alone():
    items = _items(["1", "2"])
    values = _values([("1", "text"), ("1", LONG), ("2", "text")])

    out_items, out_values, records = split_overlong_keys("1001", items, values)

    assert out_items.num_rows == 2
    assert out_values.column("column_id").to_pylist() == ["text", "text"]
    assert len(records) == 1
    (r,) = records
    assert r.item_id == "1" and r.column_id == LONG and r.raw_text == "text 1" and r.raw_value == '"v1"'
    assert r.reason.startswith(f"{REASON_KEY_TOO_LONG}: column_id has 5000 characters, more than the 128")


def test_an_item_with_an_overlong_id_is_quarantined_with_its_values():
    long_item = "9" * 200
    items = _items(["1", long_item])
    values = _values([("1", "text"), (long_item, "text"), (long_item, LONG)])

    out_items, out_values, records = split_overlong_keys("1001", items, values)

    assert out_items.column("item_id").to_pylist() == ["1"]
    assert out_values.column("item_id").to_pylist() == ["1"]
    assert len(records) == 1  # one record for the item; its values go with it
    assert records[0].raw_value == long_item and records[0].raw_text == f"Item {long_item}"
    assert "item_id has 200 characters" in records[0].reason
    assert "the item and its 2 value(s) were not loaded" in records[0].reason


def test_a_board_column_with_an_overlong_id_is_left_out_of_the_snapshot():
    cols = [Column(id="text", title="Text", type="text"), Column(id=LONG, title="Odd", type="text")]
    kept, records = split_overlong_columns("1001", cols)
    assert [c.id for c in kept] == ["text"]
    assert len(records) == 1 and records[0].item_id is None and records[0].raw_value == LONG
    assert "left out of the columns snapshot" in records[0].reason


def test_quarantine_records_are_shortened_to_fit_and_say_so():
    parsed = QuarantineRecord("1001", "1", LONG, "numbers", "unparseable number", "x", None)
    fitted, kept = fit_quarantine([parsed, QuarantineRecord("1001", "2", "text", "text", "odd", None, None)])
    assert fits(fitted.column_id) and fitted.column_id == shorten(LONG)
    assert fitted.raw_value == LONG  # the full key, where the record had no raw value
    assert fitted.reason == f"unparseable number (column_id shortened to fit: {REASON_KEY_TOO_LONG})"
    assert kept.column_id == "text" and kept.reason == "odd"
