"""Warehouse rows -> engine inputs -> plan columns and summary; the thresholds' verdicts on a plan."""

from __future__ import annotations

import datetime as dt

import pytest

from customer_master.scheduling import (
    REASON_CUSTOMER_INACTIVE,
    REASON_INVALID_QUANTITY,
    REASON_NO_CAPACITY,
    WEEKDAYS_WINDOW,
    CapacityDay,
    DeliveryWindow,
    PlanSettings,
    plan_deliveries,
    verdicts,
)
from customer_master.scheduling.records import (
    assignment_columns,
    capacity_columns,
    capacity_days,
    customer_windows,
    is_open_on,
    longest_high_utilization_run,
    open_orders,
    parse_delivery_days,
    summarize,
)
from customer_master.settings import SettingsError, load_settings
from customer_master.thresholds import AlertThresholds
from customer_master.warehouse.plans import retention_cutoff
from customer_master.warehouse.tables import PLAN_ASSIGNMENTS, PLAN_CAPACITY

MONDAY = dt.date(2026, 11, 23)
T = AlertThresholds()


def test_delivery_days_text_becomes_iso_weekdays():
    assert parse_delivery_days("Mon,Wed, Fri") == frozenset({1, 3, 5})
    assert parse_delivery_days("Saturday,sun") == frozenset({6, 7})
    assert parse_delivery_days(None) is None
    assert parse_delivery_days("  ") is None
    assert parse_delivery_days("Someday") == frozenset()


def test_customer_windows_override_the_default_and_deactivated_customers_are_listed():
    rows = [
        {"customer_id": "c1", "is_active": True, "delivery_days": "Mon,Tue,Wed,Thu,Fri",
         "delivery_window_start": dt.time(8), "delivery_window_end": dt.time(17)},
        {"customer_id": "c2", "is_active": True, "delivery_days": "Tue,Thu",
         "delivery_window_start": dt.time(6, 30), "delivery_window_end": dt.time(11)},
        {"customer_id": "c3", "is_active": False, "delivery_days": None,
         "delivery_window_start": None, "delivery_window_end": None},
        {"customer_id": "c4", "is_active": 1, "delivery_days": "Sat",
         "delivery_window_start": "18:00:00", "delivery_window_end": "09:00:00"},
    ]  # fmt: skip
    windows, inactive = customer_windows(rows, WEEKDAYS_WINDOW)
    assert windows["c1"] is None  # exactly the default window
    assert windows["c2"] == DeliveryWindow(frozenset({2, 4}), dt.time(6, 30), dt.time(11))
    assert windows["c3"] is None and inactive == {"c3"}
    assert windows["c4"] == DeliveryWindow(frozenset({6}), dt.time(8), dt.time(17))  # garbled hours


def test_an_order_is_open_on_a_day_if_its_version_then_is_open_or_it_was_delivered_later():
    assert is_open_on({"is_open": True}, MONDAY)
    delivered_later = {
        "is_open": False,
        "status": "delivered",
        "delivered_date": MONDAY + dt.timedelta(days=2),
    }
    assert is_open_on(delivered_later, MONDAY)
    assert not is_open_on({**delivered_later, "delivered_date": MONDAY}, MONDAY)
    assert not is_open_on({"is_open": False, "status": "cancelled", "delivered_date": None}, MONDAY)


def test_open_orders_default_an_empty_priority_to_normal_and_sort_by_id():
    rows = [
        {"order_id": "monday:2", "customer_id": "c1", "priority": None, "quantity": 3,
         "requested_date": MONDAY, "status": "new", "is_open": True, "delivered_date": None},
        {"order_id": "monday:1", "customer_id": "c1", "priority": "Rush", "quantity": None,
         "requested_date": MONDAY, "status": "new", "is_open": True, "delivered_date": None},
        {"order_id": "monday:3", "customer_id": "c1", "priority": "low", "quantity": 1,
         "requested_date": MONDAY, "status": "delivered", "is_open": False, "delivered_date": MONDAY},
    ]  # fmt: skip
    orders = open_orders(rows, MONDAY)
    assert [o.order_id for o in orders] == ["monday:1", "monday:2"]
    assert [o.priority for o in orders] == ["rush", "normal"]
    assert orders[0].quantity != orders[0].quantity  # NaN: the engine reports invalid_quantity


def _plan(orders, capacity, **windows):
    settings = PlanSettings(plan_date=MONDAY, horizon_days=7, country=None)
    return plan_deliveries(orders, windows or {"c1": None}, capacity, settings, inactive_customers={"gone"})


