"""Client for the sandbox control endpoint (`POST /_sandbox/control`, `GET /_sandbox/health`).

Works the same against an in-process `SandboxServer` and a sandbox started with
`python -m customer_master.sandbox serve`, so tests and benchmarks drive both alike.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from customer_master.sandbox.serving import ControlClient


class SandboxControlError(RuntimeError):
    """The control endpoint refused an op (unknown op, bad arguments, unknown board/item...)."""


class SandboxControl(ControlClient):
    error = SandboxControlError
    api_suffixes = ("/v2",)

    # faults -------------------------------------------------------------------------------
    def set_faults(self, **faults: Any) -> dict:
        """rate_limit_next, rate_limit_retry_in_seconds (fractions allowed), rate_limit_shape,
        server_error_next, server_error_status, latency_ms, latency_per_item_ms, slow_next,
        slow_seconds, malformed_rate, cursor_expire_after_pages, purge_deleted, hidden_fraction
        (with hidden_board: one board id, empty = every board), and the seeded
        probabilistic mix rate_limit_rate, server_error_rate, fault_seed. Returns the full fault
        state."""
        return self._op("set_faults", **faults)

    def clear_faults(self) -> dict:
        return self._op("clear_faults")

    def get_faults(self) -> dict:
        return self._op("get_faults")

    # workspace ----------------------------------------------------------------------------
    def reset(self, **spec_fields: Any) -> dict:
        """Regenerate the workspace (optionally with changed WorkspaceSpec fields); also clears
        faults, cursors, the complexity window, the clock, the stats, the webhooks and their
        deliveries (the signing secret and retry interval go back to the server's)."""
        if isinstance(spec_fields.get("as_of"), dt.date):
            spec_fields["as_of"] = spec_fields["as_of"].isoformat()
        return self._op("reset", **spec_fields)

    def add_column(self, board_id: str, column_id: str, title: str, type: str, *, labels: Any = None) -> dict:
        """Add a column (Monday column type name, e.g. "text", "numbers", "status"); existing
        items get an empty value. `labels` ({index: label} or a list) for status/dropdown."""
        return self._op(
            "add_column", board_id=board_id, column_id=column_id, title=title, type=type, labels=labels
        )

    def rename_column(self, board_id: str, column_id: str, title: str) -> dict:
        return self._op("rename_column", board_id=board_id, column_id=column_id, title=title)

    def remove_column(self, board_id: str, column_id: str) -> dict:
        return self._op("remove_column", board_id=board_id, column_id=column_id)

    def create_item(
        self,
        board_id: str,
        name: str,
        column_values: dict[str, Any] | None = None,
        *,
        group_id: str | None = None,
    ) -> str:
        """Returns the new item id. Values are Monday value JSON strings (as Monday returns them)."""
        result = self._op(
            "create_item", board_id=board_id, name=name, column_values=column_values, group_id=group_id
        )
        return result["item_id"]

    def update_item(
        self,
        board_id: str,
        item_id: str,
        *,
        name: str | None = None,
        column_values: dict[str, Any] | None = None,
    ) -> dict:
        """Change name and/or values; the item's updated_at becomes the sandbox clock."""
        return self._op(
            "update_item", board_id=board_id, item_id=item_id, name=name, column_values=column_values
        )

    def archive_item(self, board_id: str, item_id: str) -> dict:
        return self._op("archive_item", board_id=board_id, item_id=item_id)

    def delete_item(self, board_id: str, item_id: str) -> dict:
        return self._op("delete_item", board_id=board_id, item_id=item_id)

    def restore_item(self, board_id: str, item_id: str) -> dict:
        return self._op("restore_item", board_id=board_id, item_id=item_id)

    def move_item(self, board_id: str, item_id: str, group_id: str) -> dict:
        """Move an item to another group of its board (fires item_moved_to_any_group)."""
        return self._op("move_item", board_id=board_id, item_id=item_id, group_id=group_id)

    # webhooks (created with the API's create_webhook mutation) -----------------------------
    def webhooks(self, board_id: str | None = None) -> list[dict]:
        """Active webhooks (`id board_id event config url`), of one board or all."""
        return self._op("webhooks", board_id=board_id)

    def webhook_deliveries(self) -> dict:
        """Per webhook `attempts delivered failed retries pending last_status last_error`, the
        totals, `idle` (nothing queued or in flight), `signing`, `retry_seconds`, `max_retries`."""
        return self._op("webhook_deliveries")

    def set_webhook_signing_secret(self, secret: str | None) -> dict:
        """Sign deliveries with this secret (JWT HS256 in `Authorization`); None = unsigned."""
        return self._op("set_webhook_signing_secret", secret=secret)

    def set_webhook_retry_seconds(self, seconds: float) -> dict:
        """Interval between retries of a failed delivery (Monday: 60; 30 retries, then dropped)."""
        return self._op("set_webhook_retry_seconds", seconds=seconds)

    def wait_webhooks_idle(self, timeout: float = 10.0, *, poll: float = 0.02) -> dict:
        """Poll until no delivery is queued, in flight or waiting to retry; returns the stats.
        Raises TimeoutError with the stats when the deliveries are still busy after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.webhook_deliveries()
            if stats["idle"]:
                return stats
            if time.monotonic() >= deadline:
                raise TimeoutError(f"webhook deliveries still pending after {timeout} s: {stats}")
            time.sleep(poll)

    # cursors, clock, budget, stats ----------------------------------------------------------
    def expire_cursors(self) -> dict:
        return self._op("expire_cursors")

    def set_clock(self, now: str | dt.datetime | None) -> dict:
        """Fix the sandbox "now" (ISO 8601; naive = UTC) used for mutations; None = real UTC now."""
        if isinstance(now, dt.datetime):
            now = now.isoformat()
        return self._op("set_clock", now=now)

    def reset_budget(self) -> dict:
        return self._op("reset_budget")

    def stats(self) -> dict:
        """requests, graphql_requests, complexity_used, errors_returned, rate_limited, ..."""
        return self._op("stats")
