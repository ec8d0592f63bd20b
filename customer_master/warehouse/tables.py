"""Table specs for raw landing: names, columns and portable logical types, rendered per engine.

One spec serves both warehouses. Production tables keep the SAME names on DuckDB (schema `main`)
and SQL Server (schemas `raw` for `raw_*` and `ops` for `ops_*`); staging tables live in a
`staging` schema on both, one set per board (`<table>__b<board_id>`) so boards never collide.

Logical types and what they become:

| logical   | DuckDB     | SQL Server      | Arrow            |
|-----------|------------|-----------------|------------------|
| id        | VARCHAR    | NVARCHAR(128)   | string           |
| name      | VARCHAR    | NVARCHAR(MAX)   | string           |
| text      | VARCHAR    | NVARCHAR(MAX)   | string           |
| timestamp | TIMESTAMP  | DATETIME2(6)    | timestamp[us]    |
| date      | DATE       | DATE            | date32           |
| float     | DOUBLE     | FLOAT           | float64          |
| bool      | BOOLEAN    | BIT             | bool             |
| int       | BIGINT     | BIGINT          | int64            |

Timestamps are naive UTC everywhere (DuckDB `TIMESTAMP`, T-SQL `DATETIME2(6)`).

Only ids are bounded: they are the key columns (clustered indexes, joins), and SQL Server cannot
index NVARCHAR(MAX). Names, titles and text are NVARCHAR(MAX), so a 1 MiB item name lands on both
engines; an id over 128 characters is quarantined per record on both (`keys.py`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from customer_master.monday.models import COLUMN_VALUE_FIELDS, ITEM_FIELDS

LogicalType = Literal["id", "name", "text", "timestamp", "date", "float", "bool", "int"]
Engine = Literal["duckdb", "tsql"]
Role = Literal["raw", "ops", "staging"]

_DUCKDB_TYPES: dict[str, str] = {
    "id": "VARCHAR",
    "name": "VARCHAR",
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "int": "BIGINT",
}
_TSQL_TYPES: dict[str, str] = {
    "id": "NVARCHAR(128)",
    "name": "NVARCHAR(MAX)",
    "text": "NVARCHAR(MAX)",
    "timestamp": "DATETIME2(6)",
    "date": "DATE",
    "float": "FLOAT",
    "bool": "BIT",
    "int": "BIGINT",
}
# NVARCHAR length per logical type on SQL Server (0 = MAX); used for pyodbc setinputsizes.
TSQL_NVARCHAR_LENGTH: dict[str, int] = {"id": 128, "name": 0, "text": 0}

SOURCE_MONDAY = "monday"
ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class Col:
    name: str
    type: LogicalType
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    role: Role
    columns: tuple[Col, ...]
    # Columns a clustered (non-unique) index covers on SQL Server; DuckDB relies on zonemaps.
    index: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


def render_type(logical: LogicalType, engine: Engine) -> str:
    return (_DUCKDB_TYPES if engine == "duckdb" else _TSQL_TYPES)[logical]


def quote(ident: str) -> str:
    """Double-quoted identifier: valid in DuckDB and in T-SQL (QUOTED_IDENTIFIER ON, the ODBC default)."""
    if '"' in ident:
        raise ValueError(f"identifier may not contain a double quote: {ident!r}")
    return f'"{ident}"'


def render_columns(spec: TableSpec, engine: Engine) -> str:
    parts = []
    for c in spec.columns:
        null = "" if c.nullable else " NOT NULL"
        if engine == "tsql" and c.nullable:
            null = " NULL"  # explicit: ANSI_NULL_DFLT settings differ between sessions
        parts.append(f"{quote(c.name)} {render_type(c.type, engine)}{null}")
    return ", ".join(parts)


def render_create_table(spec: TableSpec, schema: str, engine: Engine, *, if_not_exists: bool = True) -> str:
    """CREATE TABLE for one engine; idempotent (`IF NOT EXISTS` / `IF OBJECT_ID(...) IS NULL`) by default."""
    ref = f"{quote(schema)}.{quote(spec.name)}"
    body = f"({render_columns(spec, engine)})"
    if engine == "duckdb":
        return f"CREATE TABLE {'IF NOT EXISTS ' if if_not_exists else ''}{ref} {body}"
    create = f"CREATE TABLE {ref} {body}"
    if not if_not_exists:
        return create
    return f"IF OBJECT_ID(N'{schema}.{spec.name}', N'U') IS NULL {create}"


def render_create_index(spec: TableSpec, schema: str) -> str | None:
    """SQL Server only: a clustered index on the spec's key columns (idempotent)."""
    if not spec.index:
        return None
    ix = f"cix_{spec.name}"
    cols = ", ".join(quote(c) for c in spec.index)
    return (
        f"IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'{ix}' "
        f"AND object_id = OBJECT_ID(N'{schema}.{spec.name}')) "
        f"CREATE CLUSTERED INDEX {quote(ix)} ON {quote(schema)}.{quote(spec.name)} ({cols})"
    )


