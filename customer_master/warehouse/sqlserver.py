"""The SQL Server warehouse (production): pyodbc + Microsoft ODBC Driver 18, same interface as DuckDB.

- pyodbc is imported lazily (`_pyodbc()`), so the DuckDB path never needs unixODBC.
- Each session runs `SET XACT_ABORT ON`; pages go to `staging.<table>__b<board>` with
  `fast_executemany` and `setinputsizes` (NVARCHAR sizes from the table specs, so nothing is bound
  as a slow NVARCHAR(MAX) unless it is one).
- The swap is a DML swap in one explicit transaction (`BEGIN TRANSACTION; DELETE ...; INSERT ...
  SELECT ... FROM staging...; COMMIT TRANSACTION`): readers under RCSI keep seeing the old rows
  until the commit (warehouse-scheduling.md §3.1).
- Every statement comes from `Statements("tsql", ...)` (see `statements()`), which a test parses.
- Without `DRIVER=` (or `DSN=`) in the connection string, the driver bundled in the
  `mssql-python-odbc` wheel is loaded by absolute path (`bundled_driver_path()`).
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from customer_master.common import utcnow
from customer_master.warehouse.base import Row
from customer_master.warehouse.loader import SqlWarehouse
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import TSQL_NVARCHAR_LENGTH, TableSpec
from customer_master.warehouse.validation import LoadRules

# ODBC SQL type codes (sql.h / sqlext.h; identical to pyodbc.SQL_*), so specs can be mapped without
# importing pyodbc (which needs libodbc.so.2 at import time).
SQL_WVARCHAR = -9
SQL_BIT = -7
SQL_BIGINT = -5
SQL_DOUBLE = 8
SQL_TYPE_DATE = 91
SQL_TYPE_TIMESTAMP = 93

DRIVER_LIB_GLOB = "libmsodbcsql-18*.so*"
_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
_DISTRO_DIRS = {
    "debian": "debian_ubuntu",
    "ubuntu": "debian_ubuntu",
    "rhel": "rhel",
    "fedora": "rhel",
    "centos": "rhel",
    "suse": "suse",
    "sles": "suse",
    "opensuse": "suse",
    "alpine": "alpine",
}


class DriverNotFoundError(RuntimeError):
    """Neither `DRIVER=` in the DSN nor the driver bundled in `mssql-python-odbc` is available."""


def _os_release_ids(path: Path = Path("/etc/os-release")) -> list[str]:
    try:
        text = path.read_text()
    except OSError:
        return []
    ids: list[str] = []
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.extend(value.strip().strip('"').split())
    return ids


def bundled_driver_path() -> Path | None:
    """The Microsoft ODBC Driver 18 shared library inside the `mssql-python-odbc` wheel, if any.

    Prefers this distribution's build (`debian_ubuntu`, `rhel`, `suse`, `alpine`) for this CPU.
    """
    try:
        import mssql_python_odbc
    except ImportError:
        return None
    linux = Path(mssql_python_odbc.get_libs_dir()) / "linux"
    if not linux.is_dir():
        return None
    arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
    preferred = [_DISTRO_DIRS[i] for i in _os_release_ids() if i in _DISTRO_DIRS]
    distros = list(dict.fromkeys([*preferred, *sorted(p.name for p in linux.iterdir() if p.is_dir())]))
    for distro in distros:
        found = sorted((linux / distro / arch / "lib").glob(DRIVER_LIB_GLOB))
        if found:
            return found[-1]
    return None


def _odbc_value(value: object) -> str:
    text = str(value)
    if any(ch in text for ch in ";{}=") or text != text.strip():
        return "{" + text.replace("}", "}}") + "}"
    return text


def parse_dsn(dsn: str) -> dict[str, str]:
    """`KEY=value;KEY={va;lue}` -> {KEY.upper(): value} (braces honoured, `}}` unescaped)."""
    out: dict[str, str] = {}
    i, n = 0, len(dsn)
    while i < n:
        eq = dsn.find("=", i)
        if eq < 0:
            break
        key = dsn[i:eq].strip().strip(";").strip()
        i = eq + 1
        if i < n and dsn[i] == "{":
            j, buf = i + 1, []
            while j < n:
                if dsn[j] == "}":
                    if j + 1 < n and dsn[j + 1] == "}":
                        buf.append("}")
                        j += 2
                        continue
                    break
                buf.append(dsn[j])
                j += 1
            value, i = "".join(buf), j + 1
            semi = dsn.find(";", i)
            i = n if semi < 0 else semi + 1
        else:
            semi = dsn.find(";", i)
            value = dsn[i:] if semi < 0 else dsn[i:semi]
            i = n if semi < 0 else semi + 1
        if key:
            out[key.upper()] = value.strip()
    return out


def with_driver(dsn: str) -> str:
    """The DSN unchanged if it names a `DRIVER` or `DSN`; else with the bundled driver's path first."""
    keys = parse_dsn(dsn)
    if "DRIVER" in keys or "DSN" in keys:
        return dsn
    path = bundled_driver_path()
    if path is None:
        raise DriverNotFoundError(
            "no DRIVER= in the SQL Server connection string and no Microsoft ODBC Driver 18 in the "
            "mssql-python-odbc package; install it (pip) or name a driver"
        )
    return f"DRIVER={_odbc_value(path)};{dsn.lstrip(';')}"


