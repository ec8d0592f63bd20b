"""Write the delivery plan back to the Monday orders board (CM_PLAN_WRITE_BACK, opt-in).

For each Monday order of one plan date, four values go to columns of the orders board named in the
board mapping (`entities.orders.write_back`): the planned delivery date, the line, the plan status
(scheduled / late / unschedulable) and a note (why late or unschedulable, in words).

    report = write_plan_back(client, warehouse, mapping, plan_date, dry_run=False)
    report.metadata()  # plain numbers and strings, e.g. for Dagster metadata

How:
1. `resolve_write_back` finds the four columns on the live board (by id, else by title, like the
   mapping's fields); a missing block or column raises `WriteBackConfigError` naming what to add.
2. `planned_board_values` reads the plan (`plan_assignments` of the plan date joined to `order_master`
   for the Monday item id; OMS-only orders have none and are not written).
3. `diff_plan` reads those four columns of the plan's items from the board (root `items(ids)`, 100 ids
   a request, only the four `column_values`: the cheapest read) and keeps the values that differ after
   normalising (dates as ISO days, labels case-insensitively, whitespace collapsed). Items Monday no
   longer has on the board (deleted, archived, moved) are failures named in the report, not written.
4. `apply_changes` sends `change_multiple_column_values` for the changed columns of the changed items,
   `batch_size` aliased mutations per request, paced by the client on the complexity budget. A batch
   that fails is recorded (its items and why) and the next batch goes on; a batch rejected as a whole
   for a query error is retried item by item so one bad value costs one item. An auth error (or the
   daily call limit) stops the run: the report says so (`aborted`), nothing is raised.

Idempotent: a second run with the same plan finds nothing to change and writes nothing. A dry run
does steps 1-3 and lists the changes it would make (`changes_preview`).

The write-back columns must not feed the pipeline: the webhook receiver ignores change events of these
columns (see `write_back_column_ids`, realtime/receiver.py), so writing the plan does not queue order
changes. No dagster import here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from customer_master.board_mapping.catalog import WRITE_BACK_COLUMNS, WRITE_BACK_ENTITY
from customer_master.board_mapping.model import BoardMapping, WriteBackColumn
from customer_master.board_mapping.resolve import column_labels, find_column
from customer_master.monday.client import MondayClient
from customer_master.monday.errors import (
    MondayAuthError,
    MondayDailyLimitError,
    MondayError,
    MondayQueryError,
    parse_error_objects,
)
from customer_master.monday.models import Column
from customer_master.monday.queries import COMPLEXITY_SELECTION, MAX_ITEMS_IDS
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import PLAN_ASSIGNMENTS, quote

log = logging.getLogger("customer_master.monday.write_back")

Mode = Literal["on", "dry_run"]
PlanStatus = Literal["scheduled", "late", "unschedulable"]

DEFAULT_BATCH_SIZE = 25  # mutations per request: 2,000 changed items take 80 requests
MAX_BATCH_SIZE = 100
DEFAULT_PREVIEW_LIMIT = 20
ORDER_MASTER = "order_master"

# Unschedulable reason codes (scheduling/models.py) in words, for the plan note.
REASON_WORDS: dict[str, str] = {
    "invalid_quantity": "Unschedulable: the quantity is missing or not positive",
    "invalid_priority": "Unschedulable: the priority is not one the planner knows",
    "missing_requested_date": "Unschedulable: no requested date",
    "unknown_customer": "Unschedulable: the customer is unknown",
    "customer_inactive": "Unschedulable: the customer is inactive",
    "unknown_resource": "Unschedulable: the production line is unknown",
    "duplicate_order_id": "Unschedulable: the order number is used twice",
    "no_window_in_horizon": "Unschedulable: no delivery day of the customer within the planning horizon",
    "no_capacity": "Unschedulable: no capacity left within the planning horizon",
}
_EMPTY = "(empty)"
_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})")


class WriteBackError(RuntimeError):
    """The write-back cannot start (e.g. the plan or order_master is not in the warehouse)."""


class WriteBackConfigError(WriteBackError, ValueError):
    """The board mapping does not say where to write, or names columns the board does not have."""


# --------------------------------------------------------------------------- the mapping


@dataclass(frozen=True, slots=True)
class TargetColumn:
    """One write-back column as found on the live board."""

    name: str  # planned_date | planned_line | plan_status | plan_note
    column_id: str
    title: str
    type: str
    # plan_status only: canonical status -> the labels that mean it (the first one is written)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WriteBackTarget:
    board_id: str
    columns: dict[str, TargetColumn]  # by name, catalog order

    @property
    def column_ids(self) -> list[str]:
        return [c.column_id for c in self.columns.values()]


def _snippet() -> str:
    lines = ["    write_back:"]
    for name, spec in WRITE_BACK_COLUMNS.items():
        extra = ""
        if spec.value_sets:
            values = ", ".join(f"{k}: [{v[0]}]" for k, v in spec.default_values.items())
            extra = f", values: {{{values}}}"
        lines.append(f"      {name}: {{column_id: <id>, title: {spec.example_title}{extra}}}")
    return "\n".join(lines)


def write_back_columns(mapping: BoardMapping) -> dict[str, WriteBackColumn]:
    """The mapping's write-back block (name -> column); WriteBackConfigError if it is missing or
    incomplete, naming the mapping file and the YAML to add."""
    em = mapping.entity(WRITE_BACK_ENTITY)
    block = em.write_back
    name = mapping.path
    if block is None:
        raise WriteBackConfigError(
            f"plan write-back is on (CM_PLAN_WRITE_BACK) but the board mapping {name} has no "
            f"entities.{WRITE_BACK_ENTITY}.write_back block: add the four columns of board {em.board_id} "
            f"the plan is written to, under entities.{WRITE_BACK_ENTITY}:\n{_snippet()}"
        )
    missing = [n for n, c in block.columns().items() if c is None]
    if missing:
        raise WriteBackConfigError(
            f"the write_back block of the board mapping {name} ({mapping.write_back_where(missing[0])}) "
            f"lacks {', '.join(missing)}: every one of {', '.join(WRITE_BACK_COLUMNS)} needs a column"
        )
    return {n: c for n, c in block.columns().items() if c is not None}


def write_back_column_ids(mapping: BoardMapping) -> frozenset[tuple[str, str]]:
    """(board id, column id) of every write-back column the mapping names (by id), for the webhook
    receiver to ignore; empty when the mapping has no write_back block."""
    em = mapping.entity(WRITE_BACK_ENTITY)
    if em.write_back is None:
        return frozenset()
    return frozenset(
        (em.board_id, c.column_id)
        for c in em.write_back.columns().values()
        if c is not None and c.column_id is not None
    )


def resolve_write_back(mapping: BoardMapping, columns: Sequence[Column]) -> WriteBackTarget:
    """The four write-back columns on the live orders board (its `columns`). Raises
    WriteBackConfigError listing every column that is missing or of a type it cannot hold."""
    wanted = write_back_columns(mapping)
    board_id = mapping.entity(WRITE_BACK_ENTITY).board_id
    problems: list[str] = []
    found: dict[str, TargetColumn] = {}
    for name, mapped in wanted.items():
        spec = WRITE_BACK_COLUMNS[name]
        where = mapping.write_back_where(name)
        column, _ = find_column(columns, mapped.column_id, mapped.title)
        if column is None:
            problems.append(
                f"{name} ({where}): column {mapped.column_id!r} (title {mapped.title!r}) is not on board "
                f"{board_id}: add a {' or '.join(spec.column_types)} column to the board "
                f"(e.g. {spec.example_title!r}) and put its id in the mapping"
            )
            continue
        if column.type not in spec.column_types:
            problems.append(
                f"{name} ({where}): column {column.id!r} {column.title!r} is a {column.type} column; "
                f"use a {' or '.join(spec.column_types)} column"
            )
            continue
        labels: dict[str, tuple[str, ...]] = {}
        if spec.value_sets:
            labels = dict(spec.default_values)
            if mapped.values is not None:
                labels |= {k: tuple(v) for k, v in mapped.values.items()}
            offered = {label.strip().lower() for label in column_labels(column)}
            if column.type in ("status", "dropdown"):
                lacking = [v[0] for v in labels.values() if v[0].strip().lower() not in offered]
                if lacking:
                    problems.append(
                        f"{name} ({where}): column {column.id!r} {column.title!r} has no label(s) "
                        f"{', '.join(map(repr, lacking))}: add them to the column, or name its labels "
                        "under values: {scheduled: [..], late: [..], unschedulable: [..]}"
                    )
                    continue
        found[name] = TargetColumn(name, column.id, column.title, column.type, labels)
    if problems:
        raise WriteBackConfigError(
            f"plan write-back: the board mapping {mapping.path} does not fit board {board_id}:\n  "
            + "\n  ".join(problems)
        )
    return WriteBackTarget(board_id, found)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class PlannedValues:
    """What the plan says about one Monday order."""

    order_id: str
    item_id: str  # the Monday item id (order_master.monday_source_id)
    order_number: str | None
    status: PlanStatus
    planned_date: dt.date | None
    line: str | None
    note: str | None

    @property
    def label(self) -> str:
        return self.order_number or f"item {self.item_id}"


@dataclass(frozen=True, slots=True)
class WriteBackStatements:
    """The write-back's SQL for one engine (portable DuckDB / T-SQL, see warehouse/sql.py)."""

    st: Statements

    def table_exists(self) -> str:
        """params: schema, table -> a count."""
        return "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"

    def planned_values(self) -> str:
        """One plan's rows for orders that came from Monday. params: plan_date."""
        cols = ("order_id", "status", "scheduled_date", "resource", "is_late", "days_late", "reason")
        return (
            f"SELECT {', '.join('a.' + quote(c) for c in cols)}, "
            'a."requested_date", m."monday_source_id", m."order_number" '
            f"FROM {self.st.ref(PLAN_ASSIGNMENTS)} a "
            f'INNER JOIN {self.st.mart_ref(ORDER_MASTER)} m ON m."order_id" = a."order_id" '
            'WHERE a."plan_date" = ? AND m."monday_source_id" IS NOT NULL '
            'ORDER BY a."order_id"'
        )

    def catalog(self) -> dict[str, str]:
        """Every statement, by a stable name (for the T-SQL parse test)."""
        return {"table_exists": self.table_exists(), "planned_values": self.planned_values()}


