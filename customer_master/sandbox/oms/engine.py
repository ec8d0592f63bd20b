"""The OMS emulator's request pipeline, independent of the HTTP server.

`OmsEngine.handle_api(method, target, headers)` does, in this order: count the request, pick the
latency / slow-request delay, authentication (401, uses up no fault), injected faults (5xx, then
429), then the shape's route (shopify.py or woocommerce.py): request validation (400), listing,
response headers; after a listing page it runs the "change while paging" fault. It returns a
`Response` whose `delay` the HTTP layer sleeps after the engine lock is released.

Control ops (`handle_control`) change the data (each change moves the order's updated_at to the
clock), set the clock, set faults and report stats and facts. Everything runs under one lock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import threading
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from customer_master.sandbox.oms.data import (
    MALFORMED_KINDS,
    PRIORITIES,
    PRODUCTS,
    SHAPES,
    STATUSES,
    OmsCustomer,
    OmsOrder,
    OmsSpec,
    OmsStore,
    order_name,
)
from customer_master.sandbox.serving import Response, parse_clock, run_control_op

SHOPIFY_TOKEN = "shpat_sandbox"
WOO_CONSUMER_KEY = "ck_sandbox"
WOO_CONSUMER_SECRET = "cs_sandbox"
SERVER_ERROR_STATUSES = (500, 502, 503, 504)


@dataclass
class Faults:
    """Counted, deterministic fault injection (README, Faults)."""

    rate_limit_next: int = 0
    retry_after_seconds: float = 2.0  # fractions keep tests fast; sent as given in Retry-After
    server_error_next: int = 0
    server_error_status: int = 500
    slow_next: int = 0
    slow_seconds: float = 5.0
    latency_ms: float = 0.0  # added to every API request (= every page)
    malformed_orders: int = 0
    malformed_kinds: str = ",".join(MALFORMED_KINDS)
    change_after_pages: int = 0  # after this many listing pages, change an order already served
    change_order_id: int = 0  # 0: the first order of the first page served since the fault was set

    def update(self, **changes: Any) -> None:
        """All-or-nothing: an invalid value leaves the faults unchanged."""
        casts = {"int": int, "float": float, "str": str}
        known = {f.name: casts[str(f.type)] for f in dataclasses.fields(self)}
        new = asdict(self)
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault {name!r}; known: {sorted(known)}")
            new[name] = known[name](value) if value is not None else known[name]()
        if new["server_error_status"] not in SERVER_ERROR_STATUSES:
            raise ValueError("server_error_status must be 500, 502, 503 or 504")
        kinds = [k.strip() for k in new["malformed_kinds"].split(",") if k.strip()]
        if not kinds or any(k not in MALFORMED_KINDS for k in kinds):
            raise ValueError(f"malformed_kinds: a comma-separated subset of {', '.join(MALFORMED_KINDS)}")
        for name in ("retry_after_seconds", "slow_seconds", "latency_ms"):
            if new[name] < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("rate_limit_next", "server_error_next", "slow_next", "malformed_orders"):
            if new[name] < 0:
                raise ValueError(f"{name} must not be negative")
        for name, value in new.items():
            setattr(self, name, value)


@dataclass
class NewOrder:
    """The create_order op's arguments (OmsControl.create_order sends them all)."""

    email: str | None = None
    customer_position: int | None = None
    quantity: int = 1
    requested_date: str | None = None
    priority: str = "normal"
    number: str | None = None
    status: str = "processing"
    sku: str | None = None
    lines: list[dict[str, Any]] | None = None


@dataclass
class OrderChange:
    """The update_order op's changes (OmsControl.update_order sends them all); None = unchanged."""

    quantity: int | None = None
    status: str | None = None
    requested_date: str | None = None
    priority: str | None = None
    note: str | None = None


def parse_timestamp(value: str, default_offset_minutes: int = 0) -> float:
    """ISO 8601 date or date-time (offset, `Z` or none: then the shop's offset) -> epoch seconds."""
    text = value.strip()
    if not text:
        raise ValueError("empty timestamp")
    if len(text) == 10:
        parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
    else:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone(dt.timedelta(minutes=default_offset_minutes)))
    return parsed.timestamp()


