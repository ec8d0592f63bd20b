"""Resources shared across domains: the warehouse the raw landing and dbt write to."""

from __future__ import annotations

from typing import Literal

import dagster as dg

from customer_master.settings import get_settings
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.factory import open_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The SQL warehouse: an embedded DuckDB file locally, SQL Server in production."""

    kind: Literal["duckdb", "sqlserver"] = "duckdb"
    duckdb_path: str = ".data/warehouse.duckdb"
    # ODBC connection string for SQL Server; a secret, so it comes from the environment at run time.
    sqlserver_dsn: str | None = None
    sqlserver_schema: str = "raw"
    # Schema of the dbt marts and snapshots on SQL Server (the delivery planner reads them).
    sqlserver_marts_schema: str = "dbo"
    max_error_rate: float = 0.05
    # A load that would mark more than this share of a board's active items deleted fails (mass_deletion).
    max_delete_fraction: float = 0.10

    def get_warehouse(self) -> Warehouse:
        return open_warehouse(
            self.kind,
            duckdb_path=self.duckdb_path,
            sqlserver_dsn=self.sqlserver_dsn,
            sqlserver_schema=self.sqlserver_schema,
            sqlserver_marts_schema=self.sqlserver_marts_schema,
            max_error_rate=self.max_error_rate,
            max_delete_fraction=self.max_delete_fraction,
        )


def warehouse_resource() -> WarehouseResource:
    settings = get_settings()
    return WarehouseResource(
        kind=settings.warehouse_kind,
        duckdb_path=str(settings.warehouse_path),
        sqlserver_dsn=dg.EnvVar("CM_SQLSERVER_DSN") if settings.warehouse_kind == "sqlserver" else None,
        sqlserver_schema=settings.sqlserver_raw_schema,
        sqlserver_marts_schema=settings.sqlserver_marts_schema,
        max_error_rate=settings.max_error_rate,
        max_delete_fraction=settings.max_delete_fraction,
    )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": warehouse_resource()})
