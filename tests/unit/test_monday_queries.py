"""Every query the client sends validates against the sandbox's copy of Monday's 2026-07 schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

import customer_master
from customer_master.monday import queries

SCHEMA = build_schema((Path(customer_master.__file__).parent / "sandbox" / "schema.graphql").read_text())


@pytest.mark.parametrize("name", sorted(queries.ALL_QUERIES))
def test_query_validates_against_the_schema(name: str):
    document = queries.ALL_QUERIES[name]
    assert validate(SCHEMA, parse(document)) == []
    assert queries.COMPLEXITY_SELECTION in document


def test_items_queries_request_a_typed_fragment_for_every_parsed_type():
    from customer_master.monday.columns import SUPPORTED_TYPES

    fragments = {
        "status": "StatusValue",
        "date": "DateValue",
        "timeline": "TimelineValue",
        "numbers": "NumbersValue",
        "email": "EmailValue",
        "phone": "PhoneValue",
        "dropdown": "DropdownValue",
        "checkbox": "CheckboxValue",
        "board_relation": "BoardRelationValue",
        "people": "PeopleValue",
        "location": "LocationValue",
        "hour": "HourValue",
    }
    assert set(fragments) | {"text", "long_text"} == SUPPORTED_TYPES  # text types need only `text`
    for type_name in fragments.values():
        assert f"... on {type_name} " in queries.ITEMS_FIRST_PAGE_QUERY
        assert f"... on {type_name} " in queries.ITEMS_NEXT_PAGE_QUERY


def test_with_complexity_adds_the_field_at_the_root_once():
    query = "query Q($ids: [ID!]) { boards(ids: $ids) { id } }"
    injected = queries.with_complexity(query)
    assert validate(SCHEMA, parse(injected)) == []
    assert injected.count("complexity") == 1
    assert queries.with_complexity(injected) == injected
    assert queries.with_complexity("{ me { id } }").startswith("{ complexity {")


def test_updated_since_params_use_the_documented_exact_date_rule():
    assert queries.updated_since_params(dt.date(2026, 3, 9)) == {
        "rules": [
            {
                "column_id": "__last_updated__",
                "compare_value": ["EXACT", "2026-03-09"],
                "operator": "greater_than_or_equals",
                "compare_attribute": "UPDATED_AT",
            }
        ]
    }
