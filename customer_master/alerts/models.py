"""What an alert says, independent of where it is delivered (pure data, no I/O, no dagster)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

AlertKind = Literal[
    "run_failure", "check_failure", "freshness", "run_duration", "digest", "recovery", "ops_summary"
]
Severity = Literal["info", "warn", "critical"]

ALERT_KINDS: tuple[str, ...] = get_args(AlertKind)
SEVERITIES: tuple[str, ...] = get_args(Severity)


@dataclass(frozen=True)
class Alert:
    """One message for people: what happened, where, the value against its threshold, and the run.

    `where` keys are shown in insertion order (builders use job, asset, partition, check); empty
    values are dropped. `value` and `threshold` are already formatted ("4.08 %", "> 2 %").
    `dedupe_key` names the condition (not the message) so a sensor can remember what it already sent.
    """

    kind: AlertKind
    severity: Severity
    title: str
    what: str
    where: Mapping[str, str | None] = field(default_factory=dict)
    value: str | None = None
    threshold: str | None = None
    run_id: str | None = None
    details: list[str] = field(default_factory=list)
    dedupe_key: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ALERT_KINDS:
            raise ValueError(f"unknown alert kind {self.kind!r}; expected one of {ALERT_KINDS}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown alert severity {self.severity!r}; expected one of {SEVERITIES}")
        where = {str(k): str(v) for k, v in dict(self.where).items() if v is not None and str(v).strip()}
        object.__setattr__(self, "where", where)
        object.__setattr__(self, "details", [str(line) for line in self.details if line is not None])
        for name in ("value", "threshold", "run_id", "dedupe_key"):
            current = getattr(self, name)
            if current is not None and not str(current).strip():
                object.__setattr__(self, name, None)


@dataclass(frozen=True)
class FailedCheck:
    """A check that failed in the run: "asset/check" (plus the partition when it differs from the
    run's), its severity (a dbt test that errors, an ERROR-severity check: critical) and one line."""

    name: str
    severity: Literal["warn", "critical"]
    text: str = ""

    def __post_init__(self) -> None:
        if self.severity not in ("warn", "critical"):
            raise ValueError(f"check severity must be 'warn' or 'critical', got {self.severity!r}")


@dataclass(frozen=True)
class DailyDigest:
    """The facts of one nightly run, gathered by the digest sensor from the run and its asset metadata.

    `status` is the run's status as Dagster names it ("SUCCESS", "FAILURE", "CANCELED", ...; any
    case); anything but success counts as a failed run. Missing facts are None and left out.
    `failed_checks` holds one `FailedCheck` per failed check; `issues` are extra one-line remarks.
    """

    run_id: str | None
    job: str
    partition: str | None
    status: str
    duration_seconds: float | None = None
    records: int | None = None
    error_rate: float | None = None
    orders_planned: int | None = None
    late: int | None = None
    unschedulable: int | None = None
    peak_utilization: float | None = None
    order_conflicts: int | None = None  # Monday vs OMS (order x field), when order_conflicts was built
    failed_checks: list[FailedCheck] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.status.strip().lower() in ("success", "succeeded")


@dataclass(frozen=True)
class DeliveryOutlook:
    """What operations act on after the nightly plan: the next delivery day of the plan dated
    `plan_date` (orders, units, lines, how many of them late), the plan's unschedulable orders, and
    where the full delivery sheet is (a URL, or the file's path on the Dagster host)."""

    plan_date: str
    delivery_date: str | None
    orders: int
    units: float
    lines: tuple[str, ...]
    late: int
    unschedulable: int
    sheet: str | None = None
