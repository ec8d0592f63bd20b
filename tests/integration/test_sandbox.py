"""The Monday sandbox over real HTTP on 127.0.0.1: API behaviour, faults, control ops, fast path.

Expected shapes come from ../shared/reference/monday-api.md (§1.3-1.7) and Monday's recorded
responses (401 `{"errors":["Not Authenticated"]}`, CursorException body).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
import orjson
import pytest

from customer_master.monday import MondayClient
from customer_master.sandbox import (
    ACCOUNT_BOARD_IDS,
    ACCOUNT_COLUMN_IDS,
    BOARD_IDS,
    COLUMN_IDS,
    SANDBOX_TOKEN,
    SandboxControlError,
    SandboxEngine,
    SandboxServer,
    WorkspaceSpec,
)
from customer_master.sandbox.model import STATE_ACTIVE, STATE_ARCHIVED, STATE_DELETED

ORDERS = BOARD_IDS["orders"]
CUSTOMERS = BOARD_IDS["customers"]
CAPACITY = BOARD_IDS["capacity"]
OC = COLUMN_IDS["orders"]
CC = COLUMN_IDS["customers"]
HEADERS = {"Authorization": SANDBOX_TOKEN, "API-Version": "2026-07"}
CURSOR_MESSAGE = (
    "CursorExpiredError: The cursor provided for pagination has expired. Please refresh your query "
    "and obtain a new cursor to continue fetching items"
)

TYPED = """
    ... on StatusValue { index label is_done label_style { color border } }
    ... on DateValue { date time }
    ... on TimelineValue { from to visualization_type }
    ... on NumbersValue { number symbol direction }
    ... on TextValue { text }
    ... on LongTextValue { text }
    ... on EmailValue { email label }
    ... on PhoneValue { phone country_short_name }
    ... on DropdownValue { values { id label } }
    ... on CheckboxValue { checked }
    ... on BoardRelationValue { linked_item_ids display_value }
    ... on PeopleValue { persons_and_teams { id kind } }
    ... on LocationValue {
      address city city_short country country_short lat lng place_id street street_number
    }
    ... on HourValue { hour minute updated_at }
