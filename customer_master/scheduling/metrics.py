"""Lateness per priority for a plan: what the ordering rule trades off (reference §5.4). Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from customer_master.scheduling.models import PRIORITY_RANK, Plan


@dataclass(frozen=True, slots=True)
class PriorityLateness:
    """Lateness of one priority's orders. Days-late statistics cover scheduled orders only."""

    priority: str
    orders: int
    scheduled: int
    unschedulable: int
    on_time_pct: float
    mean_days_late: float
    p50_days_late: float
    p95_days_late: float
    max_days_late: int
    overtime_units: float


def lateness_by_priority(plan: Plan) -> list[PriorityLateness]:
    """One row per priority (rush, high, normal, low), in that order, including priorities without orders.

    Orders with an unknown priority are left out (they are unschedulable with `invalid_priority`).
    """
    rows = []
    for priority in sorted(PRIORITY_RANK, key=PRIORITY_RANK.__getitem__):
        mine = [a for a in plan.assignments if a.priority == priority]
        late = np.array([a.days_late for a in mine if a.status == "scheduled"], dtype=float)
        n_sched = len(late)
        rows.append(
            PriorityLateness(
                priority=priority,
                orders=len(mine),
                scheduled=n_sched,
                unschedulable=len(mine) - n_sched,
                on_time_pct=100.0 * float((late == 0).sum()) / n_sched if n_sched else 0.0,
                mean_days_late=float(late.mean()) if n_sched else 0.0,
                p50_days_late=float(np.percentile(late, 50)) if n_sched else 0.0,
                p95_days_late=float(np.percentile(late, 95)) if n_sched else 0.0,
                max_days_late=int(late.max()) if n_sched else 0,
                overtime_units=float(sum(a.overtime_units for a in mine)),
            )
        )
    return rows
