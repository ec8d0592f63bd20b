"""The sandbox answers like Monday: the order of request checks, and the account-level objects
(users, workspaces, tags, teams, updates) a typical client asks for, over real HTTP on 127.0.0.1.

Shapes: ../shared/reference/monday-api.md and developer.monday.com's API reference (users, teams,
tags, workspaces, updates, boards, items). The bad-request body is the one Monday returns to a
request without a JSON body (recorded by a monday client's changelog, 2025-11):
HTTP 400 `{"errors":[{"message":"Invalid GraphQL request","extensions":{"code":
"INVALID_GRAPHQL_REQUEST","details":"Request body must be a JSON with query."}}]}`.
"""

from __future__ import annotations

import re

import httpx
import orjson
import pytest

from customer_master.sandbox import (
    ACCOUNT_BOARD_IDS,
    SANDBOX_TOKEN,
    SandboxEngine,
    WorkspaceSpec,
)

HEADERS = {"Authorization": SANDBOX_TOKEN, "API-Version": "2026-07"}
BAD_REQUEST_BODY = {
    "errors": [
        {
            "message": "Invalid GraphQL request",
            "extensions": {
                "code": "INVALID_GRAPHQL_REQUEST",
                "details": "Request body must be a JSON with query.",
            },
        }
    ]
}
NOT_AUTHENTICATED = {"errors": ["Not Authenticated"]}

USER = "id name email enabled is_admin is_guest is_pending created_at title teams { id }"
DIRECTORY = f"""{{
  users {{ {USER} }}
  workspaces {{ id name kind description state created_at owners_subscribers {{ id }} }}
  tags {{ id name color }}
  teams {{ id name picture_url users {{ id }} owners {{ id }} }}
  boards {{ id workspace_id workspace {{ id name kind }} owners {{ id name }} subscribers {{ id }}
    tags {{ id name color }} top_group {{ id title position }} groups {{ id position }} }}
  me {{ id name email account {{ id }} }}
}}"""


@pytest.fixture()
def http():
    with httpx.Client(timeout=20) as client:
        yield client


def post(http, sb, query, variables=None, headers=HEADERS) -> httpx.Response:
    return http.post(sb.url, json={"query": query, "variables": variables or {}}, headers=headers)


def ok(resp: httpx.Response) -> dict:
    assert resp.status_code == 200, resp.text[:500]
    body = resp.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def ids(rows) -> list[str]:
    return [r["id"] for r in rows]


# --------------------------------------------------------------------------- order of checks


def test_get_with_the_query_in_the_url_is_mondays_400(http, sandbox):
    resp = http.get(sandbox.url, params={"query": "{ me { id } }"}, headers=HEADERS)
    assert resp.status_code == 400
    assert resp.json() == BAD_REQUEST_BODY
    assert resp.headers["X-Request-Id"] and resp.headers["API-Version"] == "2026-07"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", None),  # the query only in the URL
        (b"query=%7B+me+%7B+id+%7D+%7D", "application/x-www-form-urlencoded"),
        (b"{ me { id } }", "application/graphql"),  # not JSON
        (b"{}", "application/json"),  # JSON without a query
        (b'{"query": ""}', "application/json"),
        (b'["{ me { id } }"]', "application/json"),
    ],
)
def test_post_without_a_json_body_with_a_query_is_mondays_400(http, sandbox, content, content_type):
    headers = {**HEADERS, **({"Content-Type": content_type} if content_type else {})}
    resp = http.post(sandbox.url, params={"query": "{ me { id } }"}, content=content, headers=headers)
    assert resp.status_code == 400, resp.text
    assert resp.json() == BAD_REQUEST_BODY
    # The same query in a JSON body is answered.
    assert ok(post(http, sandbox, "{ me { id } }"))["me"]["id"]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_the_token_is_checked_before_the_method_and_the_body(http, sandbox, token):
    headers = {"API-Version": "2026-07", **({"Authorization": token} if token else {})}
    get = http.get(sandbox.url, params={"query": "{ me { id } }"}, headers=headers)
    url_only = http.post(sandbox.url, params={"query": "{ me { id } }"}, headers=headers)
    for resp in (get, url_only):
        assert resp.status_code == 401
        assert resp.json() == NOT_AUTHENTICATED
    assert sandbox.control.stats()["auth_errors"] == 2


