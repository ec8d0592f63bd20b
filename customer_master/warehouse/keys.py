"""Keys that fit: an id longer than an id column holds is quarantined per record, on every engine.

Ids are key columns (clustered indexes, joins) and SQL Server cannot index NVARCHAR(MAX), so the
`id` type is NVARCHAR(128) there; free text (`name`, `text`) is NVARCHAR(MAX) and always fits. One
over-long id (a 5,000-character column id) must not fail a whole board's load, and DuckDB (VARCHAR,
no limit) must behave like SQL Server, so the engine-neutral loader checks ids before staging:

* an item with an over-long id field is left out with its values, as one quarantine record;
* a value with an over-long column id or type is left out, as one quarantine record;
* a board column with an over-long id or type is left out of the columns snapshot, likewise;
* the id fields of every quarantine record are shortened to fit (prefix + hash), the full key kept
  in `raw_value`, so the quarantine insert itself can never fail.

Lengths are counted in UTF-16 code units, as NVARCHAR(n) counts them (a character outside the BMP
takes two). A UTF-8 byte count is never below that, so only ids over 128 bytes are measured exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from customer_master.monday.models import Column, QuarantineRecord
from customer_master.warehouse.tables import (
    QUARANTINE_COLUMNS,
    STAGING_ITEMS,
    STAGING_VALUES,
    TSQL_NVARCHAR_LENGTH,
)

ID_MAX_CHARS = TSQL_NVARCHAR_LENGTH["id"]
REASON_KEY_TOO_LONG = "key_too_long"

_ITEM_IDS = tuple(c.name for c in STAGING_ITEMS.columns if c.type == "id")
_VALUE_IDS = tuple(c.name for c in STAGING_VALUES.columns if c.type == "id")
_QUARANTINE_IDS = tuple(c.name for c in QUARANTINE_COLUMNS if c.type == "id")


def nvarchar_length(text: str) -> int:
    """Characters as NVARCHAR counts them (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def fits(text: str | None, limit: int = ID_MAX_CHARS) -> bool:
    return text is None or (len(text) <= limit // 2 or nvarchar_length(text) <= limit)


def shorten(key: str, limit: int = ID_MAX_CHARS) -> str:
    """A stand-in that fits `limit`: the key's start, '~', and 10 hex digits of its SHA-1 (distinct
    keys stay distinct); the key itself when it already fits."""
    if fits(key, limit):
        return key
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    head = key[: limit - len(digest) - 1]
    while nvarchar_length(head) > limit - len(digest) - 1:
        head = head[:-1]
    return f"{head}~{digest}"


def _too_long_rows(table: pa.Table, columns: Sequence[str], limit: int) -> dict[int, str]:
    """Row index -> the first id column of that row that does not fit (empty in the common case)."""
    bad: dict[int, str] = {}
    for name in columns:
        if name not in table.column_names:
            continue
        lengths = pc.binary_length(table.column(name))
        over = pc.fill_null(pc.greater(lengths, limit), False)
        if not pc.any(over).as_py():
            continue  # the fast path: no id of this column has more than `limit` bytes
        values = table.column(name)
        for i in pc.indices_nonzero(over).to_pylist():
            text = values[i].as_py()
            if not fits(text, limit) and i not in bad:
                bad[i] = name
    return bad


def _reason(field: str, text: str, what: str, limit: int) -> str:
    return (
        f"{REASON_KEY_TOO_LONG}: {field} has {nvarchar_length(text)} characters, more than the {limit} "
        f"an id column holds; {what}"
    )


def _keep(table: pa.Table, drop: set[int]) -> pa.Table:
    if not drop:
        return table
    mask = pa.array([i not in drop for i in range(table.num_rows)], type=pa.bool_())
    return table.filter(mask)


def _cell(table: pa.Table, name: str, i: int) -> str | None:
    if name not in table.column_names:
        return None
    value = table.column(name)[i].as_py()
    return None if value is None else str(value)


def split_overlong_keys(
    board_id: str, items: pa.Table, values: pa.Table, *, limit: int = ID_MAX_CHARS
) -> tuple[pa.Table, pa.Table, list[QuarantineRecord]]:
    """(items, values) without the records whose ids do not fit, and one quarantine record for each
    item (with its values) or value left out. Returns the inputs unchanged when everything fits."""
    bad_items = _too_long_rows(items, _ITEM_IDS, limit)
    bad_values = _too_long_rows(values, _VALUE_IDS, limit)
    if not bad_items and not bad_values:
        return items, values, []
    records: list[QuarantineRecord] = []
    dropped_item_ids: set[str | None] = set()
    value_item_ids = values.column("item_id").to_pylist() if bad_items else []
    for i, field in sorted(bad_items.items()):
        item_id = _cell(items, "item_id", i)
        dropped_item_ids.add(item_id)
        n_values = sum(1 for v in value_item_ids if v == item_id)
        text = _cell(items, field, i) or ""
        records.append(
            QuarantineRecord(
                board_id=board_id,
                item_id=item_id,
                column_id=None,
                column_type=None,
                reason=_reason(field, text, f"the item and its {n_values} value(s) were not loaded", limit),
                raw_text=_cell(items, "name", i),
                raw_value=text,
            )
        )
    drop_values = set(bad_values)
    if dropped_item_ids:
        drop_values |= {i for i, v in enumerate(value_item_ids) if v in dropped_item_ids}
    for i, field in sorted(bad_values.items()):
        if value_item_ids and value_item_ids[i] in dropped_item_ids:
            continue  # covered by its item's record
        text = _cell(values, field, i) or ""
        records.append(
            QuarantineRecord(
                board_id=board_id,
                item_id=_cell(values, "item_id", i),
                column_id=_cell(values, "column_id", i),
                column_type=_cell(values, "column_type", i),
                reason=_reason(field, text, "the value was not loaded", limit),
                raw_text=_cell(values, "text", i),
                raw_value=_cell(values, "value_json", i),
            )
        )
    bad_item_rows = set(bad_items)
    return _keep(items, bad_item_rows), _keep(values, drop_values), records


def split_overlong_columns(
    board_id: str, columns: Iterable[Column], *, limit: int = ID_MAX_CHARS
) -> tuple[list[Column], list[QuarantineRecord]]:
    """The board's columns whose id and type fit, and a quarantine record for each other one."""
    kept: list[Column] = []
    records: list[QuarantineRecord] = []
    for col in columns:
        field = next(
            (f for f, v in (("column_id", col.id), ("column_type", col.type)) if not fits(v, limit)), None
        )
        if field is None:
            kept.append(col)
            continue
        text = col.id if field == "column_id" else col.type
        records.append(
            QuarantineRecord(
                board_id=board_id,
                item_id=None,
                column_id=col.id,
                column_type=col.type,
                reason=_reason(field, text, "the column was left out of the columns snapshot", limit),
                raw_text=col.title,
                raw_value=col.id,
            )
        )
    return kept, records


def fit_quarantine(
    records: Iterable[QuarantineRecord], *, limit: int = ID_MAX_CHARS
) -> list[QuarantineRecord]:
    """The records with every id field shortened to fit; a shortened record says so in its reason and
    keeps the full key in `raw_value` when that is free."""
    out: list[QuarantineRecord] = []
    for r in records:
        long_fields = [f for f in _QUARANTINE_IDS if not fits(getattr(r, f), limit)]
        if not long_fields:
            out.append(r)
            continue
        fitted = {f: shorten(getattr(r, f), limit) for f in long_fields}
        reason = r.reason
        if not reason.startswith(REASON_KEY_TOO_LONG):
            reason += f" ({', '.join(long_fields)} shortened to fit: {REASON_KEY_TOO_LONG})"
        raw_value = r.raw_value if r.raw_value is not None else getattr(r, long_fields[0])
        out.append(
            QuarantineRecord(
                board_id=fitted.get("board_id", r.board_id),
                item_id=fitted.get("item_id", r.item_id),
                column_id=fitted.get("column_id", r.column_id),
                column_type=fitted.get("column_type", r.column_type),
                reason=reason,
                raw_text=r.raw_text,
                raw_value=raw_value,
            )
        )
    return out
