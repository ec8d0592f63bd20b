"""Pipeline run reports in the warehouse: one row per orchestrator run in `ops_pipeline_runs`.

Every pipeline run (whatever its job) is recorded once it ends: when it started and ended, how it
ended (`success` | `failure` | `canceled`), the records it processed, the errors and failed checks it
saw, and the problems worth a human's attention (`issues`, one per line, NULL when none). dbt builds
the daily run report, the weekly summary and the sync-health view on top (models/marts/operations).

* `record_pipeline_run` replaces the row of the run's id (delete + insert in one transaction), so a
  sensor that records the same run twice leaves one row, and a failure leaves the table as it was.
* `PipelineRunRecord.from_run` derives `run_date` (the partition's date for a daily partition key,
  else the UTC start date) and the duration from the run's times.

No dagster in here: the Dagster side only maps its run records onto `PipelineRunRecord`. Every
statement is portable DuckDB / T-SQL (see `sql.py`); `RunReportStatements.catalog()` lists them so a
test parses each as T-SQL. Timestamps are naive UTC, like the rest of the warehouse.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from customer_master.warehouse.arrow import to_utc_naive
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.loader import transaction
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import OPS_PIPELINE_RUNS, quote

RunStatus = Literal["success", "failure", "canceled"]
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
# The record's fields in table order (the table adds `recorded_at`).
RECORD_FIELDS: tuple[str, ...] = tuple(c for c in OPS_PIPELINE_RUNS.column_names if c != "recorded_at")

_DAILY_KEY = re.compile(r"\d{4}-\d{2}-\d{2}")


def run_date_for(partition_key: str | None, started_at: dt.datetime) -> dt.date:
    """The day a run reports under: its partition's date when the key is a daily one
    ('2026-11-02'), else the day it started (UTC; a naive time is taken as UTC)."""
    if partition_key and _DAILY_KEY.fullmatch(partition_key):
        with contextlib.suppress(ValueError):  # '2026-02-30' is not a date: fall back to the start
            return dt.date.fromisoformat(partition_key)
    started = to_utc_naive(started_at)
    assert started is not None
    return started.date()


def join_issues(issues: Iterable[str | None]) -> str | None:
    """Problems as text, one per line (blank ones dropped, repeats once, inner newlines flattened);
    None when there are none."""
    lines: list[str] = []
    for issue in issues:
        text = " ".join((issue or "").split())
        if text and text not in lines:
            lines.append(text)
    return "\n".join(lines) if lines else None


@dataclass(frozen=True, slots=True)
class PipelineRunRecord:
    """One pipeline run as it ended; the fields of `ops_pipeline_runs` minus `recorded_at`."""

    run_id: str
    job_name: str
    partition_key: str | None
    run_date: dt.date
    started_at: dt.datetime | None  # None only for a run that never started (canceled while queued)
    ended_at: dt.datetime | None
    duration_seconds: float | None
    status: RunStatus
    records_processed: int = 0
    errors: int = 0
    failed_checks: int = 0
    issues: str | None = None

    def __post_init__(self) -> None:
        if not self.run_id:
            raise ValueError("a pipeline run record needs a run_id")
        if self.status not in RUN_STATUSES:
            raise ValueError(f"status must be one of {RUN_STATUSES}, got {self.status!r}")
        for name in ("records_processed", "errors", "failed_checks"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if self.duration_seconds is not None and self.duration_seconds < 0:
            raise ValueError(f"duration_seconds must not be negative, got {self.duration_seconds!r}")

    @classmethod
    def from_run(
        cls,
        *,
        run_id: str,
        job_name: str,
        partition_key: str | None,
        started_at: dt.datetime,
        ended_at: dt.datetime | None,
        status: RunStatus,
        records_processed: int = 0,
        errors: int = 0,
        failed_checks: int = 0,
        issues: Iterable[str | None] = (),
    ) -> PipelineRunRecord:
        """A record from a run's times: naive UTC, run_date and duration derived, issues joined."""
        started = to_utc_naive(started_at)
        ended = to_utc_naive(ended_at)
        assert started is not None
        duration = None if ended is None else max(0.0, (ended - started).total_seconds())
        return cls(
            run_id=run_id,
            job_name=job_name,
            partition_key=partition_key,
            run_date=run_date_for(partition_key, started),
            started_at=started,
            ended_at=ended,
            duration_seconds=duration,
            status=status,
            records_processed=records_processed,
            errors=errors,
            failed_checks=failed_checks,
            issues=join_issues(issues),
        )

    def row(self, recorded_at: dt.datetime) -> list[object]:
        """Values in `ops_pipeline_runs` column order (timestamps naive UTC)."""
        values = {name: getattr(self, name) for name in RECORD_FIELDS}
        values["started_at"] = to_utc_naive(self.started_at)
        values["ended_at"] = to_utc_naive(self.ended_at)
        values["recorded_at"] = to_utc_naive(recorded_at)
        return [values[name] for name in OPS_PIPELINE_RUNS.column_names]


@dataclass(frozen=True, slots=True)
class RunReportStatements:
    """The run-report SQL for one engine, over the table locations of a `Statements`."""

    st: Statements

    @property
    def ref(self) -> str:
        return self.st.ref(OPS_PIPELINE_RUNS)

    def delete_run(self) -> str:
        """params: run_id."""
        return f'DELETE FROM {self.ref} WHERE "run_id" = ?'

    def insert_run(self) -> str:
        return Statements.insert_values(self.ref, OPS_PIPELINE_RUNS.column_names)

    def select_run(self) -> str:
        """params: run_id -> the run's row (columns in table order), or none."""
        cols = ", ".join(quote(c) for c in OPS_PIPELINE_RUNS.column_names)
        return f'SELECT {cols} FROM {self.ref} WHERE "run_id" = ?'

    def count_runs_on(self) -> str:
        """params: run_date -> runs recorded for that day."""
        return f'SELECT COUNT(*) FROM {self.ref} WHERE "run_date" = ?'

    def catalog(self) -> dict[str, str]:
        """Every statement, by a stable name (for the T-SQL parse test)."""
        return {
            "delete_run": self.delete_run(),
            "insert_run": self.insert_run(),
            "select_run": self.select_run(),
            "count_runs_on": self.count_runs_on(),
        }


def record_pipeline_run(warehouse: Warehouse, record: PipelineRunRecord, *, recorded_at: dt.datetime) -> bool:
    """Write `record` as the one row of its run_id, in one transaction (idempotent).

    Returns True when an earlier record of the same run was replaced. On any error the transaction
    is rolled back: the table is exactly as it was."""
    rs = RunReportStatements(warehouse.statements)
    row = record.row(recorded_at)
    with warehouse.session() as s, transaction(s, rs.st.rollback):
        replaced = s.execute(rs.delete_run(), [record.run_id])
        s.execute(rs.insert_run(), row)
    return replaced > 0


def read_pipeline_run(warehouse: Warehouse, run_id: str) -> tuple[PipelineRunRecord, dt.datetime] | None:
    """The recorded run and when it was recorded, or None."""
    rs = RunReportStatements(warehouse.statements)
    with warehouse.session() as s:
        rows = s.query(rs.select_run(), [run_id])
    if not rows:
        return None
    values = dict(zip(OPS_PIPELINE_RUNS.column_names, rows[0], strict=True))
    recorded_at = values.pop("recorded_at")
    for name in ("records_processed", "errors", "failed_checks"):
        values[name] = int(values[name] or 0)
    if values["duration_seconds"] is not None:
        values["duration_seconds"] = float(values["duration_seconds"])
    return PipelineRunRecord(**values), recorded_at
