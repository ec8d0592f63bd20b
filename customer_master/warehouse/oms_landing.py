"""Land one OMS load's order contract in `raw_oms_orders`: staging -> validate -> one-transaction swap.

dlt writes the API's records to its own raw dataset (`oms_raw`); what dbt reads of the OMS is this
contract table, one row per order (current state), written here after dlt's load committed. The
same guarantees as a Monday board load (`loader.py`), over the same `Session`s and rules:

- staged first (TEMP tables on DuckDB, the staging schema on SQL Server), validated with the Monday
  loads' rules (`validation.py`: error rate above critical, mass deletion, a full pull that shrinks
  the active orders by more than half), then swapped in ONE transaction with the orders' quarantine
  rows and the sync state; a failure anywhere leaves every table as it was;
- upsert by (oms, source_id): a rerun of the same load writes the same rows (idempotent);
- deletions: an order the OMS reports deleted (a status, a `deleted_at`, a deletions feed) is kept
  with `is_deleted`; a FULL pull also marks the orders it no longer sees deleted (Shopify drops a
  deleted order from orders.json), so an order never lingers in the plan after it went away;
- quarantine (`ops_quarantine`, source `oms`, board_id = the OMS name, item_id = its order id):
  replaced for the orders this load saw (a full load: all of this OMS's), so it always lists the
  problems of the orders as they are now;
- `ops_sync_state` (source `oms`) records the dlt load the table is in step with (`last_load_id`):
  a load that stopped after dlt committed but before this swap is caught by the next run, which
  then pulls everything (`in_step_with`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from customer_master.common import truncate, utcnow
from customer_master.oms.config import OmsSource
from customer_master.oms.contract import (
    CONTRACT_COLUMNS,
    ContractBatch,
    ContractCollector,
    OrderRow,
    QuarantineEntry,
)
from customer_master.oms.pipeline import DEFAULT_DATASET, OmsLoadResult, OmsRun, pipeline_name
from customer_master.oms.source import OmsConnection
from customer_master.warehouse.arrow import arrow_schema, to_utc_naive
from customer_master.warehouse.base import LoadValidationError, RunInfo, RunLogEntry, Session, Warehouse
from customer_master.warehouse.loader import transaction, write_sync_state
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import (
    OPS_QUARANTINE,
    OPS_SYNC_STATE,
    QUARANTINE_FIELDS,
    RAW_OMS_ORDERS,
    STAGING_QUARANTINE,
    STATE_CHANGED_AT,
    Col,
    TableSpec,
    quote,
)
from customer_master.warehouse.validation import (
    RULE_ERROR_RATE,
    StagingCounts,
    error_rate,
    validate_load,
    validation_failures,
)

log = logging.getLogger(__name__)

SOURCE_OMS = "oms"
OmsMode = Literal["full", "incremental"]
RequestedOmsMode = Literal["auto", "full", "incremental"]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

# The contract columns as they are staged (lineage is added by the swap).
STAGING_OMS_ORDERS = TableSpec(
    "raw_oms_orders",
    "staging",
    tuple(RAW_OMS_ORDERS.col(name) for name in ("oms", *CONTRACT_COLUMNS) if name != "source"),
)
STAGING_OMS_DELETED = TableSpec("oms_deleted", "staging", (Col("source_id", "id"),))
OMS_STAGING_TABLES: tuple[TableSpec, ...] = (STAGING_OMS_ORDERS, STAGING_OMS_DELETED, STAGING_QUARANTINE)
_ORDER_FIELDS: tuple[str, ...] = STAGING_OMS_ORDERS.column_names


@dataclass(frozen=True, slots=True)
class OmsContractResult:
    oms: str
    mode: OmsMode
    orders_loaded: int  # contract rows written by this load
    values: int  # contract values read (the error rate's denominator)
    quarantined: int
    deleted: int  # active orders this load marked deleted (reported, or gone from a full pull)
    active_orders: int  # not deleted, after the swap
    seconds: float

    @property
    def error_rate(self) -> float:
        return error_rate(self.quarantined, self.values)


def staging_key(oms: str) -> str:
    """The staging tables' suffix for one OMS (never shared with a Monday board's)."""
    return f"oms_{oms}"


# --- SQL (the portable subset of sql.py; `?` parameters) -------------------------------------------


class OmsStatements:
    """The contract swap's statements, rendered with one engine's `Statements`."""

    staging_tables: tuple[TableSpec, ...] = OMS_STAGING_TABLES

    def __init__(self, st: Statements, oms: str, *, key: str | None = None) -> None:
        self.st = st
        self.key = key or staging_key(oms)
        self.target = st.ref(RAW_OMS_ORDERS)
        self.staged = st.staging_ref(STAGING_OMS_ORDERS, self.key)
        self.deleted = st.staging_ref(STAGING_OMS_DELETED, self.key)
        self.quarantine = st.staging_ref(STAGING_QUARANTINE, self.key)

    def begin(self) -> list[str]:
        return self.drop_staging() + [self.st.create_staging(s, self.key) for s in self.staging_tables]

    def drop_staging(self) -> list[str]:
        return [self.st.drop_table(self.st.staging_ref(s, self.key)) for s in self.staging_tables]

    def count_staged(self) -> str:
        """-> rows, duplicate source ids, rows of another OMS."""
        return (
            'SELECT COUNT(*), COUNT(*) - COUNT(DISTINCT "source_id"), '
            f'SUM(CASE WHEN "oms" <> ? THEN 1 ELSE 0 END) FROM {self.staged}'
        )

    def count_active(self) -> str:
        """params: oms."""
        return f'SELECT COUNT(*) FROM {self.target} WHERE "oms" = ? AND "is_deleted" = ?'

    def count_newly_deleted(self) -> str:
        """Active orders a staged row or a reported deletion marks deleted. params: oms, false, true."""
        return (
            f'SELECT COUNT(*) FROM {self.target} WHERE "oms" = ? AND "is_deleted" = ? AND ('
            f'"source_id" IN (SELECT "source_id" FROM {self.staged} WHERE "is_deleted" = ?) OR '
            f'"source_id" IN (SELECT "source_id" FROM {self.deleted}))'
        )

    def count_unseen(self) -> str:
        """FULL: active orders the pull did not return (they are marked deleted). params: oms, false."""
        return (
            f'SELECT COUNT(*) FROM {self.target} WHERE "oms" = ? AND "is_deleted" = ? AND '
            f'"source_id" NOT IN (SELECT "source_id" FROM {self.staged}) AND '
            f'"source_id" NOT IN (SELECT "source_id" FROM {self.deleted})'
        )

    def delete_staged(self) -> str:
        """params: oms."""
        return (
            f'DELETE FROM {self.target} WHERE "oms" = ? AND '
            f'"source_id" IN (SELECT "source_id" FROM {self.staged})'
        )

    def insert_staged(self) -> str:
        """params: _partition_key, _run_id, _loaded_at, _dlt_load_id."""
        lineage_cols = ("_partition_key", "_run_id", "_loaded_at", "_dlt_load_id")
        cols = ", ".join(quote(c) for c in (*_ORDER_FIELDS, *lineage_cols))
        lineage = ", ".join(self.st.cast_param(RAW_OMS_ORDERS.col(c)) for c in lineage_cols)
        fields = ", ".join(quote(c) for c in _ORDER_FIELDS)
        return f"INSERT INTO {self.target} ({cols}) SELECT {fields}, {lineage} FROM {self.staged}"

    def mark_deleted(self, *, unseen: bool) -> str:
        """Reported deletions (or, `unseen`, the active orders a FULL pull did not return) become
        deleted. params: true, 'deleted', _partition_key, _run_id, _loaded_at, _state_changed_at, oms,
        false."""
        if unseen:
            which = (
                f'"source_id" NOT IN (SELECT "source_id" FROM {self.staged}) AND '
                f'"source_id" NOT IN (SELECT "source_id" FROM {self.deleted})'
            )
        else:
            which = f'"source_id" IN (SELECT "source_id" FROM {self.deleted})'
        return (
            f'UPDATE {self.target} SET "is_deleted" = ?, "status" = ?, "_partition_key" = ?, "_run_id" = ?, '
            f'"_loaded_at" = ?, "_state_changed_at" = ? WHERE "oms" = ? AND "is_deleted" = ? AND {which}'
        )

    def delete_quarantine(self, *, full: bool) -> str:
        """params: 'oms', oms[, _partition_key]. FULL: all of this OMS's rows; else the rows of the
        orders this load saw, and this partition's rows without an order id."""
        sql = f'DELETE FROM {self.st.ref(OPS_QUARANTINE)} WHERE "source" = ? AND "board_id" = ?'
        if full:
            return sql
        return sql + (
            f' AND ("item_id" IN (SELECT "source_id" FROM {self.staged}) OR "item_id" IN '
            f'(SELECT "item_id" FROM {self.quarantine} WHERE "item_id" IS NOT NULL) OR '
            '("item_id" IS NULL AND "_partition_key" = ?))'
        )

    def insert_quarantine(self) -> str:
        """params: 'oms', _partition_key, _run_id, quarantined_at."""
        return self.st.insert_quarantine(self.key)

    def catalog(self) -> dict[str, str]:
        """Every statement, by name (a test parses each as T-SQL)."""
        out = {f"begin_{i}": sql for i, sql in enumerate(self.begin())}
        out |= {
            "count_staged": self.count_staged(),
            "count_active": self.count_active(),
            "count_newly_deleted": self.count_newly_deleted(),
            "count_unseen": self.count_unseen(),
            "delete_staged": self.delete_staged(),
            "insert_staged": self.insert_staged(),
            "mark_deleted": self.mark_deleted(unseen=False),
            "mark_unseen_deleted": self.mark_deleted(unseen=True),
            "delete_quarantine_full": self.delete_quarantine(full=True),
            "delete_quarantine": self.delete_quarantine(full=False),
            "insert_quarantine": self.insert_quarantine(),
        }
        return out


