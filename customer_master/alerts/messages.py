"""Builders for every alert the platform sends (pure: plain arguments in, an `Alert` out).

The sensors in `defs/monitoring/` gather the facts from Dagster and call these; nothing here knows
about Dagster or Slack, so each message is unit-tested as text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Literal

from customer_master.alerts.models import Alert, DailyDigest, DeliveryOutlook, FailedCheck, Severity
from customer_master.common import fmt_pct, truncate

FreshnessState = Literal["pass", "warn", "fail"]

# An error message is shown up to this many characters (the full text is in the Dagster UI).
MAX_ERROR_CHARS = 500


# ------------------------------------------------------------------------------------------
# Number formatting


def fmt_duration(seconds: float | None) -> str:
    """Seconds for people, two units at most: 7830 -> "2 h 10 min", 330 -> "5 min 30 s", 3600 -> "1 h".

    Units are truncated, not rounded (2 h 10 min 59 s is "2 h 10 min"), so a duration never reads
    as longer than it was; negative values count as zero.
    """
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "n/a"
    total = max(0, int(seconds))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        minutes, secs = divmod(total, 60)
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    if total < 86400:
        hours, rest = divmod(total, 3600)
        minutes = rest // 60
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, rest = divmod(total, 86400)
    hours = rest // 3600
    return f"{days} d" + (f" {hours} h" if hours else "")


def fmt_count(count: int | None) -> str:
    """An integer with thousands separators: 12345 -> "12,345"."""
    return "n/a" if count is None else f"{count:,}"


def _short_run(run_id: str | None) -> str:
    return run_id[:8] if run_id else "?"


def _first_lines(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """An error message squeezed onto one line and cut to `limit` characters."""
    flat = " ".join(text.split())
    return truncate(flat, limit)


# ------------------------------------------------------------------------------------------
# Runs


def run_failure_alert(
    job: str,
    run_id: str | None,
    partition: str | None,
    failed_steps: Sequence[str],
    error: str | None,
) -> Alert:
    """A run that ended in failure: which job and partition, which steps failed, the error."""
    for_partition = f" for partition {partition}" if partition else ""
    steps = list(failed_steps)
    if steps:
        shown = ", ".join(steps[:3]) + (f" and {len(steps) - 3} more" if len(steps) > 3 else "")
        in_steps = f" in step{'s' if len(steps) > 1 else ''} {shown}"
    else:
        in_steps = ""
    details = []
    if error and error.strip():
        details.append(f"Error: {_first_lines(error)}")
    if len(steps) > 1:
        details.extend(f"Failed step: {step}" for step in steps)
    return Alert(
        kind="run_failure",
        severity="critical",
        title=f"Run failed: {job}" + (f" ({partition})" if partition else ""),
        what=f"Run {_short_run(run_id)} of job {job}{for_partition} failed{in_steps}.",
        where={"job": job, "partition": partition, "step": steps[0] if len(steps) == 1 else None},
        run_id=run_id,
        details=details,
        dedupe_key=f"run_failure:{run_id or job}",
    )


def run_duration_alert(
    job: str,
    run_id: str | None,
    partition: str | None,
    elapsed_seconds: float,
    level: Literal["warn", "critical"],
    warn_seconds: float,
    critical_seconds: float,
) -> Alert:
    """A run past its duration limit (warn > 5 min, critical > 10 min by default)."""
    if level not in ("warn", "critical"):
        raise ValueError(f"run duration level must be 'warn' or 'critical', got {level!r}")
    limit = critical_seconds if level == "critical" else warn_seconds
    for_partition = f" for partition {partition}" if partition else ""
    return Alert(
        kind="run_duration",
        severity=level,
        title=f"Run slow: {job}" + (f" ({partition})" if partition else ""),
        what=(
            f"Run {_short_run(run_id)} of job {job}{for_partition} has taken "
            f"{fmt_duration(elapsed_seconds)}, over the {level} limit of {fmt_duration(limit)}."
        ),
        where={"job": job, "partition": partition},
        value=fmt_duration(elapsed_seconds),
        threshold=f"> {fmt_duration(limit)}",
        run_id=run_id,
        details=[f"Limits: warn > {fmt_duration(warn_seconds)}, critical > {fmt_duration(critical_seconds)}"],
        dedupe_key=f"run_duration:{run_id or job}:{level}",
    )


# ------------------------------------------------------------------------------------------
# Checks


def check_failure_alert(
    asset: str,
    check: str,
    partition: str | None,
    severity: Literal["warn", "critical"],
    value: str | None,
    threshold: str | None,
    description: str | None,
    run_id: str | None,
) -> Alert:
    """A failed asset check: the check's own one-sentence description, its value and threshold."""
    if severity not in ("warn", "critical"):
        raise ValueError(f"check severity must be 'warn' or 'critical', got {severity!r}")
    what = (description or "").strip() or f"Asset check {check} on {asset} failed."
    return Alert(
        kind="check_failure",
        severity=severity,
        title=f"Check failed: {check} on {asset}",
        what=what,
        where={"asset": asset, "partition": partition, "check": check},
        value=value,
        threshold=threshold,
        run_id=run_id,
        dedupe_key=f"check_failure:{asset}:{check}:{partition or ''}",
    )


