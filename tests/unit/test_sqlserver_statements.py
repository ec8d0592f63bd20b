"""Every statement the SQL Server warehouse can issue parses as T-SQL, and carries no DuckDB-isms.

No server is needed: the statements come from `Statements.catalog()` (the integration suite proves
the loader issues nothing outside it). sqlglot's T-SQL reader is lenient (it accepts LIMIT, for
one), so explicit guards back it up.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from customer_master.warehouse import sqlserver
from customer_master.warehouse.mapping import statement_catalog as mapping_statements
from customer_master.warehouse.marts import (
    count_mart_rows_sql,
    customer_quality_sql,
    mapped_customer_fields_sql,
)
from customer_master.warehouse.oms_landing import OmsChangeStatements, OmsStatements, latest_dlt_load_sql
from customer_master.warehouse.plans import PlanStatements
from customer_master.warehouse.run_reports import RunReportStatements
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.sqlserver import (
    SQL_TYPE_TIMESTAMP,
    SQL_WVARCHAR,
    build_dsn,
    bundled_driver_path,
    odbc_input_sizes,
    parse_dsn,
    statements,
    with_driver,
)
from customer_master.warehouse.tables import (
    PRODUCTION_TABLES,
    STAGING_TABLES,
    TABLES_BY_NAME,
    render_create_table,
    render_type,
    staging_name,
)

WAREHOUSE_DIR = Path(sqlserver.__file__).resolve().parent

STATEMENT_SETS = {
    "default": statements(),
    "dbo+ops": statements(schema="dbo", ops_schema="ops", staging_schema="stg"),
}
TSQL = (
    [
        pytest.param(sql, id=f"{set_name}:{name}")
        for set_name, st in STATEMENT_SETS.items()
        for name, sql in st.catalog("1234567890").items()
    ]
    + [
        pytest.param(sql, id=f"{set_name}:plan:{name}")
        for set_name, st in STATEMENT_SETS.items()
        for name, sql in PlanStatements(st).catalog().items()
    ]
    + [
        pytest.param(sql, id=f"{set_name}:oms:{name}")
        for set_name, st in STATEMENT_SETS.items()
        for name, sql in {
            **OmsStatements(st, "shopify").catalog(),
            **OmsChangeStatements(st, "shopify").catalog(),
            "latest_dlt_load": latest_dlt_load_sql("oms_raw"),
        }.items()
    ]
    + [
        pytest.param(sql, id=f"{set_name}:run_reports:{name}")
        for set_name, st in STATEMENT_SETS.items()
        for name, sql in RunReportStatements(st).catalog().items()
    ]
    + [
        pytest.param(customer_quality_sql(st), id=f"{set_name}:marts:customer_quality")
        for set_name, st in STATEMENT_SETS.items()
    ]
    + [
        pytest.param(mapped_customer_fields_sql(st), id=f"{set_name}:marts:mapped_customer_fields")
        for set_name, st in STATEMENT_SETS.items()
    ]
    + [
        pytest.param(count_mart_rows_sql(st, "order_master"), id=f"{set_name}:marts:count_mart_rows")
        for set_name, st in STATEMENT_SETS.items()
    ]
    + [
        pytest.param(sql, id=f"{set_name}:board_mapping:{name}")
        for set_name, st in STATEMENT_SETS.items()
        for name, sql in mapping_statements(st).items()
    ]
)

# DuckDB/Postgres syntax that SQL Server rejects (outside string literals).
FORBIDDEN = {
    "LIMIT": re.compile(r"\bLIMIT\b", re.I),
    "::": re.compile(r"::"),
    "||": re.compile(r"\|\|"),
    "CREATE OR REPLACE": re.compile(r"\bCREATE\s+OR\s+REPLACE\b", re.I),
    "IF NOT EXISTS on CREATE": re.compile(r"\bCREATE\s+(TABLE|SCHEMA)\s+IF\s+NOT\s+EXISTS\b", re.I),
    "ADD COLUMN": re.compile(r"\bADD\s+COLUMN\b", re.I),
    "ON CONFLICT": re.compile(r"\bON\s+CONFLICT\b", re.I),
    "INSERT OR": re.compile(r"\bINSERT\s+OR\b", re.I),
    "QUALIFY": re.compile(r"\bQUALIFY\b", re.I),
    "ILIKE": re.compile(r"\bILIKE\b", re.I),
    "TRUE/FALSE literal": re.compile(r"\b(TRUE|FALSE)\b", re.I),
    "BOOLEAN/VARCHAR/TIMESTAMP/DOUBLE type": re.compile(r"\b(BOOLEAN|TIMESTAMP|DOUBLE)\b|\bVARCHAR\b", re.I),
    "RETURNING": re.compile(r"\bRETURNING\b", re.I),
    "USING": re.compile(r"\bUSING\b", re.I),
}


def _without_strings(sql: str) -> str:
    return re.sub(r"N?'(?:[^']|'')*'", "''", sql)


def test_the_catalog_is_not_trivially_small():
    names = set(statements().catalog())
    assert len(names) > 100
    for expected in (
        "begin",
        "commit",
        "rollback",
        "session_setup_0",
        "insert_staged_items",
        "apply_state_change",
        "save_prior_states",
        "count_reported_deletions",
        "count_unreported_retirements",
        "add_column:raw_monday_items._state_changed_at",
    ):
        assert expected in names


@pytest.mark.parametrize("sql", TSQL)
def test_every_statement_parses_as_tsql(sql):
    trees = sqlglot.parse(sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
    assert len(trees) == 1, "one statement per execute"
    tree = trees[0]
    assert tree is not None
    # sqlglot falls back to an opaque Command for syntax it does not understand: not good enough.
    assert not list(tree.find_all(exp.Command)), tree.sql("tsql")


@pytest.mark.parametrize("sql", TSQL)
def test_no_statement_uses_duckdb_only_syntax(sql):
    code = _without_strings(sql)
    hits = [name for name, pattern in FORBIDDEN.items() if pattern.search(code)]
    assert hits == [], sql


def test_run_reports_live_in_the_ops_schema_with_a_clustered_run_date_index():
    cat = RunReportStatements(statements(schema="raw", ops_schema="ops")).catalog()
    assert cat["delete_run"] == 'DELETE FROM "ops"."ops_pipeline_runs" WHERE "run_id" = ?'
    assert cat["insert_run"].startswith('INSERT INTO "ops"."ops_pipeline_runs" ("run_id", "job_name"')
    ddl = statements(schema="raw", ops_schema="ops").create_production_tables()
    assert any(
        'CREATE CLUSTERED INDEX "cix_ops_pipeline_runs" ON "ops"."ops_pipeline_runs" ("run_date")' in sql
        for sql in ddl
    )


def test_transactions_and_session_settings_are_tsql():
    st = statements()
    assert st.session_setup == ("SET XACT_ABORT ON",)
    assert st.catalog()["begin"] == "BEGIN TRANSACTION"
    assert st.catalog()["commit"] == "COMMIT TRANSACTION"
    assert st.rollback == "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION"


def test_the_swap_is_a_dml_swap_from_staging():
    cat = statements().catalog("42")
    assert cat["delete_staged_values"].startswith('DELETE FROM "raw"."raw_monday_column_values"')
    assert 'FROM "staging"."raw_monday_column_values__b42"' in cat["insert_staged_values"]
    assert "CAST(? AS NVARCHAR(128))" in cat["insert_staged_values"]  # NULL partition keys bind typed
    assert "CAST(? AS DATETIME2(6))" in cat["insert_staged_values"]


def test_ddl_uses_unicode_text_and_sql_server_types():
    ddl = " ".join(
        sql for name, sql in statements().catalog().items() if name.startswith("create_production")
    )
    assert "NVARCHAR(MAX)" in ddl and "NVARCHAR(128)" in ddl
    assert "DATETIME2(6)" in ddl and " FLOAT " in ddl and " BIT " in ddl and " DATE " in ddl
    assert not re.search(r"\bVARCHAR\b", ddl.replace("NVARCHAR", ""))


def _column_types(sql: str) -> dict[str, str]:
    """Column name -> its T-SQL type, from the parsed CREATE TABLE."""
    tree = sqlglot.parse_one(sql, read="tsql")
    return {c.name: c.args["kind"].sql("tsql") for c in tree.find_all(exp.ColumnDef)}


def test_free_text_is_nvarchar_max_and_only_ids_are_bounded():
    def ddl(table: str) -> dict[str, str]:
        return _column_types(render_create_table(TABLES_BY_NAME[table], "raw", "tsql"))

    items = ddl("raw_monday_items")
    assert items["name"] == "NVARCHAR(MAX)"  # a 1 MiB item name fits
    assert items["item_id"] == items["board_id"] == "NVARCHAR(128)"
    assert ddl("raw_monday_columns")["title"] == "NVARCHAR(MAX)"
    assert ddl("raw_monday_columns")["column_id"] == "NVARCHAR(128)"
    assert ddl("raw_monday_boards")["name"] == "NVARCHAR(MAX)"
    assert ddl("ops_board_mapping_values")["label"] == "NVARCHAR(MAX)"


def test_no_index_key_is_nvarchar_max():
    # SQL Server cannot index NVARCHAR(MAX): every clustered-index column is a bounded type.
    for spec in PRODUCTION_TABLES:
        for name in spec.index:
            assert "MAX" not in render_type(spec.col(name).type, "tsql"), f"{spec.name}.{name}"


class _OlderSqlServer:
    """Stands in for a SQL Server (none runs here) whose tables were created when names were
    NVARCHAR(1000): answers the schema queries `ensure_schema` asks and records what it executes."""

    def __init__(self) -> None:
        self.executed: list[str] = []

    def query(self, sql, params=()):
        if "INFORMATION_SCHEMA.SCHEMATA" in sql:
            return [(1,)]
        lengths = {"id": 128, "name": 1000, "text": -1}
        return [
            ("raw", spec.name, col.name, lengths.get(col.type))
            for spec in PRODUCTION_TABLES
            for col in spec.columns
        ]

    def execute(self, sql, params=()):
        self.executed.append(sql)
        return -1

    def bulk_insert(self, ref, spec, table):
        raise AssertionError("ensure_schema inserts nothing")

    def close(self):
        pass


def test_ensure_schema_widens_names_of_an_older_sql_server_table_to_max():
    server = _OlderSqlServer()

    class Older(sqlserver.SqlServerWarehouse):
        def _open_session(self):
            return server

    Older("SERVER=db").ensure_schema()

    alters = [sql for sql in server.executed if "ALTER COLUMN" in sql]
    assert 'ALTER TABLE "raw"."raw_monday_items" ALTER COLUMN "name" NVARCHAR(MAX) NULL' in alters
    assert (
        'ALTER TABLE "raw"."ops_board_mapping_values" ALTER COLUMN "label" NVARCHAR(MAX) NOT NULL' in alters
    )
    widened = {sql.split('"')[3] + "." + sql.split('"')[5] for sql in alters}
    names = {f"{s.name}.{c.name}" for s in PRODUCTION_TABLES for c in s.columns if c.type == "name"}
    assert widened == names  # every name column, nothing else (ids stay NVARCHAR(128), text is MAX)
    catalog = set(statements().catalog().values())
    assert set(alters) <= catalog  # and so parsed as T-SQL by test_every_statement_parses_as_tsql


def test_raw_and_ops_tables_keep_their_names_in_their_schemas():
    st = statements(schema="raw", ops_schema="ops")
    refs = {spec.name: st.ref(spec) for spec in PRODUCTION_TABLES}
    assert refs["raw_monday_items"] == '"raw"."raw_monday_items"'
    assert refs["ops_run_log"] == '"ops"."ops_run_log"'
    assert st.schemas() == ["raw", "ops", "staging"]
    assert statements().schemas() == ["raw", "staging"]


@pytest.mark.parametrize("engine", ["duckdb", "tsql"])
def test_ddl_of_every_table_parses_for_its_engine(engine):
    read = "duckdb" if engine == "duckdb" else "tsql"
    for spec in (*PRODUCTION_TABLES, *STAGING_TABLES):
        sql = render_create_table(spec, "s", engine)
        assert sqlglot.parse_one(sql, read=read) is not None


def test_schema_names_are_plain_identifiers():
    with pytest.raises(ValueError):
        Statements("tsql", raw_schema="raw]; DROP TABLE x; --")


def test_staging_names_are_per_board_and_distinct():
    spec = STAGING_TABLES[0]
    assert staging_name(spec, "123") == "raw_monday_items__b123"
    assert staging_name(spec, "1-2") != staging_name(spec, "1_2")
    assert re.fullmatch(r"[A-Za-z0-9_]+", staging_name(spec, "weird id/ä"))


# --- pyodbc bindings ----------------------------------------------------------------------------------
def test_input_sizes_bind_every_column_with_its_nvarchar_length():
    for spec in (*PRODUCTION_TABLES, *STAGING_TABLES):
        sizes = odbc_input_sizes(spec)
        assert len(sizes) == len(spec.columns)
    values = dict(zip(STAGING_TABLES[1].column_names, odbc_input_sizes(STAGING_TABLES[1]), strict=True))
    assert values["item_id"] == (SQL_WVARCHAR, 128, 0)
    assert values["text"] == (SQL_WVARCHAR, 0, 0)  # NVARCHAR(MAX)
    items = dict(zip(STAGING_TABLES[0].column_names, odbc_input_sizes(STAGING_TABLES[0]), strict=True))
    assert items["name"] == (SQL_WVARCHAR, 0, 0)  # names are NVARCHAR(MAX): bound as MAX
    assert values["item_updated_at"] == (SQL_TYPE_TIMESTAMP, 26, 6)


# --- connection strings and the bundled driver -----------------------------------------------------
def test_parse_dsn_honours_braces():
    parsed = parse_dsn("Server=tcp:db,1433;PWD={a;b}}c};Encrypt=yes;")
    assert parsed == {"SERVER": "tcp:db,1433", "PWD": "a;b}c", "ENCRYPT": "yes"}


def test_a_dsn_without_driver_gets_the_bundled_one_by_path():
    path = bundled_driver_path()
    if path is None:
        pytest.skip("mssql-python-odbc ships no Linux driver for this platform")
    dsn = with_driver("SERVER=db,1433;UID=u;PWD=p")
    assert parse_dsn(dsn)["DRIVER"] == str(path)
    assert path.name.startswith("libmsodbcsql-18")
    assert with_driver("DRIVER={ODBC Driver 18 for SQL Server};SERVER=db") == (
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER=db"
    )


def test_build_dsn_quotes_values_and_defaults_to_the_bundled_driver():
    dsn = build_dsn(
        "db.example", database="cm", uid="loader", pwd="p;w}d", driver="/opt/x.so", login_timeout=5
    )
    assert parse_dsn(dsn) == {
        "DRIVER": "/opt/x.so",
        "SERVER": "db.example,1433",
        "DATABASE": "cm",
        "UID": "loader",
        "PWD": "p;w}d",
        "ENCRYPT": "yes",
        "LOGINTIMEOUT": "5",
    }
    if bundled_driver_path() is not None:
        assert parse_dsn(build_dsn("db"))["DRIVER"].endswith(bundled_driver_path().name)


def test_the_warehouse_repr_never_shows_the_password():
    wh = sqlserver.SqlServerWarehouse("SERVER=db;UID=u;PWD=hunter2")
    assert "hunter2" not in repr(wh)


# --- layering ---------------------------------------------------------------------------------------
def test_the_duckdb_path_never_imports_pyodbc():
    code = (
        "import sys; import customer_master.warehouse.duckdb, customer_master.warehouse.sqlserver, "
        "customer_master.warehouse.factory; "
        "assert 'pyodbc' not in sys.modules, 'pyodbc imported'; "
        "assert 'dagster' not in sys.modules, 'dagster imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_no_warehouse_module_imports_dagster():
    for path in WAREHOUSE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "dagster" or n.startswith("dagster") for n in names), path.name
