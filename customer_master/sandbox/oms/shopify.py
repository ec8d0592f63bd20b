"""The "shopify" shape: Shopify Admin REST API (2024-10) Orders, Orders count, one Order and
Events (for deletions), with cursor pagination through the `Link` header. See README.md."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import orjson

from customer_master.sandbox.oms.data import PRODUCTS, OmsEvent, OmsOrder, order_name
from customer_master.sandbox.oms.engine import parse_timestamp
from customer_master.sandbox.oms.paging import decode_cursor, encode_cursor, keyset_page
from customer_master.sandbox.oms.shape import PRICE_CENTS, ShapeApi, money
from customer_master.sandbox.oms.shape import ParamError as BadRequest
from customer_master.sandbox.serving import Response

API_VERSION = "2024-10"
API_PREFIX = f"/admin/api/{API_VERSION}"
MAX_LIMIT = 250
DEFAULT_LIMIT = 50
BUCKET_SIZE = 40
LEAK_PER_SECOND = 2.0
INVALID_TOKEN = b'{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}'
THROTTLED = (
    b'{"errors":"Exceeded 2 calls per second for api client. '
    b'Reduce request rates to resume uninterrupted service."}'
)
NOT_FOUND = b'{"errors":"Not Found"}'
_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2}|unstable)/(orders|events)(?:/(count|\d+))?\.json$")
ORDER_STATUSES = ("open", "closed", "cancelled", "any")
ORDER_SORTS = ("updated_at", "created_at", "id")
# Filters a page_info request may not repeat (Shopify: "only limit and fields").
ORDER_FILTERS = (
    "status",
    "updated_at_min",
    "updated_at_max",
    "created_at_min",
    "created_at_max",
    "since_id",
    "ids",
    "order",
)
EVENT_FILTERS = ("filter", "verb", "created_at_min", "created_at_max", "since_id")
# Documented Shopify filters this emulator does not model: refused, never silently ignored.
NOT_EMULATED = (
    "financial_status",
    "fulfillment_status",
    "processed_at_min",
    "processed_at_max",
    "attribution_app_id",
    "name",
)


class ShopifyApi(ShapeApi):
    def reset(self) -> None:
        self._bucket = 0.0
        self._bucket_at = time.monotonic()

    # ----------------------------------------------------------------------- pipeline hooks

    def _headers(self) -> dict[str, str]:
        now = time.monotonic()
        self._bucket = max(0.0, self._bucket - (now - self._bucket_at) * LEAK_PER_SECOND) + 1
        self._bucket_at = now
        return {
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Shop-Api-Call-Limit": f"{min(BUCKET_SIZE, math.ceil(self._bucket))}/{BUCKET_SIZE}",
            "X-Request-Id": self.engine.request_id(),
        }

    def authenticate(self, headers, query) -> Response | None:
        token = (headers.get("X-Shopify-Access-Token") or "").strip()
        if token and token == self.engine.token:
            return None
        return Response(401, INVALID_TOKEN, {"X-Request-Id": self.engine.request_id()})

    def server_error(self, status: int) -> Response:
        headers = self._headers()
        if status == 500:
            return Response(500, b'{"errors":"Internal Server Error"}', headers)
        if status == 503:
            return Response(503, b'{"errors":"Service Unavailable"}', {**headers, "Retry-After": "1"})
        reason = {502: "Bad Gateway", 504: "Gateway Timeout"}[status]
        title = f"{status} {reason}"
        html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return Response(status, html.encode(), headers, content_type="text/html")

    def rate_limited(self, retry_after: float) -> Response:
        headers = self._headers()
        headers["X-Shopify-Shop-Api-Call-Limit"] = f"{BUCKET_SIZE}/{BUCKET_SIZE}"
        headers["Retry-After"] = str(float(retry_after))  # Shopify sends "2.0"
        return Response(429, THROTTLED, headers)

    def route(self, method: str, path: str, query: list[tuple[str, str]], headers) -> Response:
        match = _PATH.match(path)
        if match is None:
            return Response(404, NOT_FOUND, self._headers())
        if method != "GET":
            return Response(405, b'{"errors":"Method Not Allowed"}', self._headers())
        version, resource, sub = match.groups()
        host = headers.get("Host") or "127.0.0.1"
        params = dict(query)
        try:
            if resource == "events":
                if sub is not None:
                    return Response(404, NOT_FOUND, self._headers())
                return self._events(params, host, version)
            if sub == "count":
                return self._count(params)
            if sub is not None:
                return self._one(int(sub), params)
            return self._orders(params, host, version)
        except BadRequest as exc:
            body = orjson.dumps({"errors": {exc.param: exc.message}})
            return Response(400, body, self._headers())

    # ----------------------------------------------------------------------- rendering

    def render(self, o: OmsOrder) -> dict[str, Any]:
        e = self.engine
        iso = e.local_iso
        malformed = e.malformed_kind(o)
        customer = o.customer
        fulfilled = o.status in ("completed", "refunded")
        lines = []
        total = 0
        for n, line in enumerate(o.lines):
            sku, title, price = PRODUCTS[line.product]
            total += PRICE_CENTS[line.product] * line.quantity
            line_fulfilled = fulfilled or (o.partial and n == 0)
            lines.append(
                {
                    "id": line.id,
                    "admin_graphql_api_id": f"gid://shopify/LineItem/{line.id}",
                    "sku": sku,
                    "title": title,
                    "name": title,
                    "quantity": "two" if malformed == "quantity" and n == 0 else line.quantity,
                    "price": price,
                    "fulfillable_quantity": 0 if line_fulfilled or o.status == "cancelled" else line.quantity,
                    "fulfillment_status": "fulfilled" if line_fulfilled else None,
                    "requires_shipping": True,
                }
            )
        if o.status == "cancelled":
            financial = "refunded" if o.paid is not None else "voided"
        elif o.status == "refunded":
            financial = "refunded"
        elif o.status == "pending":
            financial = "pending"
        elif o.status == "on-hold":
            financial = "authorized"
        elif o.status == "failed":
            financial = "voided"
        else:
            financial = "paid"
        fulfillment = "fulfilled" if fulfilled else "partial" if o.partial else None
        closed = o.cancelled if o.status == "cancelled" else o.completed
        name: str | None = order_name(o)
        order_number: int | None = 1001 + o.seq
        if malformed == "number":
            name = order_number = None
        requested = "2026-13-45" if malformed == "date" else o.requested
        priority = "asap" if malformed == "priority" else o.priority
        email = customer.email if customer else None
        return {
            "id": o.id,
            "admin_graphql_api_id": f"gid://shopify/Order/{o.id}",
            "name": name,
            "order_number": order_number,
            "number": o.seq + 1,
            "email": email,
            "contact_email": email,
            "created_at": iso(o.created),
            "updated_at": iso(o.updated),
            "processed_at": iso(o.created),
            "cancelled_at": iso(o.cancelled),
            "cancel_reason": "customer" if o.cancelled is not None else None,
            "closed_at": iso(closed),
            "confirmed": True,
            "test": False,
            "currency": "USD",
            "subtotal_price": money(total),
            "total_price": money(total),
            "financial_status": financial,
            "fulfillment_status": fulfillment,
            "tags": "rush" if o.priority == "rush" else "",
            "note": o.note,
            "note_attributes": [
                {"name": "requested_date", "value": requested},
                {"name": "priority", "value": priority},
            ],
            "customer": None
            if customer is None
            else {
                "id": customer.id,
                "admin_graphql_api_id": f"gid://shopify/Customer/{customer.id}",
                "email": customer.email,
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "note": customer.number,
                "tags": "",
            },
            "line_items": lines,
        }

    @staticmethod
    def _fields(doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
        return doc if not fields else {k: v for k, v in doc.items() if k in fields}

    def render_event(self, event: OmsEvent) -> dict[str, Any]:
        message = f"Order {event.name} was deleted."
        return {
            "id": event.id,
            "subject_id": event.subject_id,
            "created_at": self.engine.local_iso(event.created),
            "subject_type": "Order",
            "verb": event.verb,
            "arguments": [event.name],
            "body": None,
            "message": message,
            "author": "Shopify",
            "description": message,
            "path": f"/admin/orders/{event.subject_id}",
        }

    # ----------------------------------------------------------------------- parameters

    def _ts(self, params: dict[str, str], name: str) -> float | None:
        value = params.get(name)
        if value is None or value == "":
            return None
        try:
            return parse_timestamp(value, self.engine.spec.utc_offset_minutes)
        except ValueError:
            raise BadRequest(name, f"{name} is not a valid ISO 8601 date: {value!r}") from None

    @staticmethod
    def _int(params: dict[str, str], name: str) -> int | None:
        value = params.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise BadRequest(name, f"{name} must be an integer") from None

    def _limit(self, params: dict[str, str]) -> int:
        limit = self._int(params, "limit")
        if limit is None:
            return DEFAULT_LIMIT
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest("limit", f"limit must be between 1 and {MAX_LIMIT}")
        return limit

    @staticmethod
    def _field_list(params: dict[str, str]) -> list[str] | None:
        value = params.get("fields")
        return [f.strip() for f in value.split(",") if f.strip()] if value else None

    @staticmethod
    def _refuse_not_emulated(params: dict[str, str]) -> None:
        for name in NOT_EMULATED:
            if name in params:
                raise BadRequest(name, f"{name} is not emulated by the OMS sandbox")

    def _cursor(self, params: dict[str, str], filter_names: tuple[str, ...]) -> dict[str, Any] | None:
        page_info = params.get("page_info")
        if page_info is None:
            return None
        for name in params:
            if name in filter_names or name in NOT_EMULATED:
                raise BadRequest(name, f"{name} cannot be passed when page_info is present")
        try:
            return decode_cursor(page_info)
        except ValueError:
            raise BadRequest("page_info", "Invalid value.") from None

    def _link_header(
        self,
        host: str,
        version: str,
        resource: str,
        limit: int,
        fields: str | None,
        links: list[tuple[str, str]],
    ) -> str:
        parts = []
        for rel, cursor in links:
            url = f"http://{host}/admin/api/{version}/{resource}.json?page_info={cursor}&limit={limit}"
            if fields:
                url += f"&fields={quote(fields, safe=',')}"
            parts.append(f'<{url}>; rel="{rel}"')
        return ", ".join(parts)

    # ----------------------------------------------------------------------- orders

    def _order_filters(self, filters: dict[str, str]):
        status = filters.get("status") or "open"
        if status not in ORDER_STATUSES:
            raise BadRequest("status", f"status must be one of {', '.join(ORDER_STATUSES)}")
        upd_min = self._ts(filters, "updated_at_min")
        upd_max = self._ts(filters, "updated_at_max")
        cre_min = self._ts(filters, "created_at_min")
        cre_max = self._ts(filters, "created_at_max")
        since_id = self._int(filters, "since_id")
        ids: set[int] | None = None
        if filters.get("ids"):
            try:
                ids = {int(x) for x in filters["ids"].split(",") if x.strip()}
            except ValueError:
                raise BadRequest("ids", "ids must be a comma-separated list of integers") from None
        order_text = (filters.get("order") or "created_at desc").strip()
        parts = order_text.split()
        sort = parts[0] if parts else ""
        direction = parts[1].lower() if len(parts) > 1 else "desc"
        if sort not in ORDER_SORTS or direction not in ("asc", "desc") or len(parts) > 2:
            raise BadRequest(
                "order", f"order must be one of {', '.join(ORDER_SORTS)} followed by asc or desc"
            )

        def match(o: OmsOrder) -> bool:
            if status == "open" and (o.cancelled is not None or o.completed is not None):
                return False
            if status == "closed" and (o.cancelled if o.status == "cancelled" else o.completed) is None:
                return False
            if status == "cancelled" and o.cancelled is None:
                return False
            if upd_min is not None and o.updated < upd_min:
                return False
            if upd_max is not None and o.updated > upd_max:
                return False
            if cre_min is not None and o.created < cre_min:
                return False
            if cre_max is not None and o.created > cre_max:
                return False
            if since_id is not None and o.id <= since_id:
                return False
            if ids is not None and o.id not in ids:
                return False
            return o.deleted is None

        return match, sort, direction == "desc", (upd_min, upd_max)

    def _orders(self, params: dict[str, str], host: str, version: str) -> Response:
        self._refuse_not_emulated(params)
        cursor = self._cursor(params, ORDER_FILTERS)
        limit = self._limit(params)
        fields = self._field_list(params)
        filters = (
            {k: params[k] for k in ORDER_FILTERS if params.get(k) not in (None, "")}
            if cursor is None
            else cursor.get("filters") or {}
        )
        match, sort, descending, (upd_min, upd_max) = self._order_filters(filters)
        store = self.engine.store
        anchor = None
        backward = False
        if cursor is not None:
            backward = cursor["direction"] == "prev"
            last_value, last_id = cursor.get("last_value"), cursor.get("last_id")
            if not isinstance(last_id, int) or (sort == "updated_at" and not isinstance(last_value, int)):
                raise BadRequest("page_info", "Invalid value.")
            anchor = (last_value, last_id) if sort == "updated_at" else last_id
        start: int | None = None
        stop: Callable[[OmsOrder], bool] | None = None
        keys: Sequence[Any]
        if sort == "updated_at":
            keys, items = store.keys, store.index
            if anchor is None and not descending and upd_min is not None:
                start = store.position_from(math.ceil(upd_min))
            elif anchor is None and descending and upd_max is not None:
                start = store.position_after(math.floor(upd_max), 1 << 62) - 1
            # Sorted by updated_at: past a bound in the travel direction nothing can match.
            if descending == backward and upd_max is not None:
                ceiling = upd_max
                stop = lambda o: o.updated > ceiling  # noqa: E731
            elif descending != backward and upd_min is not None:
                floor = upd_min
                stop = lambda o: o.updated < floor  # noqa: E731
        else:
            keys, items = store.ids, store.by_id
        page, more = keyset_page(
            keys,
            items,
            limit=limit,
            descending=descending,
            anchor=anchor,
            backward=backward,
            start=start,
            match=match,
            stop=stop,
        )
        links: list[tuple[str, str]] = []
        if page:
            first, last = page[0], page[-1]

            def key_of(o: OmsOrder) -> dict[str, Any]:
                value = o.updated if sort == "updated_at" else o.id
                return {"last_id": o.id, "last_value": value}

            has_prev = more if backward else cursor is not None
            has_next = True if backward else more
            if has_prev:
                links.append(
                    ("previous", encode_cursor({**key_of(first), "direction": "prev", "filters": filters}))
                )
            if has_next:
                links.append(
                    ("next", encode_cursor({**key_of(last), "direction": "next", "filters": filters}))
                )
        body = orjson.dumps({"orders": [self._fields(self.render(o), fields) for o in page]})
        headers = self._headers()
        if links:
            headers["Link"] = self._link_header(host, version, "orders", limit, params.get("fields"), links)
        self.engine.page_served(page)
        return Response(200, body, headers)

    def _count(self, params: dict[str, str]) -> Response:
        self._refuse_not_emulated(params)
        filters = {k: params[k] for k in ORDER_FILTERS if params.get(k) not in (None, "")}
        match, _, _, _ = self._order_filters(filters)
        count = sum(1 for o in self.engine.store.index if match(o))
        return Response(200, orjson.dumps({"count": count}), self._headers())

    def _one(self, order_id: int, params: dict[str, str]) -> Response:
        order = self.engine.store.orders_by_id.get(order_id)
        if order is None or order.deleted is not None:
            return Response(404, NOT_FOUND, self._headers())
        doc = self._fields(self.render(order), self._field_list(params))
        return Response(200, orjson.dumps({"order": doc}), self._headers())

    # ----------------------------------------------------------------------- events

    def _events(self, params: dict[str, str], host: str, version: str) -> Response:
        cursor = self._cursor(params, EVENT_FILTERS)
        limit = self._limit(params)
        fields = self._field_list(params)
        filters = (
            {k: params[k] for k in EVENT_FILTERS if params.get(k) not in (None, "")}
            if cursor is None
            else cursor.get("filters") or {}
        )
        subjects = {s.strip() for s in filters.get("filter", "").split(",") if s.strip()}
        verbs = {v.strip() for v in filters.get("verb", "").split(",") if v.strip()}
        cre_min = self._ts(filters, "created_at_min")
        cre_max = self._ts(filters, "created_at_max")
        since_id = self._int(filters, "since_id")

        def match(e: OmsEvent) -> bool:
            return (
                (not subjects or "Order" in subjects)
                and (not verbs or e.verb in verbs)
                and (cre_min is None or e.created >= cre_min)
                and (cre_max is None or e.created <= cre_max)
                and (since_id is None or e.id > since_id)
            )

        events = self.engine.store.events
        anchor = None
        backward = False
        if cursor is not None:
            backward = cursor["direction"] == "prev"
            anchor = cursor.get("last_id")
            if not isinstance(anchor, int):
                raise BadRequest("page_info", "Invalid value.")
        page, more = keyset_page(
            [e.id for e in events],
            events,
            limit=limit,
            descending=False,
            anchor=anchor,
            backward=backward,
            match=match,
        )
        links: list[tuple[str, str]] = []
        if page:
            if more if backward else cursor is not None:
                links.append(
                    (
                        "previous",
                        encode_cursor({"last_id": page[0].id, "direction": "prev", "filters": filters}),
                    )
                )
            if True if backward else more:
                links.append(
                    ("next", encode_cursor({"last_id": page[-1].id, "direction": "next", "filters": filters}))
                )
        body = orjson.dumps({"events": [self._fields(self.render_event(e), fields) for e in page]})
        headers = self._headers()
        if links:
            headers["Link"] = self._link_header(host, version, "events", limit, params.get("fields"), links)
        self.engine.counters["event_pages"] += 1
        self.engine.counters["events_served"] += len(page)
        return Response(200, body, headers)