# --- Arrow ----------------------------------------------------------------------------------------


def orders_table(oms: str, rows: Sequence[OrderRow]) -> pa.Table:
    columns: dict[str, list[object]] = {name: [] for name in _ORDER_FIELDS}
    for row in rows:
        columns["oms"].append(oms)
        for name in _ORDER_FIELDS[1:]:
            columns[name].append(getattr(row, name))
    columns["updated_at"] = [
        to_utc_naive(v) if isinstance(v, dt.datetime) else v for v in columns["updated_at"]
    ]
    return pa.table(columns, schema=arrow_schema(STAGING_OMS_ORDERS))


def quarantine_rows(oms: str, entries: Iterable[QuarantineEntry]) -> pa.Table:
    """OMS problems in the quarantine's columns: board_id = the OMS, item_id = its order id,
    column_id = the contract field, raw_text = the order number."""
    values: dict[str, list[object]] = {name: [] for name in QUARANTINE_FIELDS}
    for e in entries:
        for name, value in zip(
            QUARANTINE_FIELDS,
            (oms, e.source_id, e.field, "oms_contract", e.reason, e.order_number, e.raw_value),
            strict=True,
        ):
            values[name].append(value)
    return pa.table(values, schema=arrow_schema(STAGING_QUARANTINE))