"""
ITEM = f"id name state created_at updated_at group {{ id }} column_values {{ id type text value {TYPED} }}"
FIRST_PAGE = f"""query ($board: [ID!], $limit: Int!, $qp: ItemsQuery) {{
  complexity {{ before query after reset_in_x_seconds }}
  boards(ids: $board) {{ items_page(limit: $limit, query_params: $qp) {{ cursor items {{ {ITEM} }} }} }}
}}"""
NEXT_PAGE = f"""query ($cursor: String!, $limit: Int!) {{
  next_items_page(cursor: $cursor, limit: $limit) {{ cursor items {{ {ITEM} }} }}
}}"""
IDS_FIRST = """query ($board: [ID!], $limit: Int!, $qp: ItemsQuery) {
  boards(ids: $board) { items_page(limit: $limit, query_params: $qp) { cursor items { id } } } }"""
IDS_NEXT = """query ($cursor: String!, $limit: Int!) {
  next_items_page(cursor: $cursor, limit: $limit) { cursor items { id } } }"""


@pytest.fixture()
def http():
    with httpx.Client(timeout=20) as client:
        yield client


def post(http, sb, query, variables=None, headers=HEADERS, **kw) -> httpx.Response:
    return http.post(sb.url, json={"query": query, "variables": variables or {}}, headers=headers, **kw)


def ok(resp: httpx.Response) -> dict:
    assert resp.status_code == 200, resp.text[:500]
    body = resp.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def error_of(resp: httpx.Response) -> dict:
    body = resp.json()
    assert body.get("errors"), body
    return body["errors"][0]


def crawl(http, sb, board, *, limit=100, qp=None, query=IDS_FIRST, next_query=IDS_NEXT):
    """Every item of a board through items_page + next_items_page; returns (items, pages)."""
    data = ok(post(http, sb, query, {"board": [board], "limit": limit, "qp": qp}))
    page = data["boards"][0]["items_page"]
    items, pages = list(page["items"]), 1
    while page["cursor"]:
        page = ok(post(http, sb, next_query, {"cursor": page["cursor"], "limit": limit}))["next_items_page"]
        items += page["items"]
        pages += 1
    return items, pages


def active_ids(sb, board) -> list[str]:
    return sb.workspace_active_item_ids(board)


def items_of(sb, board, state=None):
    items = sb.workspace.board(board).items
    return [it for it in items if state is None or it.state == state]


# --------------------------------------------------------------------------- auth, version


def test_missing_or_wrong_token_gets_mondays_401_not_authenticated(http, sandbox):
    for headers in ({"API-Version": "2026-07"}, {**HEADERS, "Authorization": "nope"}):
        resp = post(http, sandbox, "{ me { id } }", headers=headers)
        assert resp.status_code == 401
        assert resp.json() == {"errors": ["Not Authenticated"]}


def test_bearer_prefixed_token_is_accepted(http, sandbox):
    resp = post(http, sandbox, "{ me { id } }", headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"})
    assert ok(resp)["me"]["id"]


def test_api_version_is_echoed_and_defaults_to_current(http, sandbox):
    cases = {
        "2026-04": "2026-04",
        "2026-10": "2026-10",
        None: "2026-07",
        "2024-02": "2026-07",
        "2025-01": "2026-04",
    }
    for sent, echoed in cases.items():
        headers = {"Authorization": SANDBOX_TOKEN, **({"API-Version": sent} if sent else {})}
        resp = post(http, sandbox, "{ version { kind value } }", headers=headers)
        assert resp.headers["API-Version"] == echoed
        assert ok(resp)["version"]["value"] == echoed


def test_malformed_api_version_is_an_invalid_version_exception(http, sandbox):
    resp = post(
        http, sandbox, "{ me { id } }", headers={"Authorization": SANDBOX_TOKEN, "API-Version": "2023"}
    )
    assert resp.status_code == 200
    err = error_of(resp)
    assert err["extensions"]["code"] == "InvalidVersionException"
    assert err["extensions"]["request_id"]
    assert resp.json()["account_id"]


def test_unknown_field_is_a_graphql_validation_error(http, sandbox):
    resp = post(http, sandbox, "{ boards { id nope } }")
    assert resp.status_code == 200
    body = resp.json()
    assert "data" not in body
    assert body["errors"][0]["message"] == "Field 'nope' doesn't exist on type 'Board'"
    assert body["errors"][0]["extensions"]["code"] == "undefinedField"
    assert body["errors"][0]["locations"]


# --------------------------------------------------------------------------- boards


def test_boards_expose_fixed_columns_groups_and_active_item_counts(http, sandbox):
    query = """{ boards(ids: [%s, %s, %s]) { id name state board_kind type items_count
        columns { id title type settings_str archived } groups { id title color position } } }"""
    boards = ok(post(http, sandbox, query % (CUSTOMERS, ORDERS, CAPACITY)))["boards"]
    by_id = {b["id"]: b for b in boards}
    assert set(by_id) == set(BOARD_IDS.values())
    for key, board_id in BOARD_IDS.items():
        board = by_id[board_id]
        assert [c["id"] for c in board["columns"]] == list(COLUMN_IDS[key].values())
        assert board["columns"][0] == {
            "id": "name",
            "title": board["columns"][0]["title"],
            "type": "name",
            "settings_str": "{}",
            "archived": False,
        }
        assert board["items_count"] == len(active_ids(sandbox, board_id))
        assert board["groups"] and all(g["id"] and g["position"] for g in board["groups"])
        assert (board["state"], board["board_kind"], board["type"]) == ("active", "public", "board")
    status = next(c for c in by_id[ORDERS]["columns"] if c["id"] == OC["status"])
    settings = json.loads(status["settings_str"])
    assert set(settings["labels"].values()) == {
        "New",
        "Confirmed",
        "In production",
        "Shipped",
        "Delivered",
        "Cancelled",
    }
    priority = next(c for c in by_id[ORDERS]["columns"] if c["id"] == OC["priority"])
    assert set(json.loads(priority["settings_str"])["labels"].values()) == {"Rush", "High", "Normal", "Low"}
    days = next(c for c in by_id[CUSTOMERS]["columns"] if c["id"] == CC["delivery_days"])
    assert [x["name"] for x in json.loads(days["settings_str"])["labels"]] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]


def test_boards_arguments_filter_and_page(http, sandbox):
    data = ok(
        post(
            http,
            sandbox,
            "{ a: boards(limit: 2) { id } b: boards(limit: 2, page: 2) { id } "
            "c: boards(state: archived) { id } }",
        )
    )
    assert [b["id"] for b in data["a"]] == [CUSTOMERS, ORDERS]
    assert [b["id"] for b in data["b"]] == [CAPACITY]
    assert data["c"] == []
    cols = ok(post(http, sandbox, f"{{ boards(ids: [{ORDERS}]) {{ columns(types: [date]) {{ id }} }} }}"))
    assert [c["id"] for c in cols["boards"][0]["columns"]] == [
        OC["requested_date"],
        OC["promised_date"],
        OC["delivered_date"],
        OC["planned_date"],  # the plan write-back's column (empty until a plan is written)
    ]


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize("board", [ORDERS, CUSTOMERS, CAPACITY])
def test_full_pagination_returns_every_active_item_exactly_once_in_id_order(http, sandbox, board):
    items, pages = crawl(http, sandbox, board, limit=97)
    ids = [i["id"] for i in items]
    assert ids == active_ids(sandbox, board)
    assert len(ids) == len(set(ids))
    assert pages == -(-len(ids) // 97)


def test_last_page_has_a_null_cursor_and_no_empty_trailing_page(http, sandbox):
    n = len(active_ids(sandbox, CUSTOMERS))
    data = ok(post(http, sandbox, IDS_FIRST, {"board": [CUSTOMERS], "limit": n}))
    page = data["boards"][0]["items_page"]
    assert page["cursor"] is None and len(page["items"]) == n


def test_group_items_page_returns_only_that_groups_active_items(http, sandbox):
    query = f"""{{ boards(ids: [{ORDERS}]) {{ groups(ids: ["group_mkq2done"]) {{ items_page(limit: 500) {{
        cursor items {{ id group {{ id }} }} }} }} }} }}"""
    page = ok(post(http, sandbox, query))["boards"][0]["groups"][0]["items_page"]
    expected = [it.sid for it in items_of(sandbox, ORDERS, STATE_ACTIVE) if it.group_id == "group_mkq2done"]
    assert [i["id"] for i in page["items"]] == expected
    assert {i["group"]["id"] for i in page["items"]} == {"group_mkq2done"}


@pytest.mark.parametrize("field", ["items_page", "next_items_page"])
def test_a_limit_above_500_is_an_invalid_argument_error(http, sandbox, field):
    if field == "items_page":
        resp = post(http, sandbox, IDS_FIRST, {"board": [ORDERS], "limit": 501})
    else:
        cursor = ok(post(http, sandbox, IDS_FIRST, {"board": [ORDERS], "limit": 10}))["boards"][0][
            "items_page"
        ]["cursor"]
        resp = post(http, sandbox, IDS_NEXT, {"cursor": cursor, "limit": 501})
    assert resp.status_code == 200
    err = error_of(resp)
    assert err["extensions"]["code"] == "InvalidArgumentException"
    assert "500" in err["message"]
    assert err["extensions"]["request_id"]


def _assert_cursor_expired(resp: httpx.Response) -> None:
    assert resp.status_code == 200
    body = resp.json()
    assert "data" not in body
    assert len(body["errors"]) == 1
    assert body["errors"][0]["message"] == CURSOR_MESSAGE
    assert body["errors"][0]["extensions"]["code"] == "CursorException"


def test_cursor_expires_after_its_ttl(http):
    with SandboxServer(WorkspaceSpec(orders=60), cursor_ttl_seconds=0.05) as sb:
        cursor = ok(post(http, sb, IDS_FIRST, {"board": [ORDERS], "limit": 10}))["boards"][0]["items_page"][
            "cursor"
        ]
        time.sleep(0.2)
        _assert_cursor_expired(post(http, sb, IDS_NEXT, {"cursor": cursor, "limit": 10}))


def test_a_chains_lifetime_counts_from_its_first_page_not_from_each_cursor(http):
    # Monday: cursors are "valid for 60 minutes after the initial request". A cursor issued a
    # moment ago still dies once its chain's first page is older than the lifetime.
    with SandboxServer(WorkspaceSpec(orders=60), cursor_ttl_seconds=1.0) as sb:
        first = ok(post(http, sb, IDS_FIRST, {"board": [ORDERS], "limit": 10}))["boards"][0]["items_page"]
        time.sleep(0.6)
        second = ok(post(http, sb, IDS_NEXT, {"cursor": first["cursor"], "limit": 10}))["next_items_page"]
        time.sleep(0.6)  # the second cursor is 0.6 s old, the chain 1.2 s
        _assert_cursor_expired(post(http, sb, IDS_NEXT, {"cursor": second["cursor"], "limit": 10}))
        # A new chain gets a new lifetime.
        again = ok(post(http, sb, IDS_FIRST, {"board": [ORDERS], "limit": 10}))["boards"][0]["items_page"]
        assert ok(post(http, sb, IDS_NEXT, {"cursor": again["cursor"], "limit": 10}))["next_items_page"]


def test_unknown_cursor_is_a_cursor_exception(http, sandbox):
    _assert_cursor_expired(post(http, sandbox, IDS_NEXT, {"cursor": "MSw5NzI4MDA5MDAsaV9Y", "limit": 10}))


def test_expire_cursors_invalidates_live_cursors_but_new_queries_work(http, sandbox):
    first = ok(post(http, sandbox, IDS_FIRST, {"board": [ORDERS], "limit": 10}))["boards"][0]["items_page"]
    sandbox.control.expire_cursors()
    _assert_cursor_expired(post(http, sandbox, IDS_NEXT, {"cursor": first["cursor"], "limit": 10}))
    again = ok(post(http, sandbox, IDS_FIRST, {"board": [ORDERS], "limit": 10}))["boards"][0]["items_page"]
    assert again["items"] == first["items"]
    assert ok(post(http, sandbox, IDS_NEXT, {"cursor": again["cursor"], "limit": 10}))["next_items_page"][
        "items"
    ]


def test_cursor_chain_expires_after_n_pages_fault(http, sandbox):
    sandbox.control.set_faults(cursor_expire_after_pages=2)
    page = ok(post(http, sandbox, IDS_FIRST, {"board": [ORDERS], "limit": 10}))["boards"][0]["items_page"]
    page = ok(post(http, sandbox, IDS_NEXT, {"cursor": page["cursor"], "limit": 10}))["next_items_page"]
    _assert_cursor_expired(post(http, sandbox, IDS_NEXT, {"cursor": page["cursor"], "limit": 10}))
    assert sandbox.control.stats()["cursor_errors"] == 1


def test_items_page_accepts_a_cursor_argument_too(http, sandbox):
    first = ok(post(http, sandbox, IDS_FIRST, {"board": [ORDERS], "limit": 10}))["boards"][0]["items_page"]
    cursor = first["cursor"]
    query = (
        f'{{ boards(ids: [{ORDERS}]) {{ items_page(limit: 10, cursor: "{cursor}") {{ items {{ id }} }} }} }}'
    )
    second = ok(post(http, sandbox, query))["boards"][0]["items_page"]["items"]
    assert [i["id"] for i in second] == active_ids(sandbox, ORDERS)[10:20]


# --------------------------------------------------------------------------- query_params


def _updated_day(it) -> dt.date:
    return dt.datetime.fromtimestamp(it.updated, dt.UTC).date()


def _rule(op, *days):
    value = ["EXACT", days[0]] if len(days) == 1 else list(days)
    return {
        "rules": [
            {
                "column_id": "__last_updated__",
                "compare_value": value,
                "operator": op,
                "compare_attribute": "UPDATED_AT",
            }
        ]
    }


def test_last_updated_exact_filter_is_day_granular_utc(http, sandbox):
    day = dt.date(2026, 10, 25)
    active = items_of(sandbox, ORDERS, STATE_ACTIVE)
    expected = {it.sid for it in active if _updated_day(it) >= day}
    assert 0 < len(expected) < len(active)
    got, _ = crawl(http, sandbox, ORDERS, limit=50, qp=_rule("greater_than_or_equals", day.isoformat()))
    assert [i["id"] for i in got] == [it.sid for it in active if it.sid in expected]


@pytest.mark.parametrize(
    ("op", "days", "predicate"),
    [
        ("greater_than", ["2026-10-25"], lambda d: d > dt.date(2026, 10, 25)),
        ("lower_than", ["2026-10-01"], lambda d: d < dt.date(2026, 10, 1)),
        ("lower_than_or_equal", ["2026-10-01"], lambda d: d <= dt.date(2026, 10, 1)),
        (
            "between",
            ["2026-10-10", "2026-10-20"],
            lambda d: dt.date(2026, 10, 10) <= d <= dt.date(2026, 10, 20),
        ),
    ],
)
def test_last_updated_comparison_operators(http, sandbox, op, days, predicate):
    expected = [it.sid for it in items_of(sandbox, ORDERS, STATE_ACTIVE) if predicate(_updated_day(it))]
    assert expected
    got, _ = crawl(http, sandbox, ORDERS, limit=200, qp=_rule(op, *days))
    assert [i["id"] for i in got] == expected


def test_any_of_on_status_and_query_params_ids(http, sandbox):
    slot = sandbox.workspace.board(ORDERS).columns_by_id[OC["status"]].slot
    expected = [it.sid for it in items_of(sandbox, ORDERS, STATE_ACTIVE) if it.cells[slot] in (1, 2)]
    qp = {"rules": [{"column_id": OC["status"], "compare_value": [1, "Cancelled"], "operator": "any_of"}]}
    got, _ = crawl(http, sandbox, ORDERS, limit=100, qp=qp)
    assert [i["id"] for i in got] == expected
    some = active_ids(sandbox, ORDERS)[5:8]
    got, _ = crawl(http, sandbox, ORDERS, qp={"ids": some})
    assert [i["id"] for i in got] == some


def test_unsupported_rules_are_invalid_argument_errors_not_crashes(http, sandbox):
    qp = _rule("within_the_next", "2026-10-01")
    resp = post(http, sandbox, IDS_FIRST, {"board": [ORDERS], "limit": 10, "qp": qp})
    assert resp.status_code == 200
    assert error_of(resp)["extensions"]["code"] == "InvalidArgumentException"
    qp = {"rules": [{"column_id": "no_such_column", "compare_value": ["x"]}]}
    resp = post(http, sandbox, IDS_FIRST, {"board": [ORDERS], "limit": 10, "qp": qp})
    assert error_of(resp)["extensions"]["code"] == "InvalidColumnIdException"


# --------------------------------------------------------------------------- items(ids)

ITEMS_BY_IDS = """query ($ids: [ID!], $limit: Int, $x: Boolean) {
  items(ids: $ids, limit: $limit, exclude_nonactive: $x) { id state } }"""


def test_items_by_ids_return_every_state_and_honour_exclude_nonactive(http, sandbox):
    archived = items_of(sandbox, ORDERS, STATE_ARCHIVED)[0].sid
    deleted = items_of(sandbox, ORDERS, STATE_DELETED)[0].sid
    active = active_ids(sandbox, ORDERS)[0]
    got = ok(post(http, sandbox, ITEMS_BY_IDS, {"ids": [deleted, archived, active], "limit": 100}))["items"]
    assert {i["id"]: i["state"] for i in got} == {archived: "archived", deleted: "deleted", active: "active"}
    got = ok(
        post(http, sandbox, ITEMS_BY_IDS, {"ids": [deleted, archived, active], "limit": 100, "x": True})
    )["items"]
    assert got == [{"id": active, "state": "active"}]
    assert archived not in active_ids(sandbox, ORDERS) and deleted not in active_ids(sandbox, ORDERS)


def test_items_by_ids_default_limit_is_25_and_more_than_100_ids_is_an_error(http, sandbox):
    ids = active_ids(sandbox, ORDERS)
    assert len(ok(post(http, sandbox, ITEMS_BY_IDS, {"ids": ids[:40]}))["items"]) == 25
    assert len(ok(post(http, sandbox, ITEMS_BY_IDS, {"ids": ids[:100], "limit": 100}))["items"]) == 100
    resp = post(http, sandbox, ITEMS_BY_IDS, {"ids": ids[:101], "limit": 100})
    assert resp.status_code == 200
    err = error_of(resp)
    assert err["extensions"]["code"] == "InvalidArgumentException" and "100" in err["message"]


def test_purge_deleted_fault_makes_deleted_items_vanish(http, sandbox):
    deleted = items_of(sandbox, ORDERS, STATE_DELETED)[0].sid
    assert ok(post(http, sandbox, ITEMS_BY_IDS, {"ids": [deleted]}))["items"] == [
        {"id": deleted, "state": "deleted"}
    ]
    sandbox.control.set_faults(purge_deleted=True)
    assert ok(post(http, sandbox, ITEMS_BY_IDS, {"ids": [deleted]}))["items"] == []


# --------------------------------------------------------------------------- column values


def _values_by_type(http, sb, board, limit=500) -> dict[str, list[dict]]:
    data = ok(post(http, sb, FIRST_PAGE, {"board": [board], "limit": limit}))
    out: dict[str, list[dict]] = {}
    for item in data["boards"][0]["items_page"]["items"]:
        for cv in item["column_values"]:
            out.setdefault(cv["type"], []).append(cv)
    return out


def test_column_values_never_include_the_name_column_and_follow_board_order(http, sandbox):
    data = ok(post(http, sandbox, FIRST_PAGE, {"board": [ORDERS], "limit": 3}))
    for item in data["boards"][0]["items_page"]["items"]:
        assert [cv["id"] for cv in item["column_values"]] == [c for r, c in OC.items() if r != "name"]


def test_column_value_json_strings_follow_mondays_shapes(http, sandbox):
    sandbox.control.reset(customers=200)
    values = _values_by_type(http, sandbox, ORDERS)
    for col_type, cvs in _values_by_type(http, sandbox, CUSTOMERS).items():
        values.setdefault(col_type, []).extend(cvs)
    full = {t: [v for v in vs if v["value"] is not None] for t, vs in values.items()}
    empty = {t: [v for v in vs if v["value"] is None] for t, vs in values.items()}

    for v in full["text"]:
        assert json.loads(v["value"]) == v["text"]  # "\"SO-100001\""
    for v in full["numbers"]:
        assert json.loads(v["value"]) == v["text"] and isinstance(json.loads(v["value"]), str)
        assert v["number"] == float(v["text"])
    for v in full["status"]:
        assert json.loads(v["value"]) == {"index": v["index"]}
        assert v["text"] == v["label"] and v["label_style"]["color"].startswith("#")
    for v in full["date"]:
        raw = json.loads(v["value"])
        assert raw["date"] == v["date"] and "changed_at" in raw and raw["time"] == v["time"]
        assert v["text"] == (v["date"] if v["time"] is None else f"{v['date']} {v['time'][:5]}")
    for v in full["timeline"]:
        raw = json.loads(v["value"])
        assert v["text"] == f"{raw['from']} - {raw['to']}" and v["from"].startswith(raw["from"])
    for v in full["dropdown"]:
        assert json.loads(v["value"]) == {"ids": [int(o["id"]) for o in v["values"]]}
        assert v["text"] == ", ".join(o["label"] for o in v["values"])
    for v in full["checkbox"]:
        assert json.loads(v["value"])["checked"] == "true" and v["text"] == "v" and v["checked"] is True
    for v in full["email"]:
        assert json.loads(v["value"]) == {"email": v["email"], "text": v["label"]}
    for v in full["phone"]:
        assert json.loads(v["value"]) == {"phone": v["phone"], "countryShortName": v["country_short_name"]}
    for v in full["people"]:
        raw = json.loads(v["value"])
        assert raw["personsAndTeams"] == [
            {"id": int(p["id"]), "kind": "person"} for p in v["persons_and_teams"]
        ]
    for v in full["location"]:
        raw = json.loads(v["value"])
        assert raw["address"] == v["address"] == v["text"] and float(raw["lat"]) == v["lat"]
    for v in full["long_text"]:
        assert json.loads(v["value"])["text"] == v["text"]
    relations = values["board_relation"]
    assert all(v["text"] is None and v["value"] is None for v in relations)
    linked = [v for v in relations if v["linked_item_ids"]]
    assert linked
    names = {it.sid: ("" if it.state == STATE_DELETED else it.name) for it in items_of(sandbox, CUSTOMERS)}
    assert all(v["display_value"] == names[v["linked_item_ids"][0]] for v in linked)
    # Empty cells: value null, text "" (board_relation's text is always null).
    for t in ("checkbox", "date", "long_text", "text", "dropdown", "email", "phone", "people", "numbers"):
        assert empty[t], f"expected some empty {t} cells"
        assert all(v["text"] == "" for v in empty[t])
    assert all(v["checked"] is False for v in empty["checkbox"])


# --------------------------------------------------------------------------- complexity


def test_complexity_object_and_rate_limit_headers(http, sandbox):
    resp = post(http, sandbox, FIRST_PAGE, {"board": [ORDERS], "limit": 100})
    c = ok(resp)["complexity"]
    assert (
        c["before"] == 10_000_000
        and c["after"] == c["before"] - c["query"]
        and 0 < c["reset_in_x_seconds"] <= 60
    )
    assert c["query"] == 1 + 1 + 100 * (1 + 1 + 10)  # boards, items_page, items x (item + group + 10 values)
    assert '"complexityMinute";q=10000000;w=60' in resp.headers["RateLimit-Policy"]
    assert re.search(r'"complexityMinute";r=\d+;t=\d+', resp.headers["RateLimit"])
    again = ok(post(http, sandbox, FIRST_PAGE, {"board": [ORDERS], "limit": 100}))["complexity"]
    assert again["before"] == c["after"]
    assert sandbox.control.stats()["complexity_used"] == 2 * c["query"]


def test_budget_exhaustion_answers_429_with_retry_after(http):
    with SandboxServer(WorkspaceSpec(orders=100), complexity_budget_per_minute=3000) as sb:
        statuses = [
            post(http, sb, IDS_FIRST, {"board": [ORDERS], "limit": 500}).status_code for _ in range(5)
        ]
        assert statuses == [200] * 5  # 1 + 1 + 500 = 502 points each
        resp = post(http, sb, IDS_FIRST, {"board": [ORDERS], "limit": 500})
        assert resp.status_code == 429
        body = resp.json()
        ext = body["errors"][0]["extensions"]
        assert body["errors"][0]["message"] == "Complexity budget exhausted"
        assert ext["code"] == "COMPLEXITY_BUDGET_EXHAUSTED"
        assert 1 <= ext["retry_in_seconds"] <= 60 and resp.headers["Retry-After"] == str(
            ext["retry_in_seconds"]
        )
        assert sb.control.stats()["rate_limited"] >= 1


def test_a_query_over_the_per_query_maximum_is_refused(http, sandbox):
    query = """{ boards(limit: 1000) { items_page(limit: 500) { items { column_values {
        ... on BoardRelationValue { linked_items { column_values { id } } } } } } } }"""
    resp = post(http, sandbox, query)
    assert resp.status_code == 200
    err = error_of(resp)
    assert err["extensions"]["code"] == "ComplexityException"
    assert "exceeds max complexity of 5000000" in err["message"]


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("shape", ["current", "legacy_200", "legacy_flat"])
def test_rate_limit_next_fault_in_each_shape(http, sandbox, shape):
    sandbox.control.set_faults(rate_limit_next=2, rate_limit_shape=shape, rate_limit_retry_in_seconds=7)
    for _ in range(2):
        resp = post(http, sandbox, "{ me { id } }")
        body = resp.json()
        assert resp.headers["Retry-After"] == "7"
        if shape == "current":
            assert resp.status_code == 429
            assert body["errors"][0]["message"] == "Complexity budget exhausted"
            assert body["errors"][0]["extensions"]["code"] == "COMPLEXITY_BUDGET_EXHAUSTED"
            assert body["errors"][0]["extensions"]["retry_in_seconds"] == 7
        elif shape == "legacy_200":
            assert resp.status_code == 200
            ext = body["errors"][0]["extensions"]
            assert ext["code"] == "COMPLEXITY_BUDGET_EXHAUSTED" and ext["status_code"] == 429
            assert ext["retry_in_seconds"] == 7 and "complexity_budget_limit" in ext
        else:
            assert resp.status_code == 429
            assert body["error_code"] == "ComplexityException" and body["status_code"] == 429
            assert "reset in 7 seconds" in body["error_message"] and body["errors"] == [body["error_message"]]
    ok(post(http, sandbox, "{ me { id } }"))


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_next_fault(http, sandbox, status):
    sandbox.control.set_faults(server_error_next=1, server_error_status=status)
    resp = post(http, sandbox, "{ me { id } }")
    assert resp.status_code == status
    if status == 500:
        assert resp.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    else:
        assert resp.headers["Content-Type"].startswith("text/html") and str(status) in resp.text
    ok(post(http, sandbox, "{ me { id } }"))
    assert sandbox.control.stats()["server_errors"] == 1


def test_latency_fault_delays_responses(http, sandbox):
    sandbox.control.set_faults(latency_ms=150)
    started = time.perf_counter()
    ok(post(http, sandbox, "{ me { id } }"))
    assert time.perf_counter() - started >= 0.15


def test_latency_does_not_serialise_concurrent_requests(http, sandbox):
    sandbox.control.set_faults(latency_ms=1500)
    results: dict[str, httpx.Response] = {}

    def first():
        with httpx.Client(timeout=20) as other:
            results["first"] = post(other, sandbox, "{ me { id } }")

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 5
    while sandbox.engine.inflight < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    second = post(http, sandbox, "{ me { id } }")
    thread.join()
    # The second request was handled while the first one was still in its latency sleep.
    assert '"concurrency";r=248' in second.headers["RateLimit"]
    assert results["first"].status_code == 200 and second.status_code == 200


def test_latency_per_item_charges_items_with_values_not_id_pages():
    # The delay the HTTP layer sleeps is computed by the engine: read it there, no clock needed.
    engine = SandboxEngine(WorkspaceSpec(orders=60))
    engine.faults.update(latency_ms=5, latency_per_item_ms=2)

    def delay(query: str, variables: dict) -> float:
        resp = engine.handle_graphql(HEADERS, orjson.dumps({"query": query, "variables": variables}))
        assert resp.status == 200 and b'"errors"' not in resp.body
        return resp.delay

    full_page = delay(FIRST_PAGE, {"board": [ORDERS], "limit": 25})
    id_page = delay(IDS_FIRST, {"board": [ORDERS], "limit": 25})
    ids = [it.sid for it in engine.ws.board(ORDERS).items[:7]]
    by_id = delay(f"query ($ids: [ID!]) {{ items(ids: $ids, limit: 100) {{ {ITEM} }} }}", {"ids": ids})
    assert full_page == pytest.approx((5 + 25 * 2) / 1000)
    assert id_page == pytest.approx(5 / 1000)
    assert by_id == pytest.approx((5 + 7 * 2) / 1000)


def test_probabilistic_fault_mix_is_seeded_and_close_to_its_rates(http, sandbox):
    def statuses(seed: int) -> list[int]:
        sandbox.control.set_faults(
            rate_limit_rate=0.2, server_error_rate=0.1, rate_limit_retry_in_seconds=0.25, fault_seed=seed
        )
        return [post(http, sandbox, "{ me { id } }").status_code for _ in range(300)]

    first = statuses(7)
    assert statuses(7) == first  # same seed, same sequence
    assert statuses(8) != first
    assert 0.12 < first.count(429) / 300 < 0.28  # 20 % of what got past the 10 % of 5xx: ~18 %
    assert 0.05 < first.count(500) / 300 < 0.16
    resp = next(r for r in (post(http, sandbox, "{ me { id } }") for _ in range(50)) if r.status_code == 429)
    assert resp.headers["Retry-After"] == "0.25"
    assert resp.json()["errors"][0]["extensions"]["retry_in_seconds"] == 0.25
    with pytest.raises(SandboxControlError, match="rate_limit_rate must be within"):
        sandbox.control.set_faults(rate_limit_rate=1.5)


def test_slow_next_fault_trips_client_timeouts_once(sandbox):
    sandbox.control.set_faults(slow_next=1, slow_seconds=1.0)
    with httpx.Client(timeout=0.3) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            post(impatient, sandbox, "{ me { id } }")
        ok(post(impatient, sandbox, "{ me { id } }"))


def _broken(cv: dict) -> bool:
    value = cv["value"]
    if value is None:
        return False
    try:
        parsed = json.loads(value)
    except ValueError:
        return True
    if cv["type"] == "numbers":
        return cv["number"] is None
    if cv["type"] == "date":
        return parsed.get("date") == "2025-13-45"
    if cv["type"] == "email":
        return "@" not in parsed.get("email", "")
    return False


def test_malformed_values_fault_is_deterministic_per_item_and_column(http, sandbox):
    clean = _values_by_type(http, sandbox, ORDERS)
    assert not any(_broken(cv) for vs in clean.values() for cv in vs)
    sandbox.control.set_faults(malformed_rate=0.2)
    first = ok(post(http, sandbox, FIRST_PAGE, {"board": [ORDERS], "limit": 200}))
    second = ok(post(http, sandbox, FIRST_PAGE, {"board": [ORDERS], "limit": 200}))
    assert first["boards"] == second["boards"]
    cells = [cv for it in first["boards"][0]["items_page"]["items"] for cv in it["column_values"]]
    nonempty = [cv for cv in cells if cv["value"] is not None]
    broken = [cv for cv in nonempty if _broken(cv)]
    assert 0.1 < len(broken) / len(nonempty) < 0.3
    assert {cv["type"] for cv in broken} >= {"numbers", "date", "status"}


def test_clear_faults_restores_normal_service(http, sandbox):
    sandbox.control.set_faults(rate_limit_next=5, malformed_rate=1.0, purge_deleted=True)
    faults = sandbox.control.clear_faults()
    assert (
        faults["rate_limit_next"] == 0 and faults["malformed_rate"] == 0 and faults["purge_deleted"] is False
    )
    ok(post(http, sandbox, "{ me { id } }"))
    with pytest.raises(SandboxControlError):
        sandbox.control.set_faults(no_such_fault=1)


# --------------------------------------------------------------------------- drift and mutations

COLUMNS_AND_FIRST_ITEM = f"""{{ boards(ids: [{ORDERS}]) {{ columns {{ id title type }} items_page(limit: 1) {{
    items {{ id column_values {{ id text value column {{ id title }} }} }} }} }} }}"""


def test_column_drift_add_rename_remove(http, sandbox):
    ctl = sandbox.control
    ctl.add_column(ORDERS, "text_mkq2crr7", "Carrier", "text")
    board = ok(post(http, sandbox, COLUMNS_AND_FIRST_ITEM))["boards"][0]
    assert board["columns"][-1] == {"id": "text_mkq2crr7", "title": "Carrier", "type": "text"}
    added = board["items_page"]["items"][0]["column_values"][-1]
    assert added == {
        "id": "text_mkq2crr7",
        "text": "",
        "value": None,
        "column": {"id": "text_mkq2crr7", "title": "Carrier"},
    }

    item_id = board["items_page"]["items"][0]["id"]
    ctl.update_item(ORDERS, item_id, column_values={"text_mkq2crr7": '"DHL"'})
    ctl.rename_column(ORDERS, OC["quantity"], "Qty (units)")
    ctl.remove_column(ORDERS, OC["promised_date"])
    board = ok(post(http, sandbox, COLUMNS_AND_FIRST_ITEM))["boards"][0]
    column_ids = [c["id"] for c in board["columns"]]
    assert OC["promised_date"] not in column_ids
    assert next(c for c in board["columns"] if c["id"] == OC["quantity"])["title"] == "Qty (units)"
    cvs = {cv["id"]: cv for cv in board["items_page"]["items"][0]["column_values"]}
    assert OC["promised_date"] not in cvs
    assert cvs["text_mkq2crr7"]["text"] == "DHL" and cvs["text_mkq2crr7"]["value"] == '"DHL"'
    assert cvs[OC["quantity"]]["column"]["title"] == "Qty (units)"
    with pytest.raises(SandboxControlError):
        ctl.add_column(ORDERS, "text_mkq2crr7", "Again", "text")
    ctl.reset()  # a regenerated board never shows the drift through cached query plans
    board = ok(post(http, sandbox, COLUMNS_AND_FIRST_ITEM))["boards"][0]
    assert [c["id"] for c in board["columns"]] == list(OC.values())
    cvs = {cv["id"]: cv for cv in board["items_page"]["items"][0]["column_values"]}
    assert cvs[OC["quantity"]]["column"]["title"] == "Quantity" and "text_mkq2crr7" not in cvs


def test_create_update_archive_delete_items_with_the_sandbox_clock(http, sandbox):
    ctl = sandbox.control
    ctl.set_clock("2026-11-05T09:30:00Z")
    customer = active_ids(sandbox, CUSTOMERS)[0]
    new_id = ctl.create_item(
        ORDERS,
        "SO-999999",
        {
            OC["order_number"]: '"SO-999999"',
            OC["status"]: '{"index":0}',
            OC["quantity"]: '"12.5"',
            OC["requested_date"]: '{"date":"2026-11-20"}',
            OC["customer"]: json.dumps({"item_ids": [int(customer)]}),
            OC["rush_approved"]: '{"checked":"true"}',
        },
    )
    target = active_ids(sandbox, ORDERS)[3]
    ctl.update_item(ORDERS, target, name="renamed", column_values={OC["status"]: '{"index":1}'})
    since = _rule("greater_than_or_equals", "2026-11-05")
    query = FIRST_PAGE
    page = ok(post(http, sandbox, query, {"board": [ORDERS], "limit": 50, "qp": since}))["boards"][0][
        "items_page"
    ]
    by_id = {i["id"]: i for i in page["items"]}
    assert list(by_id) == [target, new_id]  # id order; only the two touched on 2026-11-05
    assert by_id[target]["name"] == "renamed" and by_id[target]["updated_at"] == "2026-11-05T09:30:00Z"
    new = {cv["id"]: cv for cv in by_id[new_id]["column_values"]}
    assert new[OC["quantity"]]["number"] == 12.5 and new[OC["status"]]["label"] == "New"
    assert new[OC["customer"]]["linked_item_ids"] == [customer]
    assert new[OC["requested_date"]]["date"] == "2026-11-20" and new[OC["rush_approved"]]["checked"] is True
    assert by_id[new_id]["created_at"] == "2026-11-05T09:30:00Z"

    ctl.archive_item(ORDERS, target)
    ctl.delete_item(ORDERS, new_id)
    assert target not in active_ids(sandbox, ORDERS)
    states = ok(post(http, sandbox, ITEMS_BY_IDS, {"ids": [target, new_id]}))["items"]
    assert {i["id"]: i["state"] for i in states} == {target: "archived", new_id: "deleted"}
    got, _ = crawl(http, sandbox, ORDERS, limit=500)
    assert target not in {i["id"] for i in got} and new_id not in {i["id"] for i in got}


def test_control_stats_and_health(http, sandbox):
    ok(post(http, sandbox, "{ me { id } }"))
    post(http, sandbox, "{ me { nope } }")
    stats = sandbox.control.stats()
    assert stats["graphql_requests"] == 2 and stats["errors_returned"] == 1
    assert stats["requests"] >= 3 and stats["complexity_used"] >= 1
    assert sandbox.control.health()["status"] == "ok"
    with pytest.raises(SandboxControlError):
        sandbox.control.update_item(ORDERS, "1", name="x")


def test_reset_regenerates_with_changed_spec_fields(http, sandbox):
    sandbox.control.reset(orders=120, seed=3)
    assert sandbox.workspace.spec.orders == 120
    items, _ = crawl(http, sandbox, ORDERS, limit=500)
    assert len(items) == len(active_ids(sandbox, ORDERS)) and 100 < len(items) <= 120
    sandbox.control.reset()
    assert sandbox.workspace.spec == WorkspaceSpec()


# --------------------------------------------------------------------------- determinism, CLI


def test_same_spec_gives_byte_identical_responses_and_another_seed_differs(http):
    bodies = []
    for seed in (5, 5, 6):
        with SandboxServer(WorkspaceSpec(orders=80, seed=seed)) as sb:
            resp = post(
                http,
                sb,
                FIRST_PAGE.replace("complexity { before query after reset_in_x_seconds }", ""),
                {"board": [ORDERS], "limit": 40},
            )
            bodies.append(resp.content)
    assert bodies[0] == bodies[1]
    assert bodies[0] != bodies[2]


def test_cli_serves_until_sigterm_and_exits_zero(http):
    env = {**os.environ, "MONDAY_API_TOKEN": "cli-token"}
    cmd = [
        sys.executable,
        "-m",
        "customer_master.sandbox",
        "serve",
        "--port",
        "0",
        "--orders",
        "50",
        "--seed",
        "9",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        match = re.fullmatch(r"sandbox listening on (http://127\.0\.0\.1:(\d+)/v2)\n", line)
        assert match, line
        url = match.group(1)
        resp = http.post(url, json={"query": "{ boards { id } }"}, headers={"Authorization": "cli-token"})
        assert [b["id"] for b in resp.json()["data"]["boards"]] == list(BOARD_IDS.values())
        assert http.post(url, json={"query": "{ me { id } }"}, headers=HEADERS).status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- fast path == graphql-core

EQUIVALENCE_QUERIES: list[tuple[str, dict]] = [
    (FIRST_PAGE, {"board": [ORDERS], "limit": 60}),
    (FIRST_PAGE, {"board": [CUSTOMERS], "limit": 60}),
    (
        FIRST_PAGE,
        {
            "board": [CAPACITY],
            "limit": 30,
            "qp": {"rules": [{"column_id": COLUMN_IDS["capacity"]["line"], "compare_value": [0]}]},
        },
    ),
    (
        """query Aliases($b: [ID!]) { boards(ids: $b) { bid: id title: name
             items_page(limit: 25) { next: cursor items { iid: id label: name
               cv: column_values(ids: ["status", "date_mkq2rq8d", "numeric_mkq2qt4v", "dropdown_mkq2pd6k"]) {
                 cid: id t: text v: value __typename
                 ... on StatusValue { idx: index lbl: label style: label_style { c: color color } }
                 ... on NumbersValue { n: number }
                 ... on DropdownValue { opts: values { label id } } } } } } }""",
        {"b": [ORDERS]},
    ),
    (
        """query Frags($b: [ID!]) { boards(ids: $b) { ...B items_page(limit: 20) { items { ...ItemBits } } } }
           fragment B on Board { id name __typename }
           fragment ItemBits on Item { id ...More __typename }
           fragment More on Item {
             name state column_values(types: [status, date, people, location]) { ...CV } }
           fragment CV on ColumnValue { id __typename type column { id title type }
             ... on StatusValue { label is_done } ... on DateValue { date time }
             ... on PeopleValue { persons_and_teams { kind id __typename } }
             ... on LocationValue { lat lng city } }""",
        {"b": [CUSTOMERS]},
    ),
    (
        """{ boards { id name state board_kind type updated_at items_count workspace_id
             columns { id title type settings_str archived description width }
             groups { id title color position archived deleted } }
           version { kind value } versions { kind value } me { id name email } }""",
        {},
    ),
    (
        """query Dup($b: [ID!]) { boards(ids: $b) { items_page(limit: 15) { items { id column_values { id }
             column_values { text
               ... on BoardRelationValue { linked_items { id name state } display_value } } } } } }""",
        {"b": [ORDERS]},
    ),
    (
        """query ($b: [ID!]) { boards(ids: $b) { groups { id items_page(limit: 7, query_params: {rules: [
             {column_id: "__last_updated__", compare_value: ["EXACT", "2026-10-20"],
              operator: greater_than_or_equals, compare_attribute: "UPDATED_AT"}]}) {
             cursor items { id updated_at board { id } group { title } } } } } }""",
        {"b": [ORDERS]},
    ),
    (
        """query ($show: Boolean!) { boards(ids: [7000000002]) { id name @include(if: $show) } }""",
        {"show": True},
    ),
]


def _twin_engines(spec: WorkspaceSpec, **faults):
    fast = SandboxEngine(spec, complexity_budget_per_minute=1_000_000_000)
    core = SandboxEngine(spec, complexity_budget_per_minute=1_000_000_000, use_fast_path=False)
    for engine in (fast, core):
        engine.faults.update(**faults)
    return fast, core


def _run(engine: SandboxEngine, query: str, variables: dict) -> bytes:
    """The response body; the complexity window's reset countdown depends on the wall clock and
    each engine has its own window, so it is normalised."""
    resp = engine.handle_graphql(HEADERS, orjson.dumps({"query": query, "variables": variables}))
    assert resp.status == 200
    return re.sub(rb'"reset_in_x_seconds":\d+', b'"reset_in_x_seconds":0', resp.body)


@pytest.mark.parametrize("malformed_rate", [0.0, 0.25])
def test_fast_path_output_equals_graphql_core_execute(malformed_rate):
    fast, core = _twin_engines(WorkspaceSpec(orders=150, seed=11), malformed_rate=malformed_rate)
    # Column drift and an unsupported column type in both, so UnsupportedValue is covered too.
    for engine in (fast, core):
        engine.op_add_column(ORDERS, "formula_mkq2fx1", "Margin", "formula")
        engine.op_remove_column(ORDERS, OC["promised_date"])
    for query, variables in EQUIVALENCE_QUERIES:
        fast_body = _run(fast, query, variables)
        core_body = _run(core, query, variables)
        assert b'"errors"' not in core_body, core_body[:300]
        assert fast_body == core_body, query
    # A cursor chain continues identically (cursor tokens are deterministic).
    cursor = orjson.loads(_run(fast, FIRST_PAGE, {"board": [ORDERS], "limit": 40}))["data"]["boards"][0][
        "items_page"
    ]["cursor"]
    _run(core, FIRST_PAGE, {"board": [ORDERS], "limit": 40})
    assert _run(fast, NEXT_PAGE, {"cursor": cursor, "limit": 40}) == _run(
        core, NEXT_PAGE, {"cursor": cursor, "limit": 40}
    )
    # Items in every state via items(ids).
    ids = [it.sid for it in fast.ws.board(ORDERS).items if it.state != STATE_ACTIVE] + [
        fast.ws.board(ORDERS).items[0].sid
    ]
    query = f"query ($ids: [ID!]) {{ items(ids: $ids, limit: 100) {{ {ITEM} board {{ id }} }} }}"
    assert _run(fast, query, {"ids": ids}) == _run(core, query, {"ids": ids})
    assert fast.counters["graphql_core"] == 1  # only the @include query needed graphql-core
    assert fast.counters["fast_path"] == len(EQUIVALENCE_QUERIES) - 1 + 3
    assert core.counters["fast_path"] == 0


def test_fast_path_falls_back_to_graphql_core_for_partial_data_errors():
    fast, core = _twin_engines(WorkspaceSpec(orders=50))
    query = (
        "{ a: boards(ids: [7000000001]) { id } "
        "b: boards(ids: [7000000002]) { items_page(limit: 900) { cursor } } }"
    )
    fast_body, core_body = _run(fast, query, {}), _run(core, query, {})
    body = orjson.loads(fast_body)
    assert body["data"] == {"a": [{"id": CUSTOMERS}], "b": [None]}
    assert body["errors"][0]["path"] == ["b", 0, "items_page"]
    assert body["errors"][0]["extensions"]["code"] == "InvalidArgumentException"
    strip = lambda b: re.sub(rb'"request_id":"[^"]+"', b"", b)  # noqa: E731
    assert strip(fast_body) == strip(core_body)
    assert fast.counters["fast_path_fallbacks"] == 1


# --------------------------------------------------------------------------- account profiles

NW = ACCOUNT_BOARD_IDS["northwind"]
NWC = ACCOUNT_COLUMN_IDS["northwind"]


def test_reset_switches_the_account_and_control_ops_take_hour_values(http, sandbox):
    query = "{ boards { id name columns { id type } } }"
    sandbox.control.reset(account="northwind")
    boards = ok(post(http, sandbox, query))["boards"]
    assert [(b["id"], b["name"]) for b in boards] == [
        (NW["customers"], "Accounts"),
        (NW["orders"], "Sales orders"),
        (NW["capacity"], "Line capacity"),
    ]
    assert [c["id"] for c in boards[0]["columns"]] == list(NWC["customers"].values())
    items, _ = crawl(http, sandbox, NW["orders"], limit=500)
    assert [it["id"] for it in items] == active_ids(sandbox, NW["orders"])
    # create_item / update_item accept Monday's hour value JSON, and an impossible hour is refused.
    item_id = sandbox.control.create_item(
        NW["customers"], "Fjord Foods", {"hour_from": '{"hour":6,"minute":30}', "hour_to": "14:00"}
    )
    sandbox.control.update_item(
        NW["customers"], item_id, column_values={"hour_to": {"hour": 15, "minute": 45}}
    )
    with pytest.raises(SandboxControlError, match="25:00 is not a time of day"):
        sandbox.control.update_item(NW["customers"], item_id, column_values={"hour_to": '{"hour":25}'})
    hours = ok(
        post(
            http,
            sandbox,
            "query ($ids: [ID!]) { items(ids: $ids) { column_values(types: [hour]) { id text value"
            " ... on HourValue { hour minute } } } }",
            {"ids": [item_id]},
        )
    )["items"][0]["column_values"]
    assert [(v["id"], v["text"], v["hour"], v["minute"]) for v in hours] == [
        ("hour_from", "06:30", 6, 30),
        ("hour_to", "15:45", 15, 45),
    ]
    assert json.loads(hours[0]["value"])["hour"] == 6
    sandbox.control.reset()
    assert [b["id"] for b in ok(post(http, sandbox, query))["boards"]] == list(BOARD_IDS.values())
    assert sandbox.workspace.spec == WorkspaceSpec()


def test_a_full_northwind_pull_through_the_monday_client_parses_without_quarantine():
    with (
        SandboxServer(WorkspaceSpec(orders=900, account="northwind")) as sb,
        MondayClient(sb.url, SANDBOX_TOKEN) as client,
    ):
        pulled = {}
        for key, board_id in NW.items():
            board = client.get_board(board_id)
            assert [c.id for c in board.columns] == list(NWC[key].values())
            pages = list(client.iter_item_pages(board))
            # The dirt (bad emails, odd dates, reversed windows, blank names...) is data quality,
            # not structure: nothing is quarantined.
            assert [q for page in pages for q in page.quarantine] == []
            ids = [i for page in pages for i in page.items["item_id"]]
            assert ids == active_ids(sb, board_id)
            pulled[key] = pages
        workspace = sb.workspace
    names = [n for page in pulled["orders"] for n in page.items["name"]]
    assert sum(bool(re.fullmatch(r"PO-1\d{4}", n)) for n in names) == len(names) - names.count("")
    hours = [
        (page.values["item_id"][i], page.values["column_id"][i], page.values["value_string"][i])
        for page in pulled["customers"]
        for i, ctype in enumerate(page.values["column_type"])
        if ctype == "hour"
    ]
    customers = workspace.board(NW["customers"])
    for item_id, column_id, value in hours:
        raw = workspace.item(item_id).cells[customers.columns_by_id[column_id].slot]
        assert value == (None if raw is None else f"{raw[0]:02d}:{raw[1]:02d}")
    assert {c for _, c, v in hours if v} == {"hour_from", "hour_to"}
    relations = [
        orjson.loads(page.values["value_ids"][i])
        for page in pulled["orders"]
        for i, column_id in enumerate(page.values["column_id"])
        if column_id == NWC["orders"]["customer"] and page.values["value_ids"][i]
    ]
    # Relations point at items of the northwind customers board.
    assert relations and {i for ids in relations for i in ids} <= {str(i) for i in customers.item_ids}


def test_cli_serves_the_northwind_account(http):
    cmd = [sys.executable, "-m", "customer_master.sandbox", "serve", "--port", "0", "--orders", "40"]
    proc = subprocess.Popen(
        [*cmd, "--account", "northwind"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        match = re.fullmatch(r"sandbox listening on (http://127\.0\.0\.1:\d+/v2)\n", proc.stdout.readline())
        assert match
        resp = http.post(match.group(1), json={"query": "{ boards { id } }"}, headers=HEADERS)
        assert [b["id"] for b in resp.json()["data"]["boards"]] == list(NW.values())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    bad = subprocess.run([*cmd, "--account", "acme"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "invalid choice: 'acme'" in bad.stderr


@pytest.mark.parametrize("malformed_rate", [0.0, 0.25])
def test_fast_path_equals_graphql_core_on_the_northwind_account_and_hour_values(malformed_rate):
    fast, core = _twin_engines(
        WorkspaceSpec(orders=150, seed=11, account="northwind"), malformed_rate=malformed_rate
    )
    customers = fast.ws.board(NW["customers"])
    target = customers.items[1].sid
    for engine in (fast, core):  # an hour set through the control op renders the same in both
        engine.op_update_item(NW["customers"], target, column_values={"hour_from": '{"hour":7,"minute":5}'})
    queries = [(FIRST_PAGE, {"board": [board_id], "limit": 80}) for board_id in NW.values()]
    queries.append(
        (
            """query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 40) { items { id name
                 column_values(types: [hour, status]) {
                   __typename id t: text v: value column { id title type }
                   ... on HourValue { h: hour m: minute hour updated_at }
                   ... on StatusValue { label } } } } } }""",
            {"b": [NW["customers"]]},
        )
    )
    ids = [it.sid for board in fast.ws.boards.values() for it in board.items if it.state != STATE_ACTIVE]
    queries.append((f"query ($ids: [ID!]) {{ items(ids: $ids, limit: 100) {{ {ITEM} }} }}", {"ids": ids}))
    for query, variables in queries:
        fast_body = _run(fast, query, variables)
        assert b'"errors"' not in fast_body, fast_body[:300]
        assert fast_body == _run(core, query, variables), query
    assert b'"hour":7,"minute":5' in _run(fast, FIRST_PAGE, {"board": [NW["customers"]], "limit": 3})
    assert fast.counters["graphql_core"] == 0 and core.counters["fast_path"] == 0
