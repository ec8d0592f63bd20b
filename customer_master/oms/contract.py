"""One OMS API record -> one row of the order contract, or the reasons it cannot be one. Pure.

The order contract is what every order source hands the warehouse (the Monday orders board's
staging model has the same columns): order_number, source ("oms"), source_id, customer_number,
customer_email, quantity, requested_date, priority (rush/high/normal/low), status
(open/cancelled/delivered/deleted), is_cancelled, is_deleted, delivered_date, updated_at (naive UTC).

Bad values are never dropped silently and never guessed. A value that cannot be read (a
non-numeric quantity, an unparseable date, a priority or status in none of the YAML's value sets)
becomes a `Problem` (field, reason, raw value) and the row carries NULL in its place, exactly like
a quarantined Monday value: the order stays visible and the planner explains it. Only a record
without an order number (or without its primary key) yields no row at all: nothing could match it
to anything; it is a problem too. Problems count against the record error rate as
quarantined values / values read (`ContractBatch.error_rate`).

A delivered date is kept only on a delivered order (a status in the `delivered` set, not cancelled or
deleted). Dates accept ISO 8601 (a date, or a timestamp whose own calendar day is taken) and then the YAML's
`date_formats`; timestamps with an offset are converted to UTC, naive ones are taken as UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from customer_master.oms.config import ContractMapping, OmsSource, RecordPath, ValueMap

SOURCE = "oms"
_T = TypeVar("_T")

REASON_MISSING_ORDER_NUMBER = "missing_order_number"
REASON_MISSING_SOURCE_ID = "missing_source_id"
REASON_INVALID_QUANTITY = "invalid_quantity"
REASON_INVALID_DATE = "invalid_date"
REASON_UNKNOWN_PRIORITY = "unknown_priority"
REASON_UNKNOWN_STATUS = "unknown_status"
REASONS: tuple[str, ...] = (
    REASON_MISSING_ORDER_NUMBER,
    REASON_MISSING_SOURCE_ID,
    REASON_INVALID_QUANTITY,
    REASON_INVALID_DATE,
    REASON_UNKNOWN_PRIORITY,
    REASON_UNKNOWN_STATUS,
)

CONTRACT_COLUMNS: tuple[str, ...] = (
    "order_number",
    "source",
    "source_id",
    "customer_number",
    "customer_email",
    "quantity",
    "requested_date",
    "priority",
    "status",
    "is_cancelled",
    "is_deleted",
    "delivered_date",
    "updated_at",
)
LINES_KEY = "_lines"  # where a separate order-lines endpoint's lines sit in their order's record
RAW_VALUE_CHARS = 500


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_number: str
    source: str
    source_id: str
    customer_number: str | None
    customer_email: str | None
    quantity: float | None
    requested_date: dt.date | None
    priority: str | None
    status: str | None
    is_cancelled: bool
    is_deleted: bool
    delivered_date: dt.date | None
    updated_at: dt.datetime | None

    def as_tuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in CONTRACT_COLUMNS)


@dataclass(frozen=True, slots=True)
class Problem:
    """A value that could not be read: the contract field, the reason code, the value as sent."""

    field: str
    reason: str
    raw_value: str | None


@dataclass(frozen=True, slots=True)
class MappedOrder:
    source_id: str | None
    order_number: str | None
    row: OrderRow | None  # None only when the record has no order number or no primary key
    problems: tuple[Problem, ...]
    values: int  # contract values read from the record (the error rate's denominator)


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    source_id: str | None
    order_number: str | None
    field: str
    reason: str
    raw_value: str | None


@dataclass(slots=True)
class ContractBatch:
    """The contract rows of one load, what was quarantined, and the deletions it saw."""

    rows: list[OrderRow] = field(default_factory=list)
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    records: int = 0
    values: int = 0
    # Orders reported deleted by a deletions feed that this batch holds no row for: the contract
    # layer marks the rows it already has (their order vanished from the API).
    deleted_elsewhere: frozenset[str] = frozenset()

    @property
    def quarantined(self) -> int:
        return len(self.quarantine)

    @property
    def error_rate(self) -> float:
        return self.quarantined / self.values if self.values else 0.0


# --- values --------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _raw(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text[:RAW_VALUE_CHARS]


def _first(record: Any, paths: Iterable[RecordPath] | None) -> Any:
    for path in paths or ():
        value = path.get(record)
        if not _blank(value):
            return value
    return None


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_number(value: Any) -> float:
    """A quantity: a finite, non-negative number or numeric text; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a quantity")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        number = float(value.strip())
    else:
        raise ValueError("not a number")
    if not math.isfinite(number) or number < 0:
        raise ValueError("not a finite, non-negative number")
    return number