# --- the load ---------------------------------------------------------------------------------------


def land_oms_contract(
    warehouse: Warehouse,
    oms: str,
    batch: ContractBatch,
    *,
    mode: OmsMode,
    partition_key: str | None,
    run_id: str,
    dlt_load_id: str | None,
    force: bool = False,
) -> OmsContractResult:
    """Swap one load's contract rows into `raw_oms_orders` (see the module docstring).

    Raises `LoadValidationError` (naming the OMS and the rule) before anything changes when the load
    breaks a rule; `force=True` waives only the guards on losing orders (mass deletion, shrink)."""
    started = time.perf_counter()
    st = warehouse.statements
    q = OmsStatements(st, oms)
    now = to_utc_naive(warehouse.clock())
    full = mode == "full"
    with warehouse.session() as s, _staging(s, q):
        _stage(s, q, oms, batch)
        counts = _measure(s, q, oms, batch, mode)
        validate_load(counts, warehouse.rules, force=force)
        with transaction(s, st.rollback):
            lineage = [partition_key, run_id, now]
            s.execute(q.delete_staged(), [oms])
            s.execute(q.insert_staged(), [*lineage, dlt_load_id])
            s.execute(q.mark_deleted(unseen=False), [True, "deleted", *lineage, now, oms, False])
            if full:
                s.execute(q.mark_deleted(unseen=True), [True, "deleted", *lineage, now, oms, False])
            s.execute(q.delete_quarantine(full=full), [SOURCE_OMS, oms, *([] if full else [partition_key])])
            s.execute(q.insert_quarantine(), [SOURCE_OMS, partition_key, run_id, now])
            active = int(s.query(q.count_active(), [oms, False])[0][0] or 0)
            write_sync_state(
                s, st, SOURCE_OMS, oms, now=now, full=full, updated=(r.updated_at for r in batch.rows),
                active=active, run_id=run_id, load_id=dlt_load_id,
            )  # fmt: skip
            for sql in q.drop_staging():
                s.execute(sql)
    return OmsContractResult(
        oms=oms,
        mode=mode,
        orders_loaded=len(batch.rows),
        values=batch.values,
        quarantined=batch.quarantined,
        deleted=counts.deletions,
        active_orders=active,
        seconds=time.perf_counter() - started,
    )