def plan_note(
    status: PlanStatus,
    reason: str | None,
    days_late: int | None,
    requested_date: dt.date | None,
    plan_date: dt.date,
) -> str | None:
    """The note for one order: None when on time; for late orders how late and why (already past
    due when planned, or pushed back by capacity); for unschedulable ones the reason in words."""
    if status == "scheduled":
        return None
    if status == "unschedulable":
        if not reason:
            return "Unschedulable"
        return REASON_WORDS.get(reason, f"Unschedulable: {reason.replace('_', ' ')}")
    days = int(days_late or 0)
    late = f"Late by {days} day{'' if days == 1 else 's'}" if days > 0 else "Late"
    if requested_date is None:
        return late
    why = "past due when planned" if requested_date < plan_date else "pushed by capacity"
    return f"{late}: {why}"


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def planned_board_values(warehouse: Warehouse, plan_date: dt.date) -> list[PlannedValues]:
    """The plan of `plan_date` for every order that has a Monday item, one per item, by order id."""
    ws = WriteBackStatements(warehouse.statements)
    with warehouse.session() as s:
        schema = ws.st.schema_of(PLAN_ASSIGNMENTS)
        if not s.query(ws.table_exists(), [schema, PLAN_ASSIGNMENTS.name])[0][0]:
            raise WriteBackError(
                f"no plan to write back: table {schema}.{PLAN_ASSIGNMENTS.name} does not exist yet"
            )
        if not s.query(ws.table_exists(), [ws.st.marts_schema, ORDER_MASTER])[0][0]:
            raise WriteBackError(
                f"plan write-back reads {ws.st.marts_schema}.{ORDER_MASTER} (the Monday item of each order), "
                "which does not exist yet: run the dbt models first"
            )
        rows = s.query(ws.planned_values(), [plan_date])
    out: list[PlannedValues] = []
    seen: set[str] = set()
    for order_id, status, scheduled, resource, is_late, days_late, reason, requested, item, number in rows:
        item_id = str(item).strip()
        if not item_id or item_id in seen:
            log.warning(
                "plan write-back: Monday item %s holds more than one planned order; kept the first", item
            )
            continue
        seen.add(item_id)
        plan_status: PlanStatus = (
            "unschedulable" if status != "scheduled" else "late" if bool(is_late) else "scheduled"
        )
        scheduled_day = _as_date(scheduled) if plan_status != "unschedulable" else None
        out.append(
            PlannedValues(
                order_id=str(order_id),
                item_id=item_id,
                order_number=None if number is None else str(number),
                status=plan_status,
                planned_date=scheduled_day,
                line=None if resource is None or plan_status == "unschedulable" else str(resource),
                note=plan_note(plan_status, reason, days_late, _as_date(requested), plan_date),
            )
        )
    return out


