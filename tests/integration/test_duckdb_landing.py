"""Raw landing into real DuckDB files: the shared behaviour suite plus DuckDB-only properties
(a killed loader process, the single-writer file lock, additive schema evolution)."""

from __future__ import annotations

import re

import duckdb
import pytest

from customer_master.monday.models import Column, ExtractStats, ItemState, ItemStateChange
from customer_master.warehouse.analyst import WarehouseLockedError
from customer_master.warehouse.base import LoadValidationError, RunLogEntry
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.keys import REASON_KEY_TOO_LONG, fits
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.sqlserver import statements as tsql_statements

from .landing_behaviour import BOARD, LandingBehaviour, load, snapshot
from .landing_helpers import (
    BASE_TIME,
    COLUMNS,
    make_board,
    make_page,
    make_run,
    python_child,
    values_per_item,
)


class TestDuckDBLanding(LandingBehaviour):
    @pytest.fixture()
    def make_warehouse(self, tmp_path):
        path = tmp_path / "warehouse.duckdb"
        return lambda **kwargs: DuckDBWarehouse(path, **kwargs)


@pytest.fixture()
def wh(tmp_path) -> DuckDBWarehouse:
    return DuckDBWarehouse(tmp_path / "warehouse.duckdb")


KILLED_LOADER = """
    import sys, time
    from customer_master.warehouse.duckdb import DuckDBWarehouse
    from tests.integration.landing_helpers import make_board, make_pages, make_run

    wh = DuckDBWarehouse(sys.argv[1], stage_batch_rows=200)
    load = wh.begin_board_load(make_board("1001"), mode="full", since=None, run=make_run("run-killed"))
    load.__enter__()
    for page in make_pages("1001", range(200), page_size=20, version=9):
        load.add_page(page)
    print("staged", load.staged_rows()["raw_monday_items"], flush=True)
    time.sleep(600)
"""


@pytest.mark.slow  # waits on real time for seconds
def test_a_loader_killed_mid_load_leaves_production_unchanged_and_the_next_load_cleans_up(wh):
    load(wh, range(30), bad_every=50)
    before = snapshot(wh)

    child = python_child(KILLED_LOADER, str(wh.path))
    try:
        word, staged = child.stdout.readline().split()
        assert word == "staged", child.stderr.read()
    finally:
        child.kill()  # SIGKILL: no cleanup, no atexit, the DuckDB file is left as is
        child.wait()
    assert child.returncode == -9
    assert int(staged) > 0  # the killed load had really written staging rows

    assert snapshot(wh) == before
    assert wh.staging_tables() == []  # DuckDB stages in TEMP tables: a dead process leaves nothing

    result = load(wh, range(30), run=make_run("run-2"), version=1)
    assert result.items_loaded == 30
    assert wh.staging_tables() == []
    names = {r[2] for r in wh.table_rows("raw_monday_items")}
    assert names == {f"Order {n} (edit 1)" for n in range(30)}


HOLDS_THE_FILE = """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("locked", flush=True)
    time.sleep(1.5)
    con.close()
"""


@pytest.mark.slow  # waits on real time for seconds
def test_a_connection_waits_while_another_process_holds_the_file(wh):
    wh.ensure_schema()
    child = python_child(HOLDS_THE_FILE, str(wh.path))
    try:
        assert child.stdout.readline().strip() == "locked", child.stderr.read()
        assert wh.table_counts()["raw_monday_items"] == 0  # waited for the lock instead of failing
    finally:
        child.wait(timeout=60)


HOLDS_READ_ONLY = """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print("reading", flush=True)
    time.sleep(60)
"""


def test_a_lock_held_too_long_names_the_file_its_holder_and_the_analysts_copy(wh):
    wh.ensure_schema()
    child = python_child(HOLDS_READ_ONLY, str(wh.path))  # an analyst with the file open read-only
    try:
        assert child.stdout.readline().strip() == "reading", child.stderr.read()
        wh.lock_timeout_seconds = 0.5
        with pytest.raises(WarehouseLockedError) as err:
            wh.table_counts()
    finally:
        child.kill()
        child.wait()

    message = str(err.value)
    assert f"the DuckDB warehouse {wh.path} is locked by process " in message
    assert f"(PID {child.pid})" in message  # DuckDB named the holder
    assert f"query the analysts' copy {wh.analyst_path} instead" in message
    assert wh.analyst_path == wh.path.parent / "analyst" / "customer_master.duckdb"
    assert isinstance(err.value.__cause__, duckdb.IOException)


