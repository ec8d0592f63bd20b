"""Monday webhooks in the sandbox: the registry, the challenge, event payloads and delivery.

`WebhookHub` keeps the board's webhooks and delivers every matching item change to them over real
HTTP from a small worker pool, never from the thread that made the change. Each webhook has its own
lane (a FIFO queue drained by one worker at a time), so its events arrive in order; a failed
delivery (connection error, 10 s timeout, non-2xx) is retried every `retry_seconds` (Monday: once a
minute) up to `MAX_RETRIES` times (Monday: for 30 minutes), then dropped. The lane waits for its
head delivery meanwhile: later events queue behind it, in order.

Payloads follow Monday's webhook events (developer.monday.com, "Webhooks"): `{"event": {"app":
"monday", "type": ..., "triggerTime", "subscriptionId", "triggerUuid", "userId", "boardId",
"pulseId", ...}}`. With a signing secret, each request carries `Authorization: <JWT>` (HS256, made
with the stdlib here so the sandbox needs no JWT package; any JWT library verifies it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from customer_master.sandbox.model import Board, Column, Item, Workspace
from customer_master.sandbox.values import render_full

log = logging.getLogger(__name__)

RETRY_SECONDS_ENV = "CM_SANDBOX_WEBHOOK_RETRY_SECONDS"
SIGNING_SECRET_ENV = "CM_SANDBOX_WEBHOOK_SIGNING_SECRET"
DEFAULT_RETRY_SECONDS = 60.0
MAX_RETRIES = 30  # after the first attempt: 30 retries over 30 intervals (Monday: 30 minutes)
DELIVERY_TIMEOUT_SECONDS = 10.0
CHALLENGE_TIMEOUT_SECONDS = 5.0
MAX_URL_LENGTH = 255
JWT_TTL_SECONDS = 300
FIRST_WEBHOOK_ID = 30_000_001
WORKERS = 8

# Subscription event (create_webhook's `event`) -> the event `type` its payloads carry.
EVENT_TYPES: dict[str, str | None] = {
    "create_item": "create_pulse",
    "change_column_value": "update_column_value",
    "change_status_column_value": "update_column_value",
    "change_specific_column_value": "update_column_value",
    "change_name": "update_name",
    "item_archived": "archive_pulse",
    "item_deleted": "delete_pulse",
    "item_restored": "restore_pulse",
    "item_moved_to_any_group": "move_pulse_into_group",
    "create_update": None,  # accepted and stored; the sandbox has no update mutations to fire it
}


@dataclass(frozen=True)
class Change:
    """One change to one item, as the engine saw it: the event `type` and its payload fields."""

    type: str
    board_id: str
    fields: dict[str, Any]
    column_id: str | None = None
    column_type: str | None = None  # the sandbox's (Monday API) column type, e.g. "status"


@dataclass
class Webhook:
    id: int
    board_id: str
    url: str
    event: str
    config: dict | None = None

    def matches(self, change: Change) -> bool:
        if change.board_id != self.board_id or EVENT_TYPES.get(self.event) != change.type:
            return False
        if self.event == "change_status_column_value":
            return change.column_type == "status"
        if self.event == "change_specific_column_value":
            return change.column_id == (self.config or {}).get("columnId")
        return True

    def graphql(self) -> dict:
        """The `Webhook` object as the API returns it (`config` is a JSON string, as on Monday)."""
        config = orjson.dumps(self.config).decode() if self.config is not None else None
        return {"id": str(self.id), "board_id": self.board_id, "event": self.event, "config": config}


@dataclass
class _Delivery:
    body: bytes
    trigger_uuid: str
    attempts: int = 0


@dataclass
class _Lane:
    """One webhook's FIFO of deliveries and its counters."""

    webhook: Webhook
    queue: deque[_Delivery] = field(default_factory=deque)
    busy: bool = False
    cancelled: threading.Event = field(default_factory=threading.Event)
    attempts: int = 0
    delivered: int = 0
    failed: int = 0  # dropped after the last retry
    retries: int = 0
    last_status: int | None = None
    last_error: str | None = None

    def stats(self) -> dict:
        return {
            "webhook_id": str(self.webhook.id),
            "board_id": self.webhook.board_id,
            "event": self.webhook.event,
            "url": self.webhook.url,
            "active": not self.cancelled.is_set(),
            "attempts": self.attempts,
            "delivered": self.delivered,
            "failed": self.failed,
            "retries": self.retries,
            "pending": len(self.queue),
            "last_status": self.last_status,
            "last_error": self.last_error,
        }


