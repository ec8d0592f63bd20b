"""Freshness rules and their evaluation, and the transitions the freshness sensor alerts on.

One `FreshnessRule` per watched asset is both attached to the asset as a `dg.FreshnessPolicy` (so
the UI shows it) and evaluated here from the asset's last materialization time, so the alerting does
not depend on which Dagster deployment computes freshness states.

* `window`: fresh while the last update is younger than `fail_after` (warn from `warn_after`).
* `daily`: updated at least once in each daily window: from `deadline - window` on, the asset must
  be updated by the deadline (e.g. 04:00, two hours after the 02:00 run starts); until the next
  deadline an update after the window started counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from customer_master.alerts.messages import FreshnessState, freshness_needs_alert

State = Literal["PASS", "WARN", "FAIL", "UNKNOWN"]
# The alert builders' name of a state, by the state in lower case; UNKNOWN has none (it never alerts).
ALERT_STATES: Mapping[str, FreshnessState] = {"pass": "pass", "warn": "warn", "fail": "fail"}


@dataclass(frozen=True, slots=True)
class FreshnessRule:
    kind: Literal["window", "daily"]
    fail_after: dt.timedelta | None = None  # window
    warn_after: dt.timedelta | None = None  # window
    deadline: dt.time | None = None  # daily, in `timezone`
    window: dt.timedelta | None = None  # daily: how long before the deadline an update counts
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.kind == "window":
            if self.fail_after is None or self.fail_after <= dt.timedelta(0):
                raise ValueError("a window freshness rule needs fail_after > 0")
            if self.warn_after is not None and self.warn_after >= self.fail_after:
                raise ValueError("warn_after must be shorter than fail_after")
        if self.kind == "daily" and (self.deadline is None or self.window is None):
            raise ValueError("a daily freshness rule needs a deadline and a window")

    def describe(self) -> str:
        if self.kind == "window":
            return f"updated within {_span(self.fail_after)}"
        return f"updated daily by {self.deadline:%H:%M} {self.timezone} (window {_span(self.window)})"


def _span(delta: dt.timedelta | None) -> str:
    minutes = int((delta or dt.timedelta(0)).total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def last_deadline(rule: FreshnessRule, now: dt.datetime) -> dt.datetime:
    """The most recent deadline at or before `now` (aware, in UTC)."""
    assert rule.deadline is not None, "only daily rules have deadlines (checked in __post_init__)"
    tz = ZoneInfo(rule.timezone)
    local = now.astimezone(tz)
    deadline = dt.datetime.combine(local.date(), rule.deadline, tzinfo=tz)
    if deadline > local:
        deadline -= dt.timedelta(days=1)
    return deadline.astimezone(dt.UTC)


def evaluate(rule: FreshnessRule, last_updated: dt.datetime | None, now: dt.datetime) -> State:
    """PASS / WARN / FAIL, or UNKNOWN for an asset never materialized. Datetimes are aware."""
    if last_updated is None:
        return "UNKNOWN"
    if rule.kind == "window":
        assert rule.fail_after is not None, "checked in __post_init__"
        age = now - last_updated
        if age > rule.fail_after:
            return "FAIL"
        if rule.warn_after is not None and age > rule.warn_after:
            return "WARN"
        return "PASS"
    assert rule.window is not None, "checked in __post_init__"
    window_start = last_deadline(rule, now) - rule.window
    return "PASS" if last_updated >= window_start else "FAIL"


def transitions(
    previous: Mapping[str, str], current: Mapping[str, State]
) -> list[tuple[str, str | None, State]]:
    """(asset, before, now) for each change worth one alert (`freshness_needs_alert`: into WARN or
    FAIL, or back to PASS from one of them). UNKNOWN neither alerts nor resets a state."""
    out: list[tuple[str, str | None, State]] = []
    for asset, state in sorted(current.items()):
        before = previous.get(asset)
        if state == "UNKNOWN":
            continue
        if freshness_needs_alert(
            ALERT_STATES.get(before.lower()) if before else None, ALERT_STATES[state.lower()]
        ):
            out.append((asset, before, state))
    return out


def remembered(previous: Mapping[str, str], current: Mapping[str, str]) -> dict[str, str]:
    """The cursor to keep: the new states, except that UNKNOWN keeps what was known before."""
    merged = dict(previous)
    merged.update({k: v for k, v in current.items() if v != "UNKNOWN"})
    return merged