@contextmanager
def _staging(s: Session, q: OmsStatements) -> Iterator[None]:
    """Create the load's staging tables; on any error drop them again and re-raise. (On success the
    load drops them inside its swap transaction: gone exactly when the swap lands.)"""
    try:
        for sql in q.begin():
            s.execute(sql)
        yield
    except BaseException:
        for sql in q.drop_staging():
            try:
                s.execute(sql)
            except Exception:  # the original error is what matters
                break
        raise


def _stage(s: Session, q: OmsStatements, oms: str, batch: ContractBatch) -> None:
    if batch.rows:
        s.bulk_insert(q.staged, STAGING_OMS_ORDERS, orders_table(oms, batch.rows))
    if batch.deleted_elsewhere:
        ids = sorted(batch.deleted_elsewhere)
        s.bulk_insert(q.deleted, STAGING_OMS_DELETED, pa.table({"source_id": pa.array(ids, pa.string())}))
    if batch.quarantine:
        s.bulk_insert(q.quarantine, STAGING_QUARANTINE, quarantine_rows(oms, batch.quarantine))


def _measure(s: Session, q: OmsStatements, oms: str, batch: ContractBatch, mode: OmsMode) -> StagingCounts:
    rows, duplicates, foreign = s.query(q.count_staged(), [oms])[0]
    active_before = int(s.query(q.count_active(), [oms, False])[0][0] or 0)
    reported = int(s.query(q.count_newly_deleted(), [oms, False, True])[0][0] or 0)
    unseen = int(s.query(q.count_unseen(), [oms, False])[0][0] or 0) if mode == "full" else 0
    staged_deleted = sum(1 for r in batch.rows if r.is_deleted)
    active_after = int(rows or 0) - staged_deleted if mode == "full" else active_before
    return StagingCounts(
        board_id=f"{SOURCE_OMS}:{oms}",
        mode=mode,
        items=int(rows or 0),
        duplicate_item_ids=int(duplicates or 0),
        values=batch.values,
        foreign_rows=int(foreign or 0),
        quarantined=batch.quarantined,
        active_before=active_before,
        active_after=max(active_after, 0),
        reported_deleted=reported,
        unreported_retired=unseen,
    )


def contract_load_id(warehouse: Warehouse, oms: str) -> str | None:
    """The dlt load the contract table is in step with (None: never loaded)."""
    rows = warehouse.query(warehouse.statements.select_sync_state(), [SOURCE_OMS, oms])
    if not rows:
        return None
    return dict(zip(OPS_SYNC_STATE.column_names, rows[0], strict=True)).get("last_load_id")


def latest_dlt_load_sql(dataset: str) -> str:
    """dlt's newest completed load (status 0) of one source schema. params: schema_name."""
    if not _IDENT.fullmatch(dataset):
        raise ValueError(f"the dlt dataset must be a plain identifier, got {dataset!r}")
    loads = f'{quote(dataset)}."_dlt_loads"'
    return f'SELECT MAX("load_id") FROM {loads} WHERE "status" = 0 AND "schema_name" = ?'