# --------------------------------------------------------------------------- values and the diff


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def desired_text(column: TargetColumn, planned: PlannedValues) -> str:
    """The value the column should show, as text ('' = empty)."""
    if column.name == "planned_date":
        return planned.planned_date.isoformat() if planned.planned_date else ""
    if column.name == "planned_line":
        return _norm(planned.line)
    if column.name == "plan_status":
        labels = column.labels.get(planned.status) or (planned.status.capitalize(),)
        return labels[0]
    return _norm(planned.note)


def board_text(column: TargetColumn, text: str | None) -> str:
    """A cell's `text` as read from Monday, normalised like `desired_text`."""
    text = _norm(text)
    if column.type == "date" and (m := _DATE_PREFIX.match(text)):
        return m.group(1)  # a date with a time shows "2026-12-04 10:00"
    return text


def same_value(column: TargetColumn, current: str, desired: str) -> bool:
    if column.name == "plan_status":
        # any label of the same status counts (a board may show "Delayed" for late)
        for labels in column.labels.values():
            keys = {label.strip().lower() for label in labels}
            if desired.lower() in keys:
                return current.lower() in keys
        return current.lower() == desired.lower()
    if column.type == "date":
        return current == desired
    return current == desired


def column_value(column: TargetColumn, text: str) -> Any:
    """The JSON value `change_multiple_column_values` takes for `text` ('' clears the cell)."""
    if column.type == "long_text":
        return {"text": text}
    if not text:
        return ""
    if column.type == "date":
        return {"date": text}
    if column.type == "status":
        return {"label": text}
    if column.type == "dropdown":
        return {"labels": [text]}
    return text  # text column


