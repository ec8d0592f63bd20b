"""Monday.com GraphQL client and column parsing (no dagster imports: `defs/` wires this in).

Public API:
    MondayClient(api_url, token, *, api_version="2026-07", ...)   the client (see client.py)
    incremental_since(last_sync, overlap_days=1) -> date           lower bound for incremental pulls
    reconcile(known_active, active_now, client) -> [ItemStateChange]
    decide_state_changes(known_active, active_now, states)         the pure decision behind reconcile
    parse_items(board_id, raw_items) -> ItemPage                   typed, columnar parsing
    errors: MondayError and subclasses
"""

from customer_master.monday.client import DEFAULT_API_URL, DEFAULT_API_VERSION, MondayClient
from customer_master.monday.columns import SUPPORTED_TYPES, parse_items
from customer_master.monday.errors import (
    CursorExpiredError,
    MondayAuthError,
    MondayDailyLimitError,
    MondayError,
    MondayNotFoundError,
    MondayQueryError,
    MondayRateLimitError,
    MondayServerError,
    MondayTimeoutError,
    MondayTransportError,
)
from customer_master.monday.extract import (
    board_from_raw,
    decide_state_changes,
    incremental_since,
    reconcile,
)
from customer_master.monday.models import (
    Board,
    Column,
    ExtractStats,
    Group,
    ItemPage,
    ItemState,
    ItemStateChange,
    QuarantineRecord,
)
from customer_master.monday.pacing import ComplexityPacer, ComplexitySnapshot, pacing_delay
from customer_master.monday.retry import backoff_delay, parse_retry_after, retry_delay

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_API_VERSION",
    "SUPPORTED_TYPES",
    "Board",
    "Column",
    "ComplexityPacer",
    "ComplexitySnapshot",
    "CursorExpiredError",
    "ExtractStats",
    "Group",
    "ItemPage",
    "ItemState",
    "ItemStateChange",
    "MondayAuthError",
    "MondayClient",
    "MondayDailyLimitError",
    "MondayError",
    "MondayNotFoundError",
    "MondayQueryError",
    "MondayRateLimitError",
    "MondayServerError",
    "MondayTimeoutError",
    "MondayTransportError",
    "QuarantineRecord",
    "backoff_delay",
    "board_from_raw",
    "decide_state_changes",
    "incremental_since",
    "pacing_delay",
    "parse_items",
    "parse_retry_after",
    "reconcile",
    "retry_delay",
]
