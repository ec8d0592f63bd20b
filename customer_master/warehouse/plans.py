"""Delivery plans in the warehouse: the planner's inputs as of a plan date, and the plan itself.

* `read_plan_inputs` reads what was known at the end of the plan date: each order's and customer's
  version from the dbt snapshots valid then (an order created by then whose first recorded version is
  later counts with that first version: history starts with the first snapshot), and the capacity
  calendar for the horizon as it stands (capacity is a forward-looking calendar, not snapshotted).
* `read_previous_plan` reads the plan made for the latest earlier date (the promises the next plan
  keeps, and what its churn is measured against).
* `write_plan` replaces one plan date's rows of `plan_assignments`, `plan_capacity` and `plan_runs`
  in one transaction: a rerun of a partition gives the same rows, a failure leaves the previous plan.
* `capacity_violations` and `plan_integrity` re-check the rows as written (the asset checks use them).
* `purge_plans_before` drops plans older than the retention cut-off from the plan tables and from
  dbt's `schedule_history`, and says how many rows went.

Every statement is portable DuckDB / T-SQL (see `sql.py`); `PlanStatements.catalog()` lists them so a
test parses each as T-SQL. Timestamps are naive UTC, like the rest of the warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from customer_master.warehouse.arrow import arrow_schema, columnar_table
from customer_master.warehouse.base import Session, Warehouse
from customer_master.warehouse.loader import transaction
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import (
    PLAN_ASSIGNMENTS,
    PLAN_CAPACITY,
    PLAN_RUNS,
    PLAN_TABLES,
    TableSpec,
    quote,
)

SNAPSHOT_ORDERS = "snap_order_master"
SNAPSHOT_CUSTOMERS = "snap_customer_master"
CAPACITY_CALENDAR = "capacity_calendar"
SCHEDULE_HISTORY = "schedule_history"
DELIVERY_PERFORMANCE = "delivery_performance"

ORDER_INPUT_COLUMNS: tuple[str, ...] = (
    "order_id",
    "customer_id",
    "priority",
    "quantity",
    "requested_date",
    "status",
    "is_open",
    "delivered_date",
)
CUSTOMER_INPUT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "is_active",
    "delivery_days",
    "delivery_window_start",
    "delivery_window_end",
)
PREVIOUS_PLAN_COLUMNS: tuple[str, ...] = (
    "order_id",
    "customer_id",
    "priority",
    "requested_date",
    "status",
    "scheduled_date",
    "resource",
    "units",
    "is_late",
    "window_days",
    "window_start",
    "window_end",
)
PREVIOUS_CAPACITY_COLUMNS: tuple[str, ...] = ("resource", "day", "capacity_units", "overtime_capacity_units")
CAPACITY_INPUT_COLUMNS: tuple[str, ...] = (
    "resource",
    "capacity_date",
    "capacity_units",
    "overtime_units",
    "is_maintenance",
)
TABLE_SPECS: dict[str, TableSpec] = {t.name: t for t in PLAN_TABLES}


class PlanInputsMissing(RuntimeError):
    """A table the planner reads has not been built yet (dbt has not run on this warehouse)."""


@dataclass(frozen=True, slots=True)
class PlanInputRows:
    """Rows as dicts keyed by the *_INPUT_COLUMNS names."""

    orders: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    capacity: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PlanStatements:
    """The plan SQL for one engine, over the table locations of a `Statements`."""

    st: Statements

    def _cols(self, names: Sequence[str], alias: str = "") -> str:
        prefix = f"{alias}." if alias else ""
        return ", ".join(f"{prefix}{quote(c)}" for c in names)

    def table_exists(self) -> str:
        """params: schema, table -> a count."""
        return "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"

    def _as_of(self, snapshot: str, key: str, columns: Sequence[str]) -> str:
        """Versions valid at the cut-off, plus the first version of entities created by then whose
        history starts later. params: cut-off x4."""
        ref = self.st.mart_ref(snapshot)
        k = quote(key)
        return (
            f"SELECT {self._cols(columns, 'v')} FROM {ref} v "
            'WHERE (v."dbt_valid_from" < ? AND (v."dbt_valid_to" IS NULL OR v."dbt_valid_to" >= ?)) '
            'OR (v."created_at" < ? AND v."dbt_valid_from" >= ? AND NOT EXISTS ('
            f'SELECT 1 FROM {ref} e WHERE e.{k} = v.{k} AND e."dbt_valid_from" < v."dbt_valid_from"))'
        )

    def orders_as_of(self) -> str:
        return self._as_of(SNAPSHOT_ORDERS, "order_id", ORDER_INPUT_COLUMNS)

    def customers_as_of(self) -> str:
        return self._as_of(SNAPSHOT_CUSTOMERS, "customer_id", CUSTOMER_INPUT_COLUMNS)

    def capacity_in_horizon(self) -> str:
        """params: first day, day after the last."""
        return (
            f"SELECT {self._cols(CAPACITY_INPUT_COLUMNS)} FROM {self.st.mart_ref(CAPACITY_CALENDAR)} "
            'WHERE "capacity_date" >= ? AND "capacity_date" < ?'
        )

    def previous_plan_date(self) -> str:
        """The latest plan made for an earlier date. params: plan_date."""
        return f'SELECT MAX("plan_date") FROM {self.st.ref(PLAN_RUNS)} WHERE "plan_date" < ?'

    def plan_rows(self, spec: TableSpec, columns: Sequence[str]) -> str:
        """One plan date's rows of a plan table. params: plan_date."""
        return f'SELECT {self._cols(columns)} FROM {self.st.ref(spec)} WHERE "plan_date" = ?'

    def delete_plan_date(self, spec: TableSpec) -> str:
        """params: plan_date."""
        return f'DELETE FROM {self.st.ref(spec)} WHERE "plan_date" = ?'

    def delete_before(self, ref: str) -> str:
        """params: cut-off date (rows with an older plan date go)."""
        return f'DELETE FROM {ref} WHERE "plan_date" < ?'

    def capacity_violations(self) -> str:
        """Resource x days of one plan scheduled beyond what they had. params: plan_date x2."""
        a, c = self.st.ref(PLAN_ASSIGNMENTS), self.st.ref(PLAN_CAPACITY)
        return (
            'SELECT c."resource", c."day", c."capacity_units", c."overtime_capacity_units", '
            's."units", s."overtime_units" FROM ('
            'SELECT "resource", "scheduled_date", SUM("units") AS "units", '
            'SUM("overtime_units") AS "overtime_units" '
            f'FROM {a} WHERE "plan_date" = ? AND "status" = \'scheduled\' '
            'GROUP BY "resource", "scheduled_date") s '
            f'LEFT JOIN {c} c ON c."plan_date" = ? AND c."resource" = s."resource" '
            'AND c."day" = s."scheduled_date" '
            'WHERE c."resource" IS NULL '
            'OR s."overtime_units" > c."overtime_capacity_units" + 0.000001 '
            'OR s."units" - s."overtime_units" > c."capacity_units" + 0.000001'
        )

    def plan_integrity(self) -> str:
        """(rows, distinct orders, unexplained, scheduled without a day) of one plan. params: plan_date."""
        return (
            'SELECT COUNT(*), COUNT(DISTINCT "order_id"), '
            'SUM(CASE WHEN "status" <> \'scheduled\' AND "reason" IS NULL THEN 1 ELSE 0 END), '
            'SUM(CASE WHEN "status" = \'scheduled\' AND ("scheduled_date" IS NULL OR "resource" IS NULL) '
            "THEN 1 ELSE 0 END) "
            f'FROM {self.st.ref(PLAN_ASSIGNMENTS)} WHERE "plan_date" = ?'
        )

    def overall_performance(self) -> str:
        """(schedule_variance_rate, delivered_orders) of the overall row of delivery_performance."""
        return (
            'SELECT "schedule_variance_rate", "delivered_orders" '
            f"FROM {self.st.mart_ref(DELIVERY_PERFORMANCE)} WHERE \"scope\" = 'overall'"
        )

    def catalog(self) -> dict[str, str]:
        """Every statement, by a stable name (for the T-SQL parse test)."""
        out = {
            "table_exists": self.table_exists(),
            "orders_as_of": self.orders_as_of(),
            "customers_as_of": self.customers_as_of(),
            "capacity_in_horizon": self.capacity_in_horizon(),
            "capacity_violations": self.capacity_violations(),
            "plan_integrity": self.plan_integrity(),
            "overall_performance": self.overall_performance(),
            "previous_plan_date": self.previous_plan_date(),
            "previous_assignments": self.plan_rows(PLAN_ASSIGNMENTS, PREVIOUS_PLAN_COLUMNS),
            "previous_capacity": self.plan_rows(PLAN_CAPACITY, PREVIOUS_CAPACITY_COLUMNS),
            "purge_schedule_history": self.delete_before(self.st.mart_ref(SCHEDULE_HISTORY)),
        }
        for spec in PLAN_TABLES:
            out[f"delete_plan_date:{spec.name}"] = self.delete_plan_date(spec)
            out[f"purge:{spec.name}"] = self.delete_before(self.st.ref(spec))
            out[f"insert:{spec.name}"] = Statements.insert_values(self.st.ref(spec), spec.column_names)
        return out


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _require_tables(s: Session, ps: PlanStatements, names: Sequence[str]) -> None:
    schema = ps.st.marts_schema
    missing = [n for n in names if not s.query(ps.table_exists(), [schema, n])[0][0]]
    if missing:
        raise PlanInputsMissing(
            f"the delivery planner reads {', '.join(missing)} in schema {schema!r}, which does not exist "
            "yet: run the dbt models first (warehouse_models_job, or daily_pipeline_job which runs both)"
        )