def render_add_column(spec: TableSpec, schema: str, col: Col, engine: Engine) -> str:
    """Additive schema evolution: a column the spec has and the live table lacks (always nullable)."""
    ref = f"{quote(schema)}.{quote(spec.name)}"
    typ = render_type(col.type, engine)
    if engine == "duckdb":
        return f"ALTER TABLE {ref} ADD COLUMN {quote(col.name)} {typ}"
    return f"ALTER TABLE {ref} ADD {quote(col.name)} {typ} NULL"


# --- column types of the contract fields -----------------------------------------------------------
# A field the monday contract adds later and this map does not know lands as text (never breaks a load).
_ITEM_TYPES: dict[str, LogicalType] = {
    "board_id": "id",
    "item_id": "id",
    "name": "name",
    "state": "id",
    "group_id": "id",
    "created_at": "timestamp",
    "updated_at": "timestamp",
}
_VALUE_TYPES: dict[str, LogicalType] = {
    "board_id": "id",
    "item_id": "id",
    "column_id": "id",
    "column_type": "id",
    "text": "text",
    "value_json": "text",
    "value_string": "text",
    "value_number": "float",
    "value_date": "date",
    "value_date_to": "date",
    "value_bool": "bool",
    "value_ids": "text",
    "value_extra": "text",
    "item_updated_at": "timestamp",
}
# updated_at is not required: an item whose timestamp Monday garbled still lands (the client
# quarantines the timestamp), so one odd item never blocks a board.
ITEM_REQUIRED: tuple[str, ...] = ("board_id", "item_id", "state")
VALUE_REQUIRED: tuple[str, ...] = ("item_id", "column_id")

ITEM_COLUMNS: tuple[Col, ...] = tuple(Col(f, _ITEM_TYPES.get(f, "text")) for f in ITEM_FIELDS)
VALUE_COLUMNS: tuple[Col, ...] = tuple(Col(f, _VALUE_TYPES.get(f, "text")) for f in COLUMN_VALUE_FIELDS)
QUARANTINE_FIELDS: tuple[str, ...] = (
    "board_id",
    "item_id",
    "column_id",
    "column_type",
    "reason",
    "raw_text",
    "raw_value",
)
QUARANTINE_COLUMNS: tuple[Col, ...] = (
    Col("board_id", "id"),
    Col("item_id", "id"),
    Col("column_id", "id"),
    Col("column_type", "id"),
    Col("reason", "text"),
    Col("raw_text", "text"),
    Col("raw_value", "text"),
)
CHANGE_COLUMNS: tuple[Col, ...] = (Col("item_id", "id"), Col("state", "id"))

_LINEAGE: tuple[Col, ...] = (
    Col("_partition_key", "id"),
    Col("_run_id", "id"),
    Col("_loaded_at", "timestamp"),
)


def _keyed(cols: tuple[Col, ...], keys: tuple[str, ...]) -> tuple[Col, ...]:
    """Key columns NOT NULL in production (validation guarantees it before the swap)."""
    return tuple(Col(c.name, c.type, nullable=c.name not in keys) for c in cols)


