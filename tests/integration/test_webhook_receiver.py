"""The Monday webhook receiver as a real subprocess (`python -m customer_master.realtime serve`) over
real HTTP on 127.0.0.1, httpx as the client: the challenge, JWT checks, body limits, events stored
(read from the SQLite file) before the 200, duplicates, unwatched boards, durability across SIGKILL,
no secret or token in its logs, and a burst from concurrent clients."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jwt
import pytest

from customer_master.realtime.receiver import ReceiverConfig, create_app
from customer_master.realtime.store import ChangeStore

REPO = Path(__file__).resolve().parents[2]
WATCHED = "1001"
PATH = "/monday/webhook"
START_TIMEOUT = 30.0


class Receiver:
    """One receiver subprocess; stdout and stderr go to files (a full pipe would stall it)."""

    def __init__(
        self,
        workdir: Path,
        store: Path,
        *,
        secret: str | None = None,
        max_body_bytes: int | None = None,
        boards: tuple[str, ...] = (WATCHED,),
    ) -> None:
        self.workdir, self.store_path, self.secret = workdir, store, secret
        self.args = ["--store", str(store)] + [a for b in boards for a in ("--board", b)]
        if max_body_bytes is not None:
            self.args += ["--max-body-bytes", str(max_body_bytes)]
        self.runs = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self) -> Receiver:
        self.runs += 1
        self.out = self.workdir / f"receiver-{self.runs}.out"
        self.err = self.workdir / f"receiver-{self.runs}.err"
        env = {k: v for k, v in os.environ.items() if k != "MONDAY_WEBHOOK_SIGNING_SECRET"}
        if self.secret is not None:
            env["MONDAY_WEBHOOK_SIGNING_SECRET"] = self.secret
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "customer_master.realtime",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    *self.args,
                ],
                stdout=out,
                stderr=err,
                env=env,
                cwd=REPO,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for line in self.out.read_text().splitlines():
                if line.startswith("receiver listening on http://127.0.0.1:"):
                    self.base_url = line.split(" on ", 1)[1].removesuffix(PATH)
                    return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"receiver did not start:\n{self.logs()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)

    def logs(self) -> str:
        return "".join(p.read_text() for p in (self.workdir.glob("receiver-*.*")))

    def client(self) -> httpx.Client:
        # trust_env=False: a proxy from the environment must not stand between us and loopback.
        return httpx.Client(base_url=self.base_url, timeout=30, trust_env=False)


@pytest.fixture()
def start_receiver(tmp_path):
    started: list[Receiver] = []

    def start(**kwargs) -> Receiver:
        receiver = Receiver(tmp_path, kwargs.pop("store", tmp_path / "store" / "changes.db"), **kwargs)
        started.append(receiver.start())
        return receiver

    yield start
    for receiver in started:
        if receiver.proc is not None and receiver.proc.poll() is None:
            receiver.stop(signal.SIGKILL)


def token(secret: str, *, exp_in: float = 300) -> str:
    """What Monday sends in Authorization: an HS256 JWT signed with the app's signing secret."""
    now = int(time.time())
    return jwt.encode(
        {
            "accountId": 7,
            "userId": 9,
            "aud": "https://example.test/monday/webhook",
            "iat": now,
            "exp": now + exp_in,
        },
        secret,
        algorithm="HS256",
    )


def monday_event(
    item: int | None = 501, *, board: str = WATCHED, trigger: str | None = "auto", **extra
) -> dict:
    event = {
        "app": "monday",
        "type": "update_column_value",
        "triggerTime": "2026-12-03T10:00:00.250Z",
        "subscriptionId": 42,
        "userId": 9,
        "originalTriggerUuid": None,
        "boardId": int(board),
        "groupId": "topics",
        "columnId": "status",
        "columnType": "color",
        "columnTitle": "Status",
        "value": {"label": {"text": "Done"}},
        "changedAt": 1796292000.5,
        "isTopGroup": True,
        "triggerUuid": uuid.uuid4().hex if trigger == "auto" else trigger,
    }
    if item is not None:
        event["pulseId"] = item
    if trigger is None:
        del event["triggerUuid"]
    event.update(extra)
    return {"event": event}


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Straight from the file with a fresh connection: what is on disk, not what the receiver says."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count_events(path: Path) -> int:
    if not path.exists():
        return 0
    return query(path, "SELECT COUNT(*) FROM events")[0][0]


# ----------------------------------------------------------------------- challenge and signatures