def read_plan_inputs(warehouse: Warehouse, plan_date: dt.date, horizon_days: int) -> PlanInputRows:
    """Orders and customers as of the end of `plan_date`, capacity for [plan_date, +horizon)."""
    ps = PlanStatements(warehouse.statements)
    cut = _end_of(plan_date)
    with warehouse.session() as s:
        _require_tables(s, ps, (SNAPSHOT_ORDERS, SNAPSHOT_CUSTOMERS, CAPACITY_CALENDAR))
        orders = s.query(ps.orders_as_of(), [cut, cut, cut, cut])
        customers = s.query(ps.customers_as_of(), [cut, cut, cut, cut])
        capacity = s.query(ps.capacity_in_horizon(), [plan_date, plan_date + dt.timedelta(days=horizon_days)])
    return PlanInputRows(
        orders=[dict(zip(ORDER_INPUT_COLUMNS, r, strict=True)) for r in orders],
        customers=[dict(zip(CUSTOMER_INPUT_COLUMNS, r, strict=True)) for r in customers],
        capacity=[dict(zip(CAPACITY_INPUT_COLUMNS, r, strict=True)) for r in capacity],
    )


@dataclass(frozen=True, slots=True)
class PreviousPlanRows:
    """The plan made for the latest earlier plan date, as rows keyed by the PREVIOUS_* column names."""

    plan_date: dt.date
    assignments: list[dict[str, Any]]
    capacity: list[dict[str, Any]]


