"""Every dbt model compiles to T-SQL offline (no server) and the output parses as T-SQL.

`dbt compile --target sqlserver --no-populate-cache --vars '{offline_compile: true}'` is the documented
offline path (design: "Offline T-SQL compile"). sqlglot cannot prove T-SQL validity (it accepts some
non-T-SQL syntax), so the regex guards catch the DuckDB-isms the portable-SQL rules forbid.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot.errors import ParseError

from tests.integration.dbt_helpers import run_dbt

DUCKDB_ISMS = {
    "cast shorthand ::": re.compile(r"::"),
    "string concatenation ||": re.compile(r"\|\|"),
    "LIMIT": re.compile(r"\blimit\b", re.IGNORECASE),
    "QUALIFY": re.compile(r"\bqualify\b", re.IGNORECASE),
    "ILIKE": re.compile(r"\bilike\b", re.IGNORECASE),
    "GROUP BY ALL": re.compile(r"\bgroup\s+by\s+all\b", re.IGNORECASE),
}
EXPECTED_MODELS = {
    "stg_monday__customers",
    "stg_monday__orders",
    "stg_monday__capacity",
    "int_orders__unioned",
    "customer_master",
    "order_master",
    "capacity_calendar",
    "delivery_windows",
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("dbt_sqlserver")
    result = run_dbt(
        ["compile", "--target", "sqlserver", "--no-populate-cache", "--vars", "{offline_compile: true}"],
        work,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return work / "target" / "compiled" / "customer_master"


def _strip_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", "", sql, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", "", sql)


def test_every_model_compiles_for_sqlserver_without_a_server(compiled):
    models = {p.stem for p in (compiled / "models").rglob("*.sql") if not p.parent.name.endswith(".yml")}
    assert models >= EXPECTED_MODELS
    assert "nvarchar(" in (compiled / "models" / "marts" / "customer_master.sql").read_text()


def test_every_compiled_file_parses_as_tsql(compiled):
    files = sorted(compiled.rglob("*.sql"))
    assert len(files) > len(EXPECTED_MODELS)  # models plus data tests
    errors = []
    for path in files:
        try:
            statements = sqlglot.parse(path.read_text(encoding="utf-8"), read="tsql")
        except ParseError as exc:
            errors.append(f"{path.relative_to(compiled)}: {exc}")
            continue
        if not any(s is not None for s in statements):
            errors.append(f"{path.relative_to(compiled)}: no statement")
    assert not errors, "\n".join(errors)


def test_no_duckdb_isms_in_the_tsql(compiled):
    hits = []
    for path in sorted(compiled.rglob("*.sql")):
        sql = _strip_comments(path.read_text(encoding="utf-8"))
        for what, pattern in DUCKDB_ISMS.items():
            if pattern.search(sql):
                hits.append(f"{path.relative_to(compiled)}: {what}")
    assert not hits, "\n".join(hits)


def test_engine_specific_expressions_render_their_tsql_form(compiled):
    customers = (compiled / "models" / "staging" / "stg_monday__customers.sql").read_text()
    assert "json_value(" in customers and "json_extract_string" not in customers
    assert "regexp" not in customers
    assert "as BIT)" in customers
    calendar = (compiled / "models" / "marts" / "capacity_calendar.sql").read_text()
    assert "datediff(day, cast('1900-01-01' as date), capacity_date)" in calendar
    assert "isodow" not in calendar
