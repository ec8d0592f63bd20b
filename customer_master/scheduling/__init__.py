"""Delivery-schedule engine: which customer gets which order on which day. Pure Python, no I/O, no dagster.

Entry point: `plan_deliveries(orders, windows_by_customer, capacity, settings) -> Plan`.
"""

from customer_master.scheduling.engine import holiday_days, plan_deliveries
from customer_master.scheduling.metrics import PriorityLateness, lateness_by_priority
from customer_master.scheduling.models import (
    INPUT_ERROR_REASONS,
    ORDERINGS,
    PRIORITY_RANK,
    REASON_CUSTOMER_INACTIVE,
    REASON_DUPLICATE_ORDER_ID,
    REASON_INVALID_PRIORITY,
    REASON_INVALID_QUANTITY,
    REASON_MISSING_REQUESTED_DATE,
    REASON_NO_CAPACITY,
    REASON_NO_WINDOW_IN_HORIZON,
    REASON_UNKNOWN_CUSTOMER,
    REASON_UNKNOWN_RESOURCE,
    REASONS,
    WEEKDAYS_WINDOW,
    Assignment,
    CapacityDay,
    CapacitySummary,
    DeliveryWindow,
    Order,
    Plan,
    PlanSettings,
)
from customer_master.scheduling.precedence import Violation, precedence_violations

__all__ = [
    "INPUT_ERROR_REASONS",
    "ORDERINGS",
    "PRIORITY_RANK",
    "REASONS",
    "REASON_CUSTOMER_INACTIVE",
    "REASON_DUPLICATE_ORDER_ID",
    "REASON_INVALID_PRIORITY",
    "REASON_INVALID_QUANTITY",
    "REASON_MISSING_REQUESTED_DATE",
    "REASON_NO_CAPACITY",
    "REASON_NO_WINDOW_IN_HORIZON",
    "REASON_UNKNOWN_CUSTOMER",
    "REASON_UNKNOWN_RESOURCE",
    "WEEKDAYS_WINDOW",
    "Assignment",
    "CapacityDay",
    "CapacitySummary",
    "DeliveryWindow",
    "Order",
    "Plan",
    "PlanSettings",
    "PriorityLateness",
    "Violation",
    "holiday_days",
    "lateness_by_priority",
    "plan_deliveries",
    "precedence_violations",
]
