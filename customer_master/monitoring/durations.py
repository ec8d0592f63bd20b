"""Run duration levels and the once-per-level rule of the run-duration sensor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from customer_master.thresholds import AlertThresholds

Level = Literal["warn", "critical"]
_ORDER = {"warn": 1, "critical": 2}


def duration_level(elapsed_seconds: float, t: AlertThresholds) -> Level | None:
    """critical past 10 minutes, warn past 5, else None."""
    if elapsed_seconds > t.run_duration_critical_seconds:
        return "critical"
    if elapsed_seconds > t.run_duration_warn_seconds:
        return "warn"
    return None


def due_alerts(
    elapsed_by_run: Mapping[str, float], alerted: Mapping[str, str], t: AlertThresholds
) -> tuple[list[tuple[str, Level]], dict[str, str]]:
    """Runs whose level rose since the last alert, and the new cursor (only runs still in progress,
    so it stays small). A run alerts at most twice: once at warn, once at critical."""
    due: list[tuple[str, Level]] = []
    cursor: dict[str, str] = {}
    for run_id, elapsed in sorted(elapsed_by_run.items()):
        level = duration_level(elapsed, t)
        before = alerted.get(run_id)
        if level is not None and (before is None or _ORDER[level] > _ORDER[before]):
            due.append((run_id, level))
            cursor[run_id] = level
        elif before is not None:
            cursor[run_id] = before
    return due, cursor
