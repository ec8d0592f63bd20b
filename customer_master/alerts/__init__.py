"""Slack alerts: message builders and delivery (no dagster imports: the sensors in `defs/` call these).

Public API:
    Alert, DailyDigest                                   what a message says (models.py)
    run_failure_alert, check_failure_alert, freshness_alert, run_duration_alert, daily_digest_alert,
    ops_summary_alert                                    the operations channel's morning message
    freshness_needs_alert(previous_state, state)         once per transition, never a repeat
    fmt_pct, fmt_duration, fmt_count                     number formatting for messages
    render_slack_payload(alert, *, ui_base_url)          the incoming-webhook JSON
    SlackNotifier(webhook_url, ui_base_url, ...).send(alert) -> DeliveryResult   never raises,
                                                         bounded by deadline_seconds, never repeats
    notifier_from_env()                                  the settings tree's alerts section
    AlertSettings                                        that section (CM_SLACK_*, CM_DAGSTER_UI_URL)
"""

from customer_master.alerts.messages import (
    check_failure_alert,
    daily_digest_alert,
    fmt_count,
    fmt_duration,
    freshness_alert,
    freshness_needs_alert,
    ops_summary_alert,
    run_duration_alert,
    run_failure_alert,
)
from customer_master.alerts.models import Alert, AlertKind, DailyDigest, DeliveryOutlook, Severity
from customer_master.alerts.settings import AlertSettings
from customer_master.alerts.slack import (
    DeliveredKeys,
    DeliveryResult,
    SlackNotifier,
    escape_mrkdwn,
    notifier_from_env,
    render_slack_payload,
)
from customer_master.common import fmt_pct

__all__ = [
    "Alert",
    "AlertKind",
    "AlertSettings",
    "DailyDigest",
    "DeliveryOutlook",
    "DeliveredKeys",
    "DeliveryResult",
    "Severity",
    "SlackNotifier",
    "check_failure_alert",
    "daily_digest_alert",
    "escape_mrkdwn",
    "fmt_count",
    "fmt_duration",
    "fmt_pct",
    "freshness_alert",
    "freshness_needs_alert",
    "notifier_from_env",
    "ops_summary_alert",
    "render_slack_payload",
    "run_duration_alert",
    "run_failure_alert",
]
