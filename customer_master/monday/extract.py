"""Board extraction on top of `MondayClient.execute`: metadata, item pages, id scans, item states,
and the reconciliation of archived/deleted items.

The functions that decide something (`board_from_raw`, `incremental_since`,
`decide_state_changes`, `state_from_raw`) are pure and unit-tested on their own.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import orjson

from customer_master.monday.columns import parse_items
from customer_master.monday.errors import CursorExpiredError, MondayNotFoundError, MondayServerError
from customer_master.monday.models import Board, Column, Group, ItemPage, ItemState, ItemStateChange
from customer_master.monday.queries import (
    BOARD_QUERY,
    ITEM_IDS_FIRST_PAGE_QUERY,
    ITEM_IDS_NEXT_PAGE_QUERY,
    ITEM_STATES_QUERY,
    ITEMS_FIRST_PAGE_QUERY,
    ITEMS_NEXT_PAGE_QUERY,
    MAX_ITEMS_IDS,
    updated_since_params,
)

if TYPE_CHECKING:
    from customer_master.monday.client import MondayClient

log = logging.getLogger("customer_master.monday")


# --------------------------------------------------------------------------------------------
# Pure helpers


def incremental_since(last_sync: dt.datetime, overlap_days: int = 1) -> dt.date:
    """The `__last_updated__` lower bound for an incremental pull after a sync at `last_sync`.

    Monday's filter is day-granular and evaluated in the token owner's timezone, so the window
    starts `overlap_days` (at least 1) before the UTC date of the last sync; re-reading a day of
    items is harmless because loads upsert on item id. Naive datetimes are taken as UTC.
    """
    if overlap_days < 1:
        raise ValueError("the incremental window must overlap the last sync by at least 1 day")
    if last_sync.tzinfo is not None:
        last_sync = last_sync.astimezone(dt.UTC)
    return last_sync.date() - dt.timedelta(days=overlap_days)


def board_from_raw(raw: Mapping[str, Any]) -> Board:
    """A `Board` from the `boards { ... }` selection of queries.BOARD_QUERY."""
    columns = tuple(
        Column(
            id=str(c["id"]),
            title=c.get("title") or str(c["id"]),
            type=c.get("type") or "unsupported",
            settings_str=c.get("settings_str"),
            archived=bool(c.get("archived") or False),
        )
        for c in raw.get("columns") or ()
        if c is not None
    )
    groups = tuple(
        Group(id=str(g["id"]), title=g.get("title") or str(g["id"]), position=g.get("position"))
        for g in raw.get("groups") or ()
        if g is not None
    )
    return Board(
        id=str(raw["id"]),
        name=raw.get("name") or "",
        state=raw.get("state") or "active",
        board_kind=raw.get("board_kind"),
        updated_at=raw.get("updated_at") or None,
        items_count=raw.get("items_count"),
        columns=columns,
        groups=groups,
    )


def state_from_raw(value: Any) -> ItemState:
    """Monday's `Item.state` as an ItemState; anything unknown or missing counts as deleted."""
    try:
        return ItemState(value)
    except ValueError:
        return ItemState.DELETED


def decide_state_changes(
    known_active: Iterable[str],
    active_now: Iterable[str],
    current_states: Mapping[str, ItemState],
) -> list[ItemStateChange]:
    """Which previously active items left the active set, and in what state they are now.

    - items in `known_active` but not in `active_now` are the candidates;
    - their state is what Monday reports now; an item Monday does not report at all is deleted
      (Monday returns nothing for some deleted items, and purged ones);
    - an item Monday still reports as active was restored or created while the scan ran: it is
      not a change (the next scan sees it), so it is left out.
    Sorted by item id for deterministic loads.
    """
    departed = set(known_active) - set(active_now)
    changes = []
    for item_id in sorted(departed, key=_id_order):
        state = current_states.get(item_id, ItemState.DELETED)
        if state is ItemState.ACTIVE:
            continue
        changes.append(ItemStateChange(item_id=item_id, state=state))
    return changes


def _id_order(item_id: str) -> tuple[int, str]:
    return (len(item_id), item_id)


# --------------------------------------------------------------------------------------------
# Calls


def get_board(client: MondayClient, board_id: str) -> Board:
    board_id = str(board_id)
    data = client.execute(BOARD_QUERY, {"board_ids": [board_id]}, board_id=board_id, purpose="board")
    boards = [b for b in data.get("boards") or () if b]
    if not boards:
        raise MondayNotFoundError(
            "board not found (deleted, or not visible to this token)", board_id=board_id, purpose="board"
        )
    return board_from_raw(boards[0])


