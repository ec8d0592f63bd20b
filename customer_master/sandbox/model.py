"""The in-memory workspace the sandbox serves: boards, columns, groups and items.

Cells are stored compactly as small Python values per item (one list slot per column, see
`values.py` for the raw representation of each column type); Monday's `text`/`value` JSON and the
typed fields are rendered from them at query time. Items of a board are kept sorted by id so
cursors can page by keyset and a 100,000-item board stays a few tens of MB.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from customer_master.sandbox.boards import ColumnSpec, status_color

if TYPE_CHECKING:  # directory.py imports this module
    from customer_master.sandbox.directory import Directory

STATE_ACTIVE = 0
STATE_ARCHIVED = 1
STATE_DELETED = 2
STATE_NAMES = ("active", "archived", "deleted")
# Column-layout versions are unique across boards and workspaces, so caches keyed on
# (board id, version) can never confuse a regenerated board with an older one.
_LAYOUT_VERSIONS = itertools.count(1)


def iso_z(ts: int) -> str:
    """Epoch seconds -> Monday's item timestamp form, e.g. 2026-10-02T10:11:12Z."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Column:
    __slots__ = (
        "id",
        "title",
        "type",
        "settings_str",
        "archived",
        "description",
        "width",
        "slot",
        "labels",
        "done_index",
    )

    def __init__(
        self,
        id: str,
        title: str,
        type: str,
        slot: int,
        labels: dict[int, str] | None = None,
        done_index: int | None = None,
        settings_str: str | None = None,
    ) -> None:
        self.id = id
        self.title = title
        self.type = type
        self.slot = slot
        self.labels = labels or {}
        self.done_index = done_index
        self.archived = False
        self.description = None
        self.width = None
        self.settings_str = (
            settings_str if settings_str is not None else default_settings(type, self.labels, done_index)
        )

    @classmethod
    def from_spec(cls, column_id: str, spec: ColumnSpec, slot: int) -> Column:
        return cls(
            column_id,
            spec.title,
            spec.type,
            slot,
            labels=dict(spec.labels),
            done_index=spec.done_index,
            settings_str=spec.settings,
        )


def default_settings(col_type: str, labels: dict[int, str], done_index: int | None = None) -> str:
    obj: dict[str, Any]
    if col_type == "status":
        obj = {
            "done_colors": [done_index if done_index is not None else 1],
            "labels": {str(i): label for i, label in sorted(labels.items())},
            "labels_colors": {
                str(i): {
                    "color": status_color(i)[0],
                    "border": status_color(i)[1],
                    "var_name": status_color(i)[2],
                }
                for i in sorted(labels)
            },
        }
        return orjson.dumps(obj).decode()
    if col_type == "dropdown":
        obj = {"hide_footer": False, "labels": [{"id": i, "name": n} for i, n in sorted(labels.items())]}
        return orjson.dumps(obj).decode()
    return "{}"


@dataclass(slots=True)
class Group:
    id: str
    title: str
    color: str
    position: str
    archived: bool = False
    deleted: bool = False
    board_id: str = ""


class Item:
    __slots__ = ("id", "sid", "name", "state", "group_id", "created", "updated", "cells", "board_id")

    def __init__(
        self,
        id: int,
        name: str,
        group_id: str,
        created: int,
        updated: int,
        cells: list,
        board_id: str,
        state: int = STATE_ACTIVE,
    ) -> None:
        self.id = id
        self.sid = str(id)
        self.name = name
        self.state = state
        self.group_id = group_id
        self.created = created
        self.updated = updated
        self.cells = cells
        self.board_id = board_id

    def cell(self, slot: int):
        cells = self.cells
        return cells[slot] if slot < len(cells) else None


@dataclass
class Board:
    id: str
    name: str
    key: str  # customers / orders / capacity
    columns: list[Column]
    groups: list[Group]
    items: list[Item] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    updated: int = 0
    workspace_id: str = ""
    version: int = 0  # a fresh value on creation and on every column change (plan caches key on it)

    def __post_init__(self) -> None:
        self.version = next(_LAYOUT_VERSIONS)
        self.columns_by_id = {c.id: c for c in self.columns}
        self.groups_by_id = {g.id: g for g in self.groups}
        self.next_slot = max((c.slot for c in self.columns), default=-1) + 1
        self._value_columns: list[Column] | None = None

    @property
    def value_columns(self) -> list[Column]:
        """Columns that appear in `column_values` (every column except `name`), board order."""
        if self._value_columns is None:
            self._value_columns = [c for c in self.columns if c.type != "name"]
        return self._value_columns

    def columns_changed(self) -> None:
        self.columns_by_id = {c.id: c for c in self.columns}
        self._value_columns = None
        self.version = next(_LAYOUT_VERSIONS)

    def add_items_sorted(self, items: list[Item]) -> None:
        self.items = items
        self.item_ids = [it.id for it in items]

    def insert_item(self, item: Item) -> None:
        pos = bisect.bisect_left(self.item_ids, item.id)
        self.item_ids.insert(pos, item.id)
        self.items.insert(pos, item)

    def position_after(self, item_id: int) -> int:
        return bisect.bisect_right(self.item_ids, item_id)

    def active_count(self) -> int:
        return sum(1 for it in self.items if it.state == STATE_ACTIVE)


@dataclass
class Workspace:
    """Everything the API serves. Built by `generator.generate_workspace`; mutated by control ops."""

    spec: object
    boards: dict[str, Board]
    items_by_id: dict[int, Item]
    people: dict[int, tuple[str, str]]
    # Users, teams, tags, workspaces and updates around the boards (directory.Directory).
    directory: Directory | None = None

    def board(self, board_id: str) -> Board:
        try:
            return self.boards[str(board_id)]
        except KeyError:
            raise KeyError(f"unknown board {board_id}") from None

    def board_by_key(self, key: str) -> Board:
        for b in self.boards.values():
            if b.key == key:
                return b
        raise KeyError(key)

    def item(self, item_id: int | str) -> Item:
        try:
            return self.items_by_id[int(item_id)]
        except (KeyError, ValueError):
            raise KeyError(f"unknown item {item_id}") from None

    def stats(self) -> dict:
        return {
            b.key: {
                "board_id": b.id,
                "items": len(b.items),
                "active": b.active_count(),
                "columns": [c.id for c in b.columns],
            }
            for b in self.boards.values()
        }
