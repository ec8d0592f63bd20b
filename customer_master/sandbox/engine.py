"""The sandbox's request pipeline, independent of the HTTP server.

`SandboxEngine.handle_graphql(headers, body, method)` does, in Monday's order: count the request,
pick latency / slow-request delay, authentication (401), injected faults (5xx, then 429), request
validation (API-Version, then "a JSON body with a query": GET and URL-only queries are refused
with 400), parse + validate (cached by query text), complexity estimate (per-query max, per-minute
budget), execution (fast path, else graphql-core), response body and headers. It returns a
`Response` whose `delay` the HTTP layer sleeps *after* the engine lock is released, so latency
never serialises requests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import logging
import math
import os
import random
import re
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLFormattedError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast

from customer_master.sandbox.boards import ACCOUNT_ID
from customer_master.sandbox.complexity import MAX_QUERY_COMPLEXITY, estimate_complexity
from customer_master.sandbox.directory import API_USER
from customer_master.sandbox.fastpath import OpPlan, Unsupported, compile_operation, execute_plan
from customer_master.sandbox.generator import WorkspaceSpec, generate_workspace
from customer_master.sandbox.model import STATE_ACTIVE, STATE_ARCHIVED, STATE_DELETED, Board, Column, Item
from customer_master.sandbox.mutations import install_mutation_getters
from customer_master.sandbox.resolvers import (
    CURRENT_VERSION,
    VERSIONS,
    Ctx,
    CursorStore,
    MondayError,
    RequestAbort,
    field_resolver,
    install_column_value_getters,
    type_resolver,
)
from customer_master.sandbox.serving import Response, parse_clock, run_control_op
from customer_master.sandbox.values import parse_value
from customer_master.sandbox.webhooks import (
    DEFAULT_RETRY_SECONDS,
    RETRY_SECONDS_ENV,
    SIGNING_SECRET_ENV,
    Change,
    WebhookHub,
    column_change,
    item_created,
    item_moved,
    item_state_changed,
    name_change,
)

log = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
SANDBOX_TOKEN = "sandbox-token"
NOT_AUTHENTICATED_BODY = b'{"errors":["Not Authenticated"]}'
# Monday's answer to a request without a JSON body carrying a query (a GET, a query only in the
# URL, a form or GraphQL body), as recorded from api.monday.com in 2025-11.
BAD_REQUEST_BODY = (
    b'{"errors":[{"message":"Invalid GraphQL request","extensions":{"code":"INVALID_GRAPHQL_REQUEST",'
    b'"details":"Request body must be a JSON with query."}}]}'
)
MINUTE_REQUEST_QUOTA = 5000
CONCURRENCY_QUOTA = 250
RATE_LIMIT_SHAPES = ("current", "legacy_200", "legacy_flat")
_VERSION_RE = re.compile(r"^\d{4}-\d{2}$")


@functools.cache
def load_schema() -> GraphQLSchema:
    schema = build_schema(SCHEMA_PATH.read_text())
    install_column_value_getters(schema)
    install_mutation_getters()
    return schema


@dataclass
class Faults:
    """Deterministic, counted fault injection (see README)."""

    rate_limit_next: int = 0
    rate_limit_retry_in_seconds: float = 1  # fractions keep tests fast; whole numbers render as ints
    rate_limit_shape: str = "current"
    server_error_next: int = 0
    server_error_status: int = 500
    latency_ms: float = 0.0
    latency_per_item_ms: float = 0.0  # per item with column_values in the response: full pages are slow
    slow_next: int = 0
    slow_seconds: float = 5.0
    malformed_rate: float = 0.0
    cursor_expire_after_pages: int = 0
    # Probabilistic faults: each API request independently, drawn from a generator seeded with
    # `fault_seed` (re-seeded whenever faults are set), so a run's sequence of faults is reproducible.
    rate_limit_rate: float = 0.0
    server_error_rate: float = 0.0
    fault_seed: int = 0
    purge_deleted: bool = False
    # This share of a board's items is invisible (as when a token loses access to part of a
    # board): not in items_page / next_items_page nor in root items(ids). Chosen by hashing the
    # item id, so the same items hide on every request; only on `hidden_board` when it is set.
    hidden_fraction: float = 0.0
    hidden_board: str = ""

    def update(self, **changes) -> None:
        """Set some faults; all-or-nothing (an invalid value leaves the faults unchanged)."""
        casts = {"int": int, "float": float, "bool": bool, "str": str}
        known = {f.name: casts[str(f.type)] for f in fields(self)}
        new = asdict(self)
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault {name!r}; known: {sorted(known)}")
            cast = known[name]
            new[name] = cast(value) if value is not None or cast is str else cast()
        if new["rate_limit_shape"] not in RATE_LIMIT_SHAPES:
            raise ValueError(f"rate_limit_shape must be one of {RATE_LIMIT_SHAPES}")
        if new["server_error_status"] not in (500, 502, 503, 504):
            raise ValueError("server_error_status must be 500, 502, 503 or 504")
        if not 0.0 <= new["malformed_rate"] <= 1.0:
            raise ValueError("malformed_rate must be within [0, 1]")
        if not 0.0 <= new["hidden_fraction"] <= 1.0:
            raise ValueError("hidden_fraction must be within [0, 1]")
        for rate in ("rate_limit_rate", "server_error_rate"):
            if not 0.0 <= new[rate] <= 1.0:
                raise ValueError(f"{rate} must be within [0, 1]")
        for name in ("latency_per_item_ms", "rate_limit_retry_in_seconds"):
            if new[name] < 0:
                raise ValueError(f"{name} must not be negative")
        for name, value in new.items():
            setattr(self, name, value)
        self._rng = random.Random(self.fault_seed)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.fault_seed)  # not a field: stays out of asdict/get_faults

    def strikes(self, rate: float) -> bool:
        """One seeded draw: does a fault of probability `rate` hit this request?"""
        return rate > 0 and self._rng.random() < rate


class _Window:
    """A minute window that starts at the first call and resets 60 s later (Monday's budget)."""

    def __init__(self, quota: int) -> None:
        self.quota = quota
        self.start: float | None = None
        self.used = 0

    def roll(self, now: float) -> None:
        if self.start is None or now - self.start >= 60.0:
            self.start = now
            self.used = 0

    def remaining(self) -> int:
        return max(0, self.quota - self.used)

    def reset_in(self, now: float) -> int:
        if self.start is None:
            return 60
        return max(0, math.ceil(60.0 - (now - self.start)))


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


@dataclass
class _Prepared:
    """A parsed + validated query (cached by query text)."""

    document: DocumentNode | None
    errors: list[GraphQLFormattedError]
    fragments: dict[str, FragmentDefinitionNode]
    plans: dict  # operation name -> OpPlan | None (None = use graphql-core)


class SandboxEngine:
    def __init__(
        self,
        spec: WorkspaceSpec | None = None,
        *,
        token: str = SANDBOX_TOKEN,
        latency_ms: float = 0,
        complexity_budget_per_minute: int = 10_000_000,
        cursor_ttl_seconds: float = 3600,
        use_fast_path: bool = True,
        freeze_gc: bool = False,
        webhook_retry_seconds: float | None = None,
        webhook_signing_secret: str | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.freeze_gc = freeze_gc
        self.schema = load_schema()
        self.base_spec = spec or WorkspaceSpec()
        self.spec = self.base_spec
        self.token = token
        self.base_latency_ms = latency_ms
        self.budget_quota = complexity_budget_per_minute
        self.cursor_ttl = cursor_ttl_seconds
        self.use_fast_path = use_fast_path
        self.inflight = 0
        self._inflight_lock = threading.Lock()
        self._request_seq = 0
        self._docs: _LRU = _LRU(256)
        self.webhooks = _webhook_hub(webhook_retry_seconds, webhook_signing_secret)
        self._fresh(generate_workspace(self.spec))

    # ----------------------------------------------------------------------- state

    def _fresh(self, workspace) -> None:
        if self.freeze_gc:
            # Millions of long-lived cell objects: keep them out of the cyclic GC's full
            # collections, which otherwise cost ~100 ms every few pages on a 100k-item workspace.
            # Process-wide, so only the standalone server (the CLI) turns it on.
            gc.freeze()
        self.ws = workspace
        self.webhooks.reset()
        self.faults = Faults(latency_ms=self.base_latency_ms)
        self.cursors = CursorStore(self.cursor_ttl)
        self.budget = _Window(self.budget_quota)
        self.minute = _Window(MINUTE_REQUEST_QUOTA)
        self.clock: dt.datetime | None = None
        self._items_count: dict[str, tuple[int, int]] = {}
        self.mutations = 0
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "requests",
                "graphql_requests",
                "control_requests",
                "complexity_used",
                "errors_returned",
                "rate_limited",
                "server_errors",
                "auth_errors",
                "fast_path",
                "graphql_core",
                "fast_path_fallbacks",
                "cursor_errors",
                "processing_us",  # time spent computing GraphQL answers (no injected latency)
            ),
            0,
        )

    def now(self) -> dt.datetime:
        return self.clock or dt.datetime.now(dt.UTC)

    def now_ts(self) -> int:
        return int(self.now().timestamp())

    def items_count(self, board: Board) -> int:
        cached = self._items_count.get(board.id)
        if cached is None or cached[0] != self.mutations:
            cached = (self.mutations, board.active_count())
            self._items_count[board.id] = cached
        return cached[1]

    def _request_id(self) -> str:
        self._request_seq += 1
        return f"sbx-{self._request_seq:012d}"

    @contextlib.contextmanager
    def unlocked(self):
        """Let other requests run while this one waits on the network (create_webhook's challenge,
        whose receiver may call the API meanwhile). Only for a thread holding the lock once."""
        self.lock.release()
        try:
            yield
        finally:
            self.lock.acquire()

    @contextlib.contextmanager
    def inflight_guard(self):
        """Counts concurrent API requests (reported in the RateLimit "concurrency" entry)."""
        with self._inflight_lock:
            self.inflight += 1
        try:
            yield
        finally:
            with self._inflight_lock:
                self.inflight -= 1

    # ----------------------------------------------------------------------- headers

    def _rate_headers(self, version: str, now: float) -> dict[str, str]:
        self.budget.roll(now)
        self.minute.roll(now)
        return {
            "API-Version": version,
            "RateLimit-Policy": (
                f'"minuteRate";q={MINUTE_REQUEST_QUOTA};w=60, '
                f'"concurrency";q={CONCURRENCY_QUOTA};qu="concurrent-requests", '
                f'"complexityMinute";q={self.budget.quota};w=60;qu="content-bytes"'
            ),
            "RateLimit": (
                f'"minuteRate";r={self.minute.remaining()};t={self.minute.reset_in(now)}, '
                f'"concurrency";r={max(0, CONCURRENCY_QUOTA - self.inflight)}, '
                f'"complexityMinute";r={self.budget.remaining()};t={self.budget.reset_in(now)}'
            ),
        }

    # ----------------------------------------------------------------------- graphql

    def handle_graphql(self, headers, body: bytes, method: str = "POST") -> Response:
        with self.lock:
            started = time.perf_counter()
            resp = self._handle_graphql(headers, body, method)
            if resp.is_error:
                self.counters["errors_returned"] += 1
            # Time spent in the sandbox itself (excludes injected latency), for benchmarks.
            elapsed = time.perf_counter() - started
            self.counters["processing_us"] += int(elapsed * 1_000_000)
            resp.headers["Server-Timing"] = f"sandbox;dur={elapsed * 1000:.2f}"
            return resp

    def _handle_graphql(self, headers, body: bytes, method: str) -> Response:
        c = self.counters
        c["requests"] += 1
        c["graphql_requests"] += 1
        f = self.faults
        now = time.monotonic()
        delay = max(0.0, float(f.latency_ms)) / 1000.0
        if f.slow_next > 0:
            f.slow_next -= 1
            delay += f.slow_seconds
        request_id = self._request_id()
        # Both draws happen for every request, whatever it meets later: the sequence stays seeded.
        server_error = f.strikes(f.server_error_rate)
        rate_limited = f.strikes(f.rate_limit_rate)

        version, version_error = _resolve_version(headers.get("API-Version"))
        rate_headers = self._rate_headers(version, now)
        rate_headers["X-Request-Id"] = request_id

        # Monday's order: who is asking, then the platform's own trouble (injected faults), then
        # what was asked. So a bad request meets the faults, and a wrong token never uses them up.
        auth = (headers.get("Authorization") or "").strip()
        if auth[:7].lower() == "bearer ":
            auth = auth[7:].strip()
        if not auth or auth != self.token:
            c["auth_errors"] += 1
            return Response(401, NOT_AUTHENTICATED_BODY, rate_headers, delay)
        self.minute.used += 1

        if f.server_error_next > 0:
            f.server_error_next -= 1
            server_error = True
        if server_error:
            c["server_errors"] += 1
            return self._server_error(f.server_error_status, request_id, rate_headers, delay)
        if f.rate_limit_next > 0:
            f.rate_limit_next -= 1
            rate_limited = True
        if rate_limited:
            return self._rate_limited(f.rate_limit_retry_in_seconds, 0, request_id, rate_headers, delay)

        if version_error:
            return self._errors_response(
                200,
                [
                    {
                        "message": version_error,
                        "extensions": {"code": "InvalidVersionException", "status_code": 400},
                    }
                ],
                request_id,
                rate_headers,
                delay,
            )
        payload = _json_query(body) if method == "POST" else None
        if payload is None:
            return Response(400, BAD_REQUEST_BODY, rate_headers, delay)
        query = payload["query"]
        variables = payload.get("variables") or {}
        operation_name = payload.get("operationName")
        if not isinstance(variables, dict):
            variables = {}

        prepared = self._prepare(query)
        if prepared.errors:
            return self._errors_response(200, prepared.errors, request_id, rate_headers, delay)
        assert prepared.document is not None
        operation = get_operation_ast(prepared.document, operation_name)
        coerced: dict[str, Any] | None = None
        if operation is not None:
            values = get_variable_values(self.schema, operation.variable_definitions or [], variables)
            if not isinstance(values, list):  # a list: variable errors, let graphql-core format them
                coerced = values

        cost = 0
        if operation is not None and coerced is not None:
            cost = estimate_complexity(self.schema, operation, prepared.fragments, coerced)
            if cost > MAX_QUERY_COMPLEXITY:
                return self._errors_response(
                    200,
                    [
                        {
                            "message": (
                                f"Query has complexity of {cost}, which exceeds max complexity of "
                                f"{MAX_QUERY_COMPLEXITY}"
                            ),
                            "extensions": {
                                "code": "ComplexityException",
                                "complexity": cost,
                                "max_complexity": MAX_QUERY_COMPLEXITY,
                            },
                        }
                    ],
                    request_id,
                    rate_headers,
                    delay,
                )
            self.budget.roll(now)
            if cost > self.budget.remaining():
                return self._rate_limited(
                    max(1, self.budget.reset_in(now)), cost, request_id, rate_headers, delay
                )
        before = self.budget.remaining()
        self.budget.used += cost
        c["complexity_used"] += cost
        complexity = {
            "before": before,
            "query": cost,
            "after": self.budget.remaining(),
            "reset_in_x_seconds": self.budget.reset_in(now),
        }
        rate_headers.update(self._rate_headers(version, now))
        rate_headers["X-Request-Id"] = request_id
        ctx = Ctx(self, self.ws, version, complexity)

        data = None
        errors: list[GraphQLFormattedError] = []
        plan = None
        if self.use_fast_path and operation is not None and coerced is not None:
            plan = self._plan(prepared, operation, operation_name)
        done = False
        if plan is not None:
            assert coerced is not None  # a plan is only made for coerced variables
            try:
                data = execute_plan(plan, ctx, coerced)
                c["fast_path"] += 1
                done = True
            except RequestAbort as abort:
                return self._abort(abort, request_id, rate_headers, delay)
            except MondayError:
                c["fast_path_fallbacks"] += 1  # graphql-core gives partial data + located errors
            except Exception:  # noqa: BLE001 - never fail a request because of the fast path
                log.exception("sandbox fast path failed; falling back to graphql-core")
                c["fast_path_fallbacks"] += 1
        if not done:
            c["graphql_core"] += 1
            result = execute(
                self.schema,
                prepared.document,
                root_value=None,
                context_value=ctx,
                variable_values=variables,
                operation_name=operation_name,
                field_resolver=field_resolver,
                type_resolver=type_resolver,
            )
            assert isinstance(result, ExecutionResult)  # the resolvers are synchronous: never awaitable
            for err in result.errors or []:
                if isinstance(err.original_error, RequestAbort):
                    return self._abort(err.original_error, request_id, rate_headers, delay)
            data = result.data
            errors = [_format_error(e) for e in result.errors or []]
        out: dict = {}
        if data is not None or not errors:
            out["data"] = data
        if errors:
            for e in errors:
                e.setdefault("extensions", {})["request_id"] = request_id
            out["errors"] = errors
        out["account_id"] = ACCOUNT_ID
        if f.latency_per_item_ms > 0:
            delay += f.latency_per_item_ms * _items_with_values(data) / 1000.0
        return Response(200, orjson.dumps(out), rate_headers, delay, is_error=bool(errors))

    def _prepare(self, query: str) -> _Prepared:
        prepared = self._docs.get(query)
        if prepared is not None:
            self._docs.move_to_end(query)
            return prepared
        try:
            document = parse(query)
        except GraphQLError as exc:
            err = exc.formatted
            err["extensions"] = {"code": "GRAPHQL_PARSE_FAILED"}
            prepared = _Prepared(None, [err], {}, {})
        else:
            errors = validate(self.schema, document)
            prepared = _Prepared(
                document,
                [_format_validation_error(e) for e in errors],
                {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)},
                {},
            )
        self._docs.put(query, prepared)
        return prepared

    def _plan(self, prepared: _Prepared, operation: OperationDefinitionNode, operation_name) -> OpPlan | None:
        key = operation_name or ""
        if key in prepared.plans:
            return prepared.plans[key]
        try:
            plan = compile_operation(self.schema, operation, prepared.fragments)
        except Unsupported:
            plan = None
        prepared.plans[key] = plan
        return plan

    # ----------------------------------------------------------------------- error bodies

    def _errors_response(
        self, status: int, errors: list[GraphQLFormattedError], request_id: str, headers: dict, delay: float
    ) -> Response:
        body = {
            "errors": [
                {**e, "extensions": {**(e.get("extensions") or {}), "request_id": request_id}} for e in errors
            ],
            "account_id": ACCOUNT_ID,
        }
        return Response(status, orjson.dumps(body), headers, delay)

    def _abort(self, abort: RequestAbort, request_id: str, headers: dict, delay: float) -> Response:
        if abort.extensions.get("code") == "CursorException":
            self.counters["cursor_errors"] += 1
        error = {"message": abort.message, "extensions": {**abort.extensions, "request_id": request_id}}
        return Response(
            abort.http_status, orjson.dumps({"errors": [error], "account_id": ACCOUNT_ID}), headers, delay
        )

    def _rate_limited(
        self, retry_in: float, cost: int, request_id: str, headers: dict, delay: float
    ) -> Response:
        self.counters["rate_limited"] += 1
        if float(retry_in).is_integer():
            retry_in = int(retry_in)  # Monday sends whole seconds; fractions are a test convenience
        shape = self.faults.rate_limit_shape
        headers = {**headers, "Retry-After": str(retry_in)}
        if shape == "legacy_flat":
            message = (
                f"Complexity budget exhausted, query cost {cost} budget remaining "
                f"{self.budget.remaining()} out of {self.budget.quota} reset in {retry_in} seconds"
            )
            body = {
                "error_code": "ComplexityException",
                "status_code": 429,
                "error_message": message,
                "error_data": {},
                "errors": [message],
                "account_id": ACCOUNT_ID,
            }
            return Response(429, orjson.dumps(body), headers, delay)
        if shape == "legacy_200":
            ext = {
                "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                "complexity": cost,
                "complexity_budget_left": self.budget.remaining(),
                "complexity_budget_limit": self.budget.quota,
                "retry_in_seconds": retry_in,
                "status_code": 429,
                "request_id": request_id,
            }
            body = {
                "errors": [{"message": "Complexity budget exhausted", "extensions": ext}],
                "account_id": ACCOUNT_ID,
            }
            return Response(200, orjson.dumps(body), headers, delay)
        ext = {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": retry_in, "request_id": request_id}
        body = {
            "errors": [{"message": "Complexity budget exhausted", "extensions": ext}],
            "account_id": ACCOUNT_ID,
        }
        return Response(429, orjson.dumps(body), headers, delay)

    def _server_error(self, status: int, request_id: str, headers: dict, delay: float) -> Response:
        if status == 500:
            body = {
                "errors": [
                    {
                        "message": "Internal server error",
                        "extensions": {
                            "code": "INTERNAL_SERVER_ERROR",
                            "status_code": 500,
                            "request_id": request_id,
                        },
                    }
                ],
                "account_id": ACCOUNT_ID,
            }
            return Response(500, orjson.dumps(body), headers, delay)
        reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}[status]
        html = (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        headers = {**headers, "Retry-After": "1"} if status == 503 else headers
        return Response(status, html.encode(), headers, delay, content_type="text/html")

    # ----------------------------------------------------------------------- control

    def handle_control(self, body: bytes) -> Response:
        with self.lock:
            self.counters["requests"] += 1
            self.counters["control_requests"] += 1
            status, reply = run_control_op(self, body)
            return Response(status, reply, is_error=status != 200)

    def health(self) -> Response:
        with self.lock:
            self.counters["requests"] += 1
            body = {
                "status": "ok",
                "boards": {b.key: b.id for b in self.ws.boards.values()},
                "items": len(self.ws.items_by_id),
            }
            return Response(200, orjson.dumps(body), is_error=False)

    # control ops (each returns a JSON-serialisable result)

    def op_set_faults(self, **faults) -> dict:
        self.faults.update(**faults)
        return asdict(self.faults)

    def op_clear_faults(self) -> dict:
        self.faults = Faults(latency_ms=self.base_latency_ms)
        return asdict(self.faults)

    def op_get_faults(self) -> dict:
        return asdict(self.faults)

    def op_reset(self, **spec_fields) -> dict:
        """Back to the server's initial spec, with any given WorkspaceSpec fields changed."""
        self.spec = self.base_spec.with_changes(**spec_fields) if spec_fields else self.base_spec
        self._fresh(generate_workspace(self.spec))
        return {"spec": {k: str(v) if isinstance(v, dt.date) else v for k, v in asdict(self.spec).items()}}

    def _board(self, board_id) -> Board:
        return self.ws.board(str(board_id))

    def op_add_column(
        self, board_id, column_id: str, title: str, type: str, labels=None, settings_str=None
    ) -> dict:
        board = self._board(board_id)
        if column_id in board.columns_by_id or column_id == "name":
            raise ValueError(f"column {column_id} already exists on board {board.id}")
        column_enum = self.schema.type_map["ColumnType"]
        assert isinstance(column_enum, GraphQLEnumType)
        column_types = column_enum.values
        if type not in column_types or type == "name":
            raise ValueError(f"unknown column type {type!r}; use one of Monday's ColumnType names")
        parsed_labels = None
        if isinstance(labels, dict):
            parsed_labels = {int(k): str(v) for k, v in labels.items()}
        elif isinstance(labels, list):
            parsed_labels = {i: str(v) for i, v in enumerate(labels)}
        col = Column(column_id, title, type, board.next_slot, labels=parsed_labels, settings_str=settings_str)
        board.next_slot += 1
        board.columns.append(col)
        board.columns_changed()
        self.mutations += 1
        return {"column_id": col.id, "settings_str": col.settings_str}

    def op_rename_column(self, board_id, column_id: str, title: str) -> dict:
        board = self._board(board_id)
        col = board.columns_by_id.get(column_id)
        if col is None:
            raise ValueError(f"no column {column_id} on board {board.id}")
        col.title = title
        board.columns_changed()
        return {"column_id": column_id, "title": title}

    def op_remove_column(self, board_id, column_id: str) -> dict:
        board = self._board(board_id)
        col = board.columns_by_id.get(column_id)
        if col is None or col.type == "name":
            raise ValueError(f"no removable column {column_id} on board {board.id}")
        board.columns.remove(col)
        board.columns_changed()
        return {"column_id": column_id}

    def _set_values(self, board: Board, item: Item, column_values) -> list[tuple[Column, Any]]:
        """Parse every value first (a bad one changes nothing), then set them; returns the changed
        cells as (column, previous raw value)."""
        if isinstance(column_values, (str, bytes)):
            column_values = orjson.loads(column_values)
        parsed = []
        for column_id, value in (column_values or {}).items():
            col = board.columns_by_id.get(column_id)
            if col is None or col.type == "name":
                raise ValueError(f"no column {column_id} on board {board.id}")
            parsed.append((col, parse_value(col, value, self.ws)))
        changed = []
        for col, raw in parsed:
            if len(item.cells) <= col.slot:
                item.cells.extend([None] * (col.slot + 1 - len(item.cells)))
            old = item.cells[col.slot]
            item.cells[col.slot] = raw
            if old != raw:
                changed.append((col, old))
        return changed

    def _emit(self, *changes: Change) -> None:
        self.webhooks.emit(list(changes), self.now())

    def op_create_item(self, board_id, name: str, column_values=None, group_id=None) -> dict:
        board = self._board(board_id)
        group = group_id or board.groups[0].id
        if group not in board.groups_by_id:
            raise ValueError(f"no group {group} on board {board.id}")
        new_id = max(board.item_ids[-1] if board.item_ids else 0, max(self.ws.items_by_id, default=0)) + 1
        now = self.now_ts()
        item = Item(new_id, name, group, now, now, [None] * board.next_slot, board.id)
        self._set_values(board, item, column_values)
        board.insert_item(item)
        self.ws.items_by_id[item.id] = item
        board.updated = now
        self.mutations += 1
        self._emit(item_created(board, item, self.ws))
        return {"item_id": item.sid}

    def _item(self, board_id, item_id) -> tuple[Board, Item]:
        board = self._board(board_id)
        item = self.ws.item(item_id)
        if item.board_id != board.id:
            raise ValueError(f"item {item_id} is not on board {board.id}")
        return board, item

    def op_update_item(self, board_id, item_id, name=None, column_values=None) -> dict:
        board, item = self._item(board_id, item_id)
        old_name = item.name
        changed = self._set_values(board, item, column_values)
        if name is not None:
            item.name = name
        item.updated = self.now_ts()
        board.updated = item.updated
        self.mutations += 1
        # Monday sends one event per changed column, and one for the name.
        changes = [name_change(board, item, old_name)] if item.name != old_name else []
        at = self.now().timestamp()
        changes += [column_change(board, item, col, old, self.ws, at) for col, old in changed]
        self._emit(*changes)
        return {"item_id": item.sid, "updated_at": item.updated}

    def _set_state(self, board_id, item_id, state: int, event_type: str) -> Item:
        board, item = self._item(board_id, item_id)
        was = item.state
        item.state = state
        item.updated = self.now_ts()
        self.mutations += 1
        if was != state:
            self._emit(item_state_changed(board, item, event_type))
        return item

    def op_archive_item(self, board_id, item_id) -> dict:
        item = self._set_state(board_id, item_id, STATE_ARCHIVED, "archive_pulse")
        return {"item_id": item.sid, "state": "archived"}

    def op_delete_item(self, board_id, item_id) -> dict:
        item = self._set_state(board_id, item_id, STATE_DELETED, "delete_pulse")
        return {"item_id": item.sid, "state": "deleted"}

    def op_restore_item(self, board_id, item_id) -> dict:
        item = self._set_state(board_id, item_id, STATE_ACTIVE, "restore_pulse")
        return {"item_id": item.sid, "state": "active"}

    def op_move_item(self, board_id, item_id, group_id: str) -> dict:
        board, item = self._item(board_id, item_id)
        if group_id not in board.groups_by_id:
            raise ValueError(f"no group {group_id} on board {board.id}")
        source = item.group_id
        item.group_id = group_id
        item.updated = self.now_ts()
        board.updated = item.updated
        self.mutations += 1
        if source != group_id:
            self._emit(item_moved(board, item, source))
        return {"item_id": item.sid, "group_id": group_id}

    # webhooks (created through the API's create_webhook; see webhooks.py)

    def op_webhooks(self, board_id=None) -> list[dict]:
        hooks = self.webhooks.webhooks(None if board_id is None else str(board_id))
        return [{**h.graphql(), "url": h.url} for h in hooks]

    def op_webhook_deliveries(self) -> dict:
        return self.webhooks.stats()

    def op_set_webhook_signing_secret(self, secret=None) -> dict:
        self.webhooks.set_signing_secret(None if secret is None else str(secret))
        return {"signing": self.webhooks.signing}  # never the secret itself

    def op_set_webhook_retry_seconds(self, seconds) -> dict:
        self.webhooks.set_retry_seconds(float(seconds))
        return {"retry_seconds": self.webhooks.retry_seconds}

    def op_expire_cursors(self) -> dict:
        self.cursors.expire_all()
        return {"epoch": self.cursors.epoch}

    def op_set_clock(self, now=None) -> dict:
        self.clock = parse_clock(now)
        return {"now": self.now().isoformat()}

    def op_reset_budget(self) -> dict:
        self.budget = _Window(self.budget_quota)
        return {"remaining": self.budget.quota}

    def op_stats(self) -> dict:
        now = time.monotonic()
        self.budget.roll(now)
        return {
            **self.counters,
            "complexity_remaining": self.budget.remaining(),
            "complexity_reset_in_seconds": self.budget.reset_in(now),
            "cursors_issued": self.cursors.issued,
            "cursors_live": len(self.cursors.entries),
            "faults": asdict(self.faults),
            "workspace": self.ws.stats(),
            "webhooks": {k: v for k, v in self.webhooks.stats().items() if k != "webhooks"},
        }


def _webhook_hub(retry_seconds: float | None, signing_secret: str | None) -> WebhookHub:
    """Arguments win; else $CM_SANDBOX_WEBHOOK_RETRY_SECONDS / $CM_SANDBOX_WEBHOOK_SIGNING_SECRET."""
    if retry_seconds is None:
        retry_seconds = float(os.environ.get(RETRY_SECONDS_ENV) or DEFAULT_RETRY_SECONDS)
    if signing_secret is None:
        signing_secret = os.environ.get(SIGNING_SECRET_ENV) or None
    if retry_seconds <= 0:
        raise ValueError("the webhook retry interval must be positive")
    return WebhookHub(
        account_id=ACCOUNT_ID, user_id=API_USER[0], retry_seconds=retry_seconds, signing_secret=signing_secret
    )


def _resolve_version(header: str | None) -> tuple[str, str | None]:
    """Monday's rules: none -> Current; malformed -> InvalidVersionException; deprecated (an
    older quarterly version) -> Maintenance; nonexistent -> Current."""
    if header is None or not header.strip():
        return CURRENT_VERSION, None
    value = header.strip()
    if not _VERSION_RE.match(value):
        return CURRENT_VERSION, f"Invalid API version: {value!r}. API-Version must be in the format YYYY-MM"
    if value in VERSIONS:
        return value, None
    maintenance = min(VERSIONS)
    if value < maintenance and value[5:] in ("01", "04", "07", "10"):
        return maintenance, None
    return CURRENT_VERSION, None


def _json_query(body: bytes) -> dict | None:
    """The request's JSON object if it carries a non-empty query string, else None (Monday reads
    the query from a JSON body only: never from the URL, a form or a GraphQL-typed body)."""
    try:
        payload = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    query = payload.get("query")
    return payload if isinstance(query, str) and query.strip() else None


def _items_with_values(node) -> int:
    """Objects in a response that carry `column_values` (items), however deeply nested: Monday's
    time for a page grows with the values it renders, so an id-only page is cheap."""
    if isinstance(node, list):
        return sum(_items_with_values(n) for n in node)
    if not isinstance(node, dict):
        return 0
    if "column_values" in node:
        return 1
    return sum(_items_with_values(v) for v in node.values() if isinstance(v, dict | list))


_UNDEFINED_FIELD = re.compile(r"^Cannot query field '([^']+)' on type '([^']+)'\.")
_UNKNOWN_ARG = re.compile(r"^Unknown argument '([^']+)' on field '([^']+)'\.")


def _format_validation_error(err: GraphQLError) -> GraphQLFormattedError:
    out = err.formatted
    m = _UNDEFINED_FIELD.match(err.message)
    if m:
        out["message"] = f"Field '{m.group(1)}' doesn't exist on type '{m.group(2)}'"
        out["extensions"] = {"code": "undefinedField", "typeName": m.group(2), "fieldName": m.group(1)}
        return out
    m = _UNKNOWN_ARG.match(err.message)
    if m:
        out["extensions"] = {"code": "argumentNotAccepted", "name": m.group(1), "field": m.group(2)}
        return out
    out["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED"}
    return out


def _format_error(err: GraphQLError) -> GraphQLFormattedError:
    out = err.formatted
    if not isinstance(err.original_error, MondayError) and err.original_error is not None:
        out["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
    return out
