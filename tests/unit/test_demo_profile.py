"""The "demo" data profile (generator.PROFILES) plans like a business day, whatever day it is anchored to.

Fast and pure: both emulators' data is generated in memory (the Monday workspace and the OMS beside it,
as `make demo` serves them), turned into the planner's inputs the way the pipeline does (customer
windows and deactivations from the customers board, the open orders of both systems with an OMS order
also on Monday counted once, the capacity board's days) and planned by the real engine. The bands are
the issue's: the lines 80-95 % loaded over the next 10 working days, under 10 % of the scheduled orders
late (a few past due, a few pushed by capacity, the Tue/Thu key account among them), bad data well under
1 % of the open orders. The real pipeline's numbers: tests/e2e/test_demo_health.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math

import pytest

from customer_master.sandbox import COLUMN_IDS, WorkspaceSpec, generate_workspace
from customer_master.sandbox.generator import PROFILES, profile_spec
from customer_master.sandbox.model import STATE_ACTIVE
from customer_master.sandbox.oms.__main__ import PROFILE_DEFAULTS
from customer_master.sandbox.oms.data import OmsSpec, OmsStore
from customer_master.scheduling import (
    INPUT_ERROR_REASONS,
    CapacityDay,
    DeliveryWindow,
    Order,
    PlanSettings,
    plan_deliveries,
)

OUTLOOK_WORKING_DAYS = 10
# The Monday sandbox's labels (boards.py) as order_master reads them.
_PRIORITY = {2: "rush", 0: "high", 6: "normal", 9: "low"}
_CLOSED_STATUS = {1, 2}  # Delivered, Cancelled
_CUSTOMER_ACTIVE = 1
_OMS_CLOSED = {"completed", "refunded", "cancelled"}  # fulfilled or cancelled in Shopify's shape


def _slots(board) -> dict[str, int]:
    return {role: board.columns_by_id[cid].slot for role, cid in COLUMN_IDS[board.key].items()}


def _date(value) -> dt.date | None:
    if isinstance(value, tuple):  # (date, time): a dirty date cell with a time
        value = value[0]
    return dt.date.fromisoformat(value) if value else None


def _quantity(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclasses.dataclass(frozen=True)
class DemoDay:
    """A planned demo workspace and the numbers `make demo` prints about it."""

    plan_date: dt.date
    orders: int
    scheduled: int
    late: int
    past_due: int
    pushed: int
    bad_data: int
    utilization: float  # scheduled units / regular capacity, next OUTLOOK_WORKING_DAYS working days
    pushed_by_customer: dict[str | None, int]
    key_account: str


def plan_demo(as_of: dt.date) -> DemoDay:
    spec = profile_spec("demo", as_of=as_of)
    oms = PROFILE_DEFAULTS["demo"]
    ws = generate_workspace(spec)
    customers, orders_board, capacity_board = (
        ws.board_by_key(k) for k in ("customers", "orders", "capacity")
    )

    cs = _slots(customers)
    windows: dict[str, DeliveryWindow | None] = {}
    inactive: set[str] = set()
    for it in customers.items:  # customer_master keeps every state; only active items are active
        cid = str(it.id)
        if it.state != STATE_ACTIVE or it.cells[cs["status"]] != _CUSTOMER_ACTIVE:
            inactive.add(cid)
        days = it.cells[cs["delivery_days"]]
        windows[cid] = None if not days else DeliveryWindow(frozenset(days))
    key_account = str(customers.items[0].id)

    os_ = _slots(orders_board)
    orders: list[Order] = []
    for it in orders_board.items:
        c = it.cells
        if it.state != STATE_ACTIVE or c[os_["status"]] in _CLOSED_STATUS:
            continue
        relation = c[os_["customer"]]
        orders.append(
            Order(
                f"monday:{it.id}",
                str(relation[0]) if relation else None,
                _PRIORITY.get(c[os_["priority"]], "normal"),
                _quantity(c[os_["quantity"]]),
                _date(c[os_["requested_date"]]),
            )
        )
    store = OmsStore(
        OmsSpec(
            orders=oms["orders"],
            monday_orders=spec.orders,
            as_of=as_of,
            profile="demo",
            **oms["spec"],
        ),
        "shopify",
    )
    for o in store.by_id:
        if o.deleted is not None or o.status in _OMS_CLOSED or o.monday_item_id is not None:
            continue  # an order in both systems is the Monday one above
        customer = o.customer.monday_item_id if o.customer else None
        orders.append(
            Order(
                f"oms:{o.id}",
                None if customer is None else str(customer),
                o.priority,
                float(sum(line.quantity for line in o.lines)),
                dt.date.fromisoformat(o.requested),
            )
        )

    ps = _slots(capacity_board)
    capacity = [
        CapacityDay(
            f"line-{it.cells[ps['line']]}",
            dt.date.fromisoformat(it.cells[ps["date"]]),
            _quantity(it.cells[ps["capacity_units"]]) if it.cells[ps["capacity_units"]] is not None else 0.0,
            _quantity(it.cells[ps["overtime_units"]]) if it.cells[ps["overtime_units"]] is not None else 0.0,
            bool(it.cells[ps["maintenance"]]),
        )
        for it in capacity_board.items
    ]
    plan = plan_deliveries(
        orders, windows, capacity, PlanSettings(plan_date=as_of), inactive_customers=inactive
    )
    return summarize(plan, key_account)


def summarize(plan, key_account: str) -> DemoDay:
    plan_date = plan.settings.plan_date
    scheduled = plan.scheduled()
    late = [a for a in scheduled if a.is_late]
    past_due = [a for a in late if a.requested_date < plan_date]
    pushed: dict[str | None, int] = {}
    for a in late:
        if a.requested_date >= plan_date:
            pushed[a.customer_id] = pushed.get(a.customer_id, 0) + 1
    working = sorted({c.day for c in plan.capacity if c.capacity > 0 and c.day.isoweekday() <= 5})
    span = set(working[:OUTLOOK_WORKING_DAYS])
    rows = [c for c in plan.capacity if c.day in span and c.capacity > 0]
    units = sum(c.scheduled_units + c.scheduled_overtime_units for c in rows)
    return DemoDay(
        plan_date=plan_date,
        orders=len(plan.assignments),
        scheduled=len(scheduled),
        late=len(late),
        past_due=len(past_due),
        pushed=len(late) - len(past_due),
        bad_data=sum(1 for a in plan.unschedulable() if a.reason in INPUT_ERROR_REASONS),
        utilization=units / sum(c.capacity for c in rows),
        pushed_by_customer=pushed,
        key_account=key_account,
    )


# A Monday, a Friday, the day before Thanksgiving, the Friday before Independence Day (observed Monday).
ANCHORS = (dt.date(2026, 12, 7), dt.date(2026, 12, 4), dt.date(2026, 11, 25), dt.date(2027, 7, 2))


@pytest.fixture(scope="module", params=ANCHORS, ids=lambda d: f"{d:%a}-{d}")
def day(request) -> DemoDay:
    return plan_demo(request.param)


def test_the_lines_are_80_to_95_percent_loaded_over_the_next_10_working_days(day):
    assert 0.80 <= day.utilization <= 0.95, day


def test_under_10_percent_of_the_scheduled_orders_are_late_a_few_past_due_a_few_pushed(day):
    assert day.late < 0.10 * day.scheduled, day
    assert 0 < day.past_due <= 15, day
    assert day.pushed > 0, day


def test_bad_data_stays_well_under_the_critical_1_percent(day):
    assert day.bad_data < 0.006 * day.orders, day


def test_the_tue_thu_key_account_is_the_customer_over_capacity(day):
    assert day.pushed_by_customer.get(day.key_account, 0) >= 3, day
    assert max(day.pushed_by_customer, key=day.pushed_by_customer.__getitem__) == day.key_account, day


def test_most_orders_requested_in_the_coming_weeks_plan_on_time(day):
    assert day.pushed < 0.08 * day.scheduled, day


def test_the_profile_anchors_to_today_by_default():
    assert profile_spec("demo").as_of == dt.date.today()
    assert profile_spec("demo", as_of=dt.date(2027, 1, 4)).as_of == dt.date(2027, 1, 4)
    assert set(PROFILES["demo"]) <= {f.name for f in dataclasses.fields(WorkspaceSpec)}
    with pytest.raises(ValueError, match="unknown profile"):
        profile_spec("nope")


def _items_digest(ws) -> str:
    """The boards' items (not the columns: the layout has its own tests) as one hash."""
    h = hashlib.sha256()
    for board_id in sorted(ws.boards):
        for it in ws.boards[board_id].items:
            h.update(repr((it.id, it.name, it.state, it.group_id, it.created, it.updated, it.cells)).encode())
    return h.hexdigest()


def _oms_digest(store: OmsStore) -> str:
    h = hashlib.sha256()
    for o in store.by_id:
        lines = [(line.id, line.product, line.quantity) for line in o.lines]
        customer = o.customer.position if o.customer else None
        h.update(
            repr(
                (o.id, o.number, o.status, o.requested, o.created, o.updated, o.deleted, lines, customer)
            ).encode()
        )
    return h.hexdigest()


def test_the_default_spec_generates_the_data_it_did_before_the_profile_knobs():
    """The knobs' defaults reproduce the fixed dataset every other test and fixture relies on (hashes
    taken from the generator before the demo profile existed)."""
    assert _items_digest(generate_workspace(WorkspaceSpec())) == DEFAULT_WORKSPACE_DIGEST
    assert _oms_digest(OmsStore(OmsSpec(), "shopify")) == DEFAULT_OMS_DIGEST


DEFAULT_WORKSPACE_DIGEST = "f1e81e194678e5174e1d6a30afc165b286a02c03167f32d5cb2747e3a3605fe0"
DEFAULT_OMS_DIGEST = "468905cfd48b9bba3dbee563903e6002bcb3c26dc64c723becc588cbe964bdff"
