"""What a mapped field would hold, computed from a page of parsed items (pure; mirrors the staging SQL).

`board_mapping check` shows these next to each field so a user sees, before any run, that
`quantity` would read 12, 5, 40 and not nothing. The rules follow `macros/monday_pivot.sql` and the
staging models: kind picks the typed projection, `extra_key` a key of the extras, `name` the item
name, labels go through the field's value sets, a time of day is read from '8', '08:00' or '8:30'.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from customer_master.board_mapping.catalog import ITEM_NAME_COLUMN
from customer_master.board_mapping.resolve import FieldResolution
from customer_master.monday.models import ItemPage

_TIME = re.compile(r"^(\d{1,2})(?::([0-5]\d))?$")


def time_of_day(text: str | None) -> str | None:
    """'8' -> '08:00', '8:30' -> '08:30'; None for anything else (as wh_time_of_day in SQL)."""
    match = _TIME.match((text or "").strip())
    if not match or int(match.group(1)) > 23:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2) or '00'}"


def label_code(label: str) -> str:
    """'In production ' -> 'in_production' (as wh_label_code in SQL)."""
    return label.strip().lower().replace(" ", "_")


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _extra(value_extra: str | None, key: str) -> str | None:
    try:
        extras = orjson.loads(value_extra) if value_extra else {}
    except orjson.JSONDecodeError:
        return None
    return _clean(extras.get(key)) if isinstance(extras, dict) else None


def project(kind: str, extra_key: str | None, row: Mapping[str, Any]) -> Any:
    """One raw value row -> the value the field lands with."""
    if extra_key:
        return _extra(row.get("value_extra"), extra_key)
    if kind == "ids":
        return row.get("value_ids")
    if kind in ("string", "label", "time"):
        text = _clean(row.get("value_string")) or _clean(row.get("text"))
        return time_of_day(text) if kind == "time" else text
    return {
        "number": row.get("value_number"),
        "date": row.get("value_date"),
        "date_to": row.get("value_date_to"),
        "bool": row.get("value_bool"),
    }.get(kind)


def field_values(
    page: ItemPage, fr: FieldResolution, canonical: Mapping[str, str] | None = None
) -> list[Any]:
    """The field's value for each active item of the page (None where it would be NULL)."""
    items = page.items
    active = [i for i, state in enumerate(items["state"]) if state == "active"]
    if fr.column_id is None:
        return [None] * len(active)
    if fr.column_id == ITEM_NAME_COLUMN:
        by_item = {items["item_id"][i]: _clean(items["name"][i]) for i in active}
    else:
        v = page.values
        by_item = {}
        for i, column_id in enumerate(v["column_id"]):
            if column_id == fr.column_id:
                row = {name: v[name][i] for name in v}
                by_item[v["item_id"][i]] = project(fr.kind, fr.extra_key, row)
    out = [by_item.get(items["item_id"][i]) for i in active]
    if canonical is not None:
        out = [None if x is None else canonical.get(str(x).strip().lower(), label_code(str(x))) for x in out]
    return out


def cell_texts(page: ItemPage) -> dict[str, list[str]]:
    """column id -> the cell texts of the page (`name`: the item names), for the assistant's evidence."""
    out: dict[str, list[str]] = {ITEM_NAME_COLUMN: [n or "" for n in page.items["name"]]}
    v = page.values
    for i, column_id in enumerate(v["column_id"]):
        text = v["value_string"][i] or v["text"][i] or ""
        out.setdefault(column_id, []).append(str(text))
    return out
