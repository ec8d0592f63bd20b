"""GraphQL mutations (item changes, webhooks) and the `webhooks` query.

Every item mutation validates its arguments the way Monday answers (InvalidBoardIdException,
InvalidItemIdException, InvalidColumnIdException, ColumnValueException), then runs the engine's
control op (`op_create_item`, `op_update_item`, ...), so `updated_at`, values, states and webhook
events are the same whichever way an item changes. JSON arguments arrive as Monday's JSON string
or as an object; a plain string value is Monday's "simple" form (a status label, "2026-11-02",
"a@b.c label", ...), converted by `simple_value`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from customer_master.sandbox.model import STATE_DELETED, Board, Column, Item
from customer_master.sandbox.resolvers import GETTERS, Ctx, MondayError, invalid_argument
from customer_master.sandbox.webhooks import EVENT_TYPES, MAX_URL_LENGTH, ChallengeFailed

CHALLENGE_FAILED_MESSAGE = "Webhook Failed to send challenge to url"


def _json_arg(value: Any, name: str) -> Any:
    if isinstance(value, (str, bytes)):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise invalid_argument(f"{name} is not valid JSON", argument=name) from None
    return value


def _board(ctx: Ctx, board_id) -> Board:
    board = ctx.engine.ws.boards.get(str(board_id))
    if board is None:
        raise MondayError("Board not found", "InvalidBoardIdException", board_id=str(board_id))
    return board


def _item(ctx: Ctx, item_id, board: Board | None = None) -> Item:
    if item_id is None:
        raise invalid_argument("item_id is required", argument="item_id")
    try:
        item = ctx.engine.ws.items_by_id.get(int(item_id))
    except ValueError:
        item = None
    if item is None or item.state == STATE_DELETED or (board is not None and item.board_id != board.id):
        raise MondayError("Item not found in board", "InvalidItemIdException", item_id=str(item_id))
    return item


def _column(board: Board, column_id: str) -> Column:
    col = board.columns_by_id.get(column_id)
    if col is None or col.type == "name":
        raise MondayError(
            "This column ID doesn't exist for the board",
            "InvalidColumnIdException",
            column_id=column_id,
        )
    return col


def simple_value(col: Column, text: str | None) -> Any:
    """Monday's simple string form of a value -> the value's JSON form (what `parse_value` reads)."""
    text = (text or "").strip()
    if not text:
        return None
    if text.startswith("{"):  # some clients send the JSON form as a string here too
        try:
            decoded = orjson.loads(text)
            if isinstance(decoded, dict):
                return decoded
        except orjson.JSONDecodeError:
            pass
    t = col.type
    first, _, rest = text.partition(" ")
    if t == "status":
        if text not in col.labels.values() and text.isdigit():
            return {"index": int(text)}
        return {"label": text}
    if t == "dropdown":
        return {"labels": [s.strip() for s in text.split(",") if s.strip()]}
    if t in ("text", "long_text"):
        return {"text": text}
    if t == "date":
        return {"date": first, "time": rest.strip() or None}
    if t == "email":
        return {"email": first, "text": rest.strip() or first}
    if t == "phone":
        return {"phone": first, "countryShortName": rest.strip()}
    if t == "timeline":
        return {"from": first, "to": rest.strip()}
    if t == "people":
        ids = [s.strip() for s in text.split(",") if s.strip()]
        return {"personsAndTeams": [{"id": int(i), "kind": "person"} for i in ids if i.isdigit()]}
    if t == "checkbox":
        return {"checked": "true"}
    if t == "hour":
        hour, _, minute = text.partition(":")
        return {"hour": int(hour), "minute": int(minute or 0)} if hour.isdigit() else text
    return text


def _value(col: Column, value: Any) -> Any:
    return simple_value(col, value) if isinstance(value, str) else value


def _split_values(board: Board, column_values: Any) -> tuple[str | None, dict]:
    """(new name or None, {column id: value in JSON form}) of a column_values argument."""
    mapping = _json_arg(column_values, "column_values") or {}
    if not isinstance(mapping, dict):
        raise invalid_argument("column_values must be a JSON object", argument="column_values")
    name = mapping.pop("name", None)
    values = {column_id: _value(_column(board, column_id), v) for column_id, v in mapping.items()}
    return (None if name is None else str(name)), values


def _run(op: Callable[[], dict]) -> dict:
    """Run an engine op; a value it cannot parse is Monday's ColumnValueException."""
    try:
        return op()
    except ValueError as exc:
        raise MondayError(str(exc), "ColumnValueException") from None


# --------------------------------------------------------------------------- item mutations


def m_create_item(_src, args: dict, ctx: Ctx) -> Item:
    board = _board(ctx, args["board_id"])
    _, values = _split_values(board, args.get("column_values"))
    group_id = args.get("group_id")
    if group_id is not None and group_id not in board.groups_by_id:
        raise MondayError("Group not found", "InvalidGroupIdException", group_id=group_id)
    result = _run(lambda: ctx.engine.op_create_item(board.id, args["item_name"], values, group_id))
    return ctx.engine.ws.items_by_id[int(result["item_id"])]


