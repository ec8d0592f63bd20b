"""Pick the warehouse implementation by name; SQL Server's driver is only imported when chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from customer_master.warehouse.base import Warehouse


def open_warehouse(
    kind: Literal["duckdb", "sqlserver"],
    *,
    duckdb_path: str | Path | None = None,
    sqlserver_dsn: str | None = None,
    sqlserver_schema: str = "raw",
    sqlserver_marts_schema: str = "dbo",
    max_error_rate: float = 0.05,
    max_delete_fraction: float | None = None,
    analyst_path: str | Path | None = None,
) -> Warehouse:
    """`analyst_path`: where the DuckDB warehouse publishes the analysts' copy (default
    `<warehouse dir>/analyst/customer_master.duckdb`); SQL Server has no copy."""
    if kind == "duckdb":
        if not duckdb_path:
            raise ValueError("the DuckDB warehouse needs a file path (CM_DUCKDB_PATH)")
        from customer_master.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(
            duckdb_path,
            max_error_rate=max_error_rate,
            max_delete_fraction=max_delete_fraction,
            analyst_path=analyst_path,
        )
    if kind == "sqlserver":
        if not sqlserver_dsn:
            raise ValueError("the SQL Server warehouse needs an ODBC connection string (CM_SQLSERVER_DSN)")
        from customer_master.warehouse.sqlserver import SqlServerWarehouse

        return SqlServerWarehouse(
            sqlserver_dsn,
            schema=sqlserver_schema,
            marts_schema=sqlserver_marts_schema,
            max_error_rate=max_error_rate,
            max_delete_fraction=max_delete_fraction,
        )
    raise ValueError(f"unknown warehouse kind {kind!r}; expected 'duckdb' or 'sqlserver'")