def test_control_faults_apply_to_bad_requests_and_only_after_authentication(http, sandbox):
    get = lambda headers=HEADERS: http.get(sandbox.url, params={"query": "{ me { id } }"}, headers=headers)  # noqa: E731
    sandbox.control.set_faults(server_error_next=1, rate_limit_next=1, rate_limit_retry_in_seconds=0.01)
    # An unauthenticated request is refused first and does not use up the injected faults.
    assert get({"Authorization": "nope"}).status_code == 401
    first = get()
    assert first.status_code == 500
    assert first.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    second = get()
    assert second.status_code == 429 and second.headers["Retry-After"] == "0.01"
    assert second.json()["errors"][0]["extensions"]["code"] == "COMPLEXITY_BUDGET_EXHAUSTED"
    third = get()
    assert third.status_code == 400 and third.json() == BAD_REQUEST_BODY
    stats = sandbox.control.stats()
    assert (stats["auth_errors"], stats["server_errors"], stats["rate_limited"]) == (1, 1, 1)


# --------------------------------------------------------------------------- account-level objects


def test_the_directory_is_served_deterministically_and_cross_references(http, sandbox):
    first = post(http, sandbox, DIRECTORY)
    data = ok(first)
    assert post(http, sandbox, DIRECTORY).content == first.content  # the same answer twice

    users = {u["id"]: u for u in data["users"]}
    assert len(users) >= 5 and ids(data["users"]) == sorted(users, key=int)
    for user in data["users"]:
        assert re.fullmatch(r"\d{8,}", user["id"]) and user["name"] and "@" in user["email"]
        assert user["enabled"] is True and user["is_guest"] is False and user["is_pending"] is False
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["created_at"])
    assert data["me"]["id"] in users and data["me"]["email"] == users[data["me"]["id"]]["email"]
    assert users[data["me"]["id"]]["is_admin"] is True
    assert data["me"]["account"]["id"] == str(first.json()["account_id"])

    workspaces = {w["id"]: w for w in data["workspaces"]}
    assert workspaces and all(w["kind"] == "open" and w["state"] == "active" for w in workspaces.values())
    assert all(set(ids(w["owners_subscribers"])) <= set(users) for w in workspaces.values())

    tags = {t["id"]: t for t in data["tags"]}
    assert tags and all(re.fullmatch(r"#[0-9a-f]{6}", t["color"]) and t["name"] for t in tags.values())

    teams = data["teams"]
    assert teams
    for team in teams:
        assert team["users"] and set(ids(team["users"])) <= set(users)
        assert team["owners"] and set(ids(team["owners"])) <= set(ids(team["users"]))
        # users { teams } is the same membership seen from the other side
        assert all(team["id"] in ids(users[u]["teams"]) for u in ids(team["users"]))

    owners = set()
    for board in data["boards"]:
        assert board["workspace"]["id"] == board["workspace_id"] and board["workspace_id"] in workspaces
        assert board["workspace"]["name"] == workspaces[board["workspace_id"]]["name"]
        assert board["owners"] and set(ids(board["owners"])) <= set(users)
        assert set(ids(board["owners"])) <= set(ids(board["subscribers"])) <= set(users)
        assert board["tags"] and all(tags[t["id"]] == t for t in board["tags"])
        top = min(board["groups"], key=lambda g: float(g["position"]))
        assert board["top_group"]["id"] == top["id"]
        owners |= set(ids(board["owners"]))
    assert len(owners) > 1  # not one hard-wired user


def test_root_query_arguments_filter_and_page_like_monday(http, sandbox):
    data = ok(post(http, sandbox, "{ users { id name email } workspaces { id } tags { id } teams { id } }"))
    every = data["users"]
    picked = [every[1]["id"], every[-1]["id"]]
    query = """query ($ids: [ID!], $emails: [String], $name: String, $ws: [ID!], $tags: [ID!],
                      $teams: [ID!]) {
      by_ids: users(ids: $ids) { id } by_email: users(emails: $emails) { id }
      by_name: users(name: $name) { id }
      page1: users(limit: 2) { id } page2: users(limit: 2, page: 2) { id }
      newest: users(newest_first: true) { id }
      guests: users(kind: guests) { id } non_guests: users(kind: non_guests) { id }
      ws: workspaces(ids: $ws) { id } no_ws: workspaces(ids: ["1"]) { id }
      closed: workspaces(kind: closed) { id } archived: workspaces(state: archived) { id }
      tags(ids: $tags) { id } teams(ids: $teams) { id } }"""
    variables = {
        "ids": picked,
        "emails": [every[2]["email"].upper()],
        "name": every[3]["name"].split()[0].lower(),
        "ws": [data["workspaces"][0]["id"]],
        "tags": [data["tags"][-1]["id"]],
        "teams": [data["teams"][0]["id"]],
    }
    got = ok(post(http, sandbox, query, variables))
    assert ids(got["by_ids"]) == picked
    assert ids(got["by_email"]) == [every[2]["id"]]
    assert every[3]["id"] in ids(got["by_name"]) and len(got["by_name"]) < len(every)
    assert ids(got["page1"]) + ids(got["page2"]) == ids(every)[:4]
    assert len(ids(got["newest"])) == len(every) and set(ids(got["newest"])) == set(ids(every))
    assert got["guests"] == [] and ids(got["non_guests"]) == ids(every)
    assert ids(got["ws"]) == variables["ws"] and got["no_ws"] == [] and got["closed"] == []
    assert got["archived"] == []
    assert ids(got["tags"]) == variables["tags"] and ids(got["teams"]) == variables["teams"]


