"""A finished run, summarised for the run log (ops_pipeline_runs) and the daily digest. Pure.

The sensors collect the run's facts from Dagster's event log into `RunFacts`; what counts as a record,
an error or an issue is decided here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from customer_master.alerts.models import DeliveryOutlook
from customer_master.common import truncate

RunStatus = Literal["success", "failure", "canceled"]
# The assets that pull from a source: their metadata holds the records, quarantined values and the
# values read (`column_values`) that make the run's record count and error rate.
SOURCE_ASSET_PREFIXES: tuple[str, ...] = ("monday/", "oms/orders")
ORDER_CONFLICTS_ASSET = "order_conflicts"
"""Assets whose `dagster/row_count` are records pulled from a source (the run's records processed)."""
PLAN_ASSET = "delivery_plan"
# The plan's metadata the operations summary reads (written by the delivery_plan asset).
NEXT_DELIVERY_DAY_KEY = "next_delivery_day"
SHEET_LINK_KEY = "sheet_link"
# Dagster's names for the jobs it builds on the fly: "Materialize" in the UI and `dagster asset
# materialize` (IMPLICIT_ASSET_JOB_NAME), asset selections of sensors and schedules
# (ANONYMOUS_ASSET_JOB_PREFIX), `dg.materialize` (EPHEMERAL_JOB_NAME). Not imported from dagster
# (this room never imports it): tests/e2e/test_monitoring_sensors.py checks they still match.
ADHOC_JOB_PREFIXES: tuple[str, ...] = ("__ASSET_JOB", "__anonymous_asset_job", "__ephemeral_asset_job__")
# ops_pipeline_runs.job_name is an id column: NVARCHAR(128) on SQL Server.
MAX_RUN_LABEL_CHARS = 128


def run_label(job_name: str, asset_selection: Sequence[str] = ()) -> str:
    """What people call a run: the job's name, or for an ad-hoc asset run (which Dagster names
    `__ASSET_JOB`) the assets it materialized, e.g. "materialize: monday/customers, +3 more"."""
    if not job_name.startswith(ADHOC_JOB_PREFIXES):
        return job_name
    assets = sorted(set(asset_selection))
    if not assets:
        return "materialize: ad-hoc selection"
    more = f", +{len(assets) - 1} more" if len(assets) > 1 else ""
    room = MAX_RUN_LABEL_CHARS - len("materialize: ") - len(more)
    first = truncate(assets[0], room)
    return f"materialize: {first}{more}"


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    asset: str
    check: str
    passed: bool
    severity: Literal["warn", "critical"]
    summary: str
    value: float | None = None
    threshold: float | None = None
    partition: str | None = None  # of the evaluation, for checks on partitioned assets

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.asset, self.check, self.partition)


def latest_outcomes(checks: Sequence[CheckOutcome]) -> list[CheckOutcome]:
    """One outcome per check (and partition): the last evaluation wins. A check evaluated twice in
    a run (a retried step, a re-run dbt test) is one check, counted and listed once."""
    latest: dict[tuple[str, str, str | None], CheckOutcome] = {}
    for outcome in checks:
        latest.pop(outcome.key, None)  # re-insert so the order is that of the last evaluations
        latest[outcome.key] = outcome
    return list(latest.values())