# --- ids too long for an id column are quarantined per record, on DuckDB as on SQL Server ---------
def test_an_overlong_key_is_quarantined_with_its_reason_and_the_rest_of_the_board_lands(wh):
    long_id = "x" * 5000
    huge_name = "N" * (1 << 20)  # 1 MiB of free text fits (NVARCHAR(MAX) on SQL Server)
    board = make_board(BOARD, columns=(*COLUMNS, Column(id=long_id, title="Odd column", type="text")))
    page = make_page(BOARD, range(40))
    page.items["name"][0] = huge_name
    extra = {f: values[-1] for f, values in page.values.items()}
    extra.update(item_id=page.items["item_id"][1], column_id=long_id, text="kept in quarantine")
    for f, v in extra.items():
        page.values[f].append(v)

    for run_id in ("run-1", "run-2"):  # a rerun replaces the quarantine rows: idempotent
        with wh.begin_board_load(board, mode="full", since=None, run=make_run(run_id)) as ld:
            ld.add_page(page)
            ld.set_state_changes([])
            result = ld.commit(ExtractStats())

        assert result.items_loaded == 40
        assert result.values_loaded == 40 * values_per_item()
        assert result.quarantined == 2  # the value, and the column in the snapshot
        names = {r[1]: r[2] for r in wh.table_rows("raw_monday_items")}
        assert names[page.items["item_id"][0]] == huge_name
        assert long_id not in {r[2] for r in wh.table_rows("raw_monday_column_values")}
        assert sorted(r[1] for r in wh.table_rows("raw_monday_columns")) == sorted(c.id for c in COLUMNS)
        quarantine = wh.query(
            'SELECT "item_id", "column_id", "reason", "raw_text" FROM ops_quarantine ORDER BY "item_id"'
        )
        assert len(quarantine) == 2
        value_row, column_row = quarantine
        assert value_row[0] == page.items["item_id"][1] and value_row[3] == "kept in quarantine"
        assert column_row[0] is None and column_row[3] == "Odd column"
        for _item, column_id, reason, _raw in quarantine:
            assert fits(column_id) and column_id.startswith("x" * 100)
            assert reason.startswith(f"{REASON_KEY_TOO_LONG}: column_id has 5000 characters")


def test_ensure_schema_creates_parent_directories_and_adds_missing_columns(tmp_path):
    path = tmp_path / "a" / "b" / "warehouse.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:  # an older layout: no group_id, no sync state table
        con.execute(
            "CREATE TABLE raw_monday_items (board_id VARCHAR, item_id VARCHAR, name VARCHAR, "
            "state VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP, _partition_key VARCHAR, "
            "_run_id VARCHAR, _loaded_at TIMESTAMP)"
        )
        con.execute(
            "INSERT INTO raw_monday_items VALUES ('1001', '1', 'old', 'active', NULL, NULL, NULL, NULL, NULL)"
        )
    wh = DuckDBWarehouse(path)

    wh.ensure_schema()

    assert wh.table_counts()["ops_sync_state"] == 0
    rows = wh.table_rows("raw_monday_items")
    assert rows == [("1001", "1", "old", "active", None, None, None, None, None, None, None)]
    load(wh, range(3), force=True)
    assert len(wh.active_item_ids(BOARD)) == 3

    fresh = DuckDBWarehouse(tmp_path / "x" / "y" / "z.duckdb")
    fresh.ensure_schema()
    assert fresh.path.exists()


def test_the_reporting_helper_reads_without_taking_the_writer_lock(wh):
    load(wh, range(12))
    assert wh.query("SELECT COUNT(*) FROM raw_monday_items WHERE state = ?", ["active"]) == [(12,)]
    with wh.read_only() as con, pytest.raises(duckdb.Error):
        con.execute("DELETE FROM raw_monday_items")


