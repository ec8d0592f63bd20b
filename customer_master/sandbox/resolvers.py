"""Field getters shared by both executors, items_page filtering, and the cursor store.

`GETTERS[type_name][field_name](source, args, ctx)` returns the already-serialised value of a
field (ids as str, floats as float, enums as their names). graphql-core calls them through one
generic field resolver; the fast path (`fastpath.py`) calls the very same functions, so the two
cannot disagree about data, only about walking the selection sets.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from customer_master.sandbox.directory import API_USER, Directory, Update, visible_update
from customer_master.sandbox.model import (
    STATE_ACTIVE,
    STATE_DELETED,
    STATE_NAMES,
    Board,
    Column,
    Group,
    Item,
    Workspace,
)
from customer_master.sandbox.values import full_renderer, item_ts, malform, malformed_hash, stamps

MAX_PAGE_LIMIT = 500
MAX_ITEM_IDS = 100
CURRENT_VERSION = "2026-07"
VERSIONS: dict[str, str] = {"2026-04": "maintenance", "2026-07": "current", "2026-10": "release_candidate"}

CURSOR_EXPIRED_MESSAGE = (
    "CursorExpiredError: The cursor provided for pagination has expired. "
    "Please refresh your query and obtain a new cursor to continue fetching items"
)


class MondayError(Exception):
    """An application error: HTTP 200, `errors[]` entry with Monday's `extensions.code`."""

    def __init__(self, message: str, code: str, *, status_code: int | None = 400, **error_data) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict = {"code": code}
        if error_data:
            self.extensions["error_data"] = error_data
        elif status_code is not None:
            self.extensions["error_data"] = {}
        if status_code is not None:
            self.extensions["status_code"] = status_code


class RequestAbort(MondayError):
    """An error that fails the whole request (no `data`), e.g. Monday's CursorException."""

    def __init__(
        self, message: str, code: str, http_status: int = 200, extensions: dict | None = None
    ) -> None:
        Exception.__init__(self, message)
        self.message = message
        self.http_status = http_status
        self.extensions = {"code": code, **(extensions or {})}


def cursor_expired() -> RequestAbort:
    return RequestAbort(CURSOR_EXPIRED_MESSAGE, "CursorException")


def invalid_argument(message: str, **error_data) -> MondayError:
    return MondayError(message, "InvalidArgumentException", **error_data)


class Ctx:
    """Per-request execution context."""

    __slots__ = (
        "engine",
        "ws",
        "version",
        "complexity",
        "malformed_rate",
        "purge_deleted",
        "hidden_fraction",
        "hidden_board",
        "now",
    )

    def __init__(self, engine, ws: Workspace, version: str, complexity: dict | None = None) -> None:
        self.engine = engine
        self.ws = ws
        self.version = version
        self.complexity = complexity
        faults = engine.faults
        self.malformed_rate = faults.malformed_rate
        self.purge_deleted = faults.purge_deleted
        self.hidden_fraction = faults.hidden_fraction
        self.hidden_board = faults.hidden_board
        self.now = engine.now()

    def hides_on(self, board_id: str) -> bool:
        """Whether the `hidden_fraction` fault hides items of this board."""
        return self.hidden_fraction > 0 and self.hidden_board in ("", board_id)


def is_hidden(item: Item, ctx: Ctx) -> bool:
    """Fault `hidden_fraction`: the token cannot see this item. The share is chosen by hashing the
    item id alone, so the same items stay hidden on every request and every page."""
    return ctx.hides_on(item.board_id) and zlib.crc32(item.sid.encode()) / 4294967296.0 < ctx.hidden_fraction


class CV:
    """A column value as graphql-core sees it: the column plus the rendered field dict."""

    __slots__ = ("col", "fields")

    def __init__(self, col: Column, fields: dict) -> None:
        self.col = col
        self.fields = fields


def cell_fields(col: Column, item: Item, ctx: Ctx, item_stamps: tuple[str, str] | None = None) -> dict:
    """Rendered fields of one cell, with the malformed-value fault applied deterministically."""
    slot = col.slot
    cells = item.cells
    raw = cells[slot] if slot < len(cells) else None
    iso, changed = item_stamps or stamps(item.updated)
    fields = full_renderer(col.type)(col, raw, iso, changed, ctx.ws, None)
    rate = ctx.malformed_rate
    if rate and raw is not None and malformed_hash(item.id, col.id) < rate:
        fields = malform(fields, item.id, col.id)
    return fields