@dataclass(frozen=True, slots=True)
class ValueChange:
    column: str  # the write-back name (planned_date, ...)
    column_id: str
    title: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ItemChange:
    item_id: str
    label: str  # the order number (or "item <id>")
    changes: tuple[ValueChange, ...]
    values: dict[str, Any]  # column id -> JSON value, only the changed columns

    def describe(self) -> list[str]:
        return [f"{self.label}: {c.title} {c.old or _EMPTY} -> {c.new or _EMPTY}" for c in self.changes]


@dataclass(frozen=True, slots=True)
class WriteFailure:
    item_id: str
    label: str
    reason: str

    def __str__(self) -> str:
        return f"{self.label} (item {self.item_id}): {self.reason}"


@dataclass(frozen=True, slots=True)
class WriteBackDiff:
    """What a write-back would change: read from the board, nothing written yet."""

    target: WriteBackTarget
    items_in_plan: int
    changes: tuple[ItemChange, ...]
    unchanged: int
    not_on_board: tuple[WriteFailure, ...]

    @property
    def values_changed(self) -> int:
        return sum(len(c.changes) for c in self.changes)


CURRENT_VALUES_QUERY = f"""query WriteBackCurrentValues($ids: [ID!], $limit: Int, $columns: [String!]) {{
  {COMPLEXITY_SELECTION}
  items(ids: $ids, limit: $limit, exclude_nonactive: false) {{
    id
    state
    board {{ id }}
    column_values(ids: $columns) {{ id text }}
  }}
}}"""