def _first_page(data: Mapping[str, Any], board_id: str, purpose: str) -> Mapping[str, Any]:
    boards = [b for b in data.get("boards") or () if b]
    if not boards:
        raise MondayNotFoundError(
            "board not found (deleted, or not visible to this token)", board_id=board_id, purpose=purpose
        )
    page = boards[0].get("items_page")
    if not isinstance(page, Mapping):
        raise MondayServerError("items_page missing from the response", board_id=board_id, purpose=purpose)
    return page


def _next_page(data: Mapping[str, Any], board_id: str, purpose: str) -> Mapping[str, Any]:
    page = data.get("next_items_page")
    if not isinstance(page, Mapping):
        raise MondayServerError(
            "next_items_page missing from the response", board_id=board_id, purpose=purpose
        )
    return page


# GraphQL answers fields in the order they were selected, and the page queries select `cursor`
# before `items` (and `complexity` has no cursor), so the first "cursor" in a body is the page's.
_CURSOR_FIELD = re.compile(rb'"cursor"\s*:\s*(null|"(?:[^"\\]|\\.)*")')
_CURSOR_PEEK_BYTES = 4096
_HAND_OVER_SECONDS = 0.001


def peek_cursor(body: bytes) -> str | None:
    """The page cursor read straight from a raw response body, before it is decoded.

    Returns None when there is none (last page, or an error body); the decoded page stays the
    authority, this only lets the next request start early.
    """
    match = _CURSOR_FIELD.search(body, 0, _CURSOR_PEEK_BYTES)
    if match is None or match.group(1) == b"null":
        return None
    try:
        cursor = orjson.loads(match.group(1))
    except orjson.JSONDecodeError:
        return None
    return cursor if isinstance(cursor, str) and cursor else None


