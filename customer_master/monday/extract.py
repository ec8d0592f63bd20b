"""Board extraction on top of `MondayClient.execute`: metadata, item pages, id scans, item states,
and the reconciliation of archived/deleted items.

The functions that decide something (`board_from_raw`, `incremental_since`,
`decide_state_changes`, `state_from_raw`) are pure and unit-tested on their own.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from customer_master.monday.columns import parse_items
from customer_master.monday.errors import (
    CursorExpiredError,
    MondayError,
    MondayNotFoundError,
    MondayServerError,
)
from customer_master.monday.models import Board, Column, Group, ItemPage, ItemState, ItemStateChange
from customer_master.monday.queries import (
    BOARD_QUERY,
    ITEM_IDS_FIRST_PAGE_QUERY,
    ITEM_IDS_NEXT_PAGE_QUERY,
    ITEM_STAMPS_FIRST_PAGE_QUERY,
    ITEM_STAMPS_NEXT_PAGE_QUERY,
    ITEM_STATES_QUERY,
    ITEMS_BY_IDS_QUERY,
    ITEMS_FIRST_PAGE_QUERY,
    ITEMS_NEXT_PAGE_QUERY,
    MAX_ITEMS_IDS,
    MAX_PAGE_LIMIT,
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
MAX_PAGES_AHEAD = 2
_HAND_OVER_SECONDS = 0.001
_HYDRATE_IN_FLIGHT = 2  # `items(ids)` requests at once when finishing a broken chain


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
    limit: int | None = None,
) -> Generator[list[dict[str, Any]], None, None]:
    """Raw `items` lists of one cursor chain: items_page nested in boards, then next_items_page.

    A chain is sequential: page N+1 needs page N's cursor. To keep the round trips back to back,
    the cursor is peeked from each raw body and the next request sent (on a worker thread) while
    the current body is still being decoded and handed on. A request sent ahead is only used if
    the decoded page carries the same cursor; otherwise the page is requested again as usual.
    """
    limit = limit or client.page_limit
    first_purpose, next_purpose = purposes
    variables: dict[str, Any] = {"board_ids": [board_id], "limit": limit}
    if query_params is not None:
        variables["query_params"] = dict(query_params)
    ahead: dict[str, Future[dict[str, Any]]] = {}
    ahead_lock = threading.Lock()

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
            # At most MAX_PAGES_AHEAD pages wait for the consumer: without the bound the chain would
            # run to its end on the worker threads and hold the whole board in memory behind a slow
            # load. A page not requested ahead is requested when the consumer reaches it.
            # The slot is taken before the request is sent: the worker's page can come back and call
            # this hook before `submit` has even returned, and it must count its own page as ahead.
            slot: Future[dict[str, Any]] = Future()
            with ahead_lock:
                if cursor is None or cursor in ahead or len(ahead) >= MAX_PAGES_AHEAD:
                    return
                ahead[cursor] = slot
            workers.submit(fill_slot, slot, cursor)
            # Step aside for a moment: JSON decoding holds the interpreter lock throughout, so
            # without this the worker could not send its request until this page is decoded.
            time.sleep(_HAND_OVER_SECONDS)

        def fill_slot(slot: Future[dict[str, Any]], cursor: str) -> None:
            try:
                slot.set_result(fetch_next(cursor))
            except BaseException as exc:  # handed to the consumer, which raises it in its own thread
                slot.set_exception(exc)

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
            with ahead_lock:
                pending = ahead.pop(cursor, None)
            data = pending.result() if pending is not None else fetch_next(cursor)
            page = _next_page(data, board_id, next_purpose)


def iter_item_pages(
    client: MondayClient, board: Board, *, since: dt.date | None = None
) -> Generator[ItemPage, None, None]:
    """Every active item of the board (updated on/after `since` if given), parsed, once each.

    The cursor chain is read first. When it breaks part way (a cursor expired, as Monday's cursors
    live 60 minutes from the chain's first request; or a page used up its retry budget), the pages already
    yielded stand (the loader has staged them) and the board is finished without a cursor chain:
    an id-only scan with the same filter (cheap, well inside a cursor's lifetime), then the ids not
    yet yielded read with `items(ids)`, 100 at a time, in id order. If that fails too, it raises.
    """
    board_id = str(board.id)
    query_params = updated_since_params(since) if since is not None else None
    yielded: set[str] = set()
    broken = yield from _chain_pages(client, board_id, query_params, yielded)
    if broken is not None:
        yield from _resume(client, board_id, query_params, yielded, broken)


def _chain_pages(
    client: MondayClient, board_id: str, query_params: Mapping[str, Any] | None, yielded: set[str]
) -> Generator[ItemPage, None, MondayError | None]:
    """The item pages of the cursor chain; returns the error that broke it part way, if any."""
    chain = _raw_pages(
        client,
        board_id,
        first_query=ITEMS_FIRST_PAGE_QUERY,
        next_query=ITEMS_NEXT_PAGE_QUERY,
        purposes=("items_page", "next_items_page"),
        query_params=query_params,
    )
    pages_read = 0
    try:
        while True:
            try:
                raw_items = next(chain)
            except StopIteration:
                return None
            except MondayError as exc:
                # Only a chain that got somewhere is resumed: when the very first page cannot be
                # read within its retry budget, the id scan would meet the same failure.
                if pages_read and (isinstance(exc, CursorExpiredError) or exc.retryable):
                    return exc
                raise
            pages_read += 1
            page = _new_page(client, board_id, raw_items, yielded)
            if page is not None:
                yield page
    finally:
        chain.close()


def _resume(
    client: MondayClient,
    board_id: str,
    query_params: Mapping[str, Any] | None,
    yielded: set[str],
    broken: MondayError,
) -> Iterator[ItemPage]:
    stats = client.stats
    stats.cursor_resumes += 1
    log.warning(
        "the cursor chain of board %s broke after %d item(s) (%s); keeping them and finishing the "
        "board with an id scan and items(ids)",
        board_id,
        len(yielded),
        broken,
    )
    note = f"while finishing board {board_id} after its cursor chain broke ({broken.reason})"
    try:
        ids = _scan_item_ids(client, board_id, query_params)
        missing = sorted((i for i in ids if i not in yielded), key=_id_order)
        for raw_items in _items_by_ids(client, board_id, missing):
            page = _new_page(client, board_id, raw_items, yielded)
            if page is not None:
                stats.hydrated_items += page.item_count
                yield page
    except MondayError as exc:
        exc.with_note(note)
        raise


def _new_page(
    client: MondayClient, board_id: str, raw_items: list[dict[str, Any]], yielded: set[str]
) -> ItemPage | None:
    """Parse raw items not yielded before; None when nothing is left to hand on."""
    if yielded:
        raw_items = [r for r in raw_items if not (isinstance(r, dict) and str(r.get("id")) in yielded)]
    page = parse_items(board_id, raw_items)
    item_ids = page.items["item_id"]
    if len(set(item_ids)) != len(item_ids):  # the same item twice in one page
        page = parse_items(board_id, _unique(raw_items))
        item_ids = page.items["item_id"]
    yielded.update(item_ids)
    stats = client.stats
    stats.pages += 1
    stats.items += page.item_count
    stats.values += page.value_count
    stats.quarantined += len(page.quarantine)
    return page if page.item_count or page.quarantine else None


def _items_by_ids(client: MondayClient, board_id: str, ids: list[str]) -> Iterator[list[dict[str, Any]]]:
    """Raw items for `ids` (in id order) that are active on this board, 100 per request. Batches do
    not depend on each other, so `_HYDRATE_IN_FLIGHT` requests run at once while the earliest is
    handed on, in order. No cursor: nothing expires."""
    batches = deque(ids[start : start + MAX_ITEMS_IDS] for start in range(0, len(ids), MAX_ITEMS_IDS))

    def fetch(batch: list[str]) -> dict[str, Any]:
        return client.execute(
            ITEMS_BY_IDS_QUERY, {"ids": batch, "limit": len(batch)}, board_id=board_id, purpose="items_by_ids"
        )

    with ThreadPoolExecutor(
        max_workers=_HYDRATE_IN_FLIGHT, thread_name_prefix=f"monday-{board_id}-ids"
    ) as pool:
        in_flight: deque[Future[dict[str, Any]]] = deque()
        try:
            while batches or in_flight:
                while batches and len(in_flight) < _HYDRATE_IN_FLIGHT:
                    in_flight.append(pool.submit(fetch, batches.popleft()))
                yield _active_on_board(in_flight.popleft().result(), board_id)
        finally:
            for pending in in_flight:  # a failed batch or a consumer that stopped: send no more
                pending.cancel()


@dataclass(frozen=True, slots=True)
class FetchedItems:
    """Items read by id for a change: the active ones on the board, parsed as a page, and the
    state of every other requested id (archived, deleted, moved to another board, or not returned
    at all: deleted)."""

    page: ItemPage
    gone: dict[str, ItemState]


def fetch_items(client: MondayClient, board_id: str, item_ids: Iterable[str]) -> FetchedItems:
    """The current content and state of `item_ids` on `board_id`, 100 ids per request (what a
    change run needs: one `items(ids)` call answers both "what is it now" and "is it still here").
    An item now on another board is gone from this one."""
    board_id = str(board_id)
    wanted = sorted({str(i) for i in item_ids}, key=_id_order)
    raw_active: list[dict[str, Any]] = []
    gone: dict[str, ItemState] = {}
    for start in range(0, len(wanted), MAX_ITEMS_IDS):
        batch = wanted[start : start + MAX_ITEMS_IDS]
        data = client.execute(
            ITEMS_BY_IDS_QUERY, {"ids": batch, "limit": len(batch)}, board_id=board_id, purpose="items_by_ids"
        )
        active = _active_on_board(data, board_id)
        raw_active.extend(active)
        states = _reported_states(data)
        active_ids = {str(raw["id"]) for raw in active}
        for item_id in batch:
            if item_id not in active_ids:
                state = states.get(item_id, ItemState.DELETED)
                gone[item_id] = ItemState.DELETED if state is ItemState.ACTIVE else state
    page = parse_items(board_id, _unique(raw_active))
    return FetchedItems(page=page, gone=gone)


def _reported_states(data: Mapping[str, Any]) -> dict[str, ItemState]:
    """Monday's state per returned item (an active item on another board reads as active here;
    the caller counts it gone from this board)."""
    return {
        str(raw["id"]): state_from_raw(raw.get("state"))
        for raw in data.get("items") or ()
        if isinstance(raw, dict) and raw.get("id") is not None
    }


def _active_on_board(data: Mapping[str, Any], board_id: str) -> list[dict[str, Any]]:
    """What items_page would have returned of an `items(ids)` answer: active items still on this
    board (archived, deleted or moved away meanwhile are left out), in id order."""
    kept = []
    for raw in data.get("items") or ():
        if not isinstance(raw, dict) or raw.get("id") is None:
            continue
        if state_from_raw(raw.get("state")) is not ItemState.ACTIVE:
            continue
        item_board = raw.get("board")
        moved = isinstance(item_board, dict) and str(item_board.get("id") or board_id) != board_id
        if not moved:
            kept.append(raw)
    kept.sort(key=lambda raw: _id_order(str(raw["id"])))
    return kept


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


def _scan_item_ids(client: MondayClient, board_id: str, query_params: Mapping[str, Any] | None) -> set[str]:
    """Ids of the board's active items (matching `query_params`), from an id-only cursor chain.

    Id pages are cheap, so the scan takes the largest pages and finishes well inside a cursor's
    lifetime; if a cursor expires anyway the scan starts afresh (an item archived meanwhile must
    drop out), at most `client.max_cursor_restarts` times.
    """
    restarts = 0
    while True:
        ids: set[str] = set()
        try:
            for raw_items in _raw_pages(
                client,
                board_id,
                first_query=ITEM_IDS_FIRST_PAGE_QUERY,
                next_query=ITEM_IDS_NEXT_PAGE_QUERY,
                purposes=("item_ids_page", "next_item_ids_page"),
                query_params=query_params,
                limit=MAX_PAGE_LIMIT,
            ):
                ids.update(str(r["id"]) for r in raw_items if isinstance(r, dict) and r.get("id") is not None)
            return ids
        except CursorExpiredError as exc:
            restarts += 1
            _restart_or_raise(client, exc, restarts, board_id)


def _restart_or_raise(client: MondayClient, exc: CursorExpiredError, restarts: int, board_id: str) -> None:
    client.stats.cursor_restarts += 1
    if restarts > client.max_cursor_restarts:
        raise CursorExpiredError(
            f"the id scan's cursor kept expiring; gave up after {restarts - 1} restart(s) "
            f"(max_cursor_restarts={client.max_cursor_restarts}); last error: {exc.reason}",
            code=exc.code,
            request_id=exc.request_id,
            board_id=board_id,
            purpose=exc.purpose or "next_item_ids_page",
        )
    log.warning(
        "cursor expired during the id scan of board %s (%s); scanning again from the first page "
        "(restart %d of max %d)",
        board_id,
        exc,
        restarts,
        client.max_cursor_restarts,
    )


def updated_item_stamps(client: MondayClient, board_id: str, since: dt.date) -> dict[str, str]:
    """Id -> `updated_at` (as Monday writes it) of the board's active items updated on or after
    `since`: the polling fallback's cheap question "what moved?" (id pages, largest page size). An
    expired cursor restarts the scan, like the id scan."""
    restarts = 0
    while True:
        stamps: dict[str, str] = {}
        try:
            for raw_items in _raw_pages(
                client,
                str(board_id),
                first_query=ITEM_STAMPS_FIRST_PAGE_QUERY,
                next_query=ITEM_STAMPS_NEXT_PAGE_QUERY,
                purposes=("item_stamps_page", "next_item_stamps_page"),
                query_params=updated_since_params(since),
                limit=MAX_PAGE_LIMIT,
            ):
                for raw in raw_items:
                    if isinstance(raw, dict) and raw.get("id") is not None:
                        stamps[str(raw["id"])] = str(raw.get("updated_at") or "")
            return stamps
        except CursorExpiredError as exc:
            restarts += 1
            _restart_or_raise(client, exc, restarts, str(board_id))


def active_item_ids(client: MondayClient, board_id: str) -> set[str]:
    return _scan_item_ids(client, str(board_id), None)


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