def _chunks(seq: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def read_current_values(
    client: MondayClient, target: WriteBackTarget, item_ids: Sequence[str]
) -> dict[str, tuple[str, str | None, dict[str, str | None]]]:
    """item id -> (state, board id, column id -> text) for the items Monday returns (100 ids a request,
    only the write-back columns). Items Monday does not return at all are absent."""
    out: dict[str, tuple[str, str | None, dict[str, str | None]]] = {}
    for ids in _chunks(list(item_ids), MAX_ITEMS_IDS):
        data = client.execute(
            CURRENT_VALUES_QUERY,
            {"ids": list(ids), "limit": len(ids), "columns": target.column_ids},
            board_id=target.board_id,
            purpose=f"plan write-back read for board {target.board_id}",
        )
        for item in data.get("items") or []:
            if not isinstance(item, dict) or item.get("id") is None:
                continue
            board = (item.get("board") or {}).get("id")
            values = {
                str(cv.get("id")): cv.get("text")
                for cv in item.get("column_values") or []
                if isinstance(cv, dict)
            }
            out[str(item["id"])] = (
                str(item.get("state") or "active"),
                None if board is None else str(board),
                values,
            )
    return out


def diff_plan(
    client: MondayClient, target: WriteBackTarget, planned: Sequence[PlannedValues]
) -> WriteBackDiff:
    """Read the board's current write-back values of the planned items and keep what differs."""
    current = read_current_values(client, target, [p.item_id for p in planned])
    changes: list[ItemChange] = []
    missing: list[WriteFailure] = []
    unchanged = 0
    for p in planned:
        found = current.get(p.item_id)
        if found is None:
            missing.append(WriteFailure(p.item_id, p.label, "not on Monday any more (deleted): not written"))
            continue
        state, board, cells = found
        if state != "active":
            missing.append(WriteFailure(p.item_id, p.label, f"{state} on Monday: not written"))
            continue
        if board is not None and board != target.board_id:
            missing.append(
                WriteFailure(
                    p.item_id, p.label, f"moved to board {board} (not {target.board_id}): not written"
                )
            )
            continue
        diffs: list[ValueChange] = []
        values: dict[str, Any] = {}
        for column in target.columns.values():
            desired = desired_text(column, p)
            now = board_text(column, cells.get(column.column_id))
            if not same_value(column, now, desired):
                diffs.append(ValueChange(column.name, column.column_id, column.title, now, desired))
                values[column.column_id] = column_value(column, desired)
        if diffs:
            changes.append(ItemChange(p.item_id, p.label, tuple(diffs), values))
        else:
            unchanged += 1
    return WriteBackDiff(target, len(planned), tuple(changes), unchanged, tuple(missing))


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class ApplyResult:
    items_written: int
    values_written: int
    failed: tuple[WriteFailure, ...]
    aborted: str | None  # why writing stopped early (auth, daily limit); None when every batch ran
    not_attempted: int


def mutation_batch(count: int) -> str:
    """`count` aliased change_multiple_column_values in one request (variables $b, $i<n>, $v<n>)."""
    params = ", ".join(["$b: ID!", *(f"$i{n}: ID!, $v{n}: JSON!" for n in range(count))])
    fields = "\n".join(
        f"  w{n}: change_multiple_column_values(board_id: $b, item_id: $i{n}, column_values: $v{n}) {{ id }}"
        for n in range(count)
    )
    return f"mutation WriteBackPlan({params}) {{\n  {COMPLEXITY_SELECTION}\n{fields}\n}}"


def _fatal(exc: MondayError) -> bool:
    return isinstance(exc, MondayAuthError | MondayDailyLimitError)


def _send_batch(
    client: MondayClient, board_id: str, batch: Sequence[ItemChange]
) -> tuple[list[ItemChange], list[WriteFailure]]:
    """One request; (written, failed). Raises MondayError when the request as a whole failed."""
    variables: dict[str, Any] = {"b": board_id}
    for n, change in enumerate(batch):
        variables[f"i{n}"] = change.item_id
        variables[f"v{n}"] = orjson.dumps(change.values).decode()  # Monday takes a JSON string
    bodies: list[bytes] = []
    data = client.execute(
        mutation_batch(len(batch)),
        variables,
        board_id=board_id,
        purpose=f"plan write-back for board {board_id}",
        allow_partial=True,
        on_body=bodies.append,
    )
    reasons: dict[str, str] = {}
    if bodies:
        try:
            body = orjson.loads(bodies[-1])
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict):
            for info in parse_error_objects(body):
                if info.path and str(info.path[0]).startswith("w"):
                    reasons.setdefault(str(info.path[0]), f"{info.message} ({info.code or 'error'})")
    written: list[ItemChange] = []
    failed: list[WriteFailure] = []
    for n, change in enumerate(batch):
        result = data.get(f"w{n}")
        if isinstance(result, dict) and result.get("id") is not None:
            written.append(change)
        else:
            reason = reasons.get(f"w{n}", "Monday returned no result for this item")
            failed.append(WriteFailure(change.item_id, change.label, reason))
    return written, failed