def test_items_carry_creator_subscribers_and_updates_that_match_root_updates(http, sandbox):
    board = sandbox.board_ids["orders"]
    page = ok(
        post(
            http,
            sandbox,
            """query ($b: [ID!]) { users { id } boards(ids: $b) { owners { id } items_page(limit: 500) {
              items { id creator_id creator { id name } subscribers { id } updates(limit: 100) {
                id item_id creator_id creator { id } body text_body created_at updated_at } } } } }""",
            {"b": [board]},
        )
    )
    users = set(ids(page["users"]))
    items = page["boards"][0]["items_page"]["items"]
    owner = page["boards"][0]["owners"][0]["id"]
    assert len({it["creator_id"] for it in items}) > 1
    with_updates = {}
    for it in items:
        assert it["creator_id"] in users and it["creator"]["id"] == it["creator_id"]
        subscribers = ids(it["subscribers"])
        assert it["creator_id"] in subscribers and owner in subscribers and set(subscribers) <= users
        for update in it["updates"]:
            assert update["item_id"] == it["id"] and update["creator_id"] in users
            assert update["creator"]["id"] == update["creator_id"]
            assert update["body"].startswith("<p>") and update["text_body"] in update["body"]
            assert update["created_at"] <= update["updated_at"]
        if it["updates"]:
            with_updates[it["id"]] = it["updates"]
    # Some items have updates, most do not (a handful per board, as on a real account).
    assert 0 < len(with_updates) < len(items) // 2
    # Root updates: newest first, the same objects as on the items.
    fields = "id item_id creator_id body text_body created_at updated_at"
    root = ok(post(http, sandbox, f"{{ updates(limit: 500) {{ {fields} }} }}"))
    updates = root["updates"]
    stamps = [u["created_at"] for u in updates]
    assert stamps == sorted(stamps, reverse=True)
    nested = {u["id"]: u for us in with_updates.values() for u in us}
    root_on_board = {u["id"]: u for u in updates if u["item_id"] in with_updates}
    assert root_on_board.keys() == nested.keys()
    for update_id, update in root_on_board.items():
        assert {k: v for k, v in nested[update_id].items() if k != "creator"} == update
    # ids / limit / page
    pick = updates[3]["id"]
    paged = ok(
        post(
            http,
            sandbox,
            "query ($ids: [ID!]) { one: updates(ids: $ids) { id } p2: updates(limit: 2, page: 2) { id } }",
            {"ids": [pick]},
        )
    )
    assert ids(paged["one"]) == [pick] and ids(paged["p2"]) == [u["id"] for u in updates[2:4]]


def test_deleted_and_hidden_items_take_their_updates_with_them(http, sandbox):
    query = "{ updates(limit: 10000) { id item_id } }"
    before = ok(post(http, sandbox, query))["updates"]
    board = sandbox.board_ids["orders"]
    active = set(sandbox.workspace_active_item_ids(board))
    on_board = [u for u in before if u["item_id"] in active]
    victim = on_board[0]["item_id"]
    sandbox.control.delete_item(board, victim)
    after = ok(post(http, sandbox, query))["updates"]
    assert victim not in {u["item_id"] for u in after}
    assert len(after) == len(before) - sum(u["item_id"] == victim for u in before)
    sandbox.control.set_faults(hidden_fraction=1.0, hidden_board=board)
    hidden = ok(post(http, sandbox, query))["updates"]
    assert hidden and not {u["item_id"] for u in hidden} & {u["item_id"] for u in on_board}


