"""SQL Server: the shared landing behaviour against a live server (only with CM_SQLSERVER_DSN), and
proof that the Microsoft ODBC Driver 18 bundled in `mssql-python-odbc` loads through pyodbc.

Each live test works in fresh schemas (`cm_test_<hex>` for raw + ops, `cm_stage_<hex>` for staging)
and drops them afterwards, so the suite can run against a shared development database.
"""

from __future__ import annotations

import ctypes
import os
import re
import socket
import uuid

import pytest

from customer_master.warehouse.sqlserver import SqlServerWarehouse, build_dsn, bundled_driver_path

from .landing_behaviour import LandingBehaviour

DSN = os.environ.get("CM_SQLSERVER_DSN")
needs_live_server = pytest.mark.skipif(
    not DSN, reason="CM_SQLSERVER_DSN is not set: no SQL Server to run the live landing suite against"
)


def _drop_schemas(wh: SqlServerWarehouse, schemas: list[str]) -> None:
    """Test cleanup only (the warehouse itself never drops production objects)."""
    marks = ", ".join("?" for _ in schemas)
    with wh.session() as s:
        tables = s.query(
            f"SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA IN ({marks})",
            schemas,
        )
        for schema, table in tables:
            s.execute(f'DROP TABLE "{schema}"."{table}"')
        for schema in schemas:
            if s.query("SELECT COUNT(*) FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?", [schema])[0][
                0
            ]:
                s.execute(f'DROP SCHEMA "{schema}"')


@pytest.mark.sqlserver
@needs_live_server
class TestSqlServerLanding(LandingBehaviour):
    @pytest.fixture()
    def make_warehouse(self):
        suffix = uuid.uuid4().hex[:10]
        schema, staging = f"cm_test_{suffix}", f"cm_stage_{suffix}"
        made: list[SqlServerWarehouse] = []

        def make(**kwargs) -> SqlServerWarehouse:
            wh = SqlServerWarehouse(DSN, schema=schema, staging_schema=staging, **kwargs)
            made.append(wh)
            return wh

        yield make
        if made:
            _drop_schemas(made[0], [schema, staging])


# --- the bundled driver loads (no server needed) -----------------------------------------------------
def _system_libs_missing() -> list[str]:
    missing = []
    for lib in ("libodbc.so.2", "libltdl.so.7"):
        try:
            ctypes.CDLL(lib)
        except OSError:
            missing.append(lib)
    return missing


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is: nothing listens there


@pytest.mark.slow  # waits on real time for seconds
@pytest.mark.skipif(
    bool(_system_libs_missing()),
    reason=f"{' and '.join(_system_libs_missing())} missing (Debian: apt-get install unixodbc libltdl7); "
    "pyodbc cannot load an ODBC driver without them",
)
def test_the_bundled_microsoft_odbc_driver_loads_and_reaches_the_network():
    if bundled_driver_path() is None:
        pytest.skip("mssql-python-odbc ships no Linux driver for this platform/architecture")
    import pyodbc

    port = _closed_port()
    # No DRIVER given: build_dsn loads the wheel's libmsodbcsql-18 by absolute path.
    dsn = build_dsn("tcp:127.0.0.1", port=port, uid="nobody", pwd="nothing", encrypt=False, login_timeout=3)

    with pytest.raises(pyodbc.Error) as err:
        pyodbc.connect(dsn, timeout=3)
    message = str(err.value)
    assert "[Microsoft][ODBC Driver 18 for SQL Server]" in message, message
    assert re.search(r"Login timeout expired|TCP Provider", message), message

    # The warehouse does the same when its DSN names no driver.
    wh = SqlServerWarehouse(f"SERVER=tcp:127.0.0.1,{port};UID=nobody;PWD=nothing;Encrypt=no", login_timeout=3)
    with pytest.raises(pyodbc.Error, match=r"\[Microsoft\]\[ODBC Driver 18 for SQL Server\]"):
        wh.table_counts()