def build_dsn(
    server: str,
    *,
    port: int | None = 1433,
    database: str | None = None,
    uid: str | None = None,
    pwd: str | None = None,
    driver: str | Path | None = None,
    encrypt: bool = True,
    trust_server_certificate: bool = False,
    login_timeout: int | None = None,
    **extra: object,
) -> str:
    """An ODBC connection string; without `driver`, the bundled ODBC Driver 18 is loaded by path."""
    if driver is None:
        driver = bundled_driver_path()
        if driver is None:
            raise DriverNotFoundError("mssql-python-odbc is not installed and no driver was given")
    parts: dict[str, object] = {
        "DRIVER": driver,
        "SERVER": f"{server},{port}" if port else server,
    }
    if database:
        parts["DATABASE"] = database
    if uid is not None:
        parts["UID"] = uid
    if pwd is not None:
        parts["PWD"] = pwd
    parts["Encrypt"] = "yes" if encrypt else "no"
    if trust_server_certificate:
        parts["TrustServerCertificate"] = "yes"
    if login_timeout is not None:
        parts["LoginTimeout"] = int(login_timeout)
    parts.update(extra)
    return ";".join(f"{k}={_odbc_value(v)}" for k, v in parts.items())


def odbc_input_sizes(spec: TableSpec) -> list[tuple[int, int, int]]:
    """`cursor.setinputsizes` for an INSERT of `spec`'s columns: NVARCHAR(n) bound as n, MAX as 0."""
    sizes: list[tuple[int, int, int]] = []
    for col in spec.columns:
        if col.type in TSQL_NVARCHAR_LENGTH:
            sizes.append((SQL_WVARCHAR, TSQL_NVARCHAR_LENGTH[col.type], 0))
        elif col.type == "timestamp":
            sizes.append((SQL_TYPE_TIMESTAMP, 26, 6))  # DATETIME2(6)
        elif col.type == "date":
            sizes.append((SQL_TYPE_DATE, 10, 0))
        elif col.type == "float":
            sizes.append((SQL_DOUBLE, 15, 0))
        elif col.type == "bool":
            sizes.append((SQL_BIT, 1, 0))
        elif col.type == "int":
            sizes.append((SQL_BIGINT, 19, 0))
        else:  # pragma: no cover - every logical type is mapped above
            raise ValueError(f"no ODBC binding for {col.type}")
    return sizes


def _pyodbc() -> Any:
    try:
        import pyodbc
    except ImportError as exc:  # libodbc.so.2 missing
        raise ImportError(
            f"SQL Server needs pyodbc with unixODBC (Debian: apt-get install unixodbc libltdl7): {exc}"
        ) from exc
    return pyodbc


class SqlServerSession:
    def __init__(self, conn: Any, statements: Statements, batch_rows: int) -> None:
        self.conn = conn
        self.batch_rows = batch_rows
        self.cur = conn.cursor()
        for sql in statements.session_setup:
            self.cur.execute(sql)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if params:
            self.cur.execute(sql, list(params))
        else:
            self.cur.execute(sql)
        rowcount: int = self.cur.rowcount  # pyodbc: -1 when the driver does not know
        return rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if params:
            self.cur.execute(sql, list(params))
        else:
            self.cur.execute(sql)
        return [tuple(r) for r in self.cur.fetchall()]

    def bulk_insert(self, ref: str, spec: TableSpec, table: pa.Table) -> None:
        sql = Statements.insert_values(ref, spec.column_names)
        cur = self.conn.cursor()
        try:
            cur.fast_executemany = True
            cur.setinputsizes(odbc_input_sizes(spec))
            for batch in table.to_batches(max_chunksize=self.batch_rows):
                rows = list(zip(*(col.to_pylist() for col in batch.columns), strict=True))
                if rows:
                    cur.executemany(sql, rows)
        finally:
            cur.close()

    def close(self) -> None:
        try:
            self.cur.close()
        finally:
            self.conn.close()


class SqlServerWarehouse(SqlWarehouse):
    """Raw landing into SQL Server.

    Raw tables go to `schema`, ops tables to `ops_schema` (default: the same schema, so one dbt
    source schema sees them all), staging to `staging_schema`. Table names are the DuckDB ones.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "raw",
        ops_schema: str | None = None,
        staging_schema: str = "staging",
        marts_schema: str = "dbo",
        rules: LoadRules | None = None,
        max_error_rate: float | None = None,
        max_shrink_fraction: float | None = None,
        max_delete_fraction: float | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        stage_batch_rows: int = 100_000,
        login_timeout: int = 30,
        batch_rows: int = 5000,
    ) -> None:
        super().__init__(
            statements(
                schema=schema, ops_schema=ops_schema, staging_schema=staging_schema, marts_schema=marts_schema
            ),
            rules=rules,
            max_error_rate=max_error_rate,
            max_shrink_fraction=max_shrink_fraction,
            max_delete_fraction=max_delete_fraction,
            clock=clock,
            stage_batch_rows=stage_batch_rows,
            # pyodbc connections are not meant to be shared across threads (threadsafety 1).
            background_staging=False,
        )
        self._dsn = dsn
        self.login_timeout = login_timeout
        self.batch_rows = batch_rows

    def __repr__(self) -> str:  # never print the DSN: it holds the password
        st = self.statements
        return f"SqlServerWarehouse(schema={st.raw_schema!r}, ops_schema={st.ops_schema!r})"

    def connect(self) -> Any:
        pyodbc = _pyodbc()
        return pyodbc.connect(with_driver(self._dsn), autocommit=True, timeout=self.login_timeout)

    def _open_session(self) -> SqlServerSession:
        return SqlServerSession(self.connect(), self.statements, self.batch_rows)


def statements(
    *,
    schema: str = "raw",
    ops_schema: str | None = None,
    staging_schema: str = "staging",
    marts_schema: str = "dbo",
) -> Statements:
    """The T-SQL statement set a `SqlServerWarehouse` with these schemas issues."""
    return Statements(
        "tsql",
        raw_schema=schema,
        ops_schema=ops_schema or schema,
        staging_schema=staging_schema,
        marts_schema=marts_schema,
    )