def _parse_datetime_text(text: str, formats: tuple[str, ...]) -> dt.datetime | dt.date:
    text = text.strip()
    try:
        return dt.date.fromisoformat(text) if len(text) <= 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"not an ISO 8601 date{' or ' + ', '.join(formats) if formats else ''}")


def parse_date(value: Any, formats: tuple[str, ...] = ()) -> dt.date:
    """The calendar day `value` names (a timestamp's own day, in its own offset)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError("not a date")
    parsed = _parse_datetime_text(value, formats)
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def parse_timestamp(value: Any, formats: tuple[str, ...] = ()) -> dt.datetime:
    """`value` as naive UTC (an offset is converted; no offset means UTC already)."""
    if isinstance(value, dt.datetime):
        parsed: dt.datetime | dt.date = value
    elif isinstance(value, str):
        parsed = _parse_datetime_text(value, formats)
    else:
        raise ValueError("not a timestamp")
    if not isinstance(parsed, dt.datetime):
        parsed = dt.datetime.combine(parsed, dt.time())
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _canonical(value_map: ValueMap, raw: Any) -> tuple[str | None, bool]:
    """(canonical value, known?) for a mapped label; a blank value is the map's `missing`."""
    if _blank(raw):
        return value_map.missing, value_map.missing is not None
    canonical = value_map.lookup().get(str(raw).strip().lower())
    return canonical, canonical is not None


# --- one record ----------------------------------------------------------------------------------


class _Reader:
    """Reads one record field by field, collecting the problems and counting the values read."""

    def __init__(self, record: Any, mapping: ContractMapping) -> None:
        self.record = record
        self.mapping = mapping
        self.problems: list[Problem] = []
        self.values = 0

    def text(self, paths: Iterable[RecordPath] | None) -> str | None:
        if paths is None:
            return None
        self.values += 1
        return _text(_first(self.record, paths))

    def date(self, name: str, paths: Iterable[RecordPath] | None) -> dt.date | None:
        return self._moment(name, paths, parse_date)

    def timestamp(self, name: str, paths: Iterable[RecordPath] | None) -> dt.datetime | None:
        return self._moment(name, paths, parse_timestamp)

    def _moment(
        self, name: str, paths: Iterable[RecordPath] | None, parse: Callable[[Any, tuple[str, ...]], _T]
    ) -> _T | None:
        """A date or timestamp value; one that does not parse is NULL and an invalid_date problem."""
        if paths is None:
            return None
        self.values += 1
        raw = _first(self.record, paths)
        if _blank(raw):
            return None
        try:
            return parse(raw, self.mapping.date_formats)
        except ValueError:
            self.problems.append(Problem(name, REASON_INVALID_DATE, _raw(raw)))
            return None

    def present(self, paths: Iterable[RecordPath] | None) -> bool:
        """Any value at all (cancelled_at, deleted_at): the value itself is not read."""
        return paths is not None and not _blank(_first(self.record, paths))

    def quantity(self) -> float | None:
        self.values += 1
        spec = self.mapping.quantity
        path = spec.sum if spec.sum is not None else spec.path
        raw: Any = path.get(self.record) if path is not None else None
        if _blank(raw):
            return None
        try:
            if spec.sum is not None:
                return math.fsum(parse_number(v) for v in raw)
            return parse_number(raw)
        except (ValueError, TypeError):
            self.problems.append(Problem("quantity", REASON_INVALID_QUANTITY, _raw(raw)))
            return None

    def label(self, name: str, value_map: ValueMap | None, reason: str, default: str | None) -> str | None:
        if value_map is None:
            return default
        self.values += 1
        raw = value_map.path.get(self.record)
        canonical, known = _canonical(value_map, raw)
        if not known:
            self.problems.append(Problem(name, reason, _raw(raw)))
        return canonical


