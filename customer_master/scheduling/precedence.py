"""Precedence of a plan: no order is late or unscheduled while room it could have used went to a lower one.

A *violation* is an order X that is late (scheduled after its requested date) or `no_capacity`, and a
resource-day (d, j) that X may use - d one of its delivery days (its customer's window, else the default
window), not a holiday, within the horizon, on or after max(plan date, requested date) and before X's
scheduled day (any such day when X is `no_capacity`); j its pinned resource, or any resource - where the
capacity (regular + overtime) minus the units of the orders on (d, j) that *hold* their place against X
is at least X's quantity: the orders that do not hold it (of lower priority) took room X could have used.

Who holds a place against X depends on `PlanSettings.ordering`:

* `strict`: every order of equal or higher priority than X;
* `weekly_buckets`: the greedy plans ISO week by ISO week (of the requested date), so an order of another
  week holds its place whatever its priority; within X's week, those of equal or higher priority.

The greedy satisfies this by construction (it gives each order its earliest room after every order that
holds against it); `improve` keeps it. Capacity is compared in exact integer millionths, as in the engine.
Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from customer_master.scheduling.engine import UNITS_SCALE, _quantity, holiday_days, scaled_units
from customer_master.scheduling.models import (
    PRIORITY_RANK,
    REASON_NO_CAPACITY,
    Assignment,
    DeliveryWindow,
    Order,
    Plan,
)


@dataclass(frozen=True, slots=True)
class Violation:
    """Order `order_id` is late (or unscheduled) while `day`/`resource` had `room` units for it once the
    lower-priority orders `lower_orders` (not holding their place against it) are taken out."""

    order_id: str
    priority: str
    scheduled_date: date | None  # None: no_capacity
    quantity: float
    day: date
    resource: str
    room: float
    lower_orders: tuple[str, ...]

    def __str__(self) -> str:
        where = "unscheduled (no_capacity)" if self.scheduled_date is None else f"on {self.scheduled_date}"
        return (
            f"{self.priority} order {self.order_id} ({self.quantity:g} units) is {where}, but "
            f"{self.resource} on {self.day} has {self.room:g} units for it held by lower orders "
            f"{list(self.lower_orders)}"
        )


def iso_week(day: date) -> int:
    """A number per ISO week (Monday-based), consecutive across years: the weekly_buckets key."""
    return (day.toordinal() - 1) // 7


def precedence_violations(
    plan: Plan, orders: Iterable[Order], windows_by_customer: Mapping[str, DeliveryWindow | None]
) -> list[Violation]:
    """Every (order, resource-day) breaking precedence, in input order of the orders, then day, resource.

    `orders`/`windows_by_customer` are those the plan was made from (one assignment per order, in order).
    """
    settings = plan.settings
    weekly = settings.ordering == "weekly_buckets"
    holidays = holiday_days(settings.plan_date, settings.horizon_days, settings.country)
    horizon_end = settings.plan_date + timedelta(days=settings.horizon_days)
    resources = sorted({c.resource for c in plan.capacity})
    capacity = {}  # regular + overtime, millionths
    for c in plan.capacity:
        capacity[c.day, c.resource] = scaled_units(c.capacity) + scaled_units(c.overtime_capacity)
    on_bucket: dict[tuple[date, str], list[Assignment]] = defaultdict(list)
    for a in plan.scheduled():
        assert a.scheduled_date is not None and a.resource is not None
        on_bucket[a.scheduled_date, a.resource].append(a)

    def holds_against(other: Assignment, x: Assignment) -> bool:
        assert other.priority is not None and x.priority is not None
        assert other.requested_date is not None and x.requested_date is not None
        if weekly and iso_week(other.requested_date) != iso_week(x.requested_date):
            return True
        return PRIORITY_RANK[other.priority] <= PRIORITY_RANK[x.priority]

    out = []
    for o, x in zip(orders, plan.assignments, strict=True):
        late = x.status == "scheduled" and x.days_late > 0
        if not (late or x.reason == REASON_NO_CAPACITY) or x.requested_date is None or o.customer_id is None:
            continue
        units = x.units if x.status == "scheduled" else _quantity(o.quantity)
        if units is None:
            continue
        q = scaled_units(units)
        days = windows_by_customer.get(o.customer_id) or settings.default_window
        day = max(settings.plan_date, x.requested_date)
        stop = x.scheduled_date or horizon_end
        while day < stop:
            if day.isoweekday() in days.days and day not in holidays:
                for resource in [o.resource] if o.resource else resources:
                    members = on_bucket.get((day, resource), [])
                    held = sum(scaled_units(m.units) for m in members if holds_against(m, x))
                    room = capacity.get((day, resource), 0) - held
                    if room >= q:
                        lower = tuple(m.order_id for m in members if not holds_against(m, x))
                        out.append(
                            Violation(
                                x.order_id, o.priority, x.scheduled_date, units, day, resource,
                                room / UNITS_SCALE, lower,
                            )
                        )  # fmt: skip
            day += timedelta(days=1)
    return out