def select_columns(board: Board, ids, types) -> list[Column]:
    cols = board.value_columns
    if ids is not None:
        wanted = set(ids)
        cols = [c for c in cols if c.id in wanted]
    if types is not None:
        wanted_types = set(types)
        cols = [c for c in cols if c.type in wanted_types]
    return cols


# --------------------------------------------------------------------------- items_page filters


def _day_number(day: str) -> int:
    return dt.date.fromisoformat(day).toordinal() - 719163  # days since 1970-01-01


_RELATIVE_DAYS = {"TODAY": 0, "YESTERDAY": -1, "TOMORROW": 1, "ONE_WEEK_AGO": -7, "ONE_MONTH_AGO": -30}


def _compare_days(values, ctx: Ctx) -> list[int]:
    if not isinstance(values, list):
        values = [values]
    days: list[int] = []
    today = ctx.now.date().toordinal() - 719163
    for v in values:
        if not isinstance(v, str):
            raise invalid_argument(f"Invalid date compare value: {v!r}")
        token = v.strip()
        if token.upper() == "EXACT":
            continue
        if token.upper() in _RELATIVE_DAYS:
            days.append(today + _RELATIVE_DAYS[token.upper()])
            continue
        try:
            days.append(_day_number(token[:10]))
        except ValueError:
            raise invalid_argument(f"Invalid date compare value: {v!r}, expected YYYY-MM-DD") from None
    return days


def _cell_getter(col: Column) -> Callable[[Item], Any]:
    """The raw cell of `col` (its form depends on the column type, see `values.py`)."""
    slot = col.slot

    def get(it: Item):
        cells = it.cells
        return cells[slot] if slot < len(cells) else None

    return get


def _date_of(raw) -> str | None:
    if raw is None:
        return None
    return raw[0] if isinstance(raw, tuple) else raw


