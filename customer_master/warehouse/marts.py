"""Reads of the dbt marts that the platform's own checks need (portable DuckDB / T-SQL)."""

from __future__ import annotations

from dataclasses import dataclass

from customer_master.warehouse.loader import SqlWarehouse
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import quote

CUSTOMER_MASTER = "customer_master"
# The customer fields the business needs filled (design: coverage >= 90 %).
REQUIRED_CUSTOMER_FIELDS: tuple[str, ...] = ("company", "address", "status", "email")


@dataclass(frozen=True, slots=True)
class CustomerQuality:
    customers: int
    nameless: int
    coverage: dict[str, float | None]  # None when there are no customers


def customer_quality_sql(st: Statements) -> str:
    """(rows, rows without a company name, filled count per required field) of customer_master."""
    filled = ", ".join(f"COUNT({quote(f)})" for f in REQUIRED_CUSTOMER_FIELDS)
    return (
        'SELECT COUNT(*), SUM(CASE WHEN "company" IS NULL THEN 1 ELSE 0 END), '
        f"{filled} FROM {st.mart_ref(CUSTOMER_MASTER)}"
    )


def customer_quality(warehouse: SqlWarehouse) -> CustomerQuality:
    with warehouse.session() as s:
        row = s.query(customer_quality_sql(warehouse.statements))[0]
    n = int(row[0] or 0)
    filled = [int(v or 0) for v in row[2:]]
    return CustomerQuality(
        customers=n,
        nameless=int(row[1] or 0),
        coverage={f: (c / n if n else None) for f, c in zip(REQUIRED_CUSTOMER_FIELDS, filled, strict=True)},
    )
