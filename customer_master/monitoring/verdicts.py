"""Ingestion and data-quality thresholds applied to measurements (see customer_master/thresholds.py)."""

from __future__ import annotations

from customer_master.common import fmt_pct
from customer_master.thresholds import AlertThresholds, Verdict


def records_extracted(board: str, active_items: int) -> Verdict:
    """A board with zero records after a sync is critical: an empty board, a wrong board id or a token
    that lost access all look like this, and nothing downstream should plan on it."""
    return Verdict(
        active_items > 0,
        "error",
        active_items,
        0,
        f"{board}: {active_items} active records in the warehouse after the sync"
        + ("" if active_items > 0 else " (critical: zero records)"),
    )


def record_error_rate(board: str, rate: float, quarantined: int, t: AlertThresholds) -> Verdict:
    """Quarantined share of the values seen: warn above 2 %, critical above 5 %. (A load above the
    critical rate is refused by the warehouse, so that case reaches Slack as a failed run as well.)"""
    critical = rate > t.record_error_rate_critical
    warn = rate > t.record_error_rate_warn
    threshold = t.record_error_rate_critical if critical else t.record_error_rate_warn
    level = "critical" if critical else "warn" if warn else "ok"
    return Verdict(
        not warn,
        "error" if critical else "warn",
        round(rate, 6),
        threshold,
        f"{board}: {fmt_pct(rate)} of values quarantined ({quarantined}); warn above "
        f"{fmt_pct(t.record_error_rate_warn)}, critical above "
        f"{fmt_pct(t.record_error_rate_critical)} ({level})",
        {"warn_threshold": t.record_error_rate_warn, "critical_threshold": t.record_error_rate_critical},
    )


def customer_sync_duration(seconds: float, t: AlertThresholds) -> Verdict:
    """The customer sync is critical when it takes longer than 15 minutes."""
    return Verdict(
        seconds <= t.customer_sync_max_seconds,
        "error",
        round(seconds, 3),
        t.customer_sync_max_seconds,
        f"customer sync took {seconds:.1f} s (critical above {t.customer_sync_max_seconds:.0f} s)",
    )


def customer_name_nulls(nulls: int, t: AlertThresholds) -> Verdict:
    """Customers without a name: 50 or more warns (design: data quality)."""
    return Verdict(
        nulls < t.customer_name_nulls_warn,
        "warn",
        nulls,
        t.customer_name_nulls_warn,
        f"{nulls} customers without a name (warn at {t.customer_name_nulls_warn} or more)",
    )


def field_coverage(ratios: dict[str, float | None], t: AlertThresholds) -> Verdict:
    """Share of customers with each required field filled: any below 90 % warns (the lowest is the value)."""
    measured = {k: v for k, v in ratios.items() if v is not None}
    if not measured:
        return Verdict(True, "warn", 1.0, t.coverage_min, "no customers to measure coverage on")
    field, lowest = min(measured.items(), key=lambda kv: (kv[1], kv[0]))
    below = sorted(k for k, v in measured.items() if v < t.coverage_min)
    return Verdict(
        not below,
        "warn",
        round(lowest, 6),
        t.coverage_min,
        f"lowest coverage {field} {fmt_pct(lowest, digits=1)} (warn below {fmt_pct(t.coverage_min)})"
        + (f"; below: {', '.join(below)}" if below else ""),
        {k: round(v, 6) for k, v in sorted(measured.items())},
    )


def order_update_success(applied: int, parked: int, t: AlertThresholds) -> Verdict:
    """Share of order changes that reached order_master (applied, or parked after its retries) over
    the last day: below 99 % fails. No finished change yet passes (nothing to judge)."""
    finished = applied + parked
    rate = applied / finished if finished else 1.0
    return Verdict(
        rate >= t.order_update_success_min,
        "error",
        round(rate, 6),
        t.order_update_success_min,
        f"{fmt_pct(rate)} of order updates succeeded in the last 24 h ({applied} applied, {parked} "
        f"parked after retries); required at least {fmt_pct(t.order_update_success_min)}",
        {"applied": applied, "parked": parked},
    )


def unprocessed_order_changes(pending: int, t: AlertThresholds) -> Verdict:
    """Order changes received but not yet in order_master: more than 100 is critical."""
    return Verdict(
        pending <= t.order_backlog_critical,
        "error",
        pending,
        t.order_backlog_critical,
        f"{pending} order updates waiting to be applied (critical above {t.order_backlog_critical})",
    )


def order_change_lag(oldest_pending_age: float | None, t: AlertThresholds) -> Verdict:
    """Live order changes older than 30 s not yet in order_master: the orders are behind."""
    age = oldest_pending_age or 0.0
    return Verdict(
        age <= t.order_lag_seconds,
        "warn",
        round(age, 3),
        t.order_lag_seconds,
        f"orders are {age:.0f} s behind (the oldest waiting change; warn above {t.order_lag_seconds:.0f} s)",
    )