def read_previous_plan(warehouse: Warehouse, plan_date: dt.date) -> PreviousPlanRows | None:
    """The latest plan made for a date before `plan_date` (None when there is none): what the next
    plan keeps its promises and measures its churn against. A rerun of a date reads the same one."""
    ps = PlanStatements(warehouse.statements)
    with warehouse.session() as s:
        previous = s.query(ps.previous_plan_date(), [plan_date])[0][0]
        if previous is None:
            return None
        if isinstance(previous, dt.datetime):  # SQL Server drivers may hand a DATE back as a datetime
            previous = previous.date()
        assignments = s.query(ps.plan_rows(PLAN_ASSIGNMENTS, PREVIOUS_PLAN_COLUMNS), [previous])
        capacity = s.query(ps.plan_rows(PLAN_CAPACITY, PREVIOUS_CAPACITY_COLUMNS), [previous])
    return PreviousPlanRows(
        plan_date=previous,
        assignments=[dict(zip(PREVIOUS_PLAN_COLUMNS, r, strict=True)) for r in assignments],
        capacity=[dict(zip(PREVIOUS_CAPACITY_COLUMNS, r, strict=True)) for r in capacity],
    )


def plan_table(
    spec: TableSpec, columns: Mapping[str, Sequence[Any]], plan_date: dt.date, run_id: str, at: dt.datetime
) -> pa.Table:
    """Aligned column lists (the spec's names, lineage excluded) -> an Arrow table with lineage filled."""
    n = max((len(v) for v in columns.values()), default=0)
    data = dict(columns)
    data["plan_date"] = [plan_date] * n
    data["_run_id"] = [run_id] * n
    data["_planned_at"] = [at] * n
    unknown = sorted(set(data) - set(spec.column_names))
    if unknown:
        raise ValueError(f"{spec.name}: unknown columns {unknown}")
    return columnar_table(data, spec, arrow_schema(spec), spec.name)


