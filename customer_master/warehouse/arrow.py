"""Columnar pages -> Arrow tables typed by the staging specs (one `pa.array` per column).

The fast path hands each Python list to `pa.array(..., type=...)` in one C call. Only a column
that does not convert as-is (an int id, an ISO string timestamp, a dict in a JSON column) takes
the slow per-element path. Aware datetimes become naive UTC; naive ones are taken as UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, overload

import orjson
import pyarrow as pa

from customer_master.monday.models import ItemPage, ItemStateChange, QuarantineRecord
from customer_master.warehouse.tables import (
    QUARANTINE_FIELDS,
    STAGING_CHANGES,
    STAGING_ITEMS,
    STAGING_QUARANTINE,
    STAGING_VALUES,
    Col,
    TableSpec,
)

ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "name": pa.string(),
    "text": pa.string(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "int": pa.int64(),
}


def arrow_schema(spec: TableSpec) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in spec.columns])


ITEMS_SCHEMA = arrow_schema(STAGING_ITEMS)
VALUES_SCHEMA = arrow_schema(STAGING_VALUES)
QUARANTINE_SCHEMA = arrow_schema(STAGING_QUARANTINE)
CHANGES_SCHEMA = arrow_schema(STAGING_CHANGES)


@overload
def to_utc_naive(value: dt.datetime) -> dt.datetime: ...
@overload
def to_utc_naive(value: dt.datetime | None) -> dt.datetime | None: ...
def to_utc_naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _to_text(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, dict | list | tuple):
        return orjson.dumps(v).decode()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _to_timestamp(v: Any) -> dt.datetime | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = dt.datetime.fromisoformat(v)
    elif isinstance(v, int | float):
        v = dt.datetime.fromtimestamp(v, dt.UTC)
    elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        v = dt.datetime(v.year, v.month, v.day)
    if not isinstance(v, dt.datetime):
        raise TypeError(f"not a timestamp: {v!r}")
    return to_utc_naive(v)


def _to_date(v: Any) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    raise TypeError(f"not a date: {v!r}")


def _to_float(v: Any) -> float | None:
    if v is None or v == "":
        return None
    return float(v)


def _to_int(v: Any) -> int | None:
    if v is None or v == "":
        return None
    return int(v)


def _to_bool(v: Any) -> bool | None:
    if v is None or v == "":
        return None
    if isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "t", "1", "yes", "v"):
            return True
        if low in ("false", "f", "0", "no"):
            return False
        raise ValueError(f"not a boolean: {v!r}")
    return bool(v)


_SLOW = {
    "id": _to_text,
    "name": _to_text,
    "text": _to_text,
    "timestamp": _to_timestamp,
    "date": _to_date,
    "float": _to_float,
    "bool": _to_bool,
    "int": _to_int,
}


def column_array(values: Sequence[Any], col: Col) -> pa.Array:
    """One typed Arrow array; per-element coercion only when the fast path refuses the list."""
    typ = ARROW_TYPES[col.type]
    try:
        return pa.array(values, type=typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    conv = _SLOW[col.type]
    try:
        return pa.array([conv(v) for v in values], type=typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"column {col.name!r} cannot be read as {col.type}: {exc}") from exc


def columnar_table(
    data: Mapping[str, Sequence[Any]], spec: TableSpec, schema: pa.Schema, what: str
) -> pa.Table:
    """A dict of aligned lists -> an Arrow table in spec order; absent fields become NULL columns."""
    lengths = {name: len(v) for name, v in data.items() if name in schema.names}
    n = max(lengths.values(), default=0)
    ragged = {k: v for k, v in lengths.items() if v != n}
    if ragged:
        raise ValueError(f"{what}: columns are not aligned (expected {n} rows): {ragged}")
    arrays = []
    for col in spec.columns:
        values = data.get(col.name)
        if values is None:
            arrays.append(pa.nulls(n, type=ARROW_TYPES[col.type]))
        else:
            arrays.append(column_array(values, col))
    return pa.Table.from_arrays(arrays, schema=schema)


def items_table(page: ItemPage) -> pa.Table:
    return columnar_table(page.items, STAGING_ITEMS, ITEMS_SCHEMA, f"board {page.board_id} items")


def values_table(page: ItemPage) -> pa.Table:
    return columnar_table(page.values, STAGING_VALUES, VALUES_SCHEMA, f"board {page.board_id} values")


def quarantine_table(records: Iterable[QuarantineRecord]) -> pa.Table:
    recs = list(records)
    data = {f: [getattr(r, f) for r in recs] for f in QUARANTINE_FIELDS}
    return columnar_table(data, STAGING_QUARANTINE, QUARANTINE_SCHEMA, "quarantine")


def changes_table(changes: Iterable[ItemStateChange]) -> pa.Table:
    """Deduplicated by item id (the last reported state wins), sorted for determinism."""
    latest: dict[str, str] = {}
    for ch in changes:
        latest[str(ch.item_id)] = str(ch.state)
    ids = sorted(latest)
    return pa.Table.from_arrays(
        [pa.array(ids, type=pa.string()), pa.array([latest[i] for i in ids], type=pa.string())],
        schema=CHANGES_SCHEMA,
    )


def table_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """Row tuples (for drivers that bind parameters row-wise, e.g. pyodbc executemany)."""
    return list(zip(*(col.to_pylist() for col in table.columns), strict=True))