# ------------------------------------------------------------------------------------------
# Freshness


def freshness_needs_alert(previous_state: FreshnessState | None, state: FreshnessState) -> bool:
    """Whether a freshness evaluation is worth a message: once per transition, never a repeat.

    Alert on every move into warn or fail (including warn -> fail and fail -> warn) and on the
    recovery to pass from warn or fail; nothing when the state did not change, and nothing for a
    first evaluation that is already pass.
    """
    if state == previous_state:
        return False
    if state in ("warn", "fail"):
        return True
    return previous_state in ("warn", "fail")


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # Naive datetimes are taken as UTC so a naive and an aware timestamp can be compared.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def freshness_alert(
    asset: str,
    state: FreshnessState,
    previous_state: FreshnessState | None,
    last_updated: dt.datetime | None,
    limit: str,
    now: dt.datetime,
) -> Alert:
    """Stale data (warn / fail) or its recovery (pass): how long since the last update, and the limit.

    `limit` describes the policy in words, e.g. "1 h" or "30 s behind the OMS".
    """
    if state not in ("pass", "warn", "fail"):
        raise ValueError(f"freshness state must be 'pass', 'warn' or 'fail', got {state!r}")
    if last_updated is None:
        age_text = "never updated"
        value = "no update recorded"
        details = []
    else:
        age = (_as_utc(now) - _as_utc(last_updated)).total_seconds()
        age_text = f"last updated {fmt_duration(age)} ago"
        value = f"{fmt_duration(age)} since last update"
        details = [f"Last update: {_as_utc(last_updated):%Y-%m-%d %H:%M:%S} UTC"]
    was = f" (was {previous_state})" if previous_state else ""
    if state == "pass":
        return Alert(
            kind="recovery",
            severity="info",
            title=f"Fresh again: {asset}",
            what=f"{asset} is fresh again{was}: {age_text}, limit {limit}.",
            where={"asset": asset},
            value=value,
            threshold=limit,
            details=details,
            dedupe_key=f"freshness:{asset}:pass",
        )
    label = "Stale data" if state == "warn" else "Data overdue"
    return Alert(
        kind="freshness",
        severity="warn" if state == "warn" else "critical",
        title=f"{label}: {asset}",
        what=f"{asset} is {'stale' if state == 'warn' else 'overdue'}{was}: {age_text}, limit {limit}.",
        where={"asset": asset},
        value=value,
        threshold=limit,
        details=details,
        dedupe_key=f"freshness:{asset}:{state}",
    )


# ------------------------------------------------------------------------------------------
# Daily digest


def _unique_checks(checks: Sequence[FailedCheck]) -> list[FailedCheck]:
    """One entry per check name (the last one given), critical first, then by name."""
    by_name = {check.name: check for check in checks}
    return sorted(by_name.values(), key=lambda c: (c.severity != "critical", c.name))


def _check_counts(checks: Sequence[FailedCheck]) -> str:
    """ "1 critical and 2 warn failed checks": the same checks the digest lists, by severity."""
    counts = [
        f"{n} {severity}"
        for severity in ("critical", "warn")
        if (n := sum(1 for c in checks if c.severity == severity))
    ]
    return " and ".join(counts) + f" failed check{'s' if len(checks) != 1 else ''}"