def write_plan(
    warehouse: Warehouse,
    plan_date: dt.date,
    *,
    assignments: Mapping[str, Sequence[Any]],
    capacity: Mapping[str, Sequence[Any]],
    run: Mapping[str, Any],
    run_id: str,
    planned_at: dt.datetime,
) -> dict[str, int]:
    """Replace `plan_date`'s plan in one transaction; returns rows written per table."""
    tables = {
        PLAN_ASSIGNMENTS.name: plan_table(PLAN_ASSIGNMENTS, assignments, plan_date, run_id, planned_at),
        PLAN_CAPACITY.name: plan_table(PLAN_CAPACITY, capacity, plan_date, run_id, planned_at),
        PLAN_RUNS.name: plan_table(
            PLAN_RUNS, {k: [v] for k, v in run.items()}, plan_date, run_id, planned_at
        ),
    }
    ps = PlanStatements(warehouse.statements)
    with warehouse.session() as s, transaction(s, ps.st.rollback):
        for name, table in tables.items():
            spec = TABLE_SPECS[name]
            s.execute(ps.delete_plan_date(spec), [plan_date])
            if table.num_rows:
                s.bulk_insert(ps.st.ref(spec), spec, table)
    return {name: t.num_rows for name, t in tables.items()}


@dataclass(frozen=True, slots=True)
class CapacityViolation:
    resource: str | None
    day: dt.date | None
    capacity_units: float | None
    overtime_capacity_units: float | None
    scheduled_units: float
    scheduled_overtime_units: float


def capacity_violations(warehouse: Warehouse, plan_date: dt.date) -> list[CapacityViolation]:
    """Resource x days of the written plan where scheduled units exceed regular or overtime capacity
    (or that have no capacity row at all). Empty when the plan respects capacity."""
    ps = PlanStatements(warehouse.statements)
    with warehouse.session() as s:
        rows = s.query(ps.capacity_violations(), [plan_date, plan_date])
    return [CapacityViolation(*r) for r in rows]


@dataclass(frozen=True, slots=True)
class PlanIntegrity:
    rows: int
    distinct_orders: int
    unexplained: int  # unschedulable without a reason
    scheduled_without_slot: int


def plan_integrity(warehouse: Warehouse, plan_date: dt.date) -> PlanIntegrity:
    ps = PlanStatements(warehouse.statements)
    with warehouse.session() as s:
        rows, distinct, unexplained, slotless = s.query(ps.plan_integrity(), [plan_date])[0]
    return PlanIntegrity(int(rows), int(distinct), int(unexplained or 0), int(slotless or 0))


def overall_schedule_variance(warehouse: Warehouse) -> tuple[float | None, int]:
    """(share of delivered orders not delivered on their planned day, delivered orders judged)."""
    ps = PlanStatements(warehouse.statements)
    with warehouse.session() as s:
        _require_tables(s, ps, (DELIVERY_PERFORMANCE,))
        rows = s.query(ps.overall_performance())
    if not rows or rows[0][1] is None:
        return None, 0
    rate, delivered = rows[0]
    return (None if rate is None else float(rate)), int(delivered)


def retention_cutoff(today: dt.date, years: int) -> dt.date:
    """The first plan date kept: `years` before today (29 February falls back to the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def purge_plans_before(warehouse: Warehouse, cutoff: dt.date) -> dict[str, int]:
    """Delete every plan row with plan_date < cutoff, in one transaction; rows deleted per table.

    `schedule_history` (dbt's incremental model) is purged with the plan tables it is built from, so a
    full refresh cannot bring expired plans back; it is skipped while dbt has not built it yet."""
    ps = PlanStatements(warehouse.statements)
    deleted: dict[str, int] = {}
    with warehouse.session() as s:
        has_history = bool(s.query(ps.table_exists(), [ps.st.marts_schema, SCHEDULE_HISTORY])[0][0])
        with transaction(s, ps.st.rollback):
            for spec in PLAN_TABLES:
                deleted[spec.name] = max(0, s.execute(ps.delete_before(ps.st.ref(spec)), [cutoff]))
            if has_history:
                ref = ps.st.mart_ref(SCHEDULE_HISTORY)
                deleted[SCHEDULE_HISTORY] = max(0, s.execute(ps.delete_before(ref), [cutoff]))
    return deleted
