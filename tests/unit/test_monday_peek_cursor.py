"""Reading a raw page body ahead of decoding: the next cursor and the complexity object."""

from __future__ import annotations

import orjson

from customer_master.monday.extract import peek_cursor


def _body(page: dict, root: str = "next_items_page") -> bytes:
    return orjson.dumps({"data": {"complexity": {"before": 10, "query": 5, "after": 5}, root: page}})


def test_reads_the_cursor_of_a_next_items_page_body():
    assert peek_cursor(_body({"cursor": "MSw5NzI4", "items": [{"id": "1"}]})) == "MSw5NzI4"


def test_reads_the_cursor_nested_in_boards_items_page():
    body = orjson.dumps({"data": {"boards": [{"items_page": {"cursor": "abc", "items": []}}]}})
    assert peek_cursor(body) == "abc"


def test_unescapes_json_string_escapes():
    assert peek_cursor(_body({"cursor": 'a"b\\c/é', "items": []})) == 'a"b\\c/é'


def test_the_last_page_has_no_cursor():
    assert peek_cursor(_body({"cursor": None, "items": [{"id": "1"}]})) is None


def test_an_error_body_has_no_cursor():
    assert (
        peek_cursor(b'{"errors":[{"message":"CursorExpiredError","extensions":{"code":"CursorException"}}]}')
        is None
    )


def test_a_cursor_field_inside_item_data_far_into_the_body_is_not_taken():
    # Only the head of the body is searched, where GraphQL's field order puts the page cursor.
    padding = [{"id": str(i), "name": "x" * 100} for i in range(100)]
    body = orjson.dumps({"data": {"next_items_page": {"items": padding, "cursor": "late"}}})
    assert peek_cursor(body) is None


def test_the_complexity_object_is_read_from_the_head_of_a_body():
    from customer_master.monday.pacing import ComplexitySnapshot

    body = _body({"cursor": "abc", "items": []})
    body = body.replace(
        b'"before":10,"query":5,"after":5', b'"before":10,"query":5,"after":5,"reset_in_x_seconds":42'
    )
    snapshot = ComplexitySnapshot.from_body_head(body)
    assert snapshot == ComplexitySnapshot(before=10, query=5, after=5, reset_in_x_seconds=42.0)
    assert (
        ComplexitySnapshot.from_body_head(b'{"errors":[{"message":"Complexity budget exhausted"}]}') is None
    )