# --- production tables --------------------------------------------------------------------------------
RAW_BOARDS = TableSpec(
    "raw_monday_boards",
    "raw",
    (
        Col("board_id", "id", nullable=False),
        Col("name", "name"),
        Col("state", "id"),
        Col("board_kind", "id"),
        Col("updated_at", "timestamp"),
        Col("items_count", "int"),
        Col("columns_count", "int"),
        *_LINEAGE,
    ),
    index=("board_id",),
)
RAW_COLUMNS = TableSpec(
    "raw_monday_columns",
    "raw",
    (
        Col("board_id", "id", nullable=False),
        Col("column_id", "id", nullable=False),
        Col("title", "name"),
        Col("column_type", "id"),
        Col("settings_str", "text"),
        Col("archived", "bool"),
        Col("position", "int"),
        Col("_partition_key", "id"),
        Col("_run_id", "id"),
        Col("_snapshot_at", "timestamp"),
    ),
    index=("board_id", "_partition_key"),
)
# When the warehouse last recorded a state different from the one it had (archived, deleted,
# retired by a FULL load, restored): naive UTC load time, carried over on re-pulls, NULL until the
# first change. dbt's marts take the later of it and updated_at as `changed_at`, which is what the
# snapshots version on, so a deletion ends the snapshot's current row. Last, so a migrated file
# (ensure_schema appends it) has the same column order as a new one.
STATE_CHANGED_AT = Col("_state_changed_at", "timestamp")
RAW_ITEMS = TableSpec(
    "raw_monday_items",
    "raw",
    (*_keyed(ITEM_COLUMNS, ("board_id", "item_id", "state")), *_LINEAGE, STATE_CHANGED_AT),
    index=("board_id", "item_id"),
)
RAW_VALUES = TableSpec(
    "raw_monday_column_values",
    "raw",
    (*_keyed(VALUE_COLUMNS, ("board_id", "item_id", "column_id")), *_LINEAGE),
    index=("board_id", "item_id", "column_id"),
)
OPS_QUARANTINE = TableSpec(
    "ops_quarantine",
    "ops",
    (
        Col("source", "id", nullable=False),
        *QUARANTINE_COLUMNS,
        Col("_partition_key", "id"),
        Col("_run_id", "id"),
        Col("quarantined_at", "timestamp"),
    ),
    index=("board_id", "_partition_key"),
)
OPS_RUN_LOG = TableSpec(
    "ops_run_log",
    "ops",
    (
        Col("run_id", "id", nullable=False),
        Col("asset", "name"),
        Col("partition_key", "id"),
        Col("started_at", "timestamp"),
        Col("ended_at", "timestamp"),
        Col("status", "id"),
        Col("records", "int"),
        Col("errors", "int"),
        Col("api_calls", "int"),
        Col("complexity_used", "int"),
        Col("message", "text"),
        # The board a Monday asset pulled (its id comes from the board mapping): the pre-dbt guard
        # compares it with the mapping, so a mapping edited after a pull cannot build empty marts.
        Col("board_id", "id"),
    ),
)
OPS_SYNC_STATE = TableSpec(
    "ops_sync_state",
    "ops",
    (
        Col("source", "id", nullable=False),
        Col("board_id", "id", nullable=False),
        Col("last_sync_at", "timestamp"),
        Col("last_full_sync_at", "timestamp"),
        Col("high_watermark", "timestamp"),
        Col("active_items", "int"),
        Col("last_run_id", "id"),
        # OMS: the dlt load the contract table is in step with (warehouse/oms_landing.py).
        Col("last_load_id", "id"),
    ),
)

# One row per Dagster pipeline run (written by the run-report sensor through
# `warehouse/run_reports.py`, replaced by run_id): the daily run report and the weekly summary in dbt.
# run_date is the partition's date for a daily partition key, else the UTC start date.
OPS_PIPELINE_RUNS = TableSpec(
    "ops_pipeline_runs",
    "ops",
    (
        Col("run_id", "id", nullable=False),
        Col("job_name", "id"),
        Col("partition_key", "id"),
        Col("run_date", "date"),
        Col("started_at", "timestamp"),
        Col("ended_at", "timestamp"),
        Col("duration_seconds", "float"),
        Col("status", "id"),  # success | failure | canceled
        Col("records_processed", "int"),
        Col("errors", "int"),
        Col("failed_checks", "int"),
        Col("issues", "text"),  # newline-separated, NULL when none
        Col("recorded_at", "timestamp"),
    ),
    index=("run_date",),
)

