"""The business's alert thresholds (docs/architecture.md, "Alert thresholds"), in one validated config.

Every asset check and sensor reads its number from here, so the UI, the alerts and the runbook all
quote the same value. `AlertThresholds` is the `thresholds` section of the one settings tree
(customer_master/settings.py), which reads each threshold from its own variable `CM_ALERT_<NAME>`,
e.g. `CM_ALERT_ORDER_BACKLOG_CRITICAL=250`; a value out of range fails at start-up with the variable
named. `AlertThresholds()` alone is the design's numbers (tests use it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field, model_validator

ENV_PREFIX = "CM_ALERT_"


def env_name(field_name: str) -> str:
    """The environment variable of one threshold: CM_ALERT_<FIELD NAME IN CAPITALS>."""
    return f"{ENV_PREFIX}{field_name.upper()}"


class AlertThresholds(BaseModel):
    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=env_name),
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
        frozen=True,
    )

    # Extraction: zero records is critical; the record error rate warns above 2 %, is critical above 5 %.
    record_error_rate_warn: float = Field(0.02, ge=0, le=1)
    record_error_rate_critical: float = Field(0.05, ge=0, le=1)
    # Run duration (seconds): warn past 5 minutes, critical past 10.
    run_duration_warn_seconds: float = Field(300, gt=0)
    run_duration_critical_seconds: float = Field(600, gt=0)
    # Customer sync: critical when it fails or takes longer than 15 minutes.
    customer_sync_max_seconds: float = Field(900, gt=0)
    # Orders that cannot be planned (no capacity / no delivery day in the horizon): critical above 100.
    order_backlog_critical: int = Field(100, ge=0)
    # Orders the planner rejects for bad data (schedule calculation errors): critical above 1 %.
    schedule_error_rate_critical: float = Field(0.01, ge=0, le=1)
    # Capacity utilization: warn when a resource is above 95 % on this many consecutive capacity days.
    utilization_warn: float = Field(0.95, gt=0)
    utilization_consecutive_days: int = Field(2, ge=2)
    # Freshness: customer data stale after 1 hour; live order changes behind by more than 30 s.
    customer_freshness_seconds: float = Field(3600, gt=0)
    order_lag_seconds: float = Field(30, gt=0)
    # Order updates (webhooks/polling -> order_master) that must succeed, over the last 24 h.
    order_update_success_min: float = Field(0.99, ge=0, le=1)
    # Data quality: customer name NULLs at or above 50, field coverage below 90 %.
    customer_name_nulls_warn: int = Field(50, ge=1)
    coverage_min: float = Field(0.90, ge=0, le=1)
    # Plan vs actual: share of delivered orders not delivered on their planned date, warn above 2 %.
    schedule_variance_warn: float = Field(0.02, ge=0, le=1)
    # Plan churn: share of promised orders (scheduled by the previous plan for a day not yet past) the
    # new plan moved without a change of their own; warn above 10 %.
    plan_churn_warn: float = Field(0.10, ge=0, le=1)

    @model_validator(mode="after")
    def _warn_below_critical(self) -> AlertThresholds:
        if self.record_error_rate_warn > self.record_error_rate_critical:
            raise ValueError(
                "CM_ALERT_RECORD_ERROR_RATE_WARN must not exceed CM_ALERT_RECORD_ERROR_RATE_CRITICAL"
            )
        if self.run_duration_warn_seconds > self.run_duration_critical_seconds:
            raise ValueError(
                "CM_ALERT_RUN_DURATION_WARN_SECONDS must not exceed CM_ALERT_RUN_DURATION_CRITICAL_SECONDS"
            )
        return self


def get_thresholds() -> AlertThresholds:
    """The thresholds of the loaded settings tree (cached there: `get_settings.cache_clear()`)."""
    from customer_master.settings import get_settings  # settings imports this module

    return get_settings().thresholds


Severity = Literal["warn", "error"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A measurement against a threshold: the asset checks turn it into a result whose metadata
    shows `value` next to `threshold`."""

    passed: bool
    severity: Severity
    value: float
    threshold: float
    description: str
    details: dict[str, Any] = field(default_factory=dict)