def map_order(
    record: Any,
    mapping: ContractMapping,
    *,
    primary_key: str = "id",
    deleted: bool = False,
) -> MappedOrder:
    """One API record as a contract row (bad values NULL, each one a `Problem`). `deleted`: a
    deletions feed reported this order."""
    source_id = _text(record.get(primary_key)) if isinstance(record, dict) else None
    reader = _Reader(record if isinstance(record, dict) else {}, mapping)
    order_number = reader.text(mapping.order_number)
    if source_id is None:
        reader.problems.append(Problem(primary_key, REASON_MISSING_SOURCE_ID, None))
    if order_number is None:
        raw = _first(record, mapping.order_number) if isinstance(record, dict) else record
        reader.problems.append(Problem("order_number", REASON_MISSING_ORDER_NUMBER, _raw(raw)))
    customer_number = reader.text(mapping.customer_number)
    customer_email = reader.text(mapping.customer_email)
    quantity = reader.quantity()
    requested_date = reader.date("requested_date", mapping.requested_date)
    priority = reader.label("priority", mapping.priority, REASON_UNKNOWN_PRIORITY, default="normal")
    status = reader.label("status", mapping.status, REASON_UNKNOWN_STATUS, default=None)
    is_cancelled = status == "cancelled" or reader.present(mapping.cancelled_at)
    is_deleted = deleted or status == "deleted" or reader.present(mapping.deleted_at)
    delivered_date = reader.date("delivered_date", mapping.delivered_date)
    updated_at = reader.timestamp("updated_at", mapping.updated_at)
    if is_deleted:
        status = "deleted"
    elif is_cancelled:
        status = "cancelled"
    if status != "delivered":
        delivered_date = None  # e.g. Shopify's closed_at also closes a cancelled order
    row = None
    if source_id is not None and order_number is not None:
        row = OrderRow(
            order_number=order_number,
            source=SOURCE,
            source_id=source_id,
            customer_number=customer_number,
            customer_email=customer_email,
            quantity=quantity,
            requested_date=requested_date,
            priority=priority,
            status=status,
            is_cancelled=is_cancelled,
            is_deleted=is_deleted,
            delivered_date=delivered_date,
            updated_at=updated_at,
        )
    return MappedOrder(source_id, order_number, row, tuple(reader.problems), reader.values)


# --- a batch -------------------------------------------------------------------------------------


class ContractCollector:
    """Builds a `ContractBatch` record by record, as a load streams (no record is kept: only rows,
    problems and, with a separate lines endpoint, each order's lines until the end)."""

    def __init__(self, source: OmsSource) -> None:
        self.source = source
        self.mapping = source.mapping
        self.batch = ContractBatch()
        self._index: dict[str, int] = {}  # source_id -> position in batch.rows
        self._deleted: set[str] = set()
        self._lines: dict[str, list[Any]] = {}

    def add_order(self, record: Any) -> MappedOrder:
        mapped = map_order(record, self.mapping, primary_key=self.source.orders.primary_key)
        self.batch.records += 1
        self.batch.values += mapped.values
        for problem in mapped.problems:
            self.batch.quarantine.append(
                QuarantineEntry(
                    mapped.source_id, mapped.order_number, problem.field, problem.reason, problem.raw_value
                )
            )
        if mapped.row is not None:
            # An order seen twice in one load (changed while the load paged): the later one wins.
            position = self._index.get(mapped.row.source_id)
            if position is None:
                self._index[mapped.row.source_id] = len(self.batch.rows)
                self.batch.rows.append(mapped.row)
            else:
                self.batch.rows[position] = mapped.row
        return mapped

    def add_deletion(self, event: Any) -> None:
        deletions = self.source.deletions
        if deletions is None:
            return
        order_id = _text(deletions.order_id_field.get(event))
        if order_id is not None:
            self._deleted.add(order_id)

    def add_line(self, order_id: Any, line: Any) -> None:
        key = _text(order_id)
        if key is not None:
            self._lines.setdefault(key, []).append(line)

    def finish(self) -> ContractBatch:
        rows = self.batch.rows
        for source_id, lines in self._lines.items():
            position = self._index.get(source_id)
            if position is None:
                continue
            reader = _Reader({LINES_KEY: lines}, self.mapping)
            quantity = reader.quantity()
            row = rows[position]
            for problem in reader.problems:
                self.batch.quarantine.append(
                    QuarantineEntry(
                        row.source_id, row.order_number, problem.field, problem.reason, problem.raw_value
                    )
                )
            rows[position] = replace(row, quantity=quantity)
        for source_id in self._deleted:
            position = self._index.get(source_id)
            if position is not None:
                rows[position] = replace(rows[position], is_deleted=True, status="deleted")
        self.batch.deleted_elsewhere = frozenset(self._deleted - set(self._index))
        return self.batch


def contract_rows(
    records: Iterable[Any],
    source: OmsSource,
    *,
    deletion_events: Iterable[Any] = (),
    lines: Iterable[tuple[Any, Any]] = (),
) -> ContractBatch:
    """The order contract of a set of API records (the boundary the contract tables are built on):
    rows, quarantined values, and the deletions that name orders outside `records`. `lines` are
    (order id, line record) pairs from a separate order-lines endpoint."""
    collector = ContractCollector(source)
    for record in records:
        collector.add_order(record)
    for event in deletion_events:
        collector.add_deletion(event)
    for order_id, line in lines:
        collector.add_line(order_id, line)
    return collector.finish()
