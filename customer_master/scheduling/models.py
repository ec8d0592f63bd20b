"""Inputs and outputs of the delivery-schedule engine: small frozen dataclasses, no I/O.

Orders are plain frozen dataclasses without validation on construction (100k of them are built per
plan); the engine itself turns a bad order into an `unschedulable` assignment with a reason instead of
raising. The few configuration objects (`DeliveryWindow`, `PlanSettings`) validate themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal

Priority = Literal["rush", "high", "normal", "low"]
Ordering = Literal["strict", "weekly_buckets"]
Status = Literal["scheduled", "unschedulable"]

PRIORITY_RANK: dict[str, int] = {"rush": 0, "high": 1, "normal": 2, "low": 3}
"""Lower rank goes first."""

ORDERINGS: tuple[str, ...] = ("strict", "weekly_buckets")

# Reasons an order is unschedulable (the `reason` column of an unschedulable assignment).
REASON_INVALID_QUANTITY = "invalid_quantity"
REASON_INVALID_PRIORITY = "invalid_priority"
REASON_MISSING_REQUESTED_DATE = "missing_requested_date"
REASON_UNKNOWN_CUSTOMER = "unknown_customer"
REASON_CUSTOMER_INACTIVE = "customer_inactive"
REASON_UNKNOWN_RESOURCE = "unknown_resource"
REASON_DUPLICATE_ORDER_ID = "duplicate_order_id"
REASON_NO_WINDOW_IN_HORIZON = "no_window_in_horizon"
REASON_NO_CAPACITY = "no_capacity"
REASONS: tuple[str, ...] = (
    REASON_INVALID_QUANTITY,
    REASON_INVALID_PRIORITY,
    REASON_MISSING_REQUESTED_DATE,
    REASON_UNKNOWN_CUSTOMER,
    REASON_CUSTOMER_INACTIVE,
    REASON_UNKNOWN_RESOURCE,
    REASON_DUPLICATE_ORDER_ID,
    REASON_NO_WINDOW_IN_HORIZON,
    REASON_NO_CAPACITY,
)
INPUT_ERROR_REASONS: frozenset[str] = frozenset(
    {
        REASON_INVALID_QUANTITY,
        REASON_INVALID_PRIORITY,
        REASON_MISSING_REQUESTED_DATE,
        REASON_UNKNOWN_CUSTOMER,
        REASON_UNKNOWN_RESOURCE,
        REASON_DUPLICATE_ORDER_ID,
    }
)
"""Reasons that mean the order's data is wrong (schedule calculation errors), as opposed to a plan that
ran out of capacity or delivery days (backlog) or a customer the business deactivated."""


@dataclass(frozen=True, slots=True)
class Order:
    """One open order. `quantity` is in capacity units; `resource=None` means any resource."""

    order_id: str
    customer_id: str | None
    priority: str
    quantity: float
    requested_date: date | None
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryWindow:
    """Days of the week a customer accepts deliveries (ISO weekday 1=Mon..7=Sun) and the time window."""

    days: frozenset[int]
    start: time = time(8, 0)
    end: time = time(17, 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", frozenset(self.days))
        bad = sorted(d for d in self.days if not (isinstance(d, int) and 1 <= d <= 7))
        if bad:
            raise ValueError(f"delivery window days must be ISO weekdays 1..7, got {bad}")
        if self.end < self.start:
            raise ValueError(f"delivery window ends ({self.end}) before it starts ({self.start})")


WEEKDAYS_WINDOW = DeliveryWindow(frozenset({1, 2, 3, 4, 5}), time(8, 0), time(17, 0))
"""The default window: Monday to Friday, 08:00-17:00."""


@dataclass(frozen=True, slots=True)
class CapacityDay:
    """Capacity of one resource on one day. A maintenance day has no capacity at all."""

    resource: str
    day: date
    regular_units: float
    overtime_units: float = 0.0
    maintenance: bool = False


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """Plan date, horizon (days, plan date included), holiday country, ordering rule, default window.

    `country=None` means no public holidays. `ordering='strict'` sorts by priority, then requested date,
    then order id; `'weekly_buckets'` first by the ISO week of the requested date, then the same keys.
    `improve=True` runs the local search of `scheduling.improve` on the greedy plan (less weighted
    lateness, same rules, precedence kept as `scheduling.precedence` defines it). Off here so the engine
    alone is what its tests describe; the app turns it on (`CM_SCHEDULE_IMPROVE`, default true): it takes
    <= 5 s at 100,000 orders and comes within 5 % of the best precedence-keeping HiGHS solution on the
    benchmark's 1,500-order instances (benchmarks/bench_schedule.py).
    """

    plan_date: date
    horizon_days: int = 365
    country: str | None = "US"
    ordering: Ordering = "strict"
    default_window: DeliveryWindow = field(default=WEEKDAYS_WINDOW)
    improve: bool = False

    def __post_init__(self) -> None:
        if self.horizon_days < 1:
            raise ValueError(f"horizon_days must be >= 1, got {self.horizon_days}")
        if self.ordering not in ORDERINGS:
            raise ValueError(f"ordering must be one of {ORDERINGS}, got {self.ordering!r}")


@dataclass(frozen=True, slots=True)
class Assignment:
    """The plan for one order.

    `units` is the whole quantity delivered (orders are never split); `overtime_units` is the part of it
    taken from overtime capacity (the rest is regular). `days_late` is calendar days after the requested
    date (0 when on time). Unschedulable assignments have no date/resource and carry a `reason`.
    """

    order_id: str
    customer_id: str | None
    status: Status
    scheduled_date: date | None
    window_start: time | None
    window_end: time | None
    resource: str | None
    units: float
    overtime_units: float
    is_late: bool
    days_late: int
    reason: str | None
    priority: str | None = None
    requested_date: date | None = None


@dataclass(frozen=True, slots=True)
class CapacitySummary:
    """Load of one resource on one day of the horizon.

    `capacity`/`overtime_capacity` are what was usable (zero on holidays and maintenance days);
    `utilization` is (regular + overtime scheduled) / regular capacity, 0.0 when there is no capacity.
    """

    resource: str
    day: date
    capacity: float
    overtime_capacity: float
    scheduled_units: float
    scheduled_overtime_units: float
    utilization: float
    is_maintenance: bool
    is_holiday: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """The engine's output: one assignment per input order (input order kept) and the capacity summary
    per resource x day (resources by name, then day)."""

    settings: PlanSettings
    assignments: tuple[Assignment, ...]
    capacity: tuple[CapacitySummary, ...]

    def scheduled(self) -> list[Assignment]:
        return [a for a in self.assignments if a.status == "scheduled"]

    def unschedulable(self) -> list[Assignment]:
        return [a for a in self.assignments if a.status == "unschedulable"]

    def by_order_id(self) -> dict[str, Assignment]:
        return {a.order_id: a for a in self.assignments}