def apply_changes(
    client: MondayClient, diff: WriteBackDiff, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> ApplyResult:
    """Write `diff`'s changes, `batch_size` items per request. Failures are collected, not raised."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
    board_id = diff.target.board_id
    changes = list(diff.changes)
    written: list[ItemChange] = []
    failed: list[WriteFailure] = []
    aborted: str | None = None
    done = 0
    for batch in _chunks(changes, batch_size):
        try:
            ok, bad = _send_batch(client, board_id, batch)
        except MondayError as exc:
            if isinstance(exc, MondayQueryError) and not _fatal(exc) and len(batch) > 1:
                # Rejected as a whole (e.g. one bad value): one at a time, so only the bad one fails.
                log.warning("plan write-back: a batch was rejected (%s); writing its items one by one", exc)
                ok, bad = [], []
                for n, change in enumerate(batch):
                    try:
                        one_ok, one_bad = _send_batch(client, board_id, [change])
                    except MondayError as one_exc:
                        if _fatal(one_exc):
                            aborted = f"{type(one_exc).__name__}: {one_exc}"
                            rest = batch[n:]
                            bad += [WriteFailure(c.item_id, c.label, f"not written: {aborted}") for c in rest]
                            break
                        one_ok, one_bad = [], [WriteFailure(change.item_id, change.label, str(one_exc))]
                    ok += one_ok
                    bad += one_bad
            elif _fatal(exc):
                aborted = f"{type(exc).__name__}: {exc}"
                ok, bad = [], [WriteFailure(c.item_id, c.label, f"not written: {aborted}") for c in batch]
            else:
                ok, bad = (
                    [],
                    [WriteFailure(c.item_id, c.label, f"{type(exc).__name__}: {exc}") for c in batch],
                )
                log.warning("plan write-back: a batch of %d items failed: %s", len(batch), exc)
        written += ok
        failed += bad
        done += len(batch)
        if aborted is not None:
            log.error("plan write-back stopped after %d of %d items: %s", done, len(changes), aborted)
            break
    return ApplyResult(
        items_written=len(written),
        values_written=sum(len(c.changes) for c in written),
        failed=tuple(failed),
        aborted=aborted,
        not_attempted=len(changes) - done,
    )


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True)
class WriteBackReport:
    mode: Mode
    plan_date: dt.date
    board_id: str
    items_in_plan: int  # Monday orders in the plan
    items_changed: int  # items with at least one value that differs on the board
    values_changed: int  # values that differ
    items_written: int  # items written (0 on a dry run)
    values_written: int  # column values written (0 on a dry run)
    unchanged: int  # items the board already shows right
    failed: tuple[WriteFailure, ...]  # items not on the board, or whose write failed
    changes_preview: tuple[str, ...]  # the first changes, "SO-100123: Planned delivery a -> b"
    requests: int  # Monday API requests (reads, writes, retries)
    seconds: float
    aborted: str | None = None  # why writing stopped early (auth, daily limit)
    not_attempted: int = 0  # changed items not written because writing stopped

    @property
    def ok(self) -> bool:
        return not self.failed and self.aborted is None

    def summary(self) -> str:
        verb = "would write" if self.mode == "dry_run" else "wrote"
        count = self.items_changed if self.mode == "dry_run" else self.items_written
        text = (
            f"plan write-back ({self.mode}) for {self.plan_date}: {verb} {count} of {self.items_in_plan} "
            f"orders on board {self.board_id} ({self.unchanged} unchanged, {len(self.failed)} failed)"
        )
        return text + (f"; stopped: {self.aborted}" if self.aborted else "")

    def metadata(self) -> dict[str, int | float | str]:
        """Plain numbers and strings (e.g. for Dagster metadata)."""
        out: dict[str, int | float | str] = {
            "write_back_mode": self.mode,
            "plan_date": self.plan_date.isoformat(),
            "board_id": self.board_id,
            "items_in_plan": self.items_in_plan,
            "items_changed": self.items_changed,
            "values_changed": self.values_changed,
            "items_written": self.items_written,
            "values_written": self.values_written,
            "unchanged": self.unchanged,
            "failed": len(self.failed),
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "summary": self.summary(),
        }
        if self.failed:
            out["failures"] = "\n".join(str(f) for f in self.failed[:DEFAULT_PREVIEW_LIMIT]) + (
                f"\n... and {len(self.failed) - DEFAULT_PREVIEW_LIMIT} more"
                if len(self.failed) > DEFAULT_PREVIEW_LIMIT
                else ""
            )
        if self.changes_preview:
            out["changes_preview"] = "\n".join(self.changes_preview)
        if self.aborted:
            out["aborted"] = self.aborted
            out["not_attempted"] = self.not_attempted
        return out


def write_plan_back(
    client: MondayClient,
    warehouse: Warehouse,
    mapping: BoardMapping,
    plan_date: dt.date,
    *,
    dry_run: bool,
    batch_size: int = DEFAULT_BATCH_SIZE,
    preview_limit: int = DEFAULT_PREVIEW_LIMIT,
) -> WriteBackReport:
    """Write `plan_date`'s plan to the orders board (only values that differ); `dry_run` reads and
    lists the changes without writing. Item and batch failures are in the report; raises
    WriteBackConfigError (mapping/board do not fit), WriteBackError (no plan/order_master) or a
    MondayError when the board cannot be read at all (auth, network beyond the retry budget)."""
    started = time.perf_counter()
    calls_before = client.stats.api_calls
    planned = planned_board_values(warehouse, plan_date)
    board_id = mapping.entity(WRITE_BACK_ENTITY).board_id
    write_back_columns(mapping)  # a missing block fails before any request
    board = client.get_board(board_id)
    target = resolve_write_back(mapping, board.columns)
    diff = diff_plan(client, target, planned)
    preview: list[str] = []
    for change in diff.changes:
        if len(preview) >= preview_limit:
            break
        preview.extend(change.describe()[: preview_limit - len(preview)])
    applied = ApplyResult(0, 0, (), None, 0)
    if not dry_run and diff.changes:
        applied = apply_changes(client, diff, batch_size=batch_size)
    report = WriteBackReport(
        mode="dry_run" if dry_run else "on",
        plan_date=plan_date,
        board_id=board_id,
        items_in_plan=diff.items_in_plan,
        items_changed=len(diff.changes),
        values_changed=diff.values_changed,
        items_written=applied.items_written,
        values_written=applied.values_written,
        unchanged=diff.unchanged,
        failed=diff.not_on_board + applied.failed,
        changes_preview=tuple(preview),
        requests=client.stats.api_calls - calls_before,
        seconds=time.perf_counter() - started,
        aborted=applied.aborted,
        not_attempted=applied.not_attempted,
    )
    log.info(report.summary())
    return report


__all__ = [
    "CURRENT_VALUES_QUERY",
    "DEFAULT_BATCH_SIZE",
    "REASON_WORDS",
    "ApplyResult",
    "ItemChange",
    "PlannedValues",
    "TargetColumn",
    "ValueChange",
    "WriteBackConfigError",
    "WriteBackDiff",
    "WriteBackError",
    "WriteBackReport",
    "WriteBackStatements",
    "WriteBackTarget",
    "WriteFailure",
    "apply_changes",
    "diff_plan",
    "mutation_batch",
    "plan_note",
    "planned_board_values",
    "read_current_values",
    "resolve_write_back",
    "write_back_column_ids",
    "write_back_columns",
    "write_plan_back",
]