def test_plan_columns_match_the_warehouse_tables_and_the_summary_counts_each_kind_of_miss():
    rows = [
        {"order_id": f"o{i}", "customer_id": cust, "priority": "normal", "quantity": q,
         "requested_date": MONDAY, "status": "new", "is_open": True, "delivered_date": None}
        for i, (cust, q) in enumerate([("c1", 6), ("c1", 6), ("c1", 0), ("gone", 1), ("c1", 50)])
    ]  # fmt: skip
    capacity = capacity_days(
        [{"resource": "L1", "capacity_date": MONDAY + dt.timedelta(days=i), "capacity_units": 10,
          "overtime_units": 0, "is_maintenance": False} for i in range(7)]
    )  # fmt: skip
    plan = _plan(open_orders(rows, MONDAY), capacity, c1=None, gone=None)
    a, c = assignment_columns(plan), capacity_columns(plan)
    lineage = {"plan_date", "_run_id", "_planned_at"}
    assert set(a) == set(PLAN_ASSIGNMENTS.column_names) - lineage
    assert set(c) == set(PLAN_CAPACITY.column_names) - lineage
    assert len(c["day"]) == 7 and a["window_start"][0] == "08:00:00"
    s = summarize(plan)
    assert (s.orders, s.scheduled, s.unschedulable) == (5, 2, 3)
    assert s.reasons == {REASON_CUSTOMER_INACTIVE: 1, REASON_INVALID_QUANTITY: 1, REASON_NO_CAPACITY: 1}
    assert (s.input_errors, s.backlog, s.inactive_customer_orders) == (1, 1, 1)
    assert s.late == 1  # the second 6-unit order waits a day (weekdays only, 10 units a day)
    assert s.input_error_rate == pytest.approx(0.2)


def _capacity_plan(loads: list[float]):
    """One resource, capacity 10 on each day; `loads` orders requested that day (0 = no order)."""
    capacity = [CapacityDay("L1", MONDAY + dt.timedelta(days=i), 10.0) for i in range(len(loads))]
    orders = [
        dict(order_id=f"o{i}", customer_id="c1", priority="normal", quantity=q,
             requested_date=MONDAY + dt.timedelta(days=i), status="new", is_open=True, delivered_date=None)
        for i, q in enumerate(loads) if q
    ]  # fmt: skip
    settings = PlanSettings(
        plan_date=MONDAY, horizon_days=len(loads), country=None,
        default_window=DeliveryWindow(frozenset(range(1, 8))),
    )  # fmt: skip
    return plan_deliveries(open_orders(orders, MONDAY), {"c1": None}, capacity, settings)


def test_sustained_utilization_warns_only_on_consecutive_days_above_95_percent():
    single = longest_high_utilization_run(_capacity_plan([9.6, 5, 9.6, 5]), T.utilization_warn)
    assert single.days == 1 and verdicts.sustained_utilization(single, T).passed
    run = longest_high_utilization_run(_capacity_plan([5, 9.6, 10, 9.7, 5]), T.utilization_warn)
    assert (run.days, run.first_day, run.last_day) == (
        3,
        MONDAY + dt.timedelta(days=1),
        MONDAY + dt.timedelta(days=3),
    )
    verdict = verdicts.sustained_utilization(run, T)
    assert not verdict.passed and verdict.severity == "warn" and verdict.value == 3
    exactly = longest_high_utilization_run(_capacity_plan([9.5, 9.5]), T.utilization_warn)
    assert exactly.days == 0  # 95 % is not above 95 %


def test_calculation_error_and_backlog_verdicts_use_the_thresholds():
    plan = _capacity_plan([5])
    s = summarize(plan)
    assert verdicts.calculation_errors(s, T).passed and verdicts.unscheduled_backlog(s, T).passed
    bad = type(s)(
        **{**{f: getattr(s, f) for f in s.__slots__}, "orders": 100, "input_errors": 2, "backlog": 101}
    )
    errors, backlog = verdicts.calculation_errors(bad, T), verdicts.unscheduled_backlog(bad, T)
    assert (errors.passed, errors.severity, errors.value, errors.threshold) == (False, "error", 0.02, 0.01)
    assert (backlog.passed, backlog.value, backlog.threshold) == (False, 101, 100)
    at_limit = type(s)(
        **{**{f: getattr(s, f) for f in s.__slots__}, "orders": 100, "input_errors": 1, "backlog": 100}
    )
    assert (
        verdicts.calculation_errors(at_limit, T).passed and verdicts.unscheduled_backlog(at_limit, T).passed
    )


def test_capacity_explained_and_variance_verdicts():
    assert verdicts.capacity_respected([]).passed
    assert not verdicts.capacity_respected(["L1 2026-11-24"]).passed
    ok = verdicts.every_order_explained(10, 10, 10, 0, 0)
    assert ok.passed
    missing = verdicts.every_order_explained(10, 9, 9, 1, 0)
    assert not missing.passed and missing.details["missing_orders"] == 1
    assert verdicts.schedule_variance(None, 0, T).passed
    assert verdicts.schedule_variance(0.02, 100, T).passed
    v = verdicts.schedule_variance(0.03, 100, T)
    assert (v.passed, v.severity) == (False, "warn")


def test_thresholds_default_to_the_design_and_are_overridable_from_the_environment(monkeypatch):
    assert (T.order_backlog_critical, T.schedule_error_rate_critical, T.utilization_warn) == (100, 0.01, 0.95)
    assert (T.record_error_rate_warn, T.record_error_rate_critical, T.schedule_variance_warn) == (
        0.02,
        0.05,
        0.02,
    )
    monkeypatch.setenv("CM_ALERT_ORDER_BACKLOG_CRITICAL", "250")
    assert load_settings().thresholds.order_backlog_critical == 250
    monkeypatch.setenv("CM_ALERT_RECORD_ERROR_RATE_WARN", "0.5")
    with pytest.raises(SettingsError, match="RECORD_ERROR_RATE_WARN"):
        load_settings()


def test_retention_keeps_five_years_and_handles_leap_days():
    assert retention_cutoff(dt.date(2026, 11, 23), 5) == dt.date(2021, 11, 23)
    assert retention_cutoff(dt.date(2028, 2, 29), 5) == dt.date(2023, 2, 28)