class OmsEngine:
    def __init__(
        self,
        spec: OmsSpec | None = None,
        *,
        shape: str = "shopify",
        token: str = SHOPIFY_TOKEN,
        consumer_key: str = WOO_CONSUMER_KEY,
        consumer_secret: str = WOO_CONSUMER_SECRET,
        latency_ms: float = 0.0,
    ) -> None:
        if shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
        # Imported here: the shape modules import this one (Response, parse_timestamp).
        from customer_master.sandbox.oms.shopify import ShopifyApi
        from customer_master.sandbox.oms.woocommerce import WooApi

        self.lock = threading.RLock()
        self.shape = shape
        self.token = token
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.base_latency_ms = latency_ms
        self.base_spec = spec or OmsSpec()
        # The standalone server (the CLI) sets this: generated orders are frozen out of the cyclic
        # GC, whose full passes over 100,000 orders otherwise add ~100 ms to a page now and then.
        self.freeze_gc = False
        self.api = ShopifyApi(self) if shape == "shopify" else WooApi(self)
        self._fresh(self.base_spec)

    # ----------------------------------------------------------------------- state

    def _fresh(self, spec: OmsSpec) -> None:
        self.spec = spec
        self.store = OmsStore(spec, self.shape)
        if self.freeze_gc:
            gc.freeze()
        self.tz = dt.timezone(dt.timedelta(minutes=spec.utc_offset_minutes))
        self.clock: dt.datetime | None = None
        self.faults = Faults(latency_ms=self.base_latency_ms)
        self.malformed: dict[int, str] = {}
        self._fault_pages = 0
        self._fault_first_served: int | None = None
        self._request_seq = 0
        self.counters: dict[str, int] = dict.fromkeys(
            (
                "requests",
                "api_requests",
                "control_requests",
                "pages",
                "event_pages",
                "orders_served",
                "events_served",
                "auth_errors",
                "rate_limited",
                "server_errors",
                "slowed",
                "bad_requests",
                "not_found",
            ),
            0,
        )
        self.changed_while_paging: list[int] = []
        self.api.reset()

    def default_clock(self) -> dt.datetime:
        """The fixed "now" of a fresh OMS: the spec's as_of at 00:00 UTC (after every generated change)."""
        return dt.datetime.combine(self.spec.as_of, dt.time(), dt.UTC)

    def now(self) -> dt.datetime:
        return self.clock or self.default_clock()

    def now_ts(self) -> int:
        return int(self.now().timestamp())

    def request_id(self) -> str:
        self._request_seq += 1
        return hashlib.sha1(f"oms-{self._request_seq}".encode()).hexdigest()[:8] + f"-{self._request_seq:06d}"

    # ----------------------------------------------------------------------- timestamps

    def local_iso(self, ts: int | None) -> str | None:
        """Shopify's form: the shop's local time with its offset, e.g. 2026-10-02T10:11:12-04:00."""
        if ts is None:
            return None
        return dt.datetime.fromtimestamp(ts, self.tz).isoformat()

    def local_naive(self, ts: int | None) -> str | None:
        """WooCommerce's `date_*` form: the site's local time without an offset."""
        if ts is None:
            return None
        return dt.datetime.fromtimestamp(ts, self.tz).strftime("%Y-%m-%dT%H:%M:%S")

    @staticmethod
    def gmt_naive(ts: int | None) -> str | None:
        """WooCommerce's `date_*_gmt` form: UTC without an offset."""
        if ts is None:
            return None
        return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")

    # ----------------------------------------------------------------------- API

    def handle_api(self, method: str, target: str, headers) -> Response:
        with self.lock:
            c = self.counters
            c["requests"] += 1
            c["api_requests"] += 1
            f = self.faults
            delay = max(0.0, float(f.latency_ms)) / 1000.0
            if f.slow_next > 0:
                f.slow_next -= 1
                c["slowed"] += 1
                delay += f.slow_seconds
            parts = urlsplit(target)
            query = parse_qsl(parts.query, keep_blank_values=True)
            api = self.api
            refused = api.authenticate(headers, query)
            if refused is not None:
                c["auth_errors"] += 1
                refused.delay = delay
                return refused
            if f.server_error_next > 0:
                f.server_error_next -= 1
                c["server_errors"] += 1
                resp = api.server_error(f.server_error_status)
                resp.delay = delay
                return resp
            if f.rate_limit_next > 0:
                f.rate_limit_next -= 1
                c["rate_limited"] += 1
                resp = api.rate_limited(f.retry_after_seconds)
                resp.delay = delay
                return resp
            resp = api.route(method, parts.path.rstrip("/"), query, headers)
            if resp.status == 400:
                c["bad_requests"] += 1
            elif resp.status == 404:
                c["not_found"] += 1
            resp.delay += delay
            return resp

    def page_served(self, orders: list[OmsOrder]) -> None:
        """Called by a shape after it served a page of orders: counts, and the paging fault."""
        self.counters["pages"] += 1
        self.counters["orders_served"] += len(orders)
        f = self.faults
        if f.change_after_pages <= 0:
            return
        if self._fault_first_served is None and orders:
            self._fault_first_served = orders[0].id
        self._fault_pages += 1
        if self._fault_pages < f.change_after_pages:
            return
        target_id = f.change_order_id or self._fault_first_served
        f.change_after_pages = 0
        self._fault_pages = 0
        if target_id is None or target_id not in self.store.orders_by_id:
            return
        order = self.store.order(target_id)

        def bump(o: OmsOrder) -> None:
            o.lines[0].quantity += 1

        self.store.touch(order, self.now_ts(), bump)
        self.changed_while_paging.append(order.id)

    def malformed_kind(self, order: OmsOrder) -> str | None:
        return self.malformed.get(order.id) if self.malformed else None

    # ----------------------------------------------------------------------- control

    def handle_control(self, body: bytes) -> Response:
        with self.lock:
            self.counters["requests"] += 1
            self.counters["control_requests"] += 1
            return Response(*run_control_op(self, body))

    def health(self) -> Response:
        with self.lock:
            self.counters["requests"] += 1
            body = {"status": "ok", "shape": self.shape, "orders": len(self.store.by_id)}
            return Response(200, orjson.dumps(body))

    # ops (each returns a JSON-serialisable result) ------------------------------------------

    def op_reset(self, **spec_fields: Any) -> dict:
        """Back to the server's initial spec, with any given OmsSpec fields changed; also clears
        faults, the clock, the stats and any cursor state."""
        spec = self.base_spec.with_changes(**spec_fields) if spec_fields else self.base_spec
        self._fresh(spec)
        return {"spec": spec.as_dict(), "shape": self.shape}

    def op_set_clock(self, now: str | None = None) -> dict:
        self.clock = parse_clock(now)
        return {"now": self.now().isoformat()}

    def op_set_faults(self, **faults: Any) -> dict:
        self.faults.update(**faults)
        if "change_after_pages" in faults or "change_order_id" in faults:
            self._fault_pages = 0
            self._fault_first_served = None
        if "malformed_orders" in faults or "malformed_kinds" in faults:
            self.malformed = self._pick_malformed()
        return self.op_get_faults()

    def op_clear_faults(self) -> dict:
        self.faults = Faults(latency_ms=self.base_latency_ms)
        self.malformed = {}
        self._fault_pages = 0
        self._fault_first_served = None
        return self.op_get_faults()

    def op_get_faults(self) -> dict:
        return {**asdict(self.faults), "malformed": {str(k): v for k, v in self.malformed.items()}}

    def _pick_malformed(self) -> dict[int, str]:
        """`malformed_orders` visible orders, chosen by hashing (seed, order id): the same ones on
        every run; kinds are dealt in turn (quantity, date, priority, number)."""
        count = self.faults.malformed_orders
        if count <= 0:
            return {}
        kinds = [k.strip() for k in self.faults.malformed_kinds.split(",") if k.strip()]
        seed = self.spec.seed

        def rank(order: OmsOrder) -> bytes:
            return hashlib.blake2b(f"{seed}:{order.id}".encode(), digest_size=8).digest()

        # Not trashed ones: a default WooCommerce listing ("any") shows every one of them.
        chosen = sorted((o for o in self.store.index if o.deleted is None), key=rank)[:count]
        chosen.sort(key=lambda o: o.id)
        return {o.id: kinds[i % len(kinds)] for i, o in enumerate(chosen)}

    def op_stats(self) -> dict:
        return {
            **self.counters,
            "changed_while_paging": list(self.changed_while_paging),
            "now": self.now().isoformat(),
            "shape": self.shape,
            "orders": len(self.store.by_id),
            "visible_orders": len(self.store.keys),
            "events": len(self.store.events),
            "faults": self.op_get_faults(),
        }

    def op_facts(self) -> dict:
        facts = self.store.facts()
        facts["malformed"] = {str(k): v for k, v in self.malformed.items()}
        facts["changed_while_paging"] = list(self.changed_while_paging)
        return facts

    def op_listing(self) -> list:
        """Every listed order as [id, updated_at (UTC ISO), status], in (updated_at, id) order:
        what a full read sorted by updated_at ascending must return (WooCommerce: trash included)."""
        return [[o.id, f"{self.gmt_naive(o.updated)}Z", o.status] for o in self.store.index]

    def op_get_order(self, order_id: int) -> dict:
        """The order as the API renders it (deleted Shopify orders too)."""
        return self.api.render(self.store.order(order_id))

    def _status_change(self, order: OmsOrder, status: str, now: int) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        order.status = status
        if status == "cancelled":
            order.cancelled = order.cancelled or now
        else:
            order.cancelled = None
        if status in ("completed", "refunded"):
            order.completed = order.completed or now
        else:
            order.completed = None
        if status in ("processing", "completed") and order.paid is None:
            order.paid = now

    def op_update_order(self, order_id: int, **fields: Any) -> dict:
        """Change an order (`fields`: those of OrderChange); its updated_at becomes the clock (and
        always moves forward)."""
        new = OrderChange(**fields)
        store = self.store
        order = store.order(order_id)
        if order.deleted is not None and self.shape == "shopify":
            raise ValueError(f"order {order_id} is deleted")
        if new.quantity is not None and int(new.quantity) < 1:
            raise ValueError("quantity >= 1")
        if new.requested_date is not None:
            dt.date.fromisoformat(new.requested_date)
        if new.priority is not None and new.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        if new.status is not None and new.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        if order.deleted is not None and new.status is None:
            raise ValueError(f"order {order_id} is in the trash; give a status to restore it")
        now = self.now_ts()

        def change(o: OmsOrder) -> None:
            if new.quantity is not None:
                _set_quantity(store, o, int(new.quantity))
            if new.status is not None:
                self._status_change(o, new.status, now)
                o.deleted = None  # WooCommerce: a status restores an order from the trash
            if new.requested_date is not None:
                o.requested = new.requested_date
            if new.priority is not None:
                o.priority = new.priority
            if new.note is not None:
                o.note = new.note

        store.touch(order, now, change)
        return {"order_id": order.id, "updated_at": self.gmt_naive(order.updated), "quantity": order.quantity}

    def op_cancel_order(self, order_id: int) -> dict:
        order = self.store.order(order_id)
        if order.deleted is not None and self.shape == "shopify":
            raise ValueError(f"order {order_id} is deleted")
        now = self.now_ts()
        self.store.touch(order, now, lambda o: self._status_change(o, "cancelled", now))
        return {"order_id": order.id, "status": "cancelled", "cancelled_at": self.gmt_naive(order.cancelled)}

    def op_delete_order(self, order_id: int) -> dict:
        """Shopify: the order disappears from the listings and a destroy event is recorded.
        WooCommerce: the order moves to the trash (status "trash", date_modified bumped)."""
        store = self.store
        order = store.order(order_id)
        if order.deleted is not None:
            raise ValueError(f"order {order_id} is already deleted")
        now = self.now_ts()

        def delete(o: OmsOrder) -> None:
            o.deleted = now
            if self.shape == "woocommerce":
                o.status = "trash"

        store.touch(order, now, delete)
        result: dict[str, Any] = {"order_id": order.id, "deleted_at": self.gmt_naive(order.deleted)}
        if self.shape == "shopify":
            event = store.record_destroy(order, order.deleted or now, order_name(order))
            result["event_id"] = event.id
        return result

    def op_create_order(self, **fields: Any) -> dict:
        """A new order at the clock (`fields`: those of NewOrder). The customer: `customer_position`
        (index on the Monday Customers board), else the known customer with this `email`, else a
        new unknown customer with it. `lines` [{"sku", "quantity"}] overrides `quantity`/`sku`."""
        new = NewOrder(**fields)
        store = self.store
        customer: OmsCustomer | None
        if new.customer_position is not None:
            customer = store.customers[int(new.customer_position)]
        elif new.email is not None:
            customer = next((c for c in store.customers if c.email == new.email), None)
            if customer is None:
                position = len(store.customers)
                customer = OmsCustomer(position, new.email, "", None, store.bases["customer"])
                store.customers.append(customer)
        else:
            raise ValueError("give customer_position or email")
        if new.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        skus = [p[0] for p in PRODUCTS]
        wanted = new.lines or [{"sku": new.sku or skus[0], "quantity": new.quantity}]
        order = OmsOrder()
        for spec_line in wanted:
            line_sku = spec_line.get("sku") or skus[0]
            if line_sku not in skus:
                raise ValueError(f"unknown sku {line_sku!r}; one of {', '.join(skus)}")
            qty = int(spec_line.get("quantity", 1))
            if qty < 1:
                raise ValueError("quantity >= 1")
            order.lines.append(store.new_line(skus.index(line_sku), qty))
        now = self.now_ts()
        order.seq = len(store.by_id)
        order.id = store.bases["order"] + order.seq
        order.number = new.number
        order.customer = customer
        order.created = now
        order.updated = now
        order.requested = new.requested_date or (self.now().date() + dt.timedelta(days=14)).isoformat()
        dt.date.fromisoformat(order.requested)
        order.priority = new.priority
        self._status_change(order, new.status, now)
        store.add(order)
        return {"order_id": order.id, "name": order_name(order), "quantity": order.quantity}


def _set_quantity(store: OmsStore, order: OmsOrder, quantity: int) -> None:
    """The order's quantity (sum of its lines) becomes `quantity`: the first line absorbs the
    difference; when it cannot, the order keeps one line with the whole quantity."""
    others = sum(line.quantity for line in order.lines[1:])
    if quantity - others >= 1:
        order.lines[0].quantity = quantity - others
    else:
        order.lines = [order.lines[0]]
        order.lines[0].quantity = quantity
