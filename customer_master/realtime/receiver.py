"""The Monday webhook receiver: a small Starlette app that stores each delivery in the change store
and only then answers 200.

It never touches the warehouse (DuckDB has one writer: the Dagster runs that drain the store), so it
answers within milliseconds whatever the pipeline is doing. A 200 means the event is committed to
disk; any failure to store answers 500, and Monday retries.

Security: when a signing secret is configured every request (the challenge too) must carry a valid
HS256 JWT in `Authorization`. The header, the token and the secret are never logged or stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from customer_master.realtime.store import ChangeStore

log = logging.getLogger(__name__)

SOURCE = "monday"


@dataclass(frozen=True)
class ReceiverConfig:
    watched_boards: frozenset[str]
    signing_secret: str | None = None
    max_body_bytes: int = 1_048_576
    path: str = "/monday/webhook"
    # (board id, column id) whose change events queue nothing: the columns the delivery plan writes
    # back (monday/write_back.py write_back_column_ids), so writing the plan cannot loop into the pipeline.
    ignored_columns: frozenset[tuple[str, str]] = frozenset()

    def __repr__(self) -> str:  # the secret must not reach a log line through a repr
        return (
            f"ReceiverConfig(watched_boards={sorted(self.watched_boards)}, "
            f"signing_secret={'set' if self.signing_secret else None}, "
            f"max_body_bytes={self.max_body_bytes}, path={self.path!r}, "
            f"ignored_columns={sorted(self.ignored_columns)})"
        )


@dataclass(frozen=True)
class MondayEvent:
    """What the store needs from one Monday delivery."""

    delivery_key: str
    board_id: str
    item_id: str
    kind: str
    changed_at: float | None
    body: str
    ignore_reason: str | None  # set when the event is not an item change (e.g. board-level)
    column_id: str | None = None  # the changed column of a column-value event


class BadRequest(ValueError):
    """The body is not a Monday webhook: 400 with this short reason."""


# ----------------------------------------------------------------------- pure functions


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization` header: Monday sends it raw; `Bearer <token>` is accepted too."""
    if not authorization:
        return None
    value = authorization.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def signature_problem(authorization: str | None, secret: str) -> str | None:
    """None when the header carries a JWT signed with `secret` (HS256, exp checked if present), else
    why not: a class name only, since some messages could quote the token."""
    token = bearer_token(authorization)
    if token is None:
        return "missing token"
    try:
        jwt.decode(token, secret, algorithms=["HS256"], options={"verify_aud": False})
    except jwt.PyJWTError as exc:
        return type(exc).__name__
    return None


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a delivery; BadRequest unless it has an `event` or a `challenge`."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("invalid JSON") from exc
    if not isinstance(payload, dict):
        raise BadRequest("expected a JSON object")
    if "event" not in payload and "challenge" not in payload:
        raise BadRequest('expected an "event" or a "challenge"')
    if "event" in payload and not isinstance(payload["event"], dict):
        raise BadRequest('"event" must be an object')
    return payload


