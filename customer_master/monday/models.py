"""What the Monday client hands to the warehouse: board metadata and parsed item pages.

This module is the contract between `customer_master.monday` (which produces these objects)
and `customer_master.warehouse` (which lands them). Item data is columnar (`ItemPage`): one
page of up to 500 items becomes a handful of Python lists, which the warehouse turns into an
Arrow table in one step. Row-per-object models would cost ~1 KiB per column value and could
not hold a 100,000-item board in memory; pages let the extractor stream a board of any size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class ItemState(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


class Column(BaseModel):
    """A board column as Monday describes it (`boards { columns { ... } }`)."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    type: str
    settings_str: str | None = None
    archived: bool = False


class Group(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    position: str | None = None


class Board(BaseModel):
    """Board metadata; `columns` is the snapshot taken at extraction time (drift shows up here)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    state: str = "active"
    board_kind: str | None = None
    updated_at: dt.datetime | None = None
    items_count: int | None = None
    columns: tuple[Column, ...] = ()
    groups: tuple[Group, ...] = ()

    def column(self, column_id: str) -> Column | None:
        return next((c for c in self.columns if c.id == column_id), None)


# Fields of one long column-value row, in table order. Exactly one group of typed projections is
# filled per column type (see monday/columns.py); the rest stay None. `text` and `value_json` are
# kept verbatim so nothing Monday sent is ever lost, even when a typed projection is empty.
COLUMN_VALUE_FIELDS: tuple[str, ...] = (
    "board_id",
    "item_id",
    "column_id",
    "column_type",
    "text",  # Monday's display text
    "value_json",  # Monday's raw `value` (a JSON string), verbatim
    "value_string",  # text, long_text, email, phone, status label, location address, dropdown labels
    "value_number",  # numbers (float)
    "value_date",  # date; timeline start
    "value_date_to",  # timeline end
    "value_bool",  # checkbox
    "value_ids",  # JSON array: board_relation linked ids, people ids, dropdown ids
    "value_extra",  # JSON object: type-specific extras (phone country, location lat/lng, status index...)
    "item_updated_at",
)

ITEM_FIELDS: tuple[str, ...] = (
    "board_id",
    "item_id",
    "name",
    "state",
    "group_id",
    "created_at",
    "updated_at",
)


@dataclass(slots=True)
class QuarantineRecord:
    """A value (or whole item) that could not be parsed: kept with its reason, never dropped."""

    board_id: str
    item_id: str | None
    column_id: str | None
    column_type: str | None
    reason: str
    raw_text: str | None = None
    raw_value: str | None = None


@dataclass(slots=True)
class ItemPage:
    """One page of parsed items, columnar.

    `items[name]` is a list aligned across all names in ITEM_FIELDS; `values[name]` likewise for
    COLUMN_VALUE_FIELDS. A value that failed to parse is still present in `values` with its raw
    `text`/`value_json` and empty typed projections, and also appears in `quarantine`.
    """

    board_id: str
    items: dict[str, list[Any]] = field(default_factory=lambda: {f: [] for f in ITEM_FIELDS})
    values: dict[str, list[Any]] = field(default_factory=lambda: {f: [] for f in COLUMN_VALUE_FIELDS})
    quarantine: list[QuarantineRecord] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return len(self.items["item_id"])

    @property
    def value_count(self) -> int:
        return len(self.values["item_id"])


@dataclass(slots=True)
class ItemStateChange:
    """An item that left the active set since the last load, with the state Monday now reports.

    Monday's `items(ids)` returns nothing at all for some deleted items; those are recorded as
    deleted too, so they can never linger as active.
    """

    item_id: str
    state: ItemState


@dataclass(slots=True)
class ExtractStats:
    api_calls: int = 0
    complexity_used: int = 0
    retries: int = 0
    cursor_restarts: int = 0  # id scans re-run from their first page after an expired cursor
    cursor_resumes: int = 0  # item chains that broke and were finished by an id scan + hydration
    hydrated_items: int = 0  # items read by id (`items(ids)`) to finish a broken chain
    pages: int = 0
    items: int = 0
    values: int = 0
    quarantined: int = 0
    seconds_waiting: float = 0.0  # time spent sleeping for pacing / backoff
    api_version_served: str | None = None  # the `API-Version` header of the latest response


# full: every active item; incremental: items updated since a day; changes: the items named by order
# changes (webhooks, polling), read by id. A `changes` load lands like an incremental one but leaves
# the board's sync state, metadata and columns snapshot to the nightly loads.
ExtractMode = Literal["full", "incremental", "changes"]