def latest_dlt_load_id(warehouse: Warehouse, dataset: str, schema_name: str) -> str | None:
    """dlt's last completed load of this source in the warehouse (None: none, or no dataset yet)."""
    try:
        rows = warehouse.query(latest_dlt_load_sql(dataset), [schema_name])
    except Exception:  # no dataset or no _dlt_loads table yet: dlt never loaded here
        return None
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def choose_oms_mode(
    requested: RequestedOmsMode, contract_load: str | None, dlt_load: str | None
) -> tuple[OmsMode, str]:
    """Full or incremental, and why. Incremental only when the contract table is in step with dlt's
    last load: after a load that stopped between dlt's commit and the contract swap, dlt's cursor
    is past orders the contract never got, so only a full pull can bring them in."""
    if requested == "full":
        return "full", "requested"
    if contract_load is None:
        return "full", "first load: the contract table has no OMS load yet"
    if dlt_load is None:
        return "full", "dlt has no completed load in the warehouse (its raw dataset is new or was dropped)"
    if dlt_load != contract_load:
        return "full", (
            f"the contract table is in step with dlt load {contract_load} but dlt's last load is "
            f"{dlt_load} (a load stopped between the two): pulling everything"
        )
    return "incremental", f"from dlt's cursor (in step at load {dlt_load})"


# --- one sync: decide the mode, run dlt, swap the contract, log the run ------------------------------


@dataclass(frozen=True, slots=True)
class OmsSyncReport:
    load: OmsLoadResult
    contract: OmsContractResult
    reason: str  # why this mode


def sync_oms(
    warehouse: Warehouse,
    source: OmsSource,
    *,
    destination: Any,
    pipeline_dir: str | Path,
    connection: OmsConnection,
    run: RunInfo,
    requested: RequestedOmsMode = "auto",
    force: bool = False,
    dataset: str = DEFAULT_DATASET,
    drive: Callable[[OmsRun], None] | None = None,
) -> OmsSyncReport:
    """The OMS's daily sync without any orchestrator: the mode (`choose_oms_mode`), dlt's load
    (`drive(load)` runs it: by default `pipeline.run`; the Dagster asset hands it to dagster-dlt),
    the contract swap, and one ops_run_log row either way. Raises what failed (`OmsLoadError`,
    `LoadValidationError`, ...); every table dbt reads is then as it was."""
    warehouse.ensure_schema()
    name = pipeline_name(source)
    load: OmsLoadResult | None = None
    try:
        mode, reason = choose_oms_mode(
            requested, contract_load_id(warehouse, source.name), latest_dlt_load_id(warehouse, dataset, name)
        )
        log.info("OMS %s: %s load (%s)", source.name, mode, reason)
        oms_run = OmsRun(
            source,
            destination=destination,
            dataset=dataset,
            pipeline_dir=pipeline_dir,
            full_refresh=mode == "full",
            connection=connection,
        )
        with oms_run:
            if drive is None:
                oms_run.pipeline.run(oms_run.source, **oms_run.run_kwargs)
            else:
                drive(oms_run)
        load = oms_run.result()
        contract = land_oms_contract(
            warehouse,
            source.name,
            load.contract,
            mode=mode,
            partition_key=run.partition_key,
            run_id=run.run_id,
            # What dlt committed last (a run with nothing new may add no load of its own).
            dlt_load_id=latest_dlt_load_id(warehouse, dataset, name),
            force=force,
        )
    except Exception as exc:
        warehouse.record_run(_run_entry(run, source, "failed", load, truncate(str(exc), 500)))
        raise
    warehouse.record_run(_run_entry(run, source, "success", load, None))
    return OmsSyncReport(load=load, contract=contract, reason=reason)


def _run_entry(
    run: RunInfo, source: OmsSource, status: str, load: OmsLoadResult | None, message: str | None
) -> RunLogEntry:
    return run.log_entry(
        status,
        ended_at=utcnow(),
        records=load.records_extracted if load is not None else 0,
        errors=load.quarantined if load is not None else 0,
        message=message,
        board_id=source.name,
    )


# --- realtime: a few orders by id ---------------------------------------------------------------------

# Production's state of each re-read order, kept before its row is replaced: the insert carries
# `_state_changed_at` over, or sets it when the order's cancelled/deleted state changed.
STAGING_OMS_PRIOR = TableSpec(
    "oms_prior",
    "staging",
    (Col("source_id", "id"), Col("is_cancelled", "bool"), Col("is_deleted", "bool"), STATE_CHANGED_AT),
)
OMS_CHANGE_STAGING_TABLES: tuple[TableSpec, ...] = (*OMS_STAGING_TABLES, STAGING_OMS_PRIOR)


def change_staging_key(oms: str) -> str:
    """The realtime upsert's staging suffix: never the nightly's, so the two never share staging
    (on SQL Server staging tables are real tables in the staging schema)."""
    return f"oms_{oms}_rt"