def _compile_rule(board: Board, rule: dict, ctx: Ctx) -> Callable[[Item], bool]:
    column_id = str(rule.get("column_id"))
    op = rule.get("operator") or "any_of"
    value = rule.get("compare_value")
    ordered = ("greater_than", "greater_than_or_equals", "lower_than", "lower_than_or_equal", "between")

    def day_predicate(day_of: Callable[[Item], int | None]) -> Callable[[Item], bool]:
        if op in ("is_empty", "is_not_empty"):
            want_empty = op == "is_empty"
            return lambda it: (day_of(it) is None) == want_empty
        days = _compare_days(value, ctx)
        if op == "between":
            if len(days) != 2:
                raise invalid_argument("between expects two dates")
            lo, hi = sorted(days)
            return lambda it: (d := day_of(it)) is not None and lo <= d <= hi
        if not days:
            raise invalid_argument(f"Missing compare_value for rule on {column_id}")
        ref = days[0]
        if op == "greater_than_or_equals":
            return lambda it: (d := day_of(it)) is not None and d >= ref
        if op == "greater_than":
            return lambda it: (d := day_of(it)) is not None and d > ref
        if op == "lower_than":
            return lambda it: (d := day_of(it)) is not None and d < ref
        if op == "lower_than_or_equal":
            return lambda it: (d := day_of(it)) is not None and d <= ref
        if op == "any_of":
            wanted = set(days)
            return lambda it: day_of(it) in wanted
        if op == "not_any_of":
            unwanted = set(days)
            return lambda it: day_of(it) not in unwanted
        raise invalid_argument(f"Operator {op} is not supported for date rules (column {column_id})")

    if column_id == "__last_updated__":
        return day_predicate(lambda it: it.updated // 86400)
    if column_id == "__creation_log__":
        return day_predicate(lambda it: it.created // 86400)
    if column_id == "name":
        return _text_predicate(lambda it: it.name or None, op, value, column_id)
    col = board.columns_by_id.get(column_id)
    if col is None:
        raise MondayError(
            f"Column {column_id} does not exist on board {board.id}",
            "InvalidColumnIdException",
            column_id=column_id,
        )
    get = _cell_getter(col)
    t = col.type
    if t == "date":
        cache: dict[str, int] = {}

        def day_of(it: Item) -> int | None:
            day = _date_of(get(it))
            if day is None:
                return None
            n = cache.get(day)
            if n is None:
                try:
                    n = cache[day] = _day_number(day)
                except ValueError:
                    return None
            return n

        return day_predicate(day_of)
    if t == "numbers":
        if op in ("is_empty", "is_not_empty"):
            want_empty = op == "is_empty"
            return lambda it: (get(it) is None) == want_empty
        vals = value if isinstance(value, list) else [value]
        try:
            nums = [float(v) for v in vals]
        except (TypeError, ValueError):
            raise invalid_argument(f"Invalid numeric compare value {value!r}") from None

        def num(it: Item) -> float | None:
            raw = get(it)
            try:
                return float(raw) if raw is not None else None
            except ValueError:
                return None

        if op in ordered and op != "between" and nums:
            ref = nums[0]
            cmp = {
                "greater_than": lambda a: a > ref,
                "greater_than_or_equals": lambda a: a >= ref,
                "lower_than": lambda a: a < ref,
                "lower_than_or_equal": lambda a: a <= ref,
            }[op]
            return lambda it: (n := num(it)) is not None and cmp(n)
        if op == "between" and len(nums) == 2:
            lo, hi = sorted(nums)
            return lambda it: (n := num(it)) is not None and lo <= n <= hi
        if op in ("any_of", "not_any_of"):
            wanted_nums = set(nums)
            neg = op == "not_any_of"
            return lambda it: (num(it) in wanted_nums) != neg
        raise invalid_argument(f"Operator {op} is not supported for numbers rules (column {column_id})")
    if t in ("status", "dropdown"):
        if op in ("is_empty", "is_not_empty"):
            want_empty = op == "is_empty"
            return lambda it: (not get(it)) == want_empty
        if op not in ("any_of", "not_any_of"):
            raise invalid_argument(f"Operator {op} is not supported for {t} rules (column {column_id})")
        vals = value if isinstance(value, list) else [value]
        by_label = {label: idx for idx, label in col.labels.items()}
        wanted: set[int] = set()
        for v in vals:
            if isinstance(v, int) or (isinstance(v, str) and v.lstrip("-").isdigit()):
                wanted.add(int(v))
            elif isinstance(v, str) and v in by_label:
                wanted.add(by_label[v])
            else:
                raise invalid_argument(f"Invalid compare value {v!r} for {t} column {column_id}")
        neg = op == "not_any_of"
        if t == "status":
            return lambda it: (get(it) in wanted) != neg
        return lambda it: bool(wanted.intersection(get(it) or ())) != neg
    if t in ("text", "long_text", "email", "phone"):

        def text_of(it: Item) -> str | None:
            raw = get(it)
            if raw is None:
                return None
            return raw if isinstance(raw, str) else raw[0]

        return _text_predicate(text_of, op, value, column_id)
    if t == "checkbox" and op in ("is_empty", "is_not_empty"):
        want_empty = op == "is_empty"
        return lambda it: (not get(it)) == want_empty
    if t == "board_relation" and op in ("is_empty", "is_not_empty", "any_of"):
        if op == "any_of":
            wanted_ids = {int(v) for v in (value if isinstance(value, list) else [value])}
            return lambda it: bool(wanted_ids.intersection(get(it) or ()))
        want_empty = op == "is_empty"
        return lambda it: (not get(it)) == want_empty
    raise invalid_argument(f"Rules on {t} columns with operator {op} are not supported by the sandbox")


def _text_predicate(text_of, op: str, value, column_id: str) -> Callable[[Item], bool]:
    if op in ("is_empty", "is_not_empty"):
        want_empty = op == "is_empty"
        return lambda it: (not text_of(it)) == want_empty
    vals = [str(v) for v in (value if isinstance(value, list) else [value])]
    if op == "any_of":
        wanted = set(vals)
        return lambda it: (text_of(it) or "") in wanted
    if op == "not_any_of":
        unwanted = set(vals)
        return lambda it: (text_of(it) or "") not in unwanted
    if op in ("contains_text", "contains_terms"):
        needle = vals[0].lower() if vals else ""
        return lambda it: needle in (text_of(it) or "").lower()
    if op == "not_contains_text":
        needle = vals[0].lower() if vals else ""
        return lambda it: needle not in (text_of(it) or "").lower()
    if op == "starts_with":
        prefix = vals[0].lower() if vals else ""
        return lambda it: (text_of(it) or "").lower().startswith(prefix)
    raise invalid_argument(f"Operator {op} is not supported for text rules (column {column_id})")


_ORDER_KEYS: dict[str, Callable[[Item], object]] = {
    "__last_updated__": lambda it: it.updated,
    "__creation_log__": lambda it: it.created,
    "name": lambda it: it.name,
}


@dataclass(slots=True)
class Chain:
    """One items_page query: which board/group, which filter, which order."""

    board_id: str
    group_id: str | None
    predicate: Callable[[Item], bool] | None
    key: str
    order: list | None  # [(key_fn, descending)] or None for item id order


def build_chain(board: Board, group_id: str | None, query_params: dict | None, ctx: Ctx) -> Chain:
    predicate = None
    order = None
    canon = orjson.dumps([board.id, group_id, query_params], option=orjson.OPT_SORT_KEYS, default=str)
    if query_params:
        preds: list[Callable[[Item], bool]] = []
        for rule in query_params.get("rules") or []:
            preds.append(_compile_rule(board, rule, ctx))
        ids = query_params.get("ids")
        if ids is not None:
            try:
                id_set = {int(i) for i in ids}
            except ValueError:
                raise invalid_argument("query_params.ids must be item ids") from None
            preds.insert(0, lambda it: it.id in id_set)
        use_or = (query_params.get("operator") or "and") == "or"
        if len(preds) == 1:
            predicate = preds[0]
        elif preds and use_or:
            predicate = lambda it: any(p(it) for p in preds)  # noqa: E731
        elif preds:
            predicate = lambda it: all(p(it) for p in preds)  # noqa: E731
        order_by = query_params.get("order_by")
        if order_by:
            order = []
            for ob in order_by:
                fn = _ORDER_KEYS.get(str(ob.get("column_id")))
                if fn is None:
                    raise invalid_argument(
                        f"order_by on {ob.get('column_id')} is not supported by the sandbox "
                        "(use __last_updated__, __creation_log__ or name)"
                    )
                order.append((fn, (ob.get("direction") or "asc") == "desc"))
    return Chain(board.id, group_id, predicate, hashlib.sha1(canon).hexdigest()[:12], order)


class ItemsResponse:
    __slots__ = ("cursor", "items")

    def __init__(self, cursor: str | None, items: list[Item]) -> None:
        self.cursor = cursor
        self.items = items


@dataclass(slots=True)
class CursorEntry:
    chain: Chain
    pos: int  # last item id returned (id order) or index into `snapshot` (custom order)
    page_no: int  # pages already served on this chain
    started: float  # when the chain's first page was served: the lifetime counts from there
    epoch: int
    snapshot: list[int] | None


class CursorStore:
    """Opaque cursors with a TTL. Tokens are deterministic (same chain, same position, same
    token), so identical runs give byte-identical responses.

    As on Monday ("valid for 60 minutes after the initial request"), every cursor of a chain
    expires `ttl` seconds after the chain's *first* page was served, however fresh the cursor:
    a chain that takes longer than the lifetime to page through breaks part way."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self.entries: dict[str, CursorEntry] = {}
        self.epoch = 0
        self.issued = 0

    def expire_all(self) -> None:
        self.epoch += 1
        self.entries.clear()

    def _issue(self, entry: CursorEntry) -> str:
        raw = f"{entry.page_no},{entry.chain.board_id},{entry.chain.key},{entry.pos}|{entry.epoch}"
        token = base64.b64encode(raw.encode()).decode()
        if len(self.entries) > 20000:
            self._prune()
        self.entries[token] = entry
        self.issued += 1
        return token

    def _prune(self) -> None:
        now = time.monotonic()
        for token in [
            t for t, e in self.entries.items() if now - e.started > self.ttl or e.epoch != self.epoch
        ]:
            del self.entries[token]

    def first_page(self, board: Board, chain: Chain, limit: int, ctx: Ctx) -> ItemsResponse:
        snapshot = None
        if chain.order is not None:
            items = [it for it in board.items if it.state == STATE_ACTIVE]
            for fn, desc in reversed(chain.order):
                items.sort(key=fn, reverse=desc)
            snapshot = [it.id for it in items]
        return self._page(board, chain, None, 0, snapshot, limit, ctx, time.monotonic())

    def next_page(self, token: str, limit: int, ctx: Ctx) -> ItemsResponse:
        entry = self.entries.get(token)
        if entry is None or entry.epoch != self.epoch or time.monotonic() - entry.started > self.ttl:
            raise cursor_expired()
        after = ctx.engine.faults.cursor_expire_after_pages
        if after and entry.page_no >= after:
            raise cursor_expired()
        board = ctx.ws.boards.get(entry.chain.board_id)
        if board is None:
            raise cursor_expired()
        return self._page(
            board, entry.chain, entry.pos, entry.page_no, entry.snapshot, limit, ctx, entry.started
        )

    def _page(
        self,
        board: Board,
        chain: Chain,
        pos,
        page_no: int,
        snapshot: list[int] | None,
        limit: int,
        ctx: Ctx,
        started: float,
    ) -> ItemsResponse:
        out: list[Item] = []
        more = False
        gid = chain.group_id
        pred = chain.predicate
        hide = ctx.hides_on(board.id)
        it: Item | None  # None: a snapshot's item that no longer exists
        if snapshot is None:
            items = board.items
            i = 0 if pos is None else board.position_after(pos)
            n = len(items)
            while i < n:
                it = items[i]
                i += 1
                if (
                    it.state
                    or (gid is not None and it.group_id != gid)
                    or (pred is not None and not pred(it))
                    or (hide and is_hidden(it, ctx))
                ):
                    continue
                if len(out) == limit:
                    more = True
                    break
                out.append(it)
            next_pos = out[-1].id if out else 0
        else:
            by_id = ctx.ws.items_by_id
            i = pos or 0
            n = len(snapshot)
            while i < n:
                it = by_id.get(snapshot[i])
                i += 1
                if it is None or it.state != STATE_ACTIVE:
                    continue
                if (gid is not None and it.group_id != gid) or (pred is not None and not pred(it)):
                    continue
                if hide and is_hidden(it, ctx):
                    continue
                if len(out) == limit:
                    more = True
                    i -= 1
                    break
                out.append(it)
            next_pos = i
        cursor = None
        if more:
            cursor = self._issue(CursorEntry(chain, next_pos, page_no + 1, started, self.epoch, snapshot))
        return ItemsResponse(cursor, out)


# --------------------------------------------------------------------------- getters


def _check_limit(limit: int) -> None:
    if limit is None or limit < 1 or limit > MAX_PAGE_LIMIT:
        raise invalid_argument(
            f"The limit argument must be between 1 and {MAX_PAGE_LIMIT}, received {limit}",
            argument="limit",
            max=MAX_PAGE_LIMIT,
        )


def _items_page(board: Board, group_id: str | None, args: dict, ctx: Ctx) -> ItemsResponse:
    limit = args.get("limit", 25)
    _check_limit(limit)
    cursor = args.get("cursor")
    query_params = args.get("query_params")
    if cursor is not None:
        if query_params is not None:
            raise invalid_argument("cursor and query_params are mutually exclusive")
        return ctx.engine.cursors.next_page(cursor, limit, ctx)
    chain = build_chain(board, group_id, query_params, ctx)
    return ctx.engine.cursors.first_page(board, chain, limit, ctx)


def q_boards(_src, args: dict, ctx: Ctx) -> list[Board]:
    boards = sorted(ctx.ws.boards.values(), key=lambda b: int(b.id))
    ids = args.get("ids")
    if ids is not None:
        wanted = {str(i) for i in ids}
        boards = [b for b in boards if b.id in wanted]
    if args.get("state", "active") not in ("active", "all"):
        boards = []
    kind = args.get("board_kind")
    if kind is not None and kind != "public":
        boards = []
    workspace_ids = args.get("workspace_ids")
    if workspace_ids is not None:
        wanted_ws = {str(w) for w in workspace_ids}
        boards = [b for b in boards if b.workspace_id in wanted_ws]
    limit = args.get("limit", 25) or 25
    page = max(1, args.get("page", 1) or 1)
    return boards[(page - 1) * limit : page * limit]


def q_items(_src, args: dict, ctx: Ctx) -> list[Item]:
    ids = args.get("ids")
    exclude_nonactive = bool(args.get("exclude_nonactive"))
    limit = args.get("limit", 25) or 25
    page = max(1, args.get("page", 1) or 1)
    ws = ctx.ws
    if ids is not None:
        if len(ids) > MAX_ITEM_IDS:
            raise invalid_argument(
                f"Too many ids requested: {len(ids)}; the items query accepts at most {MAX_ITEM_IDS} ids",
                argument="ids",
                max=MAX_ITEM_IDS,
            )
        wanted = set()
        for i in ids:
            try:
                wanted.add(int(i))
            except ValueError:
                continue
        found = [ws.items_by_id[i] for i in wanted if i in ws.items_by_id]
    else:
        found = list(ws.items_by_id.values())
    if ctx.purge_deleted:
        found = [it for it in found if it.state != STATE_DELETED]
    if ctx.hidden_fraction:
        found = [it for it in found if not is_hidden(it, ctx)]
    if exclude_nonactive:
        found = [it for it in found if it.state == STATE_ACTIVE]
    found.sort(key=lambda it: it.id, reverse=bool(args.get("newest_first")))
    return found[(page - 1) * limit : page * limit]


def q_next_items_page(_src, args: dict, ctx: Ctx) -> ItemsResponse:
    limit = args.get("limit", 25)
    _check_limit(limit)
    return ctx.engine.cursors.next_page(args["cursor"], limit, ctx)


def q_version(_src, args: dict, ctx: Ctx) -> dict:
    return {"kind": VERSIONS.get(ctx.version, "current"), "value": ctx.version}


def q_versions(_src, args: dict, ctx: Ctx) -> list[dict]:
    return [{"kind": kind, "value": value} for value, kind in VERSIONS.items()]


# --------------------------------------------------------------------------- account-level objects


def _dir(ctx: Ctx) -> Directory:
    directory = ctx.ws.directory
    assert directory is not None, "generate_workspace builds the directory"
    return directory


def _paged(rows: list, args: dict) -> list:
    """Monday's `limit` / `page` (page starts at 1); no limit = everything."""
    limit = args.get("limit")
    if not limit:
        return rows
    page = max(1, args.get("page") or 1)
    return rows[(page - 1) * limit : page * limit]


def _by_ids(rows: list[dict], ids) -> list[dict]:
    if ids is None:
        return rows
    wanted = {str(i) for i in ids}
    return [r for r in rows if r["id"] in wanted]


def filter_users(users: list[dict], args: dict) -> list[dict]:
    """`users(ids, emails, name, kind, non_active, newest_first, limit, page)` over `users`. Every
    user is an active, non-pending member, so `guests` and `non_active` select nobody."""
    users = _by_ids(users, args.get("ids"))
    emails = args.get("emails")
    if emails is not None:
        wanted = {e.lower() for e in emails if e}
        users = [u for u in users if u["email"].lower() in wanted]
    name = args.get("name")
    if name:
        needle = name.lower()
        users = [u for u in users if needle in u["name"].lower()]
    if args.get("kind") == "guests" or args.get("non_active"):
        users = []
    if args.get("newest_first"):
        users = sorted(users, key=lambda u: (u["created_at"], int(u["id"])), reverse=True)
    return _paged(users, args)


def q_users(_src, args: dict, ctx: Ctx) -> list[dict]:
    return filter_users(_dir(ctx).users, args)


def q_workspaces(_src, args: dict, ctx: Ctx) -> list[dict]:
    rows = _by_ids(_dir(ctx).workspaces, args.get("ids"))
    kind = args.get("kind")
    if kind is not None:
        rows = [w for w in rows if w["kind"] == kind]
    if args.get("state", "active") not in ("active", "all"):
        rows = []  # every workspace is active
    return _paged(rows, args)


def q_updates(_src, args: dict, ctx: Ctx) -> list[Update]:
    items = ctx.ws.items_by_id
    # Hidden items (fault) take their updates with them, as deleted ones do.
    rows = [u for u in _dir(ctx).updates if visible_update(u, items) and not is_hidden(items[u.item_id], ctx)]
    ids = args.get("ids")
    if ids is not None:
        wanted = {str(i) for i in ids}
        rows = [u for u in rows if u.sid in wanted]
    return _paged(rows, args)


def i_updates(item: Item, args: dict, ctx: Ctx) -> list[Update]:
    rows = [u for u in _dir(ctx).updates_by_item.get(item.id, ()) if visible_update(u, ctx.ws.items_by_id)]
    ids = args.get("ids")
    if ids is not None:
        wanted = {str(i) for i in ids}
        rows = [u for u in rows if u.sid in wanted]
    return _paged(rows, args)


def _top_group(board: Board) -> Group:
    return min(board.groups, key=lambda g: float(g.position))


def _update_field(name: str):
    def get(update: Update, args, ctx):
        return _dir(ctx).update_fields(update)[name]

    return get


def _items_count(board: Board, ctx: Ctx) -> int:
    return ctx.engine.items_count(board)


def i_column_values(item: Item, args: dict, ctx: Ctx) -> list[CV]:
    board = ctx.ws.boards[item.board_id]
    cols = select_columns(board, args.get("ids"), args.get("types"))
    item_stamps = stamps(item.updated)
    return [CV(col, cell_fields(col, item, ctx, item_stamps)) for col in cols]


def _attr(name: str):
    def get(obj, args, ctx):
        return getattr(obj, name)

    return get


def _key(name: str):
    def get(obj, args, ctx):
        return obj[name]

    return get


def _cv_field(name: str):
    def get(cv: CV, args, ctx):
        return cv.fields[name]

    return get


def _cv_column(cv: CV, args, ctx):
    return cv.col


# A dispatch table over every GraphQL type: the source is whatever backs the type (Board, Item, a
# rendered dict...) and the value whatever the field serialises to, hence Any both ways.
Getter = Callable[[Any, dict[str, Any], Ctx], Any]

GETTERS: dict[str, dict[str, Getter]] = {
    "Query": {
        "boards": q_boards,
        "items": q_items,
        "next_items_page": q_next_items_page,
        "complexity": lambda _s, a, ctx: ctx.complexity,
        "version": q_version,
        "versions": q_versions,
        "me": lambda _s, a, ctx: _dir(ctx).users_by_id[str(API_USER[0])],
        "users": q_users,
        "workspaces": q_workspaces,
        "tags": lambda _s, a, ctx: _by_ids(_dir(ctx).tags, a.get("ids")),
        "teams": lambda _s, a, ctx: _by_ids(_dir(ctx).teams, a.get("ids")),
        "updates": q_updates,
    },
    "Board": {
        "id": _attr("id"),
        "name": _attr("name"),
        "state": lambda b, a, c: "active",
        "board_kind": lambda b, a, c: "public",
        "type": lambda b, a, c: "board",
        "updated_at": lambda b, a, c: item_ts(b.updated),
        "items_count": lambda b, a, c: _items_count(b, c),
        "workspace_id": _attr("workspace_id"),
        "workspace": lambda b, a, c: _dir(c).workspaces_by_id.get(b.workspace_id),
        "owners": lambda b, a, c: [_dir(c).users_by_id[_dir(c).board_owners[b.id]]],
        "subscribers": lambda b, a, c: _dir(c).users,  # everyone follows every board
        "tags": lambda b, a, c: _dir(c).board_tags.get(b.id, []),
        "top_group": lambda b, a, c: _top_group(b),
        "columns": lambda b, a, c: [
            col
            for col in b.columns
            if (a.get("ids") is None or col.id in a["ids"])
            and (a.get("types") is None or col.type in a["types"])
        ],
        "groups": lambda b, a, c: [g for g in b.groups if a.get("ids") is None or g.id in a["ids"]],
        "items_page": lambda b, a, c: _items_page(b, None, a, c),
    },
    "Column": {
        name: _attr(name)
        for name in ("id", "title", "type", "settings_str", "archived", "description", "width")
    },
    "Group": {
        **{name: _attr(name) for name in ("id", "title", "color", "position", "archived", "deleted")},
        "items_page": lambda g, a, c: _items_page(c.ws.boards[g.board_id], g.id, a, c),
    },
    "ItemsResponse": {"cursor": _attr("cursor"), "items": _attr("items")},
    "Item": {
        "id": _attr("sid"),
        "name": _attr("name"),
        "state": lambda it, a, c: STATE_NAMES[it.state],
        "created_at": lambda it, a, c: item_ts(it.created),
        "updated_at": lambda it, a, c: item_ts(it.updated),
        "board": lambda it, a, c: c.ws.boards.get(it.board_id),
        "group": lambda it, a, c: c.ws.boards[it.board_id].groups_by_id.get(it.group_id),
        "parent_item": lambda it, a, c: None,
        "creator_id": lambda it, a, c: _dir(c).creator_id(it),
        "creator": lambda it, a, c: _dir(c).users_by_id[_dir(c).creator_id(it)],
        "subscribers": lambda it, a, c: _dir(c).item_subscribers(it),
        "updates": i_updates,
        "column_values": i_column_values,
    },
    "Complexity": {name: _key(name) for name in ("before", "query", "after", "reset_in_x_seconds")},
    "Version": {"kind": _key("kind"), "value": _key("value")},
    "User": {
        **{
            name: _key(name)
            for name in (
                "id",
                "name",
                "email",
                "enabled",
                "is_admin",
                "is_guest",
                "is_pending",
                "is_view_only",
                "created_at",
                "join_date",
                "title",
                "country_code",
                "time_zone_identifier",
                "url",
            )
        },
        "account": lambda u, a, c: _dir(c).account,
        "teams": lambda u, a, c: _by_ids(_dir(c).teams_of[u["id"]], a.get("ids")),
    },
    "Account": {name: _key(name) for name in ("id", "name", "slug")},
    "Team": {
        **{name: _key(name) for name in ("id", "name", "picture_url", "is_guest")},
        "users": lambda t, a, c: filter_users(
            [_dir(c).users_by_id[u] for u in _dir(c).team_members[t["id"]]], a
        ),
        "owners": lambda t, a, c: _by_ids(
            [_dir(c).users_by_id[_dir(c).team_members[t["id"]][0]]], a.get("ids")
        ),
    },
    "Tag": {name: _key(name) for name in ("id", "name", "color")},
    "Workspace": {
        **{
            name: _key(name)
            for name in ("id", "name", "kind", "description", "state", "created_at", "is_default_workspace")
        },
        # The API user administers the workspace; everybody is a member.
        "owners_subscribers": lambda w, a, c: _paged([_dir(c).users_by_id[str(API_USER[0])]], a),
        "users_subscribers": lambda w, a, c: _paged(_dir(c).users, a),
    },
    "Update": {
        **{
            name: _update_field(name)
            for name in (
                "id",
                "body",
                "text_body",
                "creator_id",
                "item_id",
                "created_at",
                "updated_at",
                "edited_at",
            )
        },
        "creator": lambda u, a, c: _dir(c).users_by_id.get(str(u.creator_id)),
    },
    "StatusLabelStyle": {"color": _key("color"), "border": _key("border")},
    "DropdownValueOption": {"id": _key("id"), "label": _key("label")},
    "PeopleEntity": {"id": _key("id"), "kind": _key("kind")},
}


def install_column_value_getters(schema) -> None:
    """Every concrete ColumnValue type reads its fields from the rendered dict; `column` is the column."""
    from graphql import GraphQLObjectType

    iface = schema.type_map["ColumnValue"]
    for t in schema.get_possible_types(iface):
        assert isinstance(t, GraphQLObjectType)
        getters = {name: _cv_field(name) for name in t.fields}
        getters["column"] = _cv_column
        GETTERS[t.name] = getters


def getter_for(type_name: str, field_name: str) -> Getter:
    try:
        return GETTERS[type_name][field_name]
    except KeyError:
        raise KeyError(f"no getter for {type_name}.{field_name}") from None


def field_resolver(source, info, **args):
    """graphql-core's field resolver: dispatch to the shared getter table."""
    return GETTERS[info.parent_type.name][info.field_name](source, args, info.context)


def type_resolver(value, info, abstract_type):
    return value.fields["__typename"]


__all__ = [
    "Board",
    "Column",
    "Ctx",
    "CursorStore",
    "GETTERS",
    "Group",
    "Item",
    "MondayError",
    "RequestAbort",
]
