"""Backoff arithmetic for the Monday client's retry loop: the shared stack in customer_master/retry.py."""

from __future__ import annotations

from customer_master.retry import (
    MAX_SERVER_WAIT_SECONDS,
    backoff_delay,
    out_of_retries,
    parse_retry_after,
    retry_delay,
    transport_error_is_transient,
)

__all__ = [
    "MAX_SERVER_WAIT_SECONDS",
    "backoff_delay",
    "out_of_retries",
    "parse_retry_after",
    "retry_delay",
    "transport_error_is_transient",
]