class OmsChangeStatements(OmsStatements):
    """The realtime upsert's statements (`upsert_oms_orders`): the nightly's, over staging of its own,
    plus dropping stale versions and carrying `_state_changed_at` over."""

    staging_tables = OMS_CHANGE_STAGING_TABLES

    def __init__(self, st: Statements, oms: str) -> None:
        super().__init__(st, oms, key=change_staging_key(oms))
        self.prior = st.staging_ref(STAGING_OMS_PRIOR, self.key)

    def stale_ids(self) -> str:
        """Staged orders production holds in a newer version (never overwritten). params: oms."""
        return (
            f'SELECT s."source_id" FROM {self.staged} AS s JOIN {self.target} AS r '
            'ON r."oms" = ? AND r."source_id" = s."source_id" WHERE r."updated_at" > s."updated_at"'
        )

    def discard_stale(self) -> list[str]:
        """Drop the stale orders' staged quarantine rows, then their staged rows. params: oms (each)."""
        return [
            f'DELETE FROM {self.quarantine} WHERE "item_id" IN ({self.stale_ids()})',
            f'DELETE FROM {self.staged} WHERE "source_id" IN ({self.stale_ids()})',
        ]

    def save_prior(self) -> str:
        """params: oms."""
        cols = ", ".join(quote(c) for c in STAGING_OMS_PRIOR.column_names)
        return (
            f"INSERT INTO {self.prior} ({cols}) SELECT {cols} FROM {self.target} "
            f'WHERE "oms" = ? AND "source_id" IN (SELECT "source_id" FROM {self.staged})'
        )

    def insert_staged_with_state(self) -> str:
        """The staged orders with lineage; `_state_changed_at` is the load time when production had
        the order cancelled/deleted differently, else production's (NULL for a new order).
        params: _partition_key, _run_id, _loaded_at, _dlt_load_id, the load time."""
        lineage_cols = ("_partition_key", "_run_id", "_loaded_at", "_dlt_load_id")
        cols = ", ".join(quote(c) for c in (*_ORDER_FIELDS, *lineage_cols, STATE_CHANGED_AT.name))
        select = ", ".join(
            [
                *(f"s.{quote(c)}" for c in _ORDER_FIELDS),
                *(self.st.cast_param(RAW_OMS_ORDERS.col(c)) for c in lineage_cols),
                'CASE WHEN p."source_id" IS NOT NULL AND (p."is_deleted" <> s."is_deleted" OR '
                f'p."is_cancelled" <> s."is_cancelled") THEN {self.st.cast_param(STATE_CHANGED_AT)} '
                f"ELSE p.{quote(STATE_CHANGED_AT.name)} END",
            ]
        )
        return (
            f"INSERT INTO {self.target} ({cols}) SELECT {select} FROM {self.staged} AS s "
            f'LEFT JOIN {self.prior} AS p ON p."source_id" = s."source_id"'
        )

    def delete_quarantine_changed(self) -> str:
        """The quarantine rows of the orders this upsert re-read (landed, or gone from the API).
        params: 'oms', oms."""
        return (
            f'DELETE FROM {self.st.ref(OPS_QUARANTINE)} WHERE "source" = ? AND "board_id" = ? AND '
            f'("item_id" IN (SELECT "source_id" FROM {self.staged}) OR '
            f'"item_id" IN (SELECT "item_id" FROM {self.quarantine} WHERE "item_id" IS NOT NULL) OR '
            f'"item_id" IN (SELECT "source_id" FROM {self.deleted}))'
        )

    def catalog(self) -> dict[str, str]:
        out = {f"rt_begin_{i}": sql for i, sql in enumerate(self.begin())}
        out |= {
            "rt_count_staged": self.count_staged(),
            "rt_count_active": self.count_active(),
            "rt_count_newly_deleted": self.count_newly_deleted(),
            "rt_stale_ids": self.stale_ids(),
            **{f"rt_discard_stale_{i}": sql for i, sql in enumerate(self.discard_stale())},
            "rt_save_prior": self.save_prior(),
            "rt_delete_staged": self.delete_staged(),
            "rt_insert_staged_with_state": self.insert_staged_with_state(),
            "rt_mark_deleted": self.mark_deleted(unseen=False),
            "rt_delete_quarantine_changed": self.delete_quarantine_changed(),
            "rt_insert_quarantine": self.insert_quarantine(),
        }
        return out


