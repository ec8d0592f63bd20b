"""The "woocommerce" shape: WooCommerce REST API v3 orders (`/wp-json/wc/v3/orders`), HTTP basic
auth with a consumer key and secret, page-number pagination with `X-WP-Total` /
`X-WP-TotalPages` (and WordPress's `Link` header). Trashed orders have status "trash". See README.md."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
from typing import Any
from urllib.parse import urlencode

import orjson

from customer_master.sandbox.oms.data import PRODUCTS, STATUSES, OmsOrder
from customer_master.sandbox.oms.engine import parse_timestamp
from customer_master.sandbox.oms.shape import PRICE_CENTS, ShapeApi, money
from customer_master.sandbox.oms.shape import ParamError as InvalidParam
from customer_master.sandbox.serving import Response

API_PREFIX = "/wp-json/wc/v3"
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
WC_VERSION = "9.3.3"
CANNOT_VIEW = (
    b'{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.",'
    b'"data":{"status":401}}'
)
BAD_KEY = (
    b'{"code":"woocommerce_rest_authentication_error","message":"Consumer key is invalid.",'
    b'"data":{"status":401}}'
)
BAD_SECRET = (
    b'{"code":"woocommerce_rest_authentication_error","message":"Consumer secret is invalid.",'
    b'"data":{"status":401}}'
)
NO_ROUTE = (
    b'{"code":"rest_no_route","message":"No route was found matching the URL and request method.",'
    b'"data":{"status":404}}'
)
INVALID_ID = (
    b'{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":404}}'
)
_ORDER_PATH = re.compile(r"^/wp-json/wc/v3/orders(?:/(\d+))?$")
LIST_STATUSES = ("any", "trash", *STATUSES)
ORDERBY = ("date", "id", "modified")
NOT_EMULATED = ("search", "product", "parent", "parent_exclude", "dp", "include_meta", "exclude_meta")
_PAID = ("processing", "completed", "refunded")


class WooApi(ShapeApi):
    def reset(self) -> None:
        # Filtered listings cached by (store version, filters): page after page of one read
        # filters the orders once.
        self._cache: tuple[Any, list[OmsOrder]] | None = None

    # ----------------------------------------------------------------------- pipeline hooks

    def authenticate(self, headers, query) -> Response | None:
        """Basic auth (consumer key as user, secret as password), or consumer_key/consumer_secret
        query parameters, as WooCommerce accepts over HTTPS."""
        e = self.engine
        key = secret = None
        auth = (headers.get("Authorization") or "").strip()
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            key, _, secret = decoded.partition(":")
        else:
            params = dict(query)
            key, secret = params.get("consumer_key"), params.get("consumer_secret")
        if not key:
            return Response(401, CANNOT_VIEW, self._base_headers())
        if key != e.consumer_key:
            return Response(401, BAD_KEY, self._base_headers())
        if secret != e.consumer_secret:
            return Response(401, BAD_SECRET, self._base_headers())
        return None

    @staticmethod
    def _base_headers() -> dict[str, str]:
        return {"X-Robots-Tag": "noindex", "X-Content-Type-Options": "nosniff"}

    def server_error(self, status: int) -> Response:
        if status == 500:
            body = {
                "code": "internal_server_error",
                "message": "<p>There has been a critical error on this website.</p>",
                "data": {"status": 500},
                "additional_errors": [],
            }
            return Response(500, orjson.dumps(body), self._base_headers())
        reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}[status]
        html = (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        headers = {"Retry-After": "1"} if status == 503 else {}
        return Response(status, html.encode(), headers, content_type="text/html")

    def rate_limited(self, retry_after: float) -> Response:
        seconds = int(retry_after) if float(retry_after).is_integer() else retry_after
        body = {
            "code": "woocommerce_rest_too_many_requests",
            "message": "Too many requests. Please wait and try again.",
            "data": {"status": 429},
        }
        return Response(429, orjson.dumps(body), {**self._base_headers(), "Retry-After": str(seconds)})

    def route(self, method: str, path: str, query: list[tuple[str, str]], headers) -> Response:
        match = _ORDER_PATH.match(path)
        if match is None or method != "GET":
            return Response(404, NO_ROUTE, self._base_headers())
        try:
            if match.group(1) is not None:
                return self._one(int(match.group(1)))
            return self._orders(query, headers.get("Host") or "127.0.0.1")
        except InvalidParam as exc:
            body = {
                "code": "rest_invalid_param",
                "message": f"Invalid parameter(s): {exc.param}",
                "data": {"status": 400, "params": {exc.param: exc.message}},
            }
            return Response(400, orjson.dumps(body), self._base_headers())

    # ----------------------------------------------------------------------- rendering

    def render(self, o: OmsOrder) -> dict[str, Any]:
        e = self.engine
        local, gmt = e.local_naive, e.gmt_naive
        malformed = e.malformed_kind(o)
        customer = o.customer
        lines = []
        total = 0
        for n, line in enumerate(o.lines):
            sku, title, price = PRODUCTS[line.product]
            cents = PRICE_CENTS[line.product] * line.quantity
            total += cents
            lines.append(
                {
                    "id": line.id,
                    "name": title,
                    "product_id": 201 + line.product,
                    "variation_id": 0,
                    "quantity": "two" if malformed == "quantity" and n == 0 else line.quantity,
                    "tax_class": "",
                    "subtotal": money(cents),
                    "subtotal_tax": "0.00",
                    "total": money(cents),
                    "total_tax": "0.00",
                    "taxes": [],
                    "meta_data": [],
                    "sku": sku,
                    "price": PRICE_CENTS[line.product] / 100,
                }
            )
        number = o.number if o.number is not None else str(o.id)
        if malformed == "number":
            number = ""
        requested = "2026-13-45" if malformed == "date" else o.requested
        priority = "asap" if malformed == "priority" else o.priority
        meta_base = 10_000 + 3 * o.seq
        known = customer is not None and customer.monday_item_id is not None
        paid = o.paid if o.status in _PAID or o.status == "cancelled" else None
        return {
            "id": o.id,
            "parent_id": 0,
            "status": o.status,
            "currency": "USD",
            "version": WC_VERSION,
            "prices_include_tax": False,
            "date_created": local(o.created),
            "date_created_gmt": gmt(o.created),
            "date_modified": local(o.updated),
            "date_modified_gmt": gmt(o.updated),
            "discount_total": "0.00",
            "shipping_total": "0.00",
            "total": money(total),
            "total_tax": "0.00",
            # Customers not on the Monday board ordered as guests (customer_id 0), as WooCommerce allows.
            "customer_id": customer.id if customer is not None and known else 0,
            "order_key": "wc_order_" + hashlib.sha1(f"{o.id}".encode()).hexdigest()[:13],
            "billing": {
                "first_name": (customer.first_name or "") if customer else "",
                "last_name": (customer.last_name or "") if customer else "",
                "company": customer.company if customer else "",
                "email": customer.email if customer else "",
            },
            "payment_method": "bacs",
            "payment_method_title": "Direct bank transfer",
            "created_via": "rest-api" if o.number is not None else "checkout",
            "customer_note": o.note or "",
            "date_paid": local(paid),
            "date_paid_gmt": gmt(paid),
            "date_completed": local(o.completed),
            "date_completed_gmt": gmt(o.completed),
            "number": number,
            "meta_data": [
                {"id": meta_base, "key": "_requested_date", "value": requested},
                {"id": meta_base + 1, "key": "_priority", "value": priority},
                {
                    "id": meta_base + 2,
                    "key": "_customer_number",
                    "value": customer.number if customer else "",
                },
            ],
            "line_items": lines,
        }

    # ----------------------------------------------------------------------- parameters

    @staticmethod
    def _int(params: dict[str, str], name: str, default: int, lo: int, hi: int | None = None) -> int:
        value = params.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise InvalidParam(name, f"{name} is not of type integer.") from None
        if number < lo or (hi is not None and number > hi):
            bound = (
                f"between {lo} (inclusive) and {hi} (inclusive)" if hi else f"greater than or equal to {lo}"
            )
            raise InvalidParam(name, f"{name} must be {bound}")
        return number

    def _date(self, params: dict[str, str], name: str, gmt: bool) -> float | None:
        value = params.get(name)
        if value is None or value == "":
            return None
        # WordPress reads a date without an offset as site-local, unless dates_are_gmt.
        offset = 0 if gmt else self.engine.spec.utc_offset_minutes
        try:
            return parse_timestamp(value, offset)
        except ValueError:
            raise InvalidParam(name, f"Invalid date.: {value}") from None

    @staticmethod
    def _id_list(params: dict[str, str], name: str) -> set[int] | None:
        value = params.get(name)
        if not value:
            return None
        try:
            return {int(x) for x in value.split(",") if x.strip()}
        except ValueError:
            raise InvalidParam(name, f"{name}[0] is not of type integer.") from None

    def _statuses(self, params: dict[str, str]) -> set[str] | None:
        """WooCommerce's rule: "any" (the default) is every status except trash, and short-circuits
        the list, so `any,trash` is still without trash; otherwise exactly the listed statuses."""
        value = params.get("status") or "any"
        wanted = [s.strip() for s in value.split(",") if s.strip()]
        for i, s in enumerate(wanted):
            if s not in LIST_STATUSES:
                raise InvalidParam("status", f"status[{i}] is not one of {', '.join(LIST_STATUSES)}.")
        if "any" in wanted:
            return None
        return set(wanted)

    # ----------------------------------------------------------------------- orders

    def _orders(self, query: list[tuple[str, str]], host: str) -> Response:
        params = dict(query)
        # WordPress takes list parameters as a comma-separated value or as repeated `name[]=`.
        for name in ("status", "include", "exclude"):
            repeated = [v for k, v in query if k == f"{name}[]"]
            if repeated:
                params[name] = ",".join(repeated)
        for name in NOT_EMULATED:
            if name in params:
                raise InvalidParam(name, f"{name} is not emulated by the OMS sandbox")
        page = self._int(params, "page", 1, 1)
        per_page = self._int(params, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        offset = self._int(params, "offset", 0, 0)
        orderby = params.get("orderby") or "date"
        if orderby not in ORDERBY:
            raise InvalidParam("orderby", f"orderby is not one of {', '.join(ORDERBY)}.")
        order = params.get("order") or "desc"
        if order not in ("asc", "desc"):
            raise InvalidParam("order", "order is not one of asc, desc.")
        gmt = (params.get("dates_are_gmt") or "").lower() in ("1", "true", "yes")
        statuses = self._statuses(params)
        modified_after = self._date(params, "modified_after", gmt)
        modified_before = self._date(params, "modified_before", gmt)
        after = self._date(params, "after", gmt)
        before = self._date(params, "before", gmt)
        customer = self._int(params, "customer", -1, 0) if params.get("customer") else None
        include = self._id_list(params, "include")
        exclude = self._id_list(params, "exclude")
        key = (
            self.engine.store.version,
            orderby,
            order,
            statuses and tuple(sorted(statuses)),
            modified_after,
            modified_before,
            after,
            before,
            customer,
            include and tuple(sorted(include)),
            exclude and tuple(sorted(exclude)),
        )
        if self._cache is not None and self._cache[0] == key:
            rows = self._cache[1]
        else:
            rows = self._filter(
                orderby,
                order,
                statuses,
                modified_after,
                modified_before,
                after,
                before,
                customer,
                include,
                exclude,
            )
            self._cache = (key, rows)
        total = len(rows)
        total_pages = math.ceil(total / per_page) if total else 0
        first = (page - 1) * per_page + offset
        served = rows[first : first + per_page]
        body = orjson.dumps([self.render(o) for o in served])
        headers = {**self._base_headers(), "X-WP-Total": str(total), "X-WP-TotalPages": str(total_pages)}
        # WordPress's Link header: the request's own query with `page` replaced.
        base = [(k, v) for k, v in query if k != "page"]
        links = []
        if page > 1:
            prev_page = min(page - 1, total_pages) if total_pages else 1
            links.append(
                f'<http://{host}{API_PREFIX}/orders?{urlencode([*base, ("page", prev_page)])}>; rel="prev"'
            )
        if total_pages > page:
            links.append(
                f'<http://{host}{API_PREFIX}/orders?{urlencode([*base, ("page", page + 1)])}>; rel="next"'
            )
        if links:
            headers["Link"] = ", ".join(links)
        self.engine.page_served(served)
        return Response(200, body, headers)

    def _filter(
        self,
        orderby: str,
        order: str,
        statuses: set[str] | None,
        modified_after: float | None,
        modified_before: float | None,
        after: float | None,
        before: float | None,
        customer: int | None,
        include: set[int] | None,
        exclude: set[int] | None,
    ) -> list[OmsOrder]:
        store = self.engine.store
        if orderby == "modified":
            source = store.index
            if modified_after is not None:  # exclusive, as WordPress's date_query "after"
                source = source[store.position_from(math.floor(modified_after) + 1) :]
        else:  # date and id: creation order is id order
            source = [o for o in store.by_id if store.visible(o)]

        def match(o: OmsOrder) -> bool:
            if statuses is None:
                if o.status == "trash":
                    return False
            elif o.status not in statuses:
                return False
            if modified_after is not None and not o.updated > modified_after:
                return False
            if modified_before is not None and not o.updated < modified_before:
                return False
            if after is not None and not o.created > after:
                return False
            if before is not None and not o.created < before:
                return False
            if customer is not None:
                cid = o.customer.id if o.customer is not None and o.customer.monday_item_id is not None else 0
                if cid != customer:
                    return False
            if include is not None and o.id not in include:
                return False
            return not (exclude is not None and o.id in exclude)

        rows = [o for o in source if match(o)]
        if order == "desc":
            rows.reverse()
        return rows

    def _one(self, order_id: int) -> Response:
        order = self.engine.store.orders_by_id.get(order_id)
        if order is None:
            return Response(404, INVALID_ID, self._base_headers())
        return Response(200, orjson.dumps(self.render(order)), self._base_headers())