def test_the_northwind_account_serves_its_own_workspace_and_the_same_people(http, sandbox):
    before = ok(post(http, sandbox, DIRECTORY))
    sandbox.control.reset(account="northwind")
    data = ok(post(http, sandbox, DIRECTORY))
    nw = ACCOUNT_BOARD_IDS["northwind"]
    assert ids(data["boards"]) == list(nw.values())
    assert ids(data["workspaces"]) == ["3310042"]
    assert {b["workspace"]["id"] for b in data["boards"]} == {"3310042"}
    assert data["workspaces"][0]["name"] != before["workspaces"][0]["name"]
    # The people are the account's users: the people column values keep referencing them.
    assert ids(data["users"]) == ids(before["users"])
    people = ok(
        post(
            http,
            sandbox,
            "query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 500) { items { creator_id "
            "column_values(types: [people]) { ... on PeopleValue { persons_and_teams { id } } } } } } }",
            {"b": [nw["customers"]]},
        )
    )["boards"][0]["items_page"]["items"]
    referenced = {p["id"] for it in people for cv in it["column_values"] for p in cv["persons_and_teams"]}
    assert referenced and referenced <= set(ids(data["users"]))
    assert {it["creator_id"] for it in people} <= set(ids(data["users"]))
    assert ok(post(http, sandbox, "{ updates(limit: 5) { id item_id } }"))["updates"]


# --------------------------------------------------------------------------- complexity


def _cost(http, sb, selection: str) -> int:
    return ok(post(http, sb, f"{{ complexity {{ query }} {selection} }}"))["complexity"]["query"]


def test_new_fields_are_costed_like_other_object_fields(http, sandbox):
    """complexity.py: a list of n entities, each with a selection costing c, costs n * (1 + c);
    scalar fields are free; `limit` (or the number of `ids`) is n where the field takes them."""
    assert _cost(http, sandbox, "updates(limit: 40) { id body }") == 40
    assert _cost(http, sandbox, "updates(limit: 40) { id creator { id } }") == 40 * (1 + 1)
    assert _cost(http, sandbox, 'users(ids: ["1", "2", "3"]) { id teams { id } }') == 3 * (1 + 3)
    assert _cost(http, sandbox, "users(limit: 7) { id }") == 7
    assert _cost(http, sandbox, 'tags(ids: ["1"]) { id }') == 1
    assert _cost(http, sandbox, "workspaces { id owners_subscribers(limit: 4) { id } }") == 25 * (1 + 4)
    board = sandbox.board_ids["orders"]
    items_page_cost = _cost(
        http, sandbox, f"boards(ids: [{board}]) {{ items_page(limit: 10) {{ items {{ id }} }} }}"
    )
    with_updates = _cost(
        http,
        sandbox,
        f"boards(ids: [{board}]) {{ items_page(limit: 10) {{ items {{ id updates(limit: 3) {{ id }} }} }} }}",
    )
    assert with_updates == items_page_cost + 10 * 3
    assert _cost(http, sandbox, "teams { id }") < _cost(http, sandbox, "teams { id users { id } }")


# --------------------------------------------------------------------------- both executors agree

EQUIVALENCE = [
    DIRECTORY,
    """{ items(ids: [8200000001, 8200000002, 8200000003, 8200000004, 8200000005, 8200000006,
         8200000007, 8200000008, 8200000009, 8200000010, 8200000011, 8200000012], limit: 100) {
         id creator_id creator { id name email } subscribers { id name }
         updates { id body text_body creator_id item_id created_at updated_at creator { name } } } }""",
    "{ updates(limit: 30, page: 2) { id item_id creator { id teams { id name } } } }",
    """{ workspaces { id name users_subscribers(limit: 3) { id } }
         teams { users(limit: 2, page: 2) { id } owners { email } }
         users(limit: 3) { account { id name slug } } }""",
]


@pytest.mark.parametrize("account", ["sandbox", "northwind"])
def test_fast_path_equals_graphql_core_on_the_new_fields(account):
    spec = WorkspaceSpec(orders=120, account=account)
    fast = SandboxEngine(spec, complexity_budget_per_minute=1_000_000_000)
    core = SandboxEngine(spec, complexity_budget_per_minute=1_000_000_000, use_fast_path=False)
    for query in EQUIVALENCE:
        bodies = []
        for engine in (fast, core):
            resp = engine.handle_graphql(HEADERS, orjson.dumps({"query": query}))
            assert resp.status == 200
            bodies.append(resp.body)
        assert b'"errors"' not in bodies[1], bodies[1][:300]
        assert bodies[0] == bodies[1], query
    assert fast.counters["fast_path"] == len(EQUIVALENCE) and core.counters["fast_path"] == 0