# --- delivery plans (written by the schedule asset, one set of rows per plan date) ---------------
# Landed like the raw Monday tables (same schema): dbt reads them as the `planning` source. Times of
# day are 'HH:MM:SS' text (no portable TIME type in the landing types); dbt casts them.
PLAN_ASSIGNMENTS = TableSpec(
    "plan_assignments",
    "raw",
    (
        Col("plan_date", "date", nullable=False),
        Col("order_id", "id", nullable=False),
        Col("customer_id", "id"),
        Col("priority", "id"),
        Col("requested_date", "date"),
        Col("status", "id", nullable=False),  # scheduled | unschedulable
        Col("scheduled_date", "date"),
        Col("window_start", "id"),
        Col("window_end", "id"),
        Col("resource", "id"),
        Col("units", "float"),
        Col("overtime_units", "float"),
        Col("is_late", "bool"),
        Col("days_late", "int"),
        Col("reason", "id"),
        Col("_run_id", "id"),
        Col("_planned_at", "timestamp"),
        # Added with plan stability (scheduling/stability.py); last, so a migrated table (ensure_schema
        # appends them) has the same column order as a new one. NULL in plans made before.
        Col("window_days", "id"),  # the delivery days the order was planned against, 'Tue,Thu'
        Col("late_kind", "id"),  # past_due | pushed_by_capacity (late orders only)
        Col("change", "id"),  # against the previous plan: new | unchanged | moved_earlier | ...
        Col("previous_date", "date"),
        Col("days_moved", "int"),
        Col("change_reason", "id"),  # why it moved: order_changed | window_changed | ... | promise_kept
        Col("promise_kept", "bool"),
        Col("newly_late", "bool"),
    ),
    index=("plan_date", "order_id"),
)
PLAN_CAPACITY = TableSpec(
    "plan_capacity",
    "raw",
    (
        Col("plan_date", "date", nullable=False),
        Col("resource", "id", nullable=False),
        Col("day", "date", nullable=False),
        Col("capacity_units", "float"),
        Col("overtime_capacity_units", "float"),
        Col("scheduled_units", "float"),
        Col("scheduled_overtime_units", "float"),
        Col("utilization", "float"),
        Col("is_maintenance", "bool"),
        Col("is_holiday", "bool"),
        Col("_run_id", "id"),
        Col("_planned_at", "timestamp"),
    ),
    index=("plan_date", "resource", "day"),
)
PLAN_RUNS = TableSpec(
    "plan_runs",
    "raw",
    (
        Col("plan_date", "date", nullable=False),
        Col("horizon_days", "int"),
        Col("ordering", "id"),
        Col("holiday_country", "id"),
        Col("orders", "int"),
        Col("scheduled", "int"),
        Col("unschedulable", "int"),
        Col("input_errors", "int"),
        Col("late", "int"),
        Col("overtime_units", "float"),
        Col("peak_utilization", "float"),
        Col("seconds", "float"),
        Col("_run_id", "id"),
        Col("_planned_at", "timestamp"),
    ),
    index=("plan_date",),
)
PLAN_TABLES: tuple[TableSpec, ...] = (PLAN_ASSIGNMENTS, PLAN_CAPACITY, PLAN_RUNS)

# --- OMS orders in the order contract (written by the `oms/*` assets, `warehouse/oms_landing.py`) ------
# What dbt reads of the OMS (source `oms`): one row per OMS order, the current state, mapped from the
# API by oms_source.yml (customer_master/oms/contract.py). dlt's own raw tables (dataset `oms_raw`)
# are the extraction's record; dbt never reads them. Replaced for the orders a load saw, in one
# transaction with their quarantine rows, so a failed load leaves this table as it was.
# `_dlt_load_id`: the dlt load this state came from (the next run compares it with dlt's last load).
RAW_OMS_ORDERS = TableSpec(
    "raw_oms_orders",
    "raw",
    (
        Col("oms", "id", nullable=False),  # the oms_source.yml `name` (shopify, woocommerce, ...)
        Col("source_id", "id", nullable=False),  # the OMS's primary key of the order
        Col("order_number", "name", nullable=False),
        Col("customer_number", "name"),
        Col("customer_email", "name"),
        Col("quantity", "float"),
        Col("requested_date", "date"),
        Col("priority", "id"),  # rush | high | normal | low; NULL = quarantined
        Col("status", "id"),  # open | delivered | cancelled | deleted; NULL = quarantined/unmapped
        Col("is_cancelled", "bool"),
        Col("is_deleted", "bool"),
        Col("delivered_date", "date"),
        Col("updated_at", "timestamp"),
        Col("_partition_key", "id"),
        Col("_run_id", "id"),
        Col("_loaded_at", "timestamp"),
        Col("_dlt_load_id", "id"),
        # When the loader marked the order deleted (a deletions feed, or gone from a full pull): the
        # OMS's updated_at does not move then, and the snapshots version on the later of the two.
        STATE_CHANGED_AT,
    ),
    index=("oms", "source_id"),
)

