"""How fresh each watched asset must be: one rule per asset, shown in the UI as the asset's
`dg.FreshnessPolicy` and evaluated by `freshness_alert_sensor` (customer_master/monitoring/freshness.py).

Customers: within 1 hour (the hourly customer sync keeps it so between nightly runs). Orders (Monday
and, when enabled, the OMS), capacity, the marts and the plan: once a day, by 04:00 in CM_TIMEZONE,
from the 02:00 run.
"""

import datetime as dt

import dagster as dg

from customer_master.monitoring.freshness import FreshnessRule
from customer_master.settings import get_settings
from customer_master.thresholds import get_thresholds

DAILY_DEADLINE = dt.time(4, 0)
DAILY_WINDOW = dt.timedelta(hours=2)


def _rules() -> dict[str, FreshnessRule]:
    tz = get_settings().timezone
    fail = dt.timedelta(seconds=get_thresholds().customer_freshness_seconds)
    customers = FreshnessRule("window", fail_after=fail, warn_after=fail * 0.75, timezone=tz)
    daily = FreshnessRule("daily", deadline=DAILY_DEADLINE, window=DAILY_WINDOW, timezone=tz)
    daily_assets: tuple[str, ...] = (
        "monday/orders",
        "monday/capacity",
        "customer_master",
        "order_master",
        "capacity_calendar",
        "delivery_plan",
        "delivery_schedules",
        "capacity_planning",
    )
    if get_settings().oms_enabled:  # the OMS assets exist only then (defs/oms)
        daily_assets += ("oms/orders",)
    return {"monday/customers": customers, **dict.fromkeys(daily_assets, daily)}


FRESHNESS_RULES: dict[str, FreshnessRule] = _rules()


def with_freshness_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The spec with its rule attached as a `dg.FreshnessPolicy` (unchanged without a rule).
    definitions.py maps it over every asset: the one place policies are applied."""
    policy = freshness_policy(spec.key.to_user_string())
    return spec if policy is None else spec.replace_attributes(freshness_policy=policy)


def unwatched_rules(asset_keys: set[str]) -> list[str]:
    """Rules whose asset does not exist (a renamed asset would silently lose its freshness alert)."""
    return sorted(set(FRESHNESS_RULES) - asset_keys)


def freshness_policy(asset: str) -> dg.FreshnessPolicy | None:
    """The asset's rule as a Dagster freshness policy (None for assets without a rule)."""
    rule = FRESHNESS_RULES.get(asset)
    if rule is None:
        return None
    if rule.kind == "window":
        assert rule.fail_after is not None, "checked in FreshnessRule.__post_init__"
        return dg.FreshnessPolicy.time_window(fail_window=rule.fail_after, warn_window=rule.warn_after)
    assert rule.deadline is not None and rule.window is not None, "checked in FreshnessRule.__post_init__"
    cron = f"{rule.deadline.minute} {rule.deadline.hour} * * *"
    return dg.FreshnessPolicy.cron(deadline_cron=cron, lower_bound_delta=rule.window, timezone=rule.timezone)