def _raw_pages(
    client: MondayClient,
    board_id: str,
    *,
    first_query: str,
    next_query: str,
    purposes: tuple[str, str],
    query_params: Mapping[str, Any] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Raw `items` lists of one cursor chain: items_page nested in boards, then next_items_page.

    A chain is sequential: page N+1 needs page N's cursor. To keep the round trips back to back,
    the cursor is peeked from each raw body and the next request sent (on a worker thread) while
    the current body is still being decoded and handed on. A request sent ahead is only used if
    the decoded page carries the same cursor; otherwise the page is requested again as usual.
    """
    limit = client.page_limit
    first_purpose, next_purpose = purposes
    variables: dict[str, Any] = {"board_ids": [board_id], "limit": limit}
    if query_params is not None:
        variables["query_params"] = dict(query_params)
    ahead: dict[str, Future] = {}

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"monday-{board_id}") as workers:

        def fetch_next(cursor: str) -> dict[str, Any]:
            return client.execute(
                next_query,
                {"cursor": cursor, "limit": limit},
                board_id=board_id,
                purpose=next_purpose,
                on_body=request_ahead,
            )

        def request_ahead(body: bytes) -> None:
            cursor = peek_cursor(body)
            if cursor is not None and cursor not in ahead:
                ahead[cursor] = workers.submit(fetch_next, cursor)
                # Step aside for a moment: JSON decoding holds the interpreter lock throughout, so
                # without this the worker could not send its request until this page is decoded.
                time.sleep(_HAND_OVER_SECONDS)

        data = client.execute(
            first_query, variables, board_id=board_id, purpose=first_purpose, on_body=request_ahead
        )
        page = _first_page(data, board_id, first_purpose)
        while True:
            items = page.get("items") or []
            cursor = page.get("cursor")
            yield items
            if not cursor:
                return
            pending = ahead.pop(cursor, None)
            data = pending.result() if pending is not None else fetch_next(cursor)
            page = _next_page(data, board_id, next_purpose)


def _restart_or_raise(client: MondayClient, exc: CursorExpiredError, restarts: int, board_id: str) -> None:
    client.stats.cursor_restarts += 1
    if restarts > client.max_cursor_restarts:
        raise CursorExpiredError(
            f"cursor kept expiring; gave up after {restarts - 1} restart(s) of the board "
            f"(max_cursor_restarts={client.max_cursor_restarts}); last error: {exc.reason}",
            code=exc.code,
            request_id=exc.request_id,
            board_id=board_id,
            purpose=exc.purpose or "next_items_page",
        )
    log.warning(
        "cursor expired on board %s (%s); re-reading the board from its first page (restart %d of max %d)",
        board_id,
        exc,
        restarts,
        client.max_cursor_restarts,
    )


def iter_item_pages(
    client: MondayClient, board: Board, *, since: dt.date | None = None
) -> Iterator[ItemPage]:
    board_id = str(board.id)
    query_params = updated_since_params(since) if since is not None else None
    seen: set[str] = set()
    seen_broken: set[str | None] = set()  # id-less items already quarantined (a restart re-reads them)
    restarts = 0
    stats = client.stats
    while True:
        try:
            for raw_items in _raw_pages(
                client,
                board_id,
                first_query=ITEMS_FIRST_PAGE_QUERY,
                next_query=ITEMS_NEXT_PAGE_QUERY,
                purposes=("items_page", "next_items_page"),
                query_params=query_params,
            ):
                if seen:
                    raw_items = [
                        r for r in raw_items if not (isinstance(r, dict) and str(r.get("id")) in seen)
                    ]
                page = parse_items(board_id, raw_items)
                item_ids = page.items["item_id"]
                if len(set(item_ids)) != len(item_ids):  # the same item twice in one page
                    page = parse_items(board_id, _unique(raw_items))
                    item_ids = page.items["item_id"]
                seen.update(item_ids)
                if restarts and page.quarantine:
                    page.quarantine = [
                        q for q in page.quarantine if q.item_id is not None or q.raw_value not in seen_broken
                    ]
                seen_broken.update(q.raw_value for q in page.quarantine if q.item_id is None)
                stats.pages += 1
                stats.items += page.item_count
                stats.values += page.value_count
                stats.quarantined += len(page.quarantine)
                if page.item_count or page.quarantine:
                    yield page
            return
        except CursorExpiredError as exc:
            restarts += 1
            _restart_or_raise(client, exc, restarts, board_id)


def _unique(raw_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for raw in raw_items:
        key = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") is not None else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        out.append(raw)
    return out


def active_item_ids(client: MondayClient, board_id: str) -> set[str]:
    board_id = str(board_id)
    restarts = 0
    while True:
        ids: set[str] = set()  # a restart starts afresh: an item archived meanwhile must drop out
        try:
            for raw_items in _raw_pages(
                client,
                board_id,
                first_query=ITEM_IDS_FIRST_PAGE_QUERY,
                next_query=ITEM_IDS_NEXT_PAGE_QUERY,
                purposes=("item_ids_page", "next_item_ids_page"),
            ):
                ids.update(str(r["id"]) for r in raw_items if isinstance(r, dict) and r.get("id") is not None)
            return ids
        except CursorExpiredError as exc:
            restarts += 1
            _restart_or_raise(client, exc, restarts, board_id)


def item_states(
    client: MondayClient, item_ids: Iterable[str], *, board_id: str | None = None
) -> dict[str, ItemState]:
    wanted = sorted({str(i) for i in item_ids}, key=_id_order)
    states: dict[str, ItemState] = {}
    for start in range(0, len(wanted), MAX_ITEMS_IDS):
        batch = wanted[start : start + MAX_ITEMS_IDS]
        data = client.execute(
            ITEM_STATES_QUERY,
            {"ids": batch, "limit": len(batch)},
            board_id=board_id,
            purpose="item_states",
        )
        for raw in data.get("items") or ():
            if not isinstance(raw, dict) or raw.get("id") is None:
                continue
            item_id = str(raw["id"])
            state = state_from_raw(raw.get("state"))
            item_board = raw.get("board") if isinstance(raw.get("board"), dict) else None
            if (
                board_id is not None
                and state is not ItemState.DELETED
                and item_board
                and item_board.get("id") is not None
                and str(item_board["id"]) != str(board_id)
            ):
                log.info(
                    "item %s moved from board %s to board %s: deleted here",
                    item_id,
                    board_id,
                    item_board["id"],
                )
                state = ItemState.DELETED
            states[item_id] = state
        for item_id in batch:
            states.setdefault(item_id, ItemState.DELETED)
    return states


def reconcile(
    known_active: set[str], active_now: set[str], client: MondayClient, *, board_id: str | None = None
) -> list[ItemStateChange]:
    """Items the warehouse has as active that Monday no longer lists as active, with the state
    Monday reports now (archived or deleted). Costs one `items` call per 100 departed items and
    none when nothing departed."""
    departed = set(known_active) - set(active_now)
    if not departed:
        return []
    states = client.item_states(departed, board_id=board_id)
    changes = decide_state_changes(known_active, active_now, states)
    log.info(
        "reconciled %d departed item(s)%s: %d archived, %d deleted, %d still active",
        len(departed),
        f" on board {board_id}" if board_id else "",
        sum(c.state is ItemState.ARCHIVED for c in changes),
        sum(c.state is ItemState.DELETED for c in changes),
        len(departed) - len(changes),
    )
    return changes