# --- the board mapping as applied (written before every dbt build by `warehouse/mapping.py`) ------
# The staging models read these (dbt source `monday`): one row per mapped field with the column it
# resolved to on the live board, and the labels of each field's value sets. Replaced whole, in one
# transaction, each time the mapping is applied.
OPS_BOARD_MAPPING = TableSpec(
    "ops_board_mapping",
    "ops",
    (
        Col("entity", "id", nullable=False),
        Col("board_id", "id", nullable=False),
        Col("field", "id", nullable=False),
        Col("column_id", "id"),  # resolved on the live board; NULL when it resolved to nothing
        Col("mapped_column_id", "id"),
        Col("mapped_title", "name"),
        Col("resolved_by", "id"),  # id | title | item_name | missing
        Col("kind", "id"),
        Col("extra_key", "id"),
        Col("is_required", "bool"),
        Col("mapping_line", "int"),
        Col("mapping_file", "name"),
        Col("applied_at", "timestamp"),
    ),
)
OPS_BOARD_MAPPING_VALUES = TableSpec(
    "ops_board_mapping_values",
    "ops",
    (
        Col("entity", "id", nullable=False),
        Col("field", "id", nullable=False),
        Col("canonical", "id", nullable=False),
        Col("label", "name", nullable=False),
        Col("label_key", "name", nullable=False),  # lower(trim(label)): what staging joins on
    ),
)
MAPPING_TABLES: tuple[TableSpec, ...] = (OPS_BOARD_MAPPING, OPS_BOARD_MAPPING_VALUES)

PRODUCTION_TABLES: tuple[TableSpec, ...] = (
    RAW_BOARDS,
    RAW_COLUMNS,
    RAW_ITEMS,
    RAW_VALUES,
    OPS_QUARANTINE,
    OPS_RUN_LOG,
    OPS_SYNC_STATE,
    OPS_PIPELINE_RUNS,
    *PLAN_TABLES,
    *MAPPING_TABLES,
    RAW_OMS_ORDERS,
)
TABLES_BY_NAME: dict[str, TableSpec] = {t.name: t for t in PRODUCTION_TABLES}

# --- staging tables (one set per board; contract fields only, lineage is added by the swap) ------
STAGING_ITEMS = TableSpec("raw_monday_items", "staging", ITEM_COLUMNS)
STAGING_VALUES = TableSpec("raw_monday_column_values", "staging", VALUE_COLUMNS)
STAGING_QUARANTINE = TableSpec("ops_quarantine", "staging", QUARANTINE_COLUMNS)
STAGING_CHANGES = TableSpec("state_changes", "staging", CHANGE_COLUMNS)
# Filled inside the swap, before the re-pulled items' production rows are replaced: their state and
# `_state_changed_at` as production had them, so the insert can carry the timestamp over (or set it
# when an archived/deleted item comes back).
STAGING_PRIOR = TableSpec(
    "prior_states", "staging", (Col("item_id", "id"), Col("state", "id"), STATE_CHANGED_AT)
)
STAGING_TABLES: tuple[TableSpec, ...] = (
    STAGING_ITEMS,
    STAGING_VALUES,
    STAGING_QUARANTINE,
    STAGING_CHANGES,
    STAGING_PRIOR,
)

_SAFE = re.compile(r"[^A-Za-z0-9_]")


def staging_name(spec: TableSpec, board_id: str) -> str:
    """`raw_monday_items__b12345`: per board, so two boards loading never share staging."""
    if not board_id:
        raise ValueError("board id is empty")
    safe = _SAFE.sub("_", board_id)[:64]
    if safe != board_id:  # keep distinct ids distinct after sanitising
        safe = f"{safe}_{hashlib.sha1(board_id.encode()).hexdigest()[:10]}"
    return f"{spec.name}__b{safe}"
