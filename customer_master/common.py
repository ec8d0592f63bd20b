"""Two helpers every layer needs, in one dagster-free place (clients, warehouse, alerts, defs)."""

from __future__ import annotations

import datetime as dt

ELLIPSIS = "…"


def utcnow() -> dt.datetime:
    """Now in UTC without a tzinfo: the warehouse's timestamp convention (DuckDB TIMESTAMP and SQL
    Server DATETIME2 hold no zone, and mixing aware and naive values fails comparisons)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the last one an ellipsis when anything was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS if limit > 0 else ""