@dataclass(frozen=True, slots=True)
class RunFacts:
    run_id: str
    job: str
    partition: str | None
    status: RunStatus
    started_at: dt.datetime | None  # aware UTC
    ended_at: dt.datetime | None
    materializations: dict[str, dict[str, Any]] = field(default_factory=dict)  # asset -> metadata values
    checks: list[CheckOutcome] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())

    @property
    def run_date(self) -> dt.date:
        """The partition's day for daily-partitioned runs, else the day the run started (UTC)."""
        if self.partition:
            try:
                return dt.date.fromisoformat(self.partition[:10])
            except ValueError:
                pass
        return (self.started_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()

    def source_metadata(self) -> list[dict[str, Any]]:
        return [
            md
            for asset, md in sorted(self.materializations.items())
            if asset.startswith(SOURCE_ASSET_PREFIXES)
        ]

    @property
    def records(self) -> int:
        return int(sum(md.get("dagster/row_count", 0) or 0 for md in self.source_metadata()))

    @property
    def quarantined(self) -> int:
        return int(sum(md.get("quarantined", 0) or 0 for md in self.source_metadata()))

    @property
    def error_rate(self) -> float | None:
        values = sum(md.get("column_values", 0) or 0 for md in self.source_metadata())
        return self.quarantined / values if values else None

    @property
    def order_conflicts(self) -> int | None:
        """Orders x fields on which Monday and the OMS disagree, as the run built order_conflicts."""
        count = self.materializations.get(ORDER_CONFLICTS_ASSET, {}).get("dagster/row_count")
        return int(count) if isinstance(count, int | float) else None

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        """Checks whose latest evaluation in the run failed."""
        return [c for c in latest_outcomes(self.checks) if not c.passed]

    def issues(self) -> list[str]:
        """Human-readable problems of the run, most serious first."""
        out = [f"step failed: {s}" for s in self.failed_steps]
        if self.error and not self.failed_steps:
            out.append(self.error)
        ranked = sorted(self.failed_checks, key=lambda c: (c.severity != "critical", c.asset, c.check))
        out += [f"{c.severity} check {c.asset}/{c.check}: {c.summary}" for c in ranked]
        return out


def run_record_fields(facts: RunFacts) -> dict[str, Any]:
    """The ops_pipeline_runs row of a run (recorded_at excluded)."""
    issues = facts.issues()
    return {
        "run_id": facts.run_id,
        "job_name": facts.job,
        "partition_key": facts.partition,
        "run_date": facts.run_date,
        "started_at": facts.started_at,
        "ended_at": facts.ended_at,
        "duration_seconds": facts.duration_seconds,
        "status": facts.status,
        "records_processed": facts.records,
        "errors": facts.quarantined + len(facts.failed_steps),
        "failed_checks": len(facts.failed_checks),
        "issues": "\n".join(issues) if issues else None,
    }


def _peak_utilization(md: dict[str, object]) -> float | None:
    """A fraction: the plan shows it in percent (`peak_utilization_pct`); older plans as a fraction."""
    pct = md.get("peak_utilization_pct")
    if isinstance(pct, int | float):
        return pct / 100
    fraction = md.get("peak_utilization")
    return fraction if isinstance(fraction, int | float) else None


def plan_summary(facts: RunFacts) -> dict[str, Any]:
    """orders planned, late, unschedulable, peak utilization from the plan's materialization (if any)."""
    md = facts.materializations.get(PLAN_ASSET) or {}
    return {
        "orders_planned": md.get("scheduled"),
        "late": md.get("late"),
        "unschedulable": md.get("unschedulable"),
        "peak_utilization": _peak_utilization(md),
    }


def delivery_outlook(facts: RunFacts) -> DeliveryOutlook | None:
    """The operations summary's facts from the plan's materialization in the run; None when the run
    made no plan (or an older asset version without the next delivery day)."""
    md = facts.materializations.get(PLAN_ASSET) or {}
    day = md.get(NEXT_DELIVERY_DAY_KEY)
    if not isinstance(day, dict):
        return None
    link = md.get(SHEET_LINK_KEY)
    return DeliveryOutlook(
        plan_date=str(md.get("plan_date") or facts.partition or ""),
        delivery_date=day.get("date"),
        orders=int(day.get("orders") or 0),
        units=float(day.get("units") or 0.0),
        lines=tuple(str(line) for line in day.get("lines") or ()),
        late=int(day.get("late") or 0),
        unschedulable=int(md.get("unschedulable") or 0),
        sheet=str(link) if link else None,
    )