def _update(ctx: Ctx, board: Board, item: Item, name: str | None, values: dict) -> Item:
    _run(lambda: ctx.engine.op_update_item(board.id, item.id, name=name, column_values=values))
    return item


def m_change_column_value(_src, args: dict, ctx: Ctx) -> Item:
    board = _board(ctx, args["board_id"])
    item = _item(ctx, args.get("item_id"), board)
    value = _json_arg(args["value"], "value")
    if args["column_id"] == "name":
        return _update(ctx, board, item, str(value), {})
    col = _column(board, args["column_id"])
    return _update(ctx, board, item, None, {col.id: _value(col, value)})


def m_change_simple_column_value(_src, args: dict, ctx: Ctx) -> Item:
    board = _board(ctx, args["board_id"])
    item = _item(ctx, args.get("item_id"), board)
    if args["column_id"] == "name":
        return _update(ctx, board, item, args.get("value") or "", {})
    col = _column(board, args["column_id"])
    return _update(ctx, board, item, None, {col.id: simple_value(col, args.get("value"))})


def m_change_multiple_column_values(_src, args: dict, ctx: Ctx) -> Item:
    board = _board(ctx, args["board_id"])
    item = _item(ctx, args.get("item_id"), board)
    name, values = _split_values(board, args["column_values"])
    return _update(ctx, board, item, name, values)


def m_move_item_to_group(_src, args: dict, ctx: Ctx) -> Item:
    item = _item(ctx, args.get("item_id"))
    board = _board(ctx, item.board_id)
    group_id = args["group_id"]
    if group_id not in board.groups_by_id:
        raise MondayError("Group not found", "InvalidGroupIdException", group_id=group_id)
    _run(lambda: ctx.engine.op_move_item(board.id, item.id, group_id))
    return item


def m_archive_item(_src, args: dict, ctx: Ctx) -> Item:
    item = _item(ctx, args.get("item_id"))
    _run(lambda: ctx.engine.op_archive_item(item.board_id, item.id))
    return item


def m_delete_item(_src, args: dict, ctx: Ctx) -> Item:
    item = _item(ctx, args.get("item_id"))
    _run(lambda: ctx.engine.op_delete_item(item.board_id, item.id))
    return item


# --------------------------------------------------------------------------- webhooks


def _webhook_config(event: str, config: Any, board: Board) -> dict | None:
    config = _json_arg(config, "config")
    if config is not None and not isinstance(config, dict):
        raise invalid_argument("config must be a JSON object", argument="config")
    if event == "change_specific_column_value":
        column_id = (config or {}).get("columnId")
        if not column_id:
            raise invalid_argument("config.columnId is required for change_specific_column_value")
        _column(board, str(column_id))
    return config


def m_create_webhook(_src, args: dict, ctx: Ctx) -> dict:
    board = _board(ctx, args["board_id"])
    url, event = args["url"], args["event"]
    if event not in EVENT_TYPES:
        raise invalid_argument(f"Unsupported webhook event {event}", argument="event")
    if len(url) > MAX_URL_LENGTH or not url.startswith(("http://", "https://")):
        raise invalid_argument(f"url must be an http(s) URL of at most {MAX_URL_LENGTH} characters")
    config = _webhook_config(event, args.get("config"), board)
    engine = ctx.engine
    try:
        with engine.unlocked():  # the receiver may call the API while it answers
            engine.webhooks.challenge(url)
    except ChallengeFailed:
        raise MondayError(CHALLENGE_FAILED_MESSAGE, "WebhookChallengeFailedException") from None
    return engine.webhooks.add(board.id, url, event, config).graphql()


def m_delete_webhook(_src, args: dict, ctx: Ctx) -> dict:
    try:
        webhook_id = int(args["id"])
    except ValueError:
        webhook_id = -1
    hook = ctx.engine.webhooks.remove(webhook_id)
    if hook is None:
        raise MondayError("Webhook not found", "ResourceNotFoundException", webhook_id=str(args["id"]))
    return hook.graphql()


def q_webhooks(_src, args: dict, ctx: Ctx) -> list[dict]:
    return [h.graphql() for h in ctx.engine.webhooks.webhooks(str(args["board_id"]))]


def install_mutation_getters() -> None:
    """Register the mutations, `Webhook` and `Query.webhooks` in the shared getter table."""
    GETTERS["Mutation"] = {
        "complexity": lambda _s, a, ctx: ctx.complexity,
        "create_item": m_create_item,
        "change_column_value": m_change_column_value,
        "change_simple_column_value": m_change_simple_column_value,
        "change_multiple_column_values": m_change_multiple_column_values,
        "move_item_to_group": m_move_item_to_group,
        "archive_item": m_archive_item,
        "delete_item": m_delete_item,
        "create_webhook": m_create_webhook,
        "delete_webhook": m_delete_webhook,
    }
    GETTERS["Webhook"] = {
        name: (lambda n: lambda w, a, c: w[n])(name) for name in ("id", "board_id", "event", "config")
    }
    GETTERS["Query"]["webhooks"] = q_webhooks
