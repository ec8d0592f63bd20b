"""The pure half of the run reports: the day a run reports under, issues as text, record validation."""

from __future__ import annotations

import datetime as dt

import pytest

from customer_master.warehouse.run_reports import (
    RECORD_FIELDS,
    PipelineRunRecord,
    join_issues,
    run_date_for,
)
from customer_master.warehouse.tables import OPS_PIPELINE_RUNS

START = dt.datetime(2026, 11, 3, 1, 30)


def test_a_daily_partition_reports_under_its_own_date_not_the_day_it_ran():
    assert run_date_for("2026-11-01", START) == dt.date(2026, 11, 1)


@pytest.mark.parametrize("key", [None, "", "2026-11-01-02:00", "customers|2026-11-01", "2026-02-30"])
def test_other_runs_report_under_their_utc_start_date(key):
    assert run_date_for(key, START) == dt.date(2026, 11, 3)


def test_an_aware_start_is_converted_to_utc_first():
    late_evening_new_york = dt.datetime(2026, 11, 2, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert run_date_for(None, late_evening_new_york) == dt.date(2026, 11, 3)


def test_issues_are_one_per_line_without_blanks_or_repeats_and_none_when_empty():
    assert join_issues(
        ["board 7 failed:\n  timeout", "", None, "check x failed", "board 7 failed: timeout"]
    ) == ("board 7 failed: timeout\ncheck x failed")
    assert join_issues([]) is None
    assert join_issues([" ", None]) is None


def test_from_run_derives_naive_utc_times_duration_and_run_date():
    aware = dt.datetime(2026, 11, 2, 23, 59, tzinfo=dt.UTC)
    record = PipelineRunRecord.from_run(
        run_id="r1",
        job_name="daily_pipeline_job",
        partition_key=None,
        started_at=aware,
        ended_at=aware + dt.timedelta(minutes=2, seconds=3),
        status="success",
        records_processed=10,
        issues=["x"],
    )
    assert record.started_at == dt.datetime(2026, 11, 2, 23, 59) and record.started_at.tzinfo is None
    assert record.duration_seconds == 123.0
    assert record.run_date == dt.date(2026, 11, 2)
    assert record.issues == "x"
    still_running = PipelineRunRecord.from_run(
        run_id="r2",
        job_name="j",
        partition_key="2026-11-01",
        started_at=START,
        ended_at=None,
        status="canceled",
    )
    assert still_running.duration_seconds is None and still_running.run_date == dt.date(2026, 11, 1)


def test_the_row_follows_the_table_columns():
    record = PipelineRunRecord.from_run(
        run_id="r1", job_name="j", partition_key=None, started_at=START, ended_at=START, status="failure"
    )
    recorded = dt.datetime(2026, 11, 3, 2, 0)
    row = dict(zip(OPS_PIPELINE_RUNS.column_names, record.row(recorded), strict=True))
    assert set(RECORD_FIELDS) | {"recorded_at"} == set(OPS_PIPELINE_RUNS.column_names)
    assert row["recorded_at"] == recorded and row["status"] == "failure" and row["issues"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"run_id": ""},
        {"status": "failed"},
        {"records_processed": -1},
        {"errors": 1.5},
        {"failed_checks": True},
        {"duration_seconds": -0.1},
    ],
)
def test_invalid_records_are_refused(change):
    fields = {
        "run_id": "r1",
        "job_name": "j",
        "partition_key": None,
        "run_date": START.date(),
        "started_at": START,
        "ended_at": START,
        "duration_seconds": 0.0,
        "status": "success",
        **change,
    }
    with pytest.raises(ValueError):
        PipelineRunRecord(**fields)
