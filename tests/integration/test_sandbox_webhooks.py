"""Webhooks and item mutations in the Monday sandbox, over real HTTP on 127.0.0.1.

A tiny receiver (stdlib http.server on a free loopback port) records every request and answers
Monday's challenge; the sandbox (the session server of tests/conftest.py, reset per test, and one
`serve` subprocess) delivers to it. Payload shapes: developer.monday.com, "Webhooks".
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest

from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, SANDBOX_TOKEN, SandboxControl
from customer_master.sandbox.process import sandbox_process

HEADERS = {"Authorization": SANDBOX_TOKEN, "API-Version": "2026-07"}
CUSTOMERS = BOARD_IDS["customers"]
ORDERS = BOARD_IDS["orders"]
STATUS = "status"  # customers: Active / Inactive
TRIGGER_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CHALLENGE_FAILED = "Webhook Failed to send challenge to url"
MOVE = 'mutation ($i: ID) { move_item_to_group(item_id: $i, group_id: "group_mkq1chrn") { group { id } } }'
SECRET = "s3cret-for-tests-of-at-least-32-bytes"


# --------------------------------------------------------------------------- receiver


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    json: Any


class Receiver:
    """Records every POST; echoes Monday's challenge unless `echo` is off; `fail(n, status)`
    answers the next n event deliveries with `status`. `stop()` / `start()` keep the port."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.echo = True
        self.on_challenge: Callable[[], object] | None = None  # runs before the challenge is answered
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        self.port = 0
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                payload = json.loads(body) if body else None
                status, answer = receiver._answer(Received(self.path, dict(self.headers), payload))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                # One request per connection: a stopped receiver must really be unreachable.
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def _answer(self, req: Received) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(req)
            challenged = isinstance(req.json, dict) and "challenge" in req.json
        if challenged and self.on_challenge is not None:
            self.on_challenge()
        with self._lock:
            if challenged:
                return 200, ({"challenge": req.json["challenge"]} if self.echo else {"ok": True})
            if self._failures:
                return self._failures.popleft(), {"error": "scripted"}
        return 200, {"ok": True}

    def fail(self, times: int, status: int = 500) -> None:
        self._failures.extend([status] * times)

    def url(self, path: str = "/hooks/monday") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def deliveries(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [
                r
                for r in self.requests
                if isinstance(r.json, dict) and "event" in r.json and path in (None, r.path)
            ]

    def events(self, path: str | None = None) -> list[dict]:
        return [r.json["event"] for r in self.deliveries(path)]


@pytest.fixture()
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture()
def http():
    with httpx.Client(timeout=30) as client:
        yield client


def gql(http, sb_url: str, query: str, variables: dict | None = None) -> dict:
    resp = http.post(sb_url, json={"query": query, "variables": variables or {}}, headers=HEADERS)
    assert resp.status_code == 200, resp.text[:500]
    return resp.json()


def data(body: dict) -> dict:
    assert "errors" not in body, body["errors"]
    return body["data"]


CREATE_WEBHOOK = """mutation ($board: ID!, $url: String!, $event: WebhookEventType!, $config: JSON) {
  create_webhook(board_id: $board, url: $url, event: $event, config: $config) { id board_id event config }
}"""


def create_webhook(http, sb, url: str, event: str, board: str = CUSTOMERS, config: Any = None) -> dict:
    variables = {"board": board, "url": url, "event": event, "config": config}
    return data(gql(http, sb.url, CREATE_WEBHOOK, variables))["create_webhook"]


def first_active(sb, board: str = CUSTOMERS) -> str:
    return sb.workspace_active_item_ids(board)[0]


def idle(sb) -> dict:
    return sb.control.wait_webhooks_idle(timeout=15)


def assert_common(event: dict, hook: dict, event_type: str, item_id: str, board: str = CUSTOMERS) -> None:
    assert event["app"] == "monday"
    assert event["type"] == event_type
    assert TRIGGER_TIME.match(event["triggerTime"]), event["triggerTime"]
    assert event["subscriptionId"] == int(hook["id"])
    assert re.fullmatch(r"[0-9a-f]{32}", event["triggerUuid"])
    assert isinstance(event["userId"], int)
    assert event["originalTriggerUuid"] is None
    assert event["boardId"] == int(board)
    assert event["pulseId"] == int(item_id)
    assert isinstance(event["pulseName"], str)
    assert isinstance(event["groupId"], str) and isinstance(event["groupName"], str)


# --------------------------------------------------------------------------- create / list / delete


def test_echoed_challenge_creates_a_listed_webhook(http, sandbox, receiver):
    # The sandbox waits for the challenge without its lock: the receiver may call it meanwhile.
    receiver.on_challenge = lambda: sandbox.control.stats()
    hook = create_webhook(http, sandbox, receiver.url(), "change_column_value")
    assert hook["board_id"] == CUSTOMERS and hook["event"] == "change_column_value" and hook["config"] is None
    challenge = receiver.requests[0].json
    assert list(challenge) == ["challenge"] and challenge["challenge"]

    listed = data(
        gql(
            http,
            sandbox.url,
            "query ($b: ID!) { webhooks(board_id: $b) { id board_id event } }",
            {"b": CUSTOMERS},
        )
    )
    assert listed["webhooks"] == [{"id": hook["id"], "board_id": CUSTOMERS, "event": "change_column_value"}]
    assert [w["id"] for w in sandbox.control.webhooks(CUSTOMERS)] == [hook["id"]]
    assert sandbox.control.webhooks(ORDERS) == []

    specific = create_webhook(
        http, sandbox, receiver.url(), "change_specific_column_value", config='{"columnId":"status"}'
    )
    assert json.loads(specific["config"]) == {"columnId": "status"}


def test_a_challenge_not_echoed_creates_nothing(http, sandbox, receiver):
    receiver.echo = False
    body = gql(
        http, sandbox.url, CREATE_WEBHOOK, {"board": CUSTOMERS, "url": receiver.url(), "event": "create_item"}
    )
    assert body["data"] == {"create_webhook": None}
    (error,) = body["errors"]
    assert error["message"] == CHALLENGE_FAILED
    assert error["extensions"]["code"] == "WebhookChallengeFailedException"
    assert sandbox.control.webhooks() == []

    receiver.stop()  # nobody listening: the same error
    body = gql(
        http, sandbox.url, CREATE_WEBHOOK, {"board": CUSTOMERS, "url": receiver.url(), "event": "create_item"}
    )
    assert body["errors"][0]["message"] == CHALLENGE_FAILED
    receiver.start()

    long_url = receiver.url("/" + "x" * 255)
    body = gql(
        http, sandbox.url, CREATE_WEBHOOK, {"board": CUSTOMERS, "url": long_url, "event": "create_item"}
    )
    assert body["errors"][0]["extensions"]["code"] == "InvalidArgumentException"
    assert sandbox.control.webhooks() == []


def test_delete_webhook_stops_deliveries(http, sandbox, receiver):
    hook = create_webhook(http, sandbox, receiver.url(), "change_name")
    item = first_active(sandbox)
    sandbox.control.update_item(CUSTOMERS, item, name="First")
    idle(sandbox)
    assert len(receiver.events()) == 1

    deleted = data(
        gql(
            http,
            sandbox.url,
            "mutation ($id: ID!) { delete_webhook(id: $id) { id board_id } }",
            {"id": hook["id"]},
        )
    )
    assert deleted["delete_webhook"] == {"id": hook["id"], "board_id": CUSTOMERS}
    sandbox.control.update_item(CUSTOMERS, item, name="Second")
    idle(sandbox)
    assert len(receiver.events()) == 1
    assert sandbox.control.webhooks() == []

    again = gql(
        http, sandbox.url, "mutation ($id: ID!) { delete_webhook(id: $id) { id } }", {"id": hook["id"]}
    )
    assert again["data"] == {"delete_webhook": None}
    assert again["errors"][0]["extensions"]["code"] == "ResourceNotFoundException"


def test_an_event_on_another_board_does_not_reach_the_webhook(http, sandbox, receiver):
    create_webhook(http, sandbox, receiver.url(), "create_item", board=CUSTOMERS)
    create_webhook(http, sandbox, receiver.url(), "change_name", board=CUSTOMERS)
    sandbox.control.create_item(ORDERS, "PO-elsewhere")
    sandbox.control.update_item(ORDERS, first_active(sandbox, ORDERS), name="renamed elsewhere")
    stats = idle(sandbox)
    assert receiver.events() == []
    assert stats["attempts"] == 0


# --------------------------------------------------------------------------- events


def test_create_item_fires_create_pulse(http, sandbox, receiver):
    hook = create_webhook(http, sandbox, receiver.url(), "create_item")
    query = """mutation ($b: ID!, $v: JSON) {
      create_item(board_id: $b, item_name: "Acme GmbH", group_id: "topics", column_values: $v) {
        id name state
      }
    }"""
    created = data(
        gql(http, sandbox.url, query, {"b": CUSTOMERS, "v": json.dumps({STATUS: {"label": "Active"}})})
    )
    item = created["create_item"]
    assert item["name"] == "Acme GmbH" and item["state"] == "active"
    control_item = sandbox.control.create_item(CUSTOMERS, "Via control")  # control ops fire too
    idle(sandbox)

    first, second = receiver.events()
    assert_common(first, hook, "create_pulse", item["id"])
    assert (
        first["pulseName"] == "Acme GmbH" and first["groupId"] == "topics" and first["groupName"] == "Active"
    )
    assert first["columnValues"][STATUS]["label"]["text"] == "Active"
    assert second["pulseId"] == int(control_item)
    assert first["triggerUuid"] != second["triggerUuid"]

    read = data(
        gql(
            http,
            sandbox.url,
            'query ($i: [ID!]) { items(ids: $i) { name column_values(ids: ["status"]) { text } } }',
            {"i": [item["id"]]},
        )
    )
    assert read["items"] == [{"name": "Acme GmbH", "column_values": [{"text": "Active"}]}]


def test_change_column_value_fires_per_subscription_kind(http, sandbox, receiver):
    every = create_webhook(http, sandbox, receiver.url("/every"), "change_column_value")
    status_only = create_webhook(http, sandbox, receiver.url("/status"), "change_status_column_value")
    specific = create_webhook(
        http, sandbox, receiver.url("/specific"), "change_specific_column_value", config={"columnId": STATUS}
    )
    item = first_active(sandbox)
    notes = COLUMN_IDS["customers"]["notes"]
    change = """mutation ($b: ID!, $i: ID, $c: String!, $v: JSON!) {
      change_column_value(board_id: $b, item_id: $i, column_id: $c, value: $v) { id updated_at }
    }"""
    data(
        gql(
            http,
            sandbox.url,
            change,
            {"b": CUSTOMERS, "i": item, "c": notes, "v": json.dumps({"text": "call back"})},
        )
    )
    before = sandbox.control.stats()["complexity_used"]
    body = data(
        gql(http, sandbox.url, change, {"b": CUSTOMERS, "i": item, "c": STATUS, "v": '{"label":"Inactive"}'})
    )
    # A mutation costs 10,000 points, plus its selection (one item: 1).
    assert sandbox.control.stats()["complexity_used"] - before == 10_001
    assert body["change_column_value"]["id"] == item
    idle(sandbox)

    assert [e["columnId"] for e in receiver.events("/every")] == [notes, STATUS]
    assert [e["columnId"] for e in receiver.events("/status")] == [STATUS]
    (event,) = receiver.events("/specific")
    assert_common(event, specific, "update_column_value", item)
    assert event["columnType"] == "color" and event["columnTitle"]
    assert event["value"]["label"]["text"] == "Inactive"
    assert event["previousValue"]["label"]["text"] == "Active"
    assert isinstance(event["changedAt"], float)
    assert receiver.events("/every")[0]["subscriptionId"] == int(every["id"])
    assert receiver.events("/status")[0]["subscriptionId"] == int(status_only["id"])


def test_change_multiple_column_values_sends_one_event_per_changed_column_and_the_name(
    http, sandbox, receiver
):
    create_webhook(http, sandbox, receiver.url("/columns"), "change_column_value")
    name_hook = create_webhook(http, sandbox, receiver.url("/name"), "change_name")
    item = first_active(sandbox)
    cols = COLUMN_IDS["customers"]
    values = {
        "name": "Renamed Ltd",
        cols["notes"]: "new notes",
        cols["email"]: "ops@renamed.example Ops",
        STATUS: {"label": "Inactive"},
    }
    query = """mutation ($b: ID!, $i: ID, $v: JSON!) {
      change_multiple_column_values(board_id: $b, item_id: $i, column_values: $v) { id name }
    }"""
    out = data(gql(http, sandbox.url, query, {"b": CUSTOMERS, "i": item, "v": json.dumps(values)}))
    assert out["change_multiple_column_values"]["name"] == "Renamed Ltd"
    idle(sandbox)

    assert sorted(e["columnId"] for e in receiver.events("/columns")) == sorted(
        [cols["notes"], cols["email"], STATUS]
    )
    (renamed,) = receiver.events("/name")
    assert_common(renamed, name_hook, "update_name", item)
    assert renamed["value"] == {"name": "Renamed Ltd"} and renamed["previousValue"]["name"] != "Renamed Ltd"

    # The same values again change nothing, so nothing fires.
    data(gql(http, sandbox.url, query, {"b": CUSTOMERS, "i": item, "v": json.dumps(values)}))
    idle(sandbox)
    assert len(receiver.events()) == 4


def test_archive_delete_and_restore_fire(http, sandbox, receiver):
    hooks = {
        event: create_webhook(http, sandbox, receiver.url(f"/{event}"), event)
        for event in ("item_archived", "item_deleted", "item_restored", "item_moved_to_any_group")
    }
    archived, deleted = sandbox.workspace_active_item_ids(CUSTOMERS)[:2]
    out = data(
        gql(
            http, sandbox.url, "mutation ($i: ID) { archive_item(item_id: $i) { id state } }", {"i": archived}
        )
    )
    assert out["archive_item"] == {"id": archived, "state": "archived"}
    sandbox.control.restore_item(CUSTOMERS, archived)
    out = data(
        gql(http, sandbox.url, "mutation ($i: ID) { delete_item(item_id: $i) { id state } }", {"i": deleted})
    )
    assert out["delete_item"] == {"id": deleted, "state": "deleted"}
    moved = data(gql(http, sandbox.url, MOVE, {"i": archived}))
    assert moved["move_item_to_group"]["group"] == {"id": "group_mkq1chrn"}
    idle(sandbox)

    for event, type_, item in (
        ("item_archived", "archive_pulse", archived),
        ("item_restored", "restore_pulse", archived),
        ("item_deleted", "delete_pulse", deleted),
        ("item_moved_to_any_group", "move_pulse_into_group", archived),
    ):
        (got,) = receiver.events(f"/{event}")
        assert_common(got, hooks[event], type_, item)
    move = receiver.events("/item_moved_to_any_group")[0]
    assert move["destGroupId"] == "group_mkq1chrn" and move["sourceGroupId"] == "topics"

    gone = gql(http, sandbox.url, "mutation ($i: ID) { archive_item(item_id: $i) { id } }", {"i": deleted})
    assert gone["errors"][0]["extensions"]["code"] == "InvalidItemIdException"


def test_simple_values_and_mondays_errors(http, sandbox, receiver):
    create_webhook(http, sandbox, receiver.url(), "change_column_value")
    item = first_active(sandbox)
    onboarded = COLUMN_IDS["customers"]["onboarded"]
    simple = """mutation ($i: ID, $c: String!, $v: String) {
      change_simple_column_value(board_id: "7000000001", item_id: $i, column_id: $c, value: $v) {
        column_values(ids: ["status", "date_mkq1on9b"]) { id text }
      }
    }"""
    out = data(gql(http, sandbox.url, simple, {"i": item, "c": onboarded, "v": "2026-11-02"}))
    assert {"id": onboarded, "text": "2026-11-02"} in out["change_simple_column_value"]["column_values"]
    idle(sandbox)
    (event,) = receiver.events()
    assert event["columnId"] == onboarded and event["value"]["date"] == "2026-11-02"

    def code(variables: dict) -> str:
        return gql(http, sandbox.url, simple, variables)["errors"][0]["extensions"]["code"]

    assert code({"i": item, "c": "no_such_column", "v": "x"}) == "InvalidColumnIdException"
    assert code({"i": item, "c": STATUS, "v": "No such label"}) == "ColumnValueException"
    assert code({"i": "123", "c": STATUS, "v": "Active"}) == "InvalidItemIdException"
    assert code({"i": first_active(sandbox, ORDERS), "c": STATUS, "v": "Active"}) == "InvalidItemIdException"
    idle(sandbox)
    assert len(receiver.events()) == 1  # refused mutations change nothing and fire nothing


# --------------------------------------------------------------------------- signing and retries


def test_deliveries_carry_a_verifiable_jwt_only_with_a_secret(http, sandbox, receiver):
    url = receiver.url()
    create_webhook(http, sandbox, url, "change_name")
    item = first_active(sandbox)
    sandbox.control.update_item(CUSTOMERS, item, name="unsigned")
    idle(sandbox)
    assert "Authorization" not in receiver.deliveries()[-1].headers

    assert "Authorization" not in receiver.requests[0].headers  # the challenge: unsigned too

    assert sandbox.control.set_webhook_signing_secret(SECRET) == {"signing": True}
    create_webhook(http, sandbox, receiver.url("/second"), "create_item")
    challenge = receiver.requests[-1]
    assert "challenge" in challenge.json  # Monday signs the challenge too
    jwt.decode(
        challenge.headers["Authorization"], SECRET, algorithms=["HS256"], audience=receiver.url("/second")
    )
    sandbox.control.update_item(CUSTOMERS, item, name="signed")
    idle(sandbox)
    token = receiver.deliveries()[-1].headers["Authorization"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=url)
    assert claims["aud"] == url and claims["exp"] - claims["iat"] == 300
    assert isinstance(claims["accountId"], int) and isinstance(claims["userId"], int)
    assert claims["shortLivedToken"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-at-least-32-bytes", algorithms=["HS256"], audience=url)

    sandbox.control.set_webhook_signing_secret(None)
    sandbox.control.update_item(CUSTOMERS, item, name="unsigned again")
    idle(sandbox)
    assert "Authorization" not in receiver.deliveries()[-1].headers


def test_a_failing_receiver_gets_the_same_delivery_again_until_it_answers(http, sandbox, receiver):
    sandbox.control.set_webhook_retry_seconds(0.1)
    hook = create_webhook(http, sandbox, receiver.url(), "change_name")
    item = first_active(sandbox)
    receiver.fail(2, 500)
    sandbox.control.update_item(CUSTOMERS, item, name="retried")
    sandbox.control.update_item(CUSTOMERS, item, name="queued behind")
    stats = idle(sandbox)

    uuids = [e["triggerUuid"] for e in receiver.events()]
    assert uuids[0] == uuids[1] == uuids[2] != uuids[3]  # 500, 500, 200, then the next event
    assert [e["value"]["name"] for e in receiver.events()] == ["retried"] * 3 + ["queued behind"]
    (row,) = stats["webhooks"]
    assert row["webhook_id"] == hook["id"]
    assert (row["attempts"], row["delivered"], row["retries"], row["failed"], row["pending"]) == (
        4,
        2,
        2,
        0,
        0,
    )

    receiver.stop()  # not listening: connection refused, retried until it comes back
    sandbox.control.update_item(CUSTOMERS, item, name="while down")
    deadline = time.monotonic() + 10
    while sandbox.control.webhook_deliveries()["attempts"] < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sandbox.control.webhook_deliveries()["pending"] == 1
    receiver.start()
    stats = idle(sandbox)
    assert receiver.events()[-1]["value"] == {"name": "while down"}
    assert stats["delivered"] == 3 and stats["failed"] == 0


def test_a_delivery_is_dropped_after_the_last_retry(http, sandbox, receiver):
    sandbox.control.set_webhook_retry_seconds(0.01)
    create_webhook(http, sandbox, receiver.url(), "change_name")
    receiver.fail(100, 503)
    sandbox.control.update_item(CUSTOMERS, first_active(sandbox), name="never delivered")
    stats = idle(sandbox)
    assert (stats["attempts"], stats["retries"], stats["failed"], stats["delivered"]) == (31, 30, 1, 0)
    assert stats["webhooks"][0]["last_error"] == "HTTP 503"


def test_reset_clears_webhooks_secret_and_retry_interval(http, sandbox, receiver):
    create_webhook(http, sandbox, receiver.url(), "change_name")
    sandbox.control.set_webhook_signing_secret("x")
    sandbox.control.set_webhook_retry_seconds(0.5)
    sandbox.control.reset()
    stats = sandbox.control.webhook_deliveries()
    assert sandbox.control.webhooks() == [] and stats["webhooks"] == []
    assert stats["signing"] is False and stats["retry_seconds"] == 60


def test_serve_flags_sign_and_retry_out_of_process(http, receiver):
    secret = "flag-secret-of-at-least-thirty-two-bytes"
    with sandbox_process(
        orders=60, extra_args=["--webhook-retry-seconds", "0.05", "--webhook-signing-secret", secret]
    ) as url:
        control = SandboxControl(url)
        stats = control.webhook_deliveries()
        assert stats["signing"] is True and stats["retry_seconds"] == 0.05
        body = gql(
            http, url, CREATE_WEBHOOK, {"board": CUSTOMERS, "url": receiver.url(), "event": "create_item"}
        )
        hook = data(body)["create_webhook"]
        receiver.fail(1)
        item = control.create_item(CUSTOMERS, "Out of process")
        control.wait_webhooks_idle(timeout=15)
        first, second = receiver.deliveries()
        assert first.json == second.json and second.json["event"]["pulseId"] == int(item)
        assert second.json["event"]["subscriptionId"] == int(hook["id"])
        jwt.decode(second.headers["Authorization"], secret, algorithms=["HS256"], audience=receiver.url())
        control.close()
