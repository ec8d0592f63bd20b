"""dlt's mssql destination over the loader's ODBC connection string (no dagster, no pyodbc import).

dlt's own `MsSqlCredentials` builds a connection string from host/user/password and accepts only a
driver *name* registered with unixODBC ("ODBC Driver 18 for SQL Server"). The platform connects
with `CM_SQLSERVER_DSN` as given, and without `DRIVER=` loads the Microsoft driver bundled in the
mssql-python-odbc wheel by path (`warehouse.sqlserver.with_driver`). These credentials keep dlt's
fields filled from the DSN (dlt reads host/port/database for its own messages and fingerprint) but
hand pyodbc the DSN itself (dlt still lower-cases its copy of the database name; the DSN keeps it).
"""

from __future__ import annotations

from typing import Any

from dlt.common.configuration import configspec
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.mssql.configuration import MsSqlCredentials

from customer_master.warehouse.sqlserver import parse_dsn, with_driver

# The name dlt's credentials insist on; only dlt's own checks see it (`to_odbc_dsn` is the DSN).
DLT_DRIVER_NAME = "ODBC Driver 18 for SQL Server"


@configspec(init=False)
class OdbcDsnCredentials(MsSqlCredentials):
    """`MsSqlCredentials` whose ODBC connection string is the platform's DSN."""

    odbc_dsn: TSecretStrValue | None = None

    def on_partial(self) -> None:
        # dlt would pick a registered driver here; the DSN names its own (or the bundled one).
        if not self.is_partial():
            self.resolve()

    def to_odbc_dsn(self) -> str:
        return with_driver(str(self.odbc_dsn))

    def __repr__(self) -> str:  # never print the DSN: it holds the password
        return f"OdbcDsnCredentials(host={self.host!r}, database={self.database!r})"


def _server(value: str) -> tuple[str, int]:
    """`tcp:host,1433` / `host,1433` / `host\\instance` -> (host, port)."""
    value = value.strip().removeprefix("tcp:")
    host, _, port = value.partition(",")
    return host.strip(), int(port) if port.strip().isdigit() else 1433


def odbc_dsn_credentials(dsn: str) -> OdbcDsnCredentials:
    keys = parse_dsn(dsn)
    host, port = _server(keys.get("SERVER", keys.get("ADDRESS", "")))
    credentials = OdbcDsnCredentials()
    fields: dict[str, Any] = {
        "odbc_dsn": dsn,
        "host": host or "localhost",
        "port": port,
        "database": keys.get("DATABASE", keys.get("INITIAL CATALOG", "")) or "master",
        "username": keys.get("UID", keys.get("USER ID", "")),
        "password": keys.get("PWD", keys.get("PASSWORD", "")),
        # dlt checks this against the driver names it knows; pyodbc gets the DSN's own (above).
        "driver": DLT_DRIVER_NAME,
    }
    for name, value in fields.items():
        setattr(credentials, name, value)
    return credentials.resolve()