def test_challenge_is_echoed(start_receiver):
    receiver = start_receiver()
    with receiver.client() as http:
        response = http.post(PATH, json={"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
        assert response.status_code == 200
        assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
        assert http.get("/health").json() == {"status": "ok", "pending": 0, "oldest_pending_age_s": None}
    assert count_events(receiver.store_path) == 0


def test_with_a_secret_only_valid_tokens_pass(start_receiver):
    secret = secrets.token_urlsafe(32)
    receiver = start_receiver(secret=secret)
    good = token(secret)
    bad = [
        {},  # missing
        {"Authorization": token(secrets.token_urlsafe(32))},  # signed with another secret
        {"Authorization": token(secret, exp_in=-60)},  # expired
        {"Authorization": "not-a-jwt"},
        {"Authorization": "Bearer"},
    ]
    with receiver.client() as http:
        for headers in bad:
            assert http.post(PATH, json={"challenge": "c"}, headers=headers).status_code == 401
            response = http.post(PATH, json=monday_event(), headers=headers)
            assert (response.status_code, response.json()) == (401, {"error": "invalid signature"})
        assert count_events(receiver.store_path) == 0
        # Monday sends the raw token; "Bearer <token>" is accepted too.
        assert http.post(PATH, json={"challenge": "c"}, headers={"Authorization": good}).json() == {
            "challenge": "c"
        }
        assert http.post(PATH, json=monday_event(1), headers={"Authorization": good}).json() == {
            "status": "queued"
        }
        assert http.post(PATH, json=monday_event(2), headers={"Authorization": f"Bearer {good}"}).json() == {
            "status": "queued"
        }
    assert count_events(receiver.store_path) == 2


def test_secret_and_tokens_never_reach_the_logs(start_receiver):
    secret = secrets.token_urlsafe(32)
    receiver = start_receiver(secret=secret)
    good, wrong, expired = token(secret), token(secrets.token_urlsafe(32)), token(secret, exp_in=-5)
    with receiver.client() as http:
        for tok in (good, f"Bearer {good}", wrong, expired, "garbage." + secret):
            http.post(PATH, json={"challenge": "c"}, headers={"Authorization": tok})
            http.post(PATH, json=monday_event(), headers={"Authorization": tok})
        http.post(PATH, content=b"{not json", headers={"Authorization": good})
    assert receiver.stop() == 0
    logs = receiver.logs()
    assert "receiver listening on" in logs and "invalid signature" in logs  # these are the real logs
    assert secret not in logs
    for tok in (good, wrong, expired):
        assert tok not in logs and tok.rsplit(".", 1)[1] not in logs  # nor its signature part
    assert secret not in "".join(r[0] for r in query(receiver.store_path, "SELECT body FROM events"))


# ----------------------------------------------------------------------- bodies


def test_oversized_bodies_are_refused_unread_and_unstored(start_receiver):
    receiver = start_receiver(max_body_bytes=2048)
    padded = monday_event(note="x" * 4096)
    with receiver.client() as http:
        # Declared too long: refused from the headers.
        response = http.post(PATH, json=padded)
        assert response.status_code == 413
        # Not declared (chunked): read up to the limit, then refused.
        body = json.dumps(padded).encode()
        chunks = (body[i : i + 512] for i in range(0, len(body), 512))
        assert http.post(PATH, content=chunks).status_code == 413
    assert count_events(receiver.store_path) == 0
    with receiver.client() as http:  # a body within the limit still passes, chunked or not
        small = [json.dumps(monday_event(note="y" * 1000)).encode() for _ in range(2)]
        assert http.post(PATH, content=small[0]).json() == {"status": "queued"}
        assert http.post(PATH, content=iter([small[1][:700], small[1][700:]])).json() == {"status": "queued"}
    assert count_events(receiver.store_path) == 2


def test_bad_bodies_are_400_and_stored_nowhere(start_receiver):
    receiver = start_receiver()
    with receiver.client() as http:
        for body in (b"{not json", b"[1, 2]", b'{"hello": 1}', b'{"event": 5}', b"\xff\xfe"):
            response = http.post(PATH, content=body)
            assert response.status_code == 400, body
            assert response.json()["error"]
    assert count_events(receiver.store_path) == 0


# ----------------------------------------------------------------------- events


def test_event_is_stored_before_the_200(start_receiver):
    receiver = start_receiver()
    payload = monday_event(501, trigger="trig-1")
    with receiver.client() as http:
        response = http.post(PATH, json=payload)
        assert (response.status_code, response.json()) == (200, {"status": "queued"})
        # Read right after the answer, with a separate connection: it is committed already.
        [event] = query(
            receiver.store_path,
            "SELECT delivery_key, source, board_id, item_id, kind, changed_at, outcome, body FROM events",
        )
        assert event[:7] == (
            "trig-1:42",
            "monday",
            WATCHED,
            "501",
            "update_column_value",
            1796292000.5,
            "queued",
        )
        assert json.loads(event[7]) == payload
        assert query(
            receiver.store_path, "SELECT source, board_id, item_id, status, events FROM changes"
        ) == [("monday", WATCHED, "501", "pending", 1)]
        health = http.get("/health").json()
        assert health["pending"] == 1 and health["oldest_pending_age_s"] >= 0


def test_duplicate_delivery_is_stored_and_enqueued_once(start_receiver):
    receiver = start_receiver()
    payload = monday_event(501, trigger="same-trigger")
    unkeyed = monday_event(502, trigger=None)  # no triggerUuid: the body's hash is the key
    with receiver.client() as http:
        assert [http.post(PATH, json=payload).json()["status"] for _ in range(3)] == [
            "queued",
            "duplicate",
            "duplicate",
        ]
        assert [http.post(PATH, json=unkeyed).json()["status"] for _ in range(2)] == ["queued", "duplicate"]
    assert count_events(receiver.store_path) == 2
    assert query(receiver.store_path, "SELECT item_id, events FROM changes ORDER BY item_id") == [
        ("501", 1),
        ("502", 1),
    ]


def test_events_of_unwatched_boards_and_board_level_events_are_ignored(start_receiver):
    receiver = start_receiver()
    with receiver.client() as http:
        assert http.post(PATH, json=monday_event(7, board="2002")).json() == {"status": "ignored"}
        board_level = monday_event(None, type="create_group")
        assert http.post(PATH, json=board_level).json() == {"status": "ignored"}
    reasons = [r[0] for r in query(receiver.store_path, "SELECT reason FROM events ORDER BY received_at")]
    assert reasons[0] == "board 2002 is not watched"
    assert "no pulseId" in reasons[1]
    assert query(receiver.store_path, "SELECT COUNT(*) FROM changes") == [(0,)]


def test_subitem_event_is_a_change_of_its_parent_item(start_receiver):
    receiver = start_receiver()
    sub = monday_event(
        9001, board="3003", type="change_subitem_column_value", parentItemId="501", parentItemBoardId=WATCHED
    )
    with receiver.client() as http:
        assert http.post(PATH, json=sub).json() == {"status": "queued"}
    assert query(receiver.store_path, "SELECT board_id, item_id, kind FROM changes") == [
        (WATCHED, "501", "change_subitem_column_value")
    ]


def test_event_survives_sigkill_right_after_the_200(start_receiver, tmp_path):
    store = tmp_path / "durable" / "changes.db"
    first = start_receiver(store=store)
    payload = monday_event(501, trigger="before-the-crash")
    with first.client() as http:
        assert http.post(PATH, json=payload).json() == {"status": "queued"}
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL  # no shutdown, no close
    second = start_receiver(store=store)
    with second.client() as http:
        assert http.get("/health").json()["pending"] == 1
        # Monday retrying the same delivery after the crash is still recognised.
        assert http.post(PATH, json=payload).json() == {"status": "duplicate"}
    assert count_events(store) == 1


def test_sigterm_stops_gracefully(start_receiver):
    receiver = start_receiver()
    with receiver.client() as http:
        assert http.post(PATH, json=monday_event()).status_code == 200
    assert receiver.stop(signal.SIGTERM) == 0
    assert "Finished server process" in receiver.logs()


def test_burst_of_1000_events_from_8_clients_is_all_stored(start_receiver):
    receiver = start_receiver()
    items = 50

    def client(n: int) -> list[int]:
        with receiver.client() as http:
            return [
                http.post(
                    PATH, json=monday_event(1 + (n * 125 + i) % items, trigger=f"burst-{n}-{i}")
                ).status_code
                for i in range(125)
            ]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for batch in pool.map(client, range(8)) for s in batch]
    assert statuses == [200] * 1000
    assert count_events(receiver.store_path) == 1000
    assert query(
        receiver.store_path, "SELECT COUNT(*), SUM(events) FROM changes WHERE status = 'pending'"
    ) == [(items, 1000)]


# ----------------------------------------------------------------------- store failure (in process)


class BrokenStore(ChangeStore):
    def record_event(self, *args, **kwargs) -> str:
        raise sqlite3.OperationalError("disk I/O error")


def test_a_store_failure_answers_500_so_monday_retries(tmp_path):
    app = create_app(ReceiverConfig(watched_boards=frozenset({WATCHED})), BrokenStore(tmp_path / "c.db"))

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as http:
            return await http.post(PATH, json=monday_event())

    response = asyncio.run(post())
    assert (response.status_code, response.json()) == (500, {"error": "could not store the event"})


def test_config_repr_hides_the_secret():
    config = ReceiverConfig(watched_boards=frozenset({WATCHED}), signing_secret="very-secret-value")
    assert "very-secret-value" not in repr(config) and "very-secret-value" not in str(config)
