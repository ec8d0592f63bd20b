"""Reads of the dbt marts that the platform's own checks need (portable DuckDB / T-SQL)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.plans import PlanStatements
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import OPS_BOARD_MAPPING, PLAN_ASSIGNMENTS, quote

CUSTOMER_MASTER = "customer_master"
# The customer fields the business needs filled (design: coverage >= 90 %).
REQUIRED_CUSTOMER_FIELDS: tuple[str, ...] = ("company", "address", "status", "email")


@dataclass(frozen=True, slots=True)
class CustomerQuality:
    customers: int
    nameless: int
    coverage: dict[str, float | None]  # None when there are no customers or the field is not mapped


def customer_quality_sql(st: Statements) -> str:
    """(rows, rows without a company name, filled count per required field) of customer_master."""
    filled = ", ".join(f"COUNT({quote(f)})" for f in REQUIRED_CUSTOMER_FIELDS)
    return (
        'SELECT COUNT(*), SUM(CASE WHEN "company" IS NULL THEN 1 ELSE 0 END), '
        f"{filled} FROM {st.mart_ref(CUSTOMER_MASTER)}"
    )


def mapped_customer_fields_sql(st: Statements) -> str:
    """Customer fields the applied board mapping reads from a column (company is the item name)."""
    return (
        f'SELECT "field" FROM {st.ref(OPS_BOARD_MAPPING)} '
        'WHERE "entity" = \'customers\' AND "column_id" IS NOT NULL'
    )


def customer_quality(warehouse: Warehouse) -> CustomerQuality:
    """Coverage of a field the board mapping does not map (an account without an address column) is
    None: not measurable, so it neither passes nor fails the rule."""
    with warehouse.session() as s:
        row = s.query(customer_quality_sql(warehouse.statements))[0]
        mapped = {"company", *(str(r[0]) for r in s.query(mapped_customer_fields_sql(warehouse.statements)))}
    n = int(row[0] or 0)
    filled = [int(v or 0) for v in row[2:]]
    return CustomerQuality(
        customers=n,
        nameless=int(row[1] or 0),
        coverage={
            f: (c / n if n and f in mapped else None)
            for f, c in zip(REQUIRED_CUSTOMER_FIELDS, filled, strict=True)
        },
    )


def failure_messages_sql(relation: str, limit: int) -> str:
    """The `message` column of a dbt test's stored failures (`store_failures`), first `limit` rows.

    `relation` is dbt's own rendering of the audit table ("db"."schema"."table"); no user input."""
    return (
        f'SELECT "message" FROM {relation} ORDER BY "message" OFFSET 0 ROWS FETCH NEXT {int(limit)} ROWS ONLY'
    )


def failure_messages(warehouse: Warehouse, relation: str, limit: int = 20) -> list[str]:
    """What a failed dbt test with a `message` column says, read after dbt has finished."""
    with warehouse.session() as s:
        return [str(r[0]) for r in s.query(failure_messages_sql(relation, limit)) if r[0] is not None]


def count_mart_rows_sql(st: Statements, name: str) -> str:
    return f"SELECT COUNT(*) FROM {st.mart_ref(name)}"


def mart_row_counts(warehouse: Warehouse, names: Iterable[str]) -> dict[str, int | None]:
    """Rows per dbt model or snapshot; None for one dbt has not built yet."""
    st = warehouse.statements
    exists_sql = PlanStatements(st).table_exists()
    out: dict[str, int | None] = {}
    with warehouse.session() as s:
        for name in names:
            built = s.query(exists_sql, [st.marts_schema, name])[0][0]
            out[name] = int(s.query(count_mart_rows_sql(st, name))[0][0]) if built else None
    return out


def orders_by_source(
    warehouse: Warehouse,
) -> tuple[list[tuple[str, int]], int | None, list[tuple[str, int, int]]]:
    """What `make demo` shows of the order aggregator: order_master rows per source (monday, oms,
    both), the order_conflicts count (None when not built), and the newest plan's orders per source
    (total, scheduled). Empty when order_master is not built."""
    st = warehouse.statements
    exists_sql = PlanStatements(st).table_exists()
    master, conflicts = st.mart_ref("order_master"), st.mart_ref("order_conflicts")
    plan = st.ref(PLAN_ASSIGNMENTS)
    with warehouse.session() as s:
        if not s.query(exists_sql, [st.marts_schema, "order_master"])[0][0]:
            return [], None, []
        sources = [
            (str(r[0]), int(r[1]))
            for r in s.query(f'SELECT "source", COUNT(*) FROM {master} GROUP BY "source" ORDER BY "source"')
        ]
        n_conflicts = (
            int(s.query(f"SELECT COUNT(*) FROM {conflicts}")[0][0])
            if s.query(exists_sql, [st.marts_schema, "order_conflicts"])[0][0]
            else None
        )
        by_plan = s.query(
            f'SELECT o."source", COUNT(*), SUM(CASE WHEN p."status" = ? THEN 1 ELSE 0 END) '
            f'FROM {plan} p JOIN {master} o ON o."order_id" = p."order_id" '
            f'WHERE p."plan_date" = (SELECT MAX("plan_date") FROM {plan}) '
            'GROUP BY o."source" ORDER BY o."source"',
            ["scheduled"],
        )
    return sources, n_conflicts, [(str(r[0]), int(r[1]), int(r[2] or 0)) for r in by_plan]


@dataclass(frozen=True, slots=True)
class OrderBacklog:
    plan_date: object  # date of the latest plan; None before the first
    order_backlog: int  # the plan's capacity/window misses still open now
    backlog_at_plan: int
    unplanned_open_orders: int  # open orders the latest plan does not have yet


def order_backlog_now(warehouse: Warehouse) -> OrderBacklog | None:
    """The order_backlog view as of now (it reads order_master live, so order changes move it
    between plans); None before dbt has built it."""
    st = warehouse.statements
    with warehouse.session() as s:
        if not s.query(PlanStatements(st).table_exists(), [st.marts_schema, "order_backlog"])[0][0]:
            return None
        row = s.query(
            'SELECT "plan_date", "order_backlog", "backlog_at_plan", "unplanned_open_orders" '
            f"FROM {st.mart_ref('order_backlog')}"
        )[0]
    return OrderBacklog(row[0], int(row[1] or 0), int(row[2] or 0), int(row[3] or 0))