# --- every statement the loader issues comes from the enumerable catalog ----------------------------
class _Recording:
    def __init__(self, inner, log: list[str]) -> None:
        self.inner, self.log = inner, log

    def execute(self, sql, params=()):
        self.log.append(sql)
        return self.inner.execute(sql, params)

    def query(self, sql, params=()):
        self.log.append(sql)
        return self.inner.query(sql, params)

    def bulk_insert(self, ref, spec, table):
        self.log.append(Statements.insert_from_relation(ref, spec.column_names, "page"))
        return self.inner.bulk_insert(ref, spec, table)

    def close(self):
        self.inner.close()


class _RecordingWarehouse(DuckDBWarehouse):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.issued: list[str] = []

    def _open_session(self):
        return _Recording(super()._open_session(), self.issued)


def test_every_statement_issued_is_in_the_catalog_and_has_a_tsql_twin(tmp_path):
    wh = _RecordingWarehouse(tmp_path / "w.duckdb", stage_batch_rows=30)
    wh.ensure_schema()
    load(wh, range(20), bad_every=25)
    load(
        wh,
        range(5),
        mode="incremental",
        run=make_run("r2"),
        changes=[ItemStateChange("9000000009", ItemState.ARCHIVED)],
    )
    load(wh, range(5), mode="incremental", run=make_run("r3", None))
    with pytest.raises(LoadValidationError):
        load(wh, range(3), run=make_run("r4"))
    with (
        pytest.raises(ValueError),
        wh.begin_board_load(make_board(BOARD), mode="full", since=None, run=make_run("r5")) as ld,
    ):
        ld.add_page(make_page("other", range(2)))
    wh.record_run(RunLogEntry("r1", "monday/orders", None, BASE_TIME, BASE_TIME, "success", 1, 0, 1, 1))
    wh.sync_state(BOARD)
    wh.active_item_ids(BOARD)
    wh.table_counts()
    wh.table_rows("raw_monday_items")
    wh.staging_tables()

    catalog = wh.statements.catalog(BOARD)
    by_sql = {sql: name for name, sql in catalog.items()}
    unknown = sorted({sql for sql in wh.issued if sql not in by_sql})
    assert unknown == []
    used = {by_sql[sql] for sql in wh.issued}

    def twin(name: str) -> str:  # the T-SQL counterpart's catalog name
        name = re.sub(r"^create_schema:.*", "create_schema", name)
        return re.sub(r"^stage_arrow:", "stage_values:", name).removesuffix("_arrow")

    tsql = {twin(n) for n in tsql_statements().catalog(BOARD)}
    assert {twin(n) for n in used} - tsql == set()
    assert {"begin", "commit", "apply_state_change", "retire_unreported", "insert_staged_values"} <= used
    assert {"save_prior_states", "insert_staged_items", "count_reported_deletions"} <= used
    assert "count_unreported_retirements" in used


# --- a failure inside the swap transaction rolls everything back --------------------------------------
class _FailingOn(_Recording):
    """Fault injection at the database boundary: the statement named `fail_on` raises."""

    def __init__(self, inner, log, fail_on: str) -> None:
        super().__init__(inner, log)
        self.fail_on = fail_on

    def execute(self, sql, params=()):
        if sql == self.fail_on:
            raise duckdb.IOException("injected: disk went away")
        return super().execute(sql, params)


class _FailingWarehouse(DuckDBWarehouse):
    fail_on = ""

    def _open_session(self):
        return _FailingOn(super()._open_session(), [], self.fail_on)


@pytest.mark.parametrize(
    "statement",
    [
        "delete_staged_items",
        "insert_staged_items",
        "insert_staged_values",
        "retire_unreported",
        "insert_sync_state",
    ],
)
def test_a_failure_inside_the_swap_rolls_back_every_table(tmp_path, statement):
    wh = _FailingWarehouse(tmp_path / "w.duckdb")
    load(wh, range(20), bad_every=25)
    before = snapshot(wh)
    wh.fail_on = wh.statements.catalog(BOARD)[statement]

    with pytest.raises(duckdb.IOException, match="injected"):
        # 2 of 20 retired: under the mass-deletion guard, so the swap runs retire_unreported.
        load(wh, range(18), run=make_run("run-2", "2026-11-02"), version=1, bad_every=40)

    wh.fail_on = ""
    assert snapshot(wh) == before
    assert wh.staging_tables() == []
