"""Client for the OMS emulator's control endpoint (`POST /_sandbox/control`, `GET /_sandbox/health`).

Works the same against an in-process `OmsServer` and one started with
`python -m customer_master.sandbox.oms serve`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from customer_master.sandbox.serving import ControlClient


class OmsControlError(RuntimeError):
    """The control endpoint refused an op (unknown op, bad arguments, unknown order...)."""


class OmsControl(ControlClient):
    error = OmsControlError
    api_suffixes = ("/wp-json/wc/v3", "/admin/api/2024-10")

    # data -----------------------------------------------------------------------------------
    def reset(self, **spec_fields: Any) -> dict:
        """Regenerate from the server's initial OmsSpec with these fields changed (seed, orders,
        monday_orders, ...); also clears faults, the clock and the stats."""
        if isinstance(spec_fields.get("as_of"), dt.date):
            spec_fields["as_of"] = spec_fields["as_of"].isoformat()
        return self._op("reset", **spec_fields)

    def set_clock(self, now: str | dt.datetime | None) -> dict:
        """The OMS "now" for changes (ISO 8601; naive = UTC); None = the default, as_of 00:00 UTC."""
        if isinstance(now, dt.datetime):
            now = now.isoformat()
        return self._op("set_clock", now=now)

    def update_order(
        self,
        order_id: int,
        *,
        quantity: int | None = None,
        status: str | None = None,
        requested_date: str | None = None,
        priority: str | None = None,
        note: str | None = None,
    ) -> dict:
        """Change an order; its updated_at becomes the clock (at least one second later than before)."""
        return self._op(
            "update_order",
            order_id=order_id,
            quantity=quantity,
            status=status,
            requested_date=requested_date,
            priority=priority,
            note=note,
        )

    def cancel_order(self, order_id: int) -> dict:
        return self._op("cancel_order", order_id=order_id)

    def delete_order(self, order_id: int) -> dict:
        """Shopify: gone from the listings, a destroy event recorded. WooCommerce: status "trash"."""
        return self._op("delete_order", order_id=order_id)

    def create_order(
        self,
        *,
        email: str | None = None,
        customer_position: int | None = None,
        quantity: int = 1,
        requested_date: str | None = None,
        priority: str = "normal",
        number: str | None = None,
        status: str = "processing",
        sku: str | None = None,
        lines: list[dict[str, Any]] | None = None,
    ) -> dict:
        """Returns {"order_id", "name", "quantity"}."""
        return self._op(
            "create_order",
            email=email,
            customer_position=customer_position,
            quantity=quantity,
            requested_date=requested_date,
            priority=priority,
            number=number,
            status=status,
            sku=sku,
            lines=lines,
        )

    # faults ---------------------------------------------------------------------------------
    def set_faults(self, **faults: Any) -> dict:
        """rate_limit_next, retry_after_seconds, server_error_next, server_error_status, slow_next,
        slow_seconds, latency_ms, malformed_orders, malformed_kinds, change_after_pages,
        change_order_id. Returns the fault state (with the malformed order ids and kinds)."""
        return self._op("set_faults", **faults)

    def clear_faults(self) -> dict:
        return self._op("clear_faults")

    def get_faults(self) -> dict:
        return self._op("get_faults")

    # reports --------------------------------------------------------------------------------
    def stats(self) -> dict:
        """requests, api_requests, pages, event_pages, orders_served, auth_errors, rate_limited, ..."""
        return self._op("stats")

    def facts(self) -> dict:
        """Which orders are special: both_systems (with monday_item_id and conflict),
        unknown_customer, cancelled, deleted, multi_line, malformed."""
        return self._op("facts")

    def listing(self) -> list:
        """[id, updated_at, status] of every listed order in (updated_at, id) order."""
        return self._op("listing")

    def get_order(self, order_id: int) -> dict:
        return self._op("get_order", order_id=order_id)
