"""Column parsing: every column type, empty values, malformed values, broken items (pure)."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_master.monday.columns import SUPPORTED_TYPES, parse_items, parse_timestamp
from customer_master.monday.models import COLUMN_VALUE_FIELDS, ITEM_FIELDS, ItemPage

BOARD = "7000000001"


def _j(obj: object) -> str:
    return orjson.dumps(obj).decode()


def item(item_id: object = "101", *values: dict, **extra: object) -> dict:
    raw = {
        "id": item_id,
        "name": f"Item {item_id}",
        "state": "active",
        "created_at": "2026-01-15T09:12:33Z",
        "updated_at": "2026-03-02T10:00:00Z",
        "group": {"id": "topics"},
        "column_values": list(values),
    }
    raw.update(extra)
    return raw


def one(cv: dict) -> tuple[dict, ItemPage]:
    """Parse a single value on a single item; return its row (field -> value) and the page."""
    page = parse_items(BOARD, [item("101", cv)])
    assert page.value_count == 1
    row = {name: page.values[name][0] for name in COLUMN_VALUE_FIELDS}
    return row, page


def typed(row: dict) -> dict:
    keys = (
        "value_string",
        "value_number",
        "value_date",
        "value_date_to",
        "value_bool",
        "value_ids",
        "value_extra",
    )
    return {k: row[k] for k in keys if row[k] is not None}


# ------------------------------------------------------------------------------------------
# Every type, as the typed fragments deliver it


def test_status_takes_label_index_and_is_done_from_the_typed_fragment():
    row, page = one(
        {
            "id": "status",
            "type": "status",
            "text": "Done",
            "value": '{"index":1}',
            "index": 1,
            "label": "Done",
            "is_done": True,
        }
    )
    assert typed(row) == {"value_string": "Done", "value_extra": '{"index":1,"is_done":true}'}
    assert row["text"] == "Done" and row["value_json"] == '{"index":1}'
    assert page.quarantine == []


def test_date_with_and_without_time():
    row, _ = one(
        {
            "id": "d",
            "type": "date",
            "text": "2023-05-25",
            "value": '{"date":"2023-05-25","time":null}',
            "date": "2023-05-25",
            "time": None,
        }
    )
    assert typed(row) == {"value_date": dt.date(2023, 5, 25)}
    row, _ = one(
        {
            "id": "d",
            "type": "date",
            "text": "2023-05-25 10:30",
            "value": '{"date":"2023-05-25","time":"10:30:00"}',
            "date": "2023-05-25",
            "time": "10:30:00",
        }
    )
    assert typed(row) == {"value_date": dt.date(2023, 5, 25), "value_extra": '{"time":"10:30:00"}'}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-01", "2026-03-15"),
        ("2026-03-01T00:00:00+00:00", "2026-03-15T00:00:00+00:00"),
        ("2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z"),
    ],
)
def test_timeline_from_and_to_accept_dates_and_iso_datetimes(start: str, end: str):
    row, page = one(
        {
            "id": "tl",
            "type": "timeline",
            "text": "2026-03-01 - 2026-03-15",
            "value": '{"to":"2026-03-15","from":"2026-03-01"}',
            "from": start,
            "to": end,
        }
    )
    assert typed(row) == {"value_date": dt.date(2026, 3, 1), "value_date_to": dt.date(2026, 3, 15)}
    assert page.quarantine == []


def test_numbers_is_a_float_from_the_typed_field():
    row, _ = one({"id": "n", "type": "numbers", "text": "4.50", "value": '"4.50"', "number": 4.5})
    assert typed(row) == {"value_number": 4.5}
    assert row["value_json"] == '"4.50"'


def test_text_and_long_text_keep_the_text():
    row, _ = one({"id": "t", "type": "text", "text": "abc", "value": '"abc"'})
    assert typed(row) == {"value_string": "abc"}
    row, _ = one(
        {
            "id": "lt",
            "type": "long_text",
            "text": "line 1\nline 2",
            "value": _j({"text": "line 1\nline 2", "changed_at": "2026-01-01T00:00:00.000Z"}),
        }
    )
    assert typed(row) == {"value_string": "line 1\nline 2"}


def test_email_keeps_address_and_a_distinct_label():
    row, _ = one(
        {
            "id": "e",
            "type": "email",
            "text": "a@b.com",
            "value": _j({"email": "a@b.com", "text": "a@b.com"}),
            "email": "a@b.com",
            "label": "a@b.com",
        }
    )
    assert typed(row) == {"value_string": "a@b.com"}
    row, _ = one(
        {
            "id": "e",
            "type": "email",
            "text": "Sales",
            "value": _j({"email": "a@b.com", "text": "Sales"}),
            "email": "a@b.com",
            "label": "Sales",
        }
    )
    assert typed(row) == {"value_string": "a@b.com", "value_extra": '{"label":"Sales"}'}


def test_an_odd_email_address_is_parsed_and_flagged_not_quarantined():
    bad = "someone at example.com"
    row, page = one(
        {
            "id": "e",
            "type": "email",
            "text": bad,
            "value": _j({"email": bad, "text": bad}),
            "email": bad,
            "label": bad,
        }
    )
    assert page.quarantine == []
    assert typed(row) == {"value_string": bad, "value_extra": '{"valid":false}'}


def test_phone_keeps_number_and_country():
    row, _ = one(
        {
            "id": "p",
            "type": "phone",
            "text": "+12025550169",
            "value": _j({"phone": "+12025550169", "countryShortName": "US"}),
            "phone": "+12025550169",
            "country_short_name": "US",
        }
    )
    assert typed(row) == {"value_string": "+12025550169", "value_extra": '{"country":"US"}'}


def test_dropdown_gives_ids_and_labels():
    row, _ = one(
        {
            "id": "dd",
            "type": "dropdown",
            "text": "Dairy, Frozen",
            "value": '{"ids":[1,3]}',
            "values": [{"id": "1", "label": "Dairy"}, {"id": "3", "label": "Frozen"}],
        }
    )
    assert typed(row) == {"value_string": "Dairy, Frozen", "value_ids": '["1","3"]'}


def test_checkbox_true_and_unchecked():
    row, _ = one({"id": "c", "type": "checkbox", "text": "v", "value": '{"checked":"true"}', "checked": True})
    assert typed(row) == {"value_bool": True}
    row, page = one({"id": "c", "type": "checkbox", "text": "", "value": None, "checked": False})
    assert typed(row) == {"value_bool": False}
    assert page.quarantine == []


def test_board_relation_uses_linked_ids_and_display_value_while_text_and_value_are_null():
    row, page = one(
        {
            "id": "rel",
            "type": "board_relation",
            "text": None,
            "value": None,
            "linked_item_ids": ["9000000001", "9000000002"],
            "display_value": "Order 1, Order 2",
        }
    )
    assert typed(row) == {"value_string": "Order 1, Order 2", "value_ids": '["9000000001","9000000002"]'}
    assert row["text"] is None and row["value_json"] is None
    assert page.quarantine == []


def test_people_ids_and_kinds_only_when_not_all_persons():
    row, _ = one(
        {
            "id": "pp",
            "type": "people",
            "text": "Dana",
            "value": '{"personsAndTeams":[{"id":48202303,"kind":"person"}]}',
            "persons_and_teams": [{"id": "48202303", "kind": "person"}],
        }
    )
    assert typed(row) == {"value_ids": '["48202303"]'}
    row, _ = one(
        {
            "id": "pp",
            "type": "people",
            "text": "Dana, Ops",
            "value": '{"personsAndTeams":[{"id":1,"kind":"person"},{"id":2,"kind":"team"}]}',
            "persons_and_teams": [{"id": "1", "kind": "person"}, {"id": "2", "kind": "team"}],
        }
    )
    assert typed(row) == {"value_ids": '["1","2"]', "value_extra": '{"kinds":["person","team"]}'}


def test_location_address_and_coordinates():
    row, _ = one(
        {
            "id": "loc",
            "type": "location",
            "text": "Giza Pyramid Complex",
            "value": _j({"lat": "29.97", "lng": "31.13", "address": "Giza Pyramid Complex"}),
            "address": "Giza Pyramid Complex",
            "lat": 29.97,
            "lng": 31.13,
            "city": "Giza",
            "country": "Egypt",
            "country_short": "EG",
        }
    )
    assert row["value_string"] == "Giza Pyramid Complex"
    assert orjson.loads(row["value_extra"]) == {
        "lat": 29.97,
        "lng": 31.13,
        "city": "Giza",
        "country": "Egypt",
        "country_short": "EG",
    }


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(8, 0, "08:00"), (7, 5, "07:05"), (0, 0, "00:00"), (23, 59, "23:59"), (14, None, "14:00")],
)
def test_hour_is_a_zero_padded_24_hour_time(hour: int, minute: int | None, expected: str):
    value = _j({"hour": hour, "minute": minute, "changed_at": "2026-10-02T10:11:12.000Z"})
    row, page = one(
        {"id": "hour_from", "type": "hour", "text": expected, "value": value, "hour": hour, "minute": minute}
    )
    assert typed(row) == {"value_string": expected}
    assert row["value_json"] == value and page.quarantine == []


def test_unknown_types_keep_text_and_value_only_and_are_never_quarantined():
    row, page = one({"id": "mirror", "type": "mirror", "text": "x", "value": "{not json"})
    assert typed(row) == {}
    assert row["text"] == "x" and row["value_json"] == "{not json"
    assert page.quarantine == []


def test_every_supported_type_is_covered_by_these_tests():
    assert {
        "status",
        "date",
        "timeline",
        "numbers",
        "text",
        "long_text",
        "email",
        "phone",
        "dropdown",
        "checkbox",
        "board_relation",
        "people",
        "location",
        "hour",
    } == SUPPORTED_TYPES


# ------------------------------------------------------------------------------------------
# Empty values


@pytest.mark.parametrize(
    "cv",
    [
        {"type": "status", "text": "", "value": None, "index": None, "label": None, "is_done": False},
        {"type": "date", "text": "", "value": None, "date": None, "time": None},
        {"type": "timeline", "text": "", "value": None, "from": None, "to": None},
        {"type": "numbers", "text": "", "value": None, "number": None},
        {"type": "text", "text": "", "value": None},
        {"type": "long_text", "text": "", "value": None},
        {"type": "email", "text": "", "value": None, "email": None, "label": None},
        {"type": "phone", "text": "", "value": None, "phone": None, "country_short_name": None},
        {"type": "dropdown", "text": "", "value": None, "values": []},
        {"type": "board_relation", "text": None, "value": None, "linked_item_ids": [], "display_value": ""},
        {"type": "people", "text": "", "value": None, "persons_and_teams": []},
        {"type": "location", "text": "", "value": None, "address": None, "lat": None, "lng": None},
        {"type": "hour", "text": "", "value": None, "hour": None, "minute": None},
        {"type": "status", "text": "", "value": None},  # typed fragment absent too
        {"type": "numbers", "text": None, "value": None},
    ],
    ids=lambda cv: cv["type"],
)
def test_empty_values_land_with_empty_projections_and_no_quarantine(cv: dict):
    row, page = one({"id": "col", **cv})
    assert typed(row) == {}
    assert page.quarantine == []
    assert row["column_type"] == cv["type"]


# ------------------------------------------------------------------------------------------
# Slow path: typed fragment fields missing, the raw `value` JSON decides (pydantic models)


@pytest.mark.parametrize(
    ("cv", "expected"),
    [
        (
            {"type": "status", "text": "Done", "value": '{"index":1,"post_id":null}'},
            {"value_extra": '{"index":1,"is_done":null}'},
        ),
        (
            {"type": "date", "text": "2023-05-25", "value": '{"date":"2023-05-25","time":"08:00:00"}'},
            {"value_date": dt.date(2023, 5, 25), "value_extra": '{"time":"08:00:00"}'},
        ),
        (
            {"type": "timeline", "text": "", "value": '{"to":"2026-03-15","from":"2026-03-01"}'},
            {"value_date": dt.date(2026, 3, 1), "value_date_to": dt.date(2026, 3, 15)},
        ),
        ({"type": "numbers", "text": "4.50", "value": '"4.50"'}, {"value_number": 4.5}),
        ({"type": "long_text", "text": "", "value": '{"text":"hello"}'}, {"value_string": "hello"}),
        (
            {"type": "email", "text": "a@b.com", "value": '{"email":"a@b.com","text":"Sales"}'},
            {"value_string": "a@b.com", "value_extra": '{"label":"Sales"}'},
        ),
        (
            {"type": "phone", "text": "", "value": '{"phone":"+12025550169","countryShortName":"US"}'},
            {"value_string": "+12025550169", "value_extra": '{"country":"US"}'},
        ),
        ({"type": "dropdown", "text": "A, C", "value": '{"ids":[1,3]}'}, {"value_ids": '["1","3"]'}),
        (
            {"type": "checkbox", "text": "v", "value": '{"checked":"true","changed_at":"2026-01-01"}'},
            {"value_bool": True},
        ),
        ({"type": "checkbox", "text": "", "value": '{"checked":"false"}'}, {"value_bool": False}),
        (
            {"type": "board_relation", "text": None, "value": '{"linkedPulseIds":[{"linkedPulseId":5}]}'},
            {"value_ids": '["5"]'},
        ),
        (
            {"type": "people", "text": "", "value": '{"personsAndTeams":[{"id":48202303,"kind":"person"}]}'},
            {"value_ids": '["48202303"]'},
        ),
        (
            {
                "type": "location",
                "text": "Giza",
                "value": _j(
                    {
                        "lat": "29.97",
                        "lng": "31.13",
                        "address": "Giza",
                        "city": {"long_name": "Giza", "short_name": "Giza"},
                        "country": {"long_name": "Egypt", "short_name": "EG"},
                    }
                ),
            },
            {
                "value_string": "Giza",
                "value_extra": '{"lat":29.97,"lng":31.13,"city":"Giza","country":"Egypt"}',
            },
        ),
        ({"type": "hour", "text": "14:30", "value": '{"hour":14,"minute":30}'}, {"value_string": "14:30"}),
    ],
    ids=lambda x: x["type"] if isinstance(x, dict) and "type" in x else "",
)
def test_without_typed_fragments_the_raw_value_is_parsed(cv: dict, expected: dict):
    row, page = one({"id": "col", **cv})
    assert page.quarantine == []
    assert typed(row) == expected


def test_a_value_given_as_an_object_is_kept_as_a_json_string():
    row, _ = one(
        {
            "id": "s",
            "type": "status",
            "text": "Done",
            "value": {"index": 1},
            "index": 1,
            "label": "Done",
            "is_done": True,
        }
    )
    assert row["value_json"] == '{"index":1}'


# ------------------------------------------------------------------------------------------
# Malformed values: quarantined with a precise reason, the row still lands, the page goes on


@pytest.mark.parametrize(
    ("cv", "reason_part"),
    [
        (
            {
                "type": "status",
                "text": "Done",
                "value": '{"index":',
                "index": 1,
                "label": "Done",
                "is_done": False,
            },
            "not valid JSON",
        ),
        (
            {
                "type": "board_relation",
                "text": None,
                "value": "{",
                "linked_item_ids": ["1"],
                "display_value": "x",
            },
            "not valid JSON",
        ),
        ({"type": "numbers", "text": "abc", "value": '"abc"', "number": None}, "'abc' is not numeric"),
        ({"type": "numbers", "text": "NaN", "value": '"NaN"', "number": None}, "not a finite number"),
        (
            {
                "type": "date",
                "text": "2025-13-45",
                "value": '{"date":"2025-13-45","time":null}',
                "date": "2025-13-45",
                "time": None,
            },
            "'2025-13-45' is not a valid ISO date",
        ),
        (
            {
                "type": "date",
                "text": "2025-01-02",
                "value": '{"date":"2025-01-02"}',
                "date": "2025-01-02",
                "time": "25:99:00",
            },
            "'25:99:00' is not a valid time",
        ),
        ({"type": "date", "text": "soon", "value": '{"date":"soon"}'}, "date value field 'date'"),
        (
            {"type": "timeline", "text": "", "value": "{}", "from": "2026-02-30", "to": "2026-03-01"},
            "timeline start '2026-02-30'",
        ),
        ({"type": "checkbox", "text": "?", "value": '{"checked":"maybe"}'}, "checkbox value field 'checked'"),
        (
            {"type": "location", "text": "x", "value": '{"lat":"north","lng":"1","address":"x"}'},
            "location value field 'lat'",
        ),
        (
            {"type": "dropdown", "text": "x", "value": '{"ids":[{"nested":1}]}'},
            "dropdown value field 'ids.0'",
        ),
        (
            {"type": "people", "text": "x", "value": "[1,2]"},
            "people value is a JSON list, expected an object",
        ),
        ({"type": "status", "text": "x", "value": '{"index":"high"}'}, "status value field 'index'"),
        (
            {"type": "hour", "text": "25:00", "value": '{"hour":25,"minute":0}', "hour": 25, "minute": 0},
            "hour 25:00 is not a time of day",
        ),
        (
            {"type": "hour", "text": "8", "value": '{"hour":"eight"}', "hour": "eight", "minute": 0},
            "hour hour 'eight' is not a whole number",
        ),
        (
            {"type": "hour", "text": "7:75", "value": '{"hour":7,"minute":75}'},
            "hour 07:75 is not a time of day",
        ),
        (
            {"type": "hour", "text": "x", "value": '{"hour":7,"minute":1.5}'},
            "hour minute '1.5' is not a whole number",
        ),
    ],
    ids=lambda x: x["type"] if isinstance(x, dict) else "",
)
def test_structurally_broken_values_are_quarantined_and_the_row_still_lands(cv: dict, reason_part: str):
    good = {"id": "ok", "type": "text", "text": "fine", "value": '"fine"'}
    page = parse_items(BOARD, [item("101", {"id": "bad", **cv}, good), item("102", good)])
    assert page.item_count == 2
    assert page.value_count == 3  # the broken value is present, with raw text/value
    bad_index = page.values["column_id"].index("bad")
    assert page.values["value_json"][bad_index] == (cv["value"] if isinstance(cv["value"], str) else None)
    assert page.values["text"][bad_index] == cv["text"]
    for field in (
        "value_string",
        "value_number",
        "value_date",
        "value_date_to",
        "value_bool",
        "value_ids",
        "value_extra",
    ):
        assert page.values[field][bad_index] is None
    assert [v for i, v in enumerate(page.values["value_string"]) if i != bad_index] == ["fine", "fine"]
    (record,) = page.quarantine
    assert (record.board_id, record.item_id, record.column_id, record.column_type) == (
        BOARD,
        "101",
        "bad",
        cv["type"],
    )
    assert reason_part in record.reason
    assert record.raw_text == cv["text"]
    assert record.raw_value == cv["value"]


def test_a_non_numeric_number_is_quarantined_and_a_numeric_one_parses():
    bad = {"id": "n", "type": "numbers", "text": "x", "value": '"x"'}
    good = {"id": "n", "type": "numbers", "text": "2", "value": '"2"'}
    page = parse_items(BOARD, [item("101", bad), item("102", good)])
    (record,) = page.quarantine
    assert record.item_id == "101" and "not numeric" in record.reason
    assert page.values["value_number"] == [None, 2.0]


# ------------------------------------------------------------------------------------------
# Items


def test_an_item_without_id_is_quarantined_whole_and_the_page_goes_on():
    good = item("101", {"id": "t", "type": "text", "text": "a", "value": '"a"'})
    broken = item(None, {"id": "t", "type": "text", "text": "b", "value": '"b"'})
    page = parse_items(BOARD, [broken, good])
    assert page.items["item_id"] == ["101"]
    assert page.values["item_id"] == ["101"]
    (record,) = page.quarantine
    assert record.item_id is None and "no usable id" in record.reason
    assert orjson.loads(record.raw_value)["name"] == "Item None"


def test_item_fields_are_columnar_and_timestamps_naive_utc():
    page = parse_items(
        BOARD,
        [
            item("101", {"id": "t", "type": "text", "text": "a", "value": '"a"'}),
            item(102, updated_at="2026-03-02T12:00:00+02:00", group=None, state=None, column_values=[]),
        ],
    )
    assert set(page.items) == set(ITEM_FIELDS)
    assert page.items["item_id"] == ["101", "102"]
    assert page.items["board_id"] == [BOARD, BOARD]
    assert page.items["group_id"] == ["topics", None]
    assert page.items["state"] == ["active", "active"]
    assert page.items["created_at"][0] == dt.datetime(2026, 1, 15, 9, 12, 33)
    assert page.items["updated_at"] == [dt.datetime(2026, 3, 2, 10, 0), dt.datetime(2026, 3, 2, 10, 0)]
    assert page.values["item_updated_at"] == [dt.datetime(2026, 3, 2, 10, 0)]
    assert page.values["board_id"] == [BOARD]


def test_a_bad_item_timestamp_is_quarantined_but_the_item_lands():
    page = parse_items(BOARD, [item("101", updated_at="yesterday")])
    assert page.items["item_id"] == ["101"] and page.items["updated_at"] == [None]
    (record,) = page.quarantine
    assert record.column_id == "updated_at" and "not ISO 8601" in record.reason


def test_values_without_column_id_and_non_list_column_values_are_quarantined():
    page = parse_items(
        BOARD,
        [
            item("101", {"type": "text", "text": "orphan", "value": '"orphan"'}),
            item("102", column_values={"oops": True}),
        ],
    )
    assert page.items["item_id"] == ["101", "102"]
    assert page.value_count == 0
    reasons = sorted(q.reason for q in page.quarantine)
    assert reasons == [
        "column value has no column id",
        "column_values is not a list; the item landed without values",
    ]


def test_parse_timestamp():
    assert parse_timestamp("2026-01-15T09:12:33Z") == dt.datetime(2026, 1, 15, 9, 12, 33)
    assert parse_timestamp("2026-01-15T09:12:33.250+01:00") == dt.datetime(2026, 1, 15, 8, 12, 33, 250000)
    assert parse_timestamp(None) is None and parse_timestamp("") is None


# ------------------------------------------------------------------------------------------
# Properties: parsing never raises and the columns stay aligned, whatever Monday sends

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=12),
)
_json_like = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_types = st.sampled_from(sorted(SUPPORTED_TYPES | {"mirror", "formula"}))
_field_names = st.sampled_from(
    [
        "index",
        "label",
        "is_done",
        "date",
        "time",
        "from",
        "to",
        "number",
        "email",
        "phone",
        "country_short_name",
        "values",
        "checked",
        "linked_item_ids",
        "display_value",
        "persons_and_teams",
        "address",
        "lat",
        "lng",
        "hour",
        "minute",
    ]
)
_column_value = st.fixed_dictionaries(
    {
        "id": st.one_of(st.text(min_size=1, max_size=5), st.none()),
        "type": _types,
        "text": st.one_of(st.none(), st.text(max_size=10)),
        "value": st.one_of(st.none(), st.text(max_size=20), _json_like.map(_j)),
    },
).flatmap(lambda cv: st.dictionaries(_field_names, _json_like, max_size=4).map(lambda extra: {**extra, **cv}))
_raw_item = st.fixed_dictionaries(
    {
        "id": st.one_of(st.none(), st.integers(min_value=1), st.text(max_size=5)),
        "name": st.one_of(st.none(), st.text(max_size=5)),
        "updated_at": st.one_of(st.none(), st.text(max_size=25), st.just("2026-03-02T10:00:00Z")),
        "column_values": st.lists(_column_value, max_size=4),
    }
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_raw_item, max_size=6))
def test_parse_items_never_raises_and_keeps_columns_aligned(raw_items: list[dict]):
    page = parse_items(BOARD, raw_items)
    item_lengths = {len(v) for v in page.items.values()}
    value_lengths = {len(v) for v in page.values.values()}
    assert len(item_lengths) == 1 and len(value_lengths) == 1
    assert set(page.values["item_id"]) <= set(page.items["item_id"])
    for value_json in page.values["value_json"]:
        assert value_json is None or isinstance(value_json, str)
    for ids in page.values["value_ids"]:
        assert ids is None or all(isinstance(i, str) for i in orjson.loads(ids))
    for extra in page.values["value_extra"]:
        assert extra is None or isinstance(orjson.loads(extra), dict)
    for number in page.values["value_number"]:
        assert number is None or isinstance(number, float)
