"""The analysts' copy of the DuckDB warehouse: real DuckDB files, real reader processes.

An analyst holding the copy open never blocks the pipeline or the next publish (on Linux
`os.replace` swaps the path; the open file keeps the old snapshot), a failed publish leaves the
previous copy, and the Dagster asset at the end of the nightly job publishes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from customer_master.definitions import defs
from customer_master.defs.dbt.assets import schedule_models_dbt
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.warehouse.assets import ANALYST_COPY_KEY, analyst_copy
from customer_master.warehouse.analyst import WarehouseLockedError
from customer_master.warehouse.duckdb import DuckDBWarehouse

from .landing_behaviour import load
from .landing_helpers import make_run, python_child


@pytest.fixture()
def wh(tmp_path) -> DuckDBWarehouse:
    return DuckDBWarehouse(tmp_path / "warehouse.duckdb")


def _copy_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()
        ]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_the_copy_holds_every_table_and_nothing_is_left_beside_it(wh):
    load(wh, range(12), bad_every=25)

    copy = wh.publish_for_analysts()

    assert copy.path == wh.path.parent / "analyst" / "customer_master.duckdb"
    assert _copy_counts(copy.path) == wh.table_counts()
    assert copy.tables == len(wh.table_counts()) and copy.bytes == copy.path.stat().st_size
    assert os.listdir(copy.path.parent) == ["customer_master.duckdb"]  # no temp file, no .wal


READER = """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("SELECT COUNT(*) FROM raw_monday_items").fetchone()[0], flush=True)
    sys.stdin.readline()
    print(con.execute("SELECT COUNT(*) FROM raw_monday_items").fetchone()[0], flush=True)
"""


def test_an_analyst_holding_the_copy_open_blocks_neither_the_pipeline_nor_the_next_publish(wh):
    load(wh, range(12))
    copy = wh.publish_for_analysts()
    reader = python_child(READER, str(copy.path))
    try:
        assert reader.stdout.readline().strip() == "12", reader.stderr.read()
        wh.lock_timeout_seconds = 2.0  # it would wait 30 s and fail if the analyst blocked it

        load(wh, range(20), run=make_run("run-2"))  # the pipeline writes the warehouse
        again = wh.publish_for_analysts()  # and replaces the copy the analyst has open

        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "12"  # their session keeps its snapshot
    finally:
        reader.kill()
        reader.wait()
    assert _copy_counts(again.path)["raw_monday_items"] == 20  # a new session sees the new one


def test_a_failed_publish_keeps_the_previous_copy(wh):
    load(wh, range(12))
    copy = wh.publish_for_analysts()
    before = _copy_counts(copy.path)
    load(wh, range(20), run=make_run("run-2"))
    holder = python_child(
        "import sys, time, duckdb\ncon = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print('held', flush=True)\ntime.sleep(60)\n",
        str(wh.path),
    )
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        wh.lock_timeout_seconds = 0.3
        with pytest.raises(WarehouseLockedError):
            wh.publish_for_analysts()
    finally:
        holder.kill()
        holder.wait()
    assert _copy_counts(copy.path) == before
    assert os.listdir(copy.path.parent) == ["customer_master.duckdb"]


@pytest.mark.slow
def test_the_nightly_jobs_last_asset_publishes_the_copy(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    load(wh, range(5))
    resource = WarehouseResource(duckdb_path=str(wh.path))

    result = dg.materialize([analyst_copy], resources={"warehouse": resource})

    assert result.success
    md = result.asset_materializations_for_node("analyst_copy")[0].metadata
    assert md["path"].value == str(tmp_path / "analyst" / "customer_master.duckdb")
    assert _copy_counts(Path(md["path"].value))["raw_monday_items"] == 5
    # in daily_pipeline_job, downstream of every schedule model: it runs last
    job = defs().resolve_job_def("daily_pipeline_job")
    assert ANALYST_COPY_KEY in job.asset_layer.executable_asset_keys
    assert set(schedule_models_dbt.keys) <= set(analyst_copy.asset_deps[ANALYST_COPY_KEY])