@dataclass(frozen=True, slots=True)
class OmsChangeReport:
    """What one realtime upsert did to `raw_oms_orders`."""

    oms: str
    requested: int  # order ids asked for
    returned: int  # records the API returned for them
    upserted: int  # rows written (returned, mapped, not stale)
    deleted: int  # active orders marked deleted (gone from the API, or deleted in it)
    stale: int  # returned versions older than the warehouse's: dropped
    quarantined: int
    seconds: float


def upsert_oms_orders(
    warehouse: Warehouse,
    records: Iterable[Any],
    *,
    source: OmsSource,
    run: RunInfo,
    requested_ids: Iterable[str],
) -> OmsChangeReport:
    """Land the current records of a few orders read by id (`oms.changes.fetch_orders`) in
    `raw_oms_orders`, in ONE transaction:

    - each record is mapped to the contract (`ContractCollector`); bad values become NULL and
      `ops_quarantine` rows (source 'oms', board_id = the OMS, item_id = the order id), which
      replace the re-read orders' quarantine rows;
    - a record older than the warehouse's row (`updated_at`) is dropped: newer data is never
      overwritten (neither its row nor its quarantine);
    - a requested id the API no longer returns is marked deleted (`is_deleted`, status 'deleted',
      `_state_changed_at` = now), as the nightly marks reported deletions; a later event for it reads
      the API again and finds it gone again, so it is never resurrected;
    - `_state_changed_at` is carried over, or set to now when the order's cancelled/deleted state
      changed; the sync state (the nightly's dlt bookkeeping) is left alone.

    The batch is checked with the nightly's rules (duplicate ids, foreign rows, mass deletion; not
    the error rate, which over a handful of orders says nothing: a bad value is quarantined and
    the order still lands). Raises what failed; `raw_oms_orders` and `ops_quarantine` are then as
    they were."""
    started = time.perf_counter()
    oms = source.name
    requested = sorted({str(i) for i in requested_ids})
    collector = ContractCollector(source)
    returned_ids: set[str] = set()
    key = source.orders.primary_key
    for record in records:
        order_id = record.get(key) if isinstance(record, dict) else None
        if order_id is None or str(order_id) not in requested:
            continue  # only what was asked for: an id-less or foreign record changes nothing
        returned_ids.add(str(order_id))
        collector.add_order(record)
    batch = collector.finish()
    batch.quarantine = [q for q in batch.quarantine if q.source_id is not None]
    batch.deleted_elsewhere = frozenset(set(requested) - returned_ids)

    st = warehouse.statements
    q = OmsChangeStatements(st, oms)
    now = to_utc_naive(warehouse.clock())
    lineage = [run.partition_key, run.run_id, now]
    with warehouse.session() as s, _staging(s, q):
        _stage(s, q, oms, batch)
        stale = {str(r[0]) for r in s.query(q.stale_ids(), [oms])}
        for sql in q.discard_stale():
            s.execute(sql, [oms])
        counts = _measure(s, q, oms, batch, "incremental")
        failures = [
            f
            for f in validation_failures(replace(counts, mode="changes"), warehouse.rules)
            if not f.startswith(RULE_ERROR_RATE)
        ]
        if failures:
            raise LoadValidationError(
                f"board {counts.board_id} (changes load) failed validation; production unchanged: "
                + "; ".join(failures)
            )
        with transaction(s, st.rollback):
            s.execute(q.save_prior(), [oms])
            s.execute(q.delete_staged(), [oms])
            s.execute(q.insert_staged_with_state(), [*lineage, None, now])
            s.execute(q.mark_deleted(unseen=False), [True, "deleted", *lineage, now, oms, False])
            s.execute(q.delete_quarantine_changed(), [SOURCE_OMS, oms])
            s.execute(q.insert_quarantine(), [SOURCE_OMS, run.partition_key, run.run_id, now])
            for sql in q.drop_staging():
                s.execute(sql)
    landed = [r for r in batch.rows if r.source_id not in stale]
    return OmsChangeReport(
        oms=oms,
        requested=len(requested),
        returned=len(returned_ids),
        upserted=len(landed),
        deleted=counts.deletions,
        stale=len(stale),
        quarantined=sum(1 for e in batch.quarantine if e.source_id not in stale),
        seconds=time.perf_counter() - started,
    )
