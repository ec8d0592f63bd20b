"""Keyset paging over a sorted sequence, as Shopify's cursor pagination behaves: a page_info
cursor remembers the last (or first) key served, so rows changed between pages never shift the
pages (a row moved past the cursor is served again later; one moved before it is not)."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Callable, Sequence
from typing import Any

import orjson


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(text: str) -> dict[str, Any]:
    """Raises ValueError for anything that is not a cursor this emulator issued."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        raise ValueError("invalid page_info") from None
    if not isinstance(payload, dict) or payload.get("direction") not in ("next", "prev"):
        raise ValueError("invalid page_info")
    return payload


def keyset_page(
    keys: Sequence[Any],
    items: Sequence[Any],
    *,
    limit: int,
    descending: bool,
    anchor: Any = None,
    backward: bool = False,
    start: int | None = None,
    match: Callable[[Any], bool],
    stop: Callable[[Any], bool] | None = None,
) -> tuple[list[Any], bool]:
    """One page of `items` (sorted ascending by `keys`) in display order (ascending or
    `descending`): the first `limit` matching items after `anchor` (or, `backward`, the last `limit`
    before it). Without an anchor the page starts at `start` (an index) or at the display start.
    `stop(item)` says no item further in the travel direction can match (a bound was passed).
    Returns (page, more): whether another matching item lies further in the travel direction."""
    step = -1 if descending != backward else 1
    n = len(items)
    if anchor is not None:
        i = bisect.bisect_right(keys, anchor) if step == 1 else bisect.bisect_left(keys, anchor) - 1
    elif start is not None:
        i = start
    else:
        i = 0 if step == 1 else n - 1
    page: list[Any] = []
    more = False
    while 0 <= i < n:
        item = items[i]
        i += step
        if stop is not None and stop(item):
            break
        if not match(item):
            continue
        if len(page) == limit:
            more = True
            break
        page.append(item)
    if backward:
        page.reverse()
    return page, more