class ChallengeFailed(Exception):
    """The url did not echo the challenge."""


def sign_jwt(claims: dict, secret: str) -> str:
    """A compact HS256 JWT (RFC 7519), what Monday puts in a webhook's Authorization header."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
    body = b64(orjson.dumps(claims))
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def trigger_time(now: dt.datetime) -> str:
    """Monday's triggerTime: ISO 8601 UTC with milliseconds and Z."""
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class WebhookHub:
    def __init__(
        self,
        *,
        account_id: int,
        user_id: int,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        signing_secret: str | None = None,
    ) -> None:
        self.account_id = account_id
        self.user_id = user_id
        self.base_retry_seconds = retry_seconds
        self.base_signing_secret = signing_secret
        self.retry_seconds = retry_seconds
        self._secret = signing_secret
        self._lock = threading.Lock()
        self._lanes: dict[int, _Lane] = {}
        self._next_id = FIRST_WEBHOOK_ID
        self._pool: ThreadPoolExecutor | None = None
        self._client: httpx.Client | None = None

    @property
    def _http(self) -> httpx.Client:
        # Made on first use: most engines (tests, benchmarks) never send a webhook.
        if self._client is None:
            self._client = httpx.Client(timeout=DELIVERY_TIMEOUT_SECONDS, follow_redirects=False)
        return self._client

    # ------------------------------------------------------------------- settings

    @property
    def signing(self) -> bool:
        return bool(self._secret)

    def set_signing_secret(self, secret: str | None) -> None:
        self._secret = secret or None

    def set_retry_seconds(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("retry_seconds must be positive")
        self.retry_seconds = float(seconds)

    def reset(self) -> None:
        """Forget every webhook and pending delivery; back to the configured secret and interval."""
        with self._lock:
            for lane in self._lanes.values():
                lane.cancelled.set()
            self._lanes = {}
        self.retry_seconds = self.base_retry_seconds
        self._secret = self.base_signing_secret

    def close(self) -> None:
        self.reset()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # ------------------------------------------------------------------- registry

    def challenge(self, url: str) -> None:
        """POST {"challenge": token} to `url` (signed like a delivery when a secret is set, as Monday
        signs it); the answer must be JSON echoing the same token."""
        token = secrets.token_urlsafe(24)
        try:
            resp = self._http.post(
                url, json={"challenge": token}, headers=self._headers(url), timeout=CHALLENGE_TIMEOUT_SECONDS
            )
            echoed = resp.is_success and orjson.loads(resp.content).get("challenge") == token
        except Exception as exc:  # noqa: BLE001 - any failure (refused, timeout, bad URL or JSON) fails it
            raise ChallengeFailed(type(exc).__name__) from None
        if not echoed:
            raise ChallengeFailed(f"HTTP {resp.status_code} without the challenge")

    def add(self, board_id: str, url: str, event: str, config: dict | None) -> Webhook:
        with self._lock:
            hook = Webhook(self._next_id, board_id, url, event, config)
            self._next_id += 1
            self._lanes[hook.id] = _Lane(hook)
            return hook

    def remove(self, webhook_id: int) -> Webhook | None:
        with self._lock:
            lane = self._lanes.get(webhook_id)
            if lane is None or lane.cancelled.is_set():
                return None
            lane.cancelled.set()  # pending deliveries are dropped; its stats stay listed
            lane.queue.clear()
            return lane.webhook

    def webhooks(self, board_id: str | None = None) -> list[Webhook]:
        with self._lock:
            return [
                lane.webhook
                for lane in self._lanes.values()
                if not lane.cancelled.is_set() and board_id in (None, lane.webhook.board_id)
            ]

    def stats(self) -> dict:
        with self._lock:
            rows = [lane.stats() for lane in self._lanes.values()]
        totals = {
            k: sum(r[k] for r in rows) for k in ("attempts", "delivered", "failed", "retries", "pending")
        }
        return {
            "webhooks": rows,
            **totals,
            "idle": self.idle(),
            "signing": self.signing,
            "retry_seconds": self.retry_seconds,
            "max_retries": MAX_RETRIES,
        }

    def idle(self) -> bool:
        with self._lock:
            return not any(lane.queue or lane.busy for lane in self._lanes.values())

    # ------------------------------------------------------------------- delivery

    def emit(self, changes: list[Change], now: dt.datetime) -> None:
        """Queue each change for every matching webhook (called under the engine lock: no I/O)."""
        if not changes:
            return
        when = trigger_time(now)
        with self._lock:
            lanes = [lane for lane in self._lanes.values() if not lane.cancelled.is_set()]
            for change in changes:
                for lane in lanes:
                    if lane.webhook.matches(change):
                        self._enqueue(lane, self._delivery(lane.webhook, change, when))

    def _delivery(self, hook: Webhook, change: Change, when: str) -> _Delivery:
        trigger_uuid = uuid.uuid4().hex  # one per delivery, kept on every retry of it
        event = {
            "app": "monday",
            "type": change.type,
            "triggerTime": when,
            "subscriptionId": hook.id,
            "triggerUuid": trigger_uuid,
            "userId": self.user_id,
            "originalTriggerUuid": None,
            **change.fields,
        }
        return _Delivery(orjson.dumps({"event": event}), trigger_uuid)

    def _enqueue(self, lane: _Lane, delivery: _Delivery) -> None:
        lane.queue.append(delivery)
        if not lane.busy:
            lane.busy = True
            if self._pool is None:
                self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="sandbox-webhook")
            self._pool.submit(self._drain, lane)

    def _drain(self, lane: _Lane) -> None:
        """Deliver the lane's queue head first, retrying it until delivered or dropped."""
        while True:
            with self._lock:
                if lane.cancelled.is_set() or not lane.queue:
                    lane.busy = False
                    return
                delivery = lane.queue[0]
            ok = self._attempt(lane, delivery)
            with self._lock:
                if lane.cancelled.is_set():
                    lane.busy = False
                    return
                if ok:
                    lane.delivered += 1
                elif delivery.attempts > MAX_RETRIES:
                    lane.failed += 1
                if ok or delivery.attempts > MAX_RETRIES:
                    lane.queue.popleft()
                    continue
                lane.retries += 1
            self._wait_retry(lane, time.monotonic())

    def _wait_retry(self, lane: _Lane, failed_at: float) -> None:
        # Short waits so a shorter interval set meanwhile (tests) applies to a waiting lane too.
        while not lane.cancelled.is_set():
            left = failed_at + self.retry_seconds - time.monotonic()
            if left <= 0:
                return
            lane.cancelled.wait(min(left, 0.05))

    def _attempt(self, lane: _Lane, delivery: _Delivery) -> bool:
        hook = lane.webhook
        headers = self._headers(hook.url)
        delivery.attempts += 1
        with self._lock:
            lane.attempts += 1
        try:
            resp = self._http.post(hook.url, content=delivery.body, headers=headers)
        except Exception as exc:  # noqa: BLE001 - a delivery failure must never kill its lane
            lane.last_status, lane.last_error = None, type(exc).__name__
            return False
        lane.last_status = resp.status_code
        lane.last_error = None if resp.is_success else f"HTTP {resp.status_code}"
        return resp.is_success

    def _headers(self, url: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": "monday-sandbox-webhooks"}
        secret = self._secret
        if secret:  # a fresh token per request: a retry's `exp` is still ahead
            headers["Authorization"] = sign_jwt(self._claims(url), secret)
        return headers

    def _claims(self, url: str) -> dict:
        now = int(time.time())
        return {
            "accountId": self.account_id,
            "userId": self.user_id,
            "aud": url,
            "exp": now + JWT_TTL_SECONDS,
            "iat": now,
            # Monday's is a 5-minute API token; the sandbox's is opaque and not accepted by /v2.
            "shortLivedToken": f"sbx-slt-{secrets.token_hex(16)}",
        }


# ----------------------------------------------------------------------- event payload fields

# Monday's webhooks name column types by their older internal names (e.g. status is "color").
_WEBHOOK_COLUMN_TYPES = {
    "status": "color",
    "numbers": "numeric",
    "long_text": "long-text",
    "checkbox": "boolean",
    "people": "multiple-person",
    "board_relation": "board-relation",
    "timeline": "timerange",
}


def webhook_column_type(column_type: str) -> str:
    return _WEBHOOK_COLUMN_TYPES.get(column_type, column_type)


def group_fields(board: Board, group_id: str) -> dict:
    group = board.groups_by_id.get(group_id)
    top = min(board.groups, key=lambda g: float(g.position)) if board.groups else None
    return {
        "id": group_id,
        "title": group.title if group else "",
        "color": group.color if group else "",
        "is_top_group": group is top,
    }


def item_fields(board: Board, item: Item) -> dict:
    """The fields every item event carries."""
    group = group_fields(board, item.group_id)
    return {
        "boardId": int(board.id),
        "pulseId": item.id,
        "pulseName": item.name,
        "groupId": item.group_id,
        "groupName": group["title"],
        "groupColor": group["color"],
        "isTopGroup": group["is_top_group"],
    }


def webhook_value(col: Column, raw, ts: int, ws: Workspace) -> dict | None:
    """A cell as a webhook's `value` / `previousValue` (Monday's shapes for the common types; the
    API's value JSON otherwise). Best effort: Monday does not document every type's shape."""
    if raw is None:
        return None
    fields = render_full(col, raw, ts, ws)
    t = col.type
    if t == "status":
        style = fields["label_style"]
        label = {
            "index": fields["index"],
            "text": fields["label"],
            "style": style,
            "is_done": fields["is_done"],
        }
        return {"label": label, "post_id": None}
    if t == "text":
        return {"value": fields["text"]}
    if t == "numbers":
        number = fields["number"]
        if number is not None and float(number).is_integer():
            number = int(number)
        return {"value": number if number is not None else fields["text"], "unit": None}
    if t == "dropdown":
        return {"chosenValues": [{"id": i, "name": col.labels.get(i, "")} for i in raw]}
    if t == "checkbox":
        return {"checked": True}
    value = fields.get("value")
    parsed = orjson.loads(value) if isinstance(value, str) else value
    return parsed if isinstance(parsed, dict) else {"value": parsed if parsed is not None else fields["text"]}


def column_change(board: Board, item: Item, col: Column, old, ws: Workspace, changed_at: float) -> Change:
    """An update_column_value event for one changed cell (`old`: the raw cell before)."""
    fields = {
        **item_fields(board, item),
        "columnId": col.id,
        "columnType": webhook_column_type(col.type),
        "columnTitle": col.title,
        "value": webhook_value(col, item.cell(col.slot), item.updated, ws),
        "previousValue": webhook_value(col, old, item.updated, ws),
        "changedAt": changed_at,
    }
    return Change("update_column_value", board.id, fields, col.id, col.type)


def name_change(board: Board, item: Item, old_name: str) -> Change:
    fields = {**item_fields(board, item), "value": {"name": item.name}, "previousValue": {"name": old_name}}
    return Change("update_name", board.id, fields, "name", "name")


def item_created(board: Board, item: Item, ws: Workspace) -> Change:
    values = {
        col.id: webhook_value(col, item.cell(col.slot), item.updated, ws)
        for col in board.value_columns
        if item.cell(col.slot) is not None
    }
    return Change("create_pulse", board.id, {**item_fields(board, item), "columnValues": values})


def item_state_changed(board: Board, item: Item, event_type: str) -> Change:
    """archive_pulse / delete_pulse / restore_pulse (Monday names the item itemId/itemName too)."""
    fields = {**item_fields(board, item), "itemId": item.id, "itemName": item.name}
    return Change(event_type, board.id, fields)


def item_moved(board: Board, item: Item, source_group_id: str) -> Change:
    fields = {
        **item_fields(board, item),
        "destGroupId": item.group_id,
        "destGroup": group_fields(board, item.group_id),
        "sourceGroupId": source_group_id,
        "sourceGroup": group_fields(board, source_group_id),
    }
    return Change("move_pulse_into_group", board.id, fields)
