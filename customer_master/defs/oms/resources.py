"""The OMS API and dlt as Dagster resources (defined only when CM_OMS_ENABLED is true)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dlt import DagsterDltResource

from customer_master.defs.resources import WarehouseResource
from customer_master.oms.config import OmsSource
from customer_master.oms.pipeline import duckdb_destination, mssql_destination
from customer_master.oms.source import TOKEN_VAR, OmsConnection
from customer_master.redaction import clean_secret
from customer_master.settings import get_settings


class OmsResource(dg.ConfigurableResource):
    """Where the OMS is and how to sign in (over the YAML's base_url and auth.username), and where
    dlt keeps its local working state. The token comes from the environment at run time."""

    api_url: str | None = None
    api_token: str
    api_user: str | None = None
    # dlt's working folder (load packages, local state). dlt also keeps its cursors in the warehouse
    # (`oms_raw._dlt_pipeline_state`) and restores them from there, so losing this folder is harmless.
    pipelines_dir: str = ".data/dlt"

    def connection(self, source: OmsSource) -> OmsConnection:
        return OmsConnection.resolve(
            source, api_url=self.api_url, token=self.api_token, username=self.api_user
        )

    @property
    def pipelines_path(self) -> Path:
        return Path(self.pipelines_dir)


def oms_destination(resource: WarehouseResource) -> Any:
    """The warehouse the resource points at, as a dlt destination: the same DuckDB file, or SQL Server
    over the loader's ODBC connection string."""
    if resource.kind == "duckdb":
        return duckdb_destination(resource.duckdb_path)
    dsn = clean_secret(resource.sqlserver_dsn, "CM_SQLSERVER_DSN")
    if dsn is None:
        raise ValueError("the SQL Server warehouse needs an ODBC connection string (CM_SQLSERVER_DSN)")
    return mssql_destination(dsn)


def oms_resource() -> OmsResource:
    settings = get_settings()
    return OmsResource(
        api_url=settings.oms_api_url,
        api_token=dg.EnvVar(TOKEN_VAR),
        api_user=settings.oms_api_user,
        pipelines_dir=str(settings.data_dir / "dlt"),
    )


@dg.definitions
def resources() -> dg.Definitions:
    if not get_settings().oms_enabled:
        return dg.Definitions()
    return dg.Definitions(resources={"oms": oms_resource(), "dlt": DagsterDltResource()})
