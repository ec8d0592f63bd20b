"""Resources shared across domains: the warehouse the raw landing and dbt write to, and Slack."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import dagster as dg

from customer_master.alerts.settings import (
    DEFAULT_DAGSTER_UI_URL,
    DEFAULT_DEADLINE_SECONDS,
    OPS_WEBHOOK_ENV_VAR,
    WEBHOOK_ENV_VAR,
)
from customer_master.alerts.slack import SlackNotifier
from customer_master.redaction import clean_secret
from customer_master.settings import get_settings
from customer_master.warehouse.analyst import analyst_copy_path
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
    # DuckDB: the read-only copy analysts query, refreshed after each nightly run (None: the
    # default `<warehouse dir>/analyst/customer_master.duckdb`).
    analyst_duckdb_path: str | None = None

    def analyst_copy_path(self) -> Path:
        return (
            Path(self.analyst_duckdb_path)
            if self.analyst_duckdb_path
            else analyst_copy_path(self.duckdb_path)
        )

    def get_warehouse(self) -> Warehouse:
        return open_warehouse(
            self.kind,
            duckdb_path=self.duckdb_path,
            # The DSN arrives raw from dg.EnvVar: strip a pasted newline, refuse one inside.
            sqlserver_dsn=clean_secret(self.sqlserver_dsn, "CM_SQLSERVER_DSN"),
            sqlserver_schema=self.sqlserver_schema,
            sqlserver_marts_schema=self.sqlserver_marts_schema,
            max_error_rate=self.max_error_rate,
            max_delete_fraction=self.max_delete_fraction,
            analyst_path=self.analyst_copy_path(),
        )


def warehouse_resource() -> WarehouseResource:
    settings = get_settings()
    return WarehouseResource(
        kind=settings.warehouse_kind,
        duckdb_path=str(settings.warehouse_path),
        sqlserver_dsn=dg.EnvVar("CM_SQLSERVER_DSN") if settings.warehouse_kind == "sqlserver" else None,
        sqlserver_schema=settings.sqlserver_raw_schema,
        sqlserver_marts_schema=settings.sqlserver_marts_schema,
        # The load gate is the record error rate's critical threshold: one number, the check's.
        max_error_rate=settings.thresholds.record_error_rate_critical,
        max_delete_fraction=settings.max_delete_fraction,
    )


class SlackResource(dg.ConfigurableResource):
    """Slack alerts: the incoming-webhook URL (a secret) comes from CM_SLACK_WEBHOOK_URL at run time.

    Unset, `get_notifier()` returns a notifier that logs alerts as warnings instead. Per-attempt
    timeout and attempts are kept small and the whole message is bounded by `deadline_seconds`,
    so several alerts fit in one sensor tick.
    """

    webhook_url: str | None = None
    # The operations channel (the morning delivery summary): CM_SLACK_OPS_WEBHOOK_URL, else webhook_url.
    ops_webhook_url: str | None = None
    ui_base_url: str | None = DEFAULT_DAGSTER_UI_URL
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    timeout_seconds: float = 3.0
    max_attempts: int = 3

    def get_notifier(self, logger: logging.Logger | None = None) -> SlackNotifier:
        return self._notifier(self.webhook_url, logger)

    def get_ops_notifier(self, logger: logging.Logger | None = None) -> SlackNotifier:
        return self._notifier(self.ops_webhook_url or self.webhook_url, logger)

    def _notifier(self, webhook_url: str | None, logger: logging.Logger | None) -> SlackNotifier:
        return SlackNotifier(
            webhook_url,
            ui_base_url=self.ui_base_url,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            deadline_seconds=self.deadline_seconds,
            logger=logger,
        )


def slack_resource() -> SlackResource:
    alerts = get_settings().alerts
    return SlackResource(
        # dg.EnvVar only when set: an unset EnvVar fails the run, and Slack is optional.
        webhook_url=dg.EnvVar(WEBHOOK_ENV_VAR) if alerts.slack_webhook_url else None,
        ops_webhook_url=dg.EnvVar(OPS_WEBHOOK_ENV_VAR) if alerts.slack_ops_webhook_url else None,
        ui_base_url=alerts.dagster_ui_url,
        deadline_seconds=alerts.slack_deadline_seconds,
    )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": warehouse_resource(), "slack": slack_resource()})
