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

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

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
    # tag:schedule (the delivery plans)
    "stg_planning__assignments",
    "stg_planning__capacity",
    "stg_planning__runs",
    "int_deliveries__plan_vs_actual",
    "delivery_schedules",
    "capacity_planning",
    "schedule_history",
    "delivery_performance",
    "order_backlog",
    # run reports and sync health (untagged; the ops source)
    "stg_ops__pipeline_runs",
    "stg_ops__run_log",
    "stg_ops__sync_state",
    "daily_run_report",
    "weekly_run_summary",
    "sync_health",
}
INCREMENTAL_MODELS = {"schedule_history"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("dbt_sqlserver")
    result = run_dbt(
        ["compile", "--target", "sqlserver", "--no-populate-cache", "--vars", "{offline_compile: true}"],
        work,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return work / "target" / "compiled" / "customer_master"


@pytest.fixture(scope="module")
def compiled_incremental(tmp_path_factory) -> Path:
    """The incremental models compiled in their incremental branch (is_incremental() true offline)."""
    work = tmp_path_factory.mktemp("dbt_sqlserver_incremental")
    result = run_dbt(
        [
            "compile",
            "--target",
            "sqlserver",
            "--no-populate-cache",
            "--select",
            "config.materialized:incremental",
            "--vars",
            "{offline_compile: true, offline_compile_incremental: true, "
            "min_date: '2026-11-02', max_date: '2026-11-03'}",
        ],
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


def test_incremental_models_compile_both_branches(compiled, compiled_incremental):
    incremental = {
        p.stem for p in (compiled_incremental / "models").rglob("*.sql") if not p.parent.name.endswith(".yml")
    }
    assert incremental == INCREMENTAL_MODELS
    full = (compiled / "models" / "marts" / "planning" / "schedule_history.sql").read_text()
    assert "between" not in full  # a first build loads every plan date
    history = (compiled_incremental / "models" / "marts" / "planning" / "schedule_history.sql").read_text()
    assert "where plan_date between cast('2026-11-02' as date) and cast('2026-11-03' as date)" in history


@pytest.mark.parametrize("which", ["compiled", "compiled_incremental"])
def test_every_compiled_file_parses_as_tsql(which, request):
    compiled = request.getfixturevalue(which)
    files = sorted(compiled.rglob("*.sql"))
    if which == "compiled":
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


@pytest.mark.parametrize("which", ["compiled", "compiled_incremental"])
def test_no_duckdb_isms_in_the_tsql(which, request):
    compiled = request.getfixturevalue(which)
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
    planning = (compiled / "models" / "marts" / "planning" / "capacity_planning.sql").read_text()
    assert "datepart(iso_week, day)" in planning and "weekofyear" not in planning
    assert "isoyear" not in planning
    performance = (compiled / "models" / "marts" / "planning" / "delivery_performance.sql").read_text()
    assert "as float)" in performance and "as double)" not in performance
    health = (compiled / "models" / "marts" / "operations" / "sync_health.sql").read_text()
    assert "sysutcdatetime()" in health and "now()" not in health  # naive UTC, like the landed timestamps
    assert re.search(r"datediff\(\s*second,", health)
    weekly = (compiled / "models" / "marts" / "operations" / "weekly_run_summary.sql").read_text()
    assert "datepart(iso_week, cur.week_start)" in weekly and "weekofyear" not in weekly
    run_log = (compiled / "models" / "staging" / "ops" / "stg_ops__run_log.sql").read_text()
    assert "CHARINDEX(" in run_log and "len( asset )" in run_log
