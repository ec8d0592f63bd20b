"""Helpers every layer needs, in one dagster-free place (clients, warehouse, alerts, defs)."""

from __future__ import annotations

import datetime as dt
import math

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


def fmt_pct(fraction: float | None, *, digits: int = 2) -> str:
    """A fraction as a percentage with at most `digits` decimals and no padding zeros, as people
    write thresholds and rates in sentences: 0.0408 -> "4.08 %", 0.02 -> "2 %", None/NaN -> "n/a"."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "n/a"
    text = f"{fraction * 100:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return f"{text} %"