def event_time(event: Mapping[str, Any]) -> float | None:
    """When the change happened at Monday: `changedAt` (epoch seconds), else `triggerTime` (ISO 8601)."""
    changed = event.get("changedAt")
    if isinstance(changed, str):
        try:
            changed = float(changed)
        except ValueError:
            changed = None
    if isinstance(changed, int | float) and not isinstance(changed, bool):
        # Some event types carry milliseconds: anything past year 5000 in seconds is read as ms.
        return float(changed) / 1000 if changed > 1e11 else float(changed)
    trigger = event.get("triggerTime")
    if isinstance(trigger, str):
        try:
            parsed = dt.datetime.fromisoformat(trigger.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp()
    return None


def delivery_key(payload: Mapping[str, Any], canonical: str) -> str:
    """Monday's id of this trigger (the same on its retries) per subscription, else the body's hash,
    so a redelivered event is recognised either way."""
    event = payload.get("event") or {}
    uuid = event.get("triggerUuid")
    if uuid:
        sub = event.get("subscriptionId")
        return f"{uuid}:{sub}" if sub is not None else str(uuid)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _id(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def monday_event(payload: Mapping[str, Any]) -> MondayEvent:
    """Maps Monday's `{"event": {...}}`. A subitem event is a change of its parent item on the parent's
    board: the warehouse stores orders (items), and re-reading the parent reads its subitems too."""
    event = payload["event"]
    canonical = canonical_json(payload)
    board_id, item_id = _id(event.get("boardId")), _id(event.get("pulseId"))
    parent_item = _id(event.get("parentItemId"))
    column_id = _id(event.get("columnId"))
    if parent_item is not None:
        column_id = None  # a column of the subitems board, not of the board the change is queued on
        item_id = parent_item
        board_id = _id(event.get("parentItemBoardId")) or board_id
    reason = None
    if item_id is None:
        reason = f"event {event.get('type')!s} has no pulseId (not an item change)"
    return MondayEvent(
        delivery_key=delivery_key(payload, canonical),
        board_id=board_id or "",
        item_id=item_id or "",
        kind=str(event.get("type") or "unknown"),
        changed_at=event_time(event),
        body=canonical,
        ignore_reason=reason,
        column_id=column_id,
    )


def watch_verdict(
    event: MondayEvent,
    watched_boards: frozenset[str],
    ignored_columns: frozenset[tuple[str, str]] = frozenset(),
) -> str | None:
    """None when the event becomes a change, else the reason it is only stored for audit."""
    if event.ignore_reason is not None:
        return event.ignore_reason
    if event.board_id not in watched_boards:
        return f"board {event.board_id} is not watched"
    if event.column_id is not None and (event.board_id, event.column_id) in ignored_columns:
        return f"column {event.column_id} is written by the plan write-back"
    return None


# ----------------------------------------------------------------------- the app


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def read_bounded(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (the rest is never read or buffered)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _declared_length(request: Request) -> int | None:
    try:
        return int(request.headers["content-length"])
    except (KeyError, ValueError):
        return None


def create_app(config: ReceiverConfig, store: ChangeStore) -> Starlette:
    async def webhook(request: Request) -> JSONResponse:
        declared = _declared_length(request)
        if declared is not None and declared > config.max_body_bytes:
            return _error(413, f"body over {config.max_body_bytes} bytes")
        # Checked before the body is read: an unsigned sender costs no more than its headers.
        if config.signing_secret is not None:
            problem = signature_problem(request.headers.get("authorization"), config.signing_secret)
            if problem is not None:
                log.warning("rejected a delivery from %s: invalid signature (%s)", _client(request), problem)
                return _error(401, "invalid signature")
        try:
            body = await read_bounded(request, config.max_body_bytes)
        except ClientDisconnect:
            return _error(400, "client disconnected")
        if body is None:
            return _error(413, f"body over {config.max_body_bytes} bytes")
        try:
            payload = parse_body(body)
        except BadRequest as exc:
            return _error(400, str(exc))
        if "event" not in payload:
            log.info("answered a challenge")
            return JSONResponse({"challenge": payload["challenge"]})
        event = monday_event(payload)
        reason = watch_verdict(event, config.watched_boards, config.ignored_columns)
        try:
            # In a worker thread: the commit waits for fsync, and the event loop must keep serving.
            outcome = await run_in_threadpool(
                store.record_event,
                event.delivery_key,
                source=SOURCE,
                board_id=event.board_id,
                item_id=event.item_id,
                kind=event.kind,
                changed_at=event.changed_at,
                body=event.body,
                watched=reason is None,
                reason=reason,
            )
        except Exception:
            # Not stored: 500 makes Monday deliver it again.
            log.exception("could not store delivery %s", event.delivery_key)
            return _error(500, "could not store the event")
        log.info(
            "event %r board=%r item=%r kind=%r: %s",
            event.delivery_key,
            event.board_id,
            event.item_id,
            event.kind,
            outcome,
        )
        return JSONResponse({"status": outcome})

    async def health(request: Request) -> JSONResponse:
        try:
            pending, oldest = await run_in_threadpool(_pending, store)
        except Exception:
            log.exception("health check could not read the store")
            return JSONResponse({"status": "error", "error": "store unavailable"}, status_code=503)
        age = None if oldest is None else round(max(0.0, store.clock() - oldest), 3)
        return JSONResponse({"status": "ok", "pending": pending, "oldest_pending_age_s": age})

    return Starlette(
        routes=[
            Route(config.path, webhook, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def _pending(store: ChangeStore) -> tuple[int, float | None]:
    return store.pending_count(), store.oldest_pending_at()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# ----------------------------------------------------------------------- serving


def serve(
    config: ReceiverConfig,
    store: ChangeStore,
    host: str = "127.0.0.1",
    port: int = 8080,
    log_level: str = "info",
) -> None:
    """Runs the receiver with uvicorn until SIGTERM/SIGINT (uvicorn stops accepting, lets in-flight
    requests finish, then returns). Prints one "receiver listening on" line once the socket is bound."""
    import uvicorn

    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.should_exit:  # bind failed: uvicorn has logged why
                return
            bound_port = port
            for server in self.servers:
                for sock in server.sockets:
                    bound_port = sock.getsockname()[1]  # the real port when asked for port 0
            print(f"receiver listening on http://{host}:{bound_port}{config.path}", flush=True)

    server = _Server(
        uvicorn.Config(
            create_app(config, store),
            host=host,
            port=port,
            log_level=log_level,
            # Starlette's lifespan is unused; "off" keeps startup to binding the socket.
            lifespan="off",
            # Bounded: a stuck client (e.g. Monday's kept-alive connection) must not keep a stopping
            # receiver alive; every stored event is already committed, so little is lost by cutting it.
            timeout_graceful_shutdown=3,
            server_header=False,
        )
    )
    if threading.current_thread() is threading.main_thread():
        # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler it found:
        # this one, which makes that a clean exit (status 0). Before uvicorn takes the signal over
        # (while starting), it stops the server as soon as it can.
        signal.signal(signal.SIGTERM, lambda signum, frame: setattr(server, "should_exit", True))
    try:
        server.run()
    finally:
        store.close()
