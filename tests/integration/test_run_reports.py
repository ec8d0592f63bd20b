"""Pipeline run records in a real DuckDB warehouse: one row per run id, every field round-trips, and
a failed write leaves the table exactly as it was."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.run_reports import (
    PipelineRunRecord,
    read_pipeline_run,
    record_pipeline_run,
)

START = dt.datetime(2026, 11, 2, 2, 0, 5, 123456)
RECORDED = dt.datetime(2026, 11, 2, 2, 10)


def _record(run_id: str = "run-1", **change) -> PipelineRunRecord:
    fields = {
        "run_id": run_id,
        "job_name": "daily_pipeline_job",
        "partition_key": "2026-11-01",
        "started_at": START,
        "ended_at": START + dt.timedelta(minutes=4, seconds=30),
        "status": "failure",
        "records_processed": 1234,
        "errors": 7,
        "failed_checks": 2,
        "issues": ["monday/orders: HTTP 502 after 3 retries", "check unscheduled_backlog failed: 140 > 100"],
    }
    fields.update(change)
    return PipelineRunRecord.from_run(**fields)


@pytest.fixture
def wh(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "wh.duckdb")
    warehouse.ensure_schema()
    return warehouse


def test_every_field_round_trips(wh):
    record = _record()
    assert record_pipeline_run(wh, record, recorded_at=RECORDED) is False
    assert read_pipeline_run(wh, "run-1") == (record, RECORDED)
    (row,) = wh.table_rows("ops_pipeline_runs")
    assert row == (
        "run-1",
        "daily_pipeline_job",
        "2026-11-01",
        dt.date(2026, 11, 1),
        START,
        START + dt.timedelta(minutes=4, seconds=30),
        270.0,
        "failure",
        1234,
        7,
        2,
        "monday/orders: HTTP 502 after 3 retries\ncheck unscheduled_backlog failed: 140 > 100",
        RECORDED,
    )


def test_recording_a_run_twice_keeps_one_row_with_the_latest_values(wh):
    record_pipeline_run(wh, _record(), recorded_at=RECORDED)
    record_pipeline_run(wh, _record("run-2", status="success", issues=()), recorded_at=RECORDED)
    again = _record(status="success", errors=0, failed_checks=0, issues=())
    assert record_pipeline_run(wh, again, recorded_at=RECORDED + dt.timedelta(minutes=1)) is True
    assert record_pipeline_run(wh, again, recorded_at=RECORDED + dt.timedelta(minutes=1)) is True

    assert wh.table_counts()["ops_pipeline_runs"] == 2
    assert read_pipeline_run(wh, "run-1") == (again, RECORDED + dt.timedelta(minutes=1))
    assert read_pipeline_run(wh, "run-2")[0].issues is None
    assert read_pipeline_run(wh, "missing") is None


def test_a_failed_write_leaves_the_table_as_it_was(wh):
    record_pipeline_run(wh, _record(), recorded_at=RECORDED)
    before = wh.table_rows("ops_pipeline_runs")
    too_big = _record(records_processed=2**70)  # no BIGINT holds it: the insert fails after the delete

    with pytest.raises(duckdb.Error):
        record_pipeline_run(wh, too_big, recorded_at=RECORDED + dt.timedelta(minutes=1))

    assert wh.table_rows("ops_pipeline_runs") == before
    record_pipeline_run(wh, _record(status="success"), recorded_at=RECORDED)  # the session is usable again
    assert read_pipeline_run(wh, "run-1")[0].status == "success"