def daily_digest_alert(digest: DailyDigest) -> Alert:
    """The morning summary of the nightly run: critical if it failed or a critical check failed,
    warn if only warn checks failed, else info. The headline counts exactly the checks it lists."""
    status = digest.status.strip().lower() or "unknown"
    checks = _unique_checks(digest.failed_checks)
    any_critical = any(c.severity == "critical" for c in checks)
    severity: Severity
    if not digest.succeeded:
        severity, verdict = "critical", f"did not succeed (status {status})"
    else:
        severity = "critical" if any_critical else "warn" if checks else "info"
        verdict = "succeeded"
    took = ""
    if digest.duration_seconds is not None:
        took = f" {'in' if digest.succeeded else 'after'} {fmt_duration(digest.duration_seconds)}"
    if checks:
        took += f"{',' if not digest.succeeded else ''} with {_check_counts(checks)}"
    for_partition = f" for {digest.partition}" if digest.partition else ""

    details: list[str] = []
    if digest.records is not None:
        details.append(f"Records extracted: {fmt_count(digest.records)}")
    if digest.error_rate is not None:
        details.append(f"Record error rate: {fmt_pct(digest.error_rate)}")
    planned = [
        f"{label}: {fmt_count(count)}"
        for label, count in (
            ("Orders planned", digest.orders_planned),
            ("late", digest.late),
            ("unschedulable", digest.unschedulable),
        )
        if count is not None
    ]
    if planned:
        details.append(" · ".join(planned))
    if digest.peak_utilization is not None:
        details.append(f"Peak capacity utilization: {fmt_pct(digest.peak_utilization, digits=1)}")
    if digest.order_conflicts is not None:
        details.append(f"Order conflicts (Monday vs OMS): {fmt_count(digest.order_conflicts)}")
    details.extend(
        f"Failed check ({c.severity}) {c.name}" + (f": {c.text}" if c.text else "") for c in checks
    )
    details.extend(digest.issues)

    return Alert(
        kind="digest",
        severity=severity,
        title=f"Daily digest{for_partition}: {digest.job} {'succeeded' if digest.succeeded else status}",
        what=f"The run of {digest.job}{for_partition} {verdict}{took}.",
        where={"job": digest.job, "partition": digest.partition},
        run_id=digest.run_id,
        details=details,
        dedupe_key=f"digest:{digest.job}:{digest.partition or ''}",
    )


# ------------------------------------------------------------------------------------------
# Operations summary (the operations channel, after the nightly plan)


def _weekday_date(iso: str) -> str:
    """'2026-12-04' -> 'Fri 4 Dec 2026' (people plan by weekday)."""
    day = dt.date.fromisoformat(iso)
    return f"{day:%a} {day.day} {day:%b %Y}"


def _units(units: float) -> str:
    """812.5 -> '812.5', 800.0 -> '800' (capacity units can be fractional)."""
    return f"{units:,.1f}".removesuffix(".0")


def ops_summary_alert(outlook: DeliveryOutlook) -> Alert:
    """One message for the operations channel: the next delivery day's orders, lines, late ones and
    the plan's unschedulable orders, with the sheet. Warn when anything needs a person, else info."""
    needs_attention = outlook.late or outlook.unschedulable
    if outlook.delivery_date is None:
        title = f"Deliveries: nothing scheduled in the plan of {outlook.plan_date}"
        what = f"The plan of {outlook.plan_date} schedules no delivery."
    else:
        when = _weekday_date(outlook.delivery_date)
        lines = f"{len(outlook.lines)} line{'s' if len(outlook.lines) != 1 else ''}"
        title = f"Deliveries {when}: {fmt_count(outlook.orders)} orders on {lines}"
        what = (
            f"{when}: {fmt_count(outlook.orders)} orders, {_units(outlook.units)} units on {lines} "
            f"({', '.join(outlook.lines)}); {fmt_count(outlook.late)} of them late."
        )
    details = [f"Unschedulable in this plan: {fmt_count(outlook.unschedulable)}"]
    if outlook.sheet:
        details.append(f"Delivery sheet: {outlook.sheet}")
    return Alert(
        kind="ops_summary",
        severity="warn" if needs_attention else "info",
        title=title,
        what=what,
        where={"plan date": outlook.plan_date},
        details=details,
        dedupe_key=f"ops_summary:{outlook.plan_date}",
    )
