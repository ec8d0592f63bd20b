"""Deterministic OMS orders for the OMS emulator: `OmsSpec` -> `OmsStore`.

The orders belong to the customers of the Monday sandbox's Customers board (`generate_workspace`
of `OmsSpec.workspace_spec()`), and some of them are orders entered in both systems (the OMS order
number equals a Monday order's number). One canonical record per order (`OmsOrder`) is rendered by
the two API shapes (shopify.py, woocommerce.py); ids differ per shape, everything else is the same.

Same spec (and shape) -> the same orders, ids, timestamps and line items. The store keeps the
visible orders sorted by (updated_at, id), so an "updated since" filter is a bisect and a page a
slice; 100,000 orders generate in well under two seconds.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import itertools
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from customer_master.sandbox.accounts import ACCOUNTS, po_number
from customer_master.sandbox.boards import COLUMN_IDS
from customer_master.sandbox.generator import (
    PROFILES,
    WorkspaceSpec,
    customer_number,
    delivery_day,
    delivery_days_by_customer,
    generate_workspace,
    stretch_request,
)
from customer_master.sandbox.model import STATE_ACTIVE, Board

DAY = 86400
SHAPES = ("shopify", "woocommerce")
# WooCommerce's order statuses (the canonical vocabulary; Shopify's fields derive from it).
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")
PRIORITIES = ("rush", "high", "normal", "low")
# The Monday sandbox's priority label index -> OMS priority (boards.PRIORITIES).
_MONDAY_PRIORITY = {2: "rush", 0: "high", 6: "normal", 9: "low"}
# The Monday sandbox's order status index -> OMS status (boards.ORDER_STATUS).
_MONDAY_STATUS = {
    0: "pending",
    3: "processing",
    4: "processing",
    7: "processing",
    1: "completed",
    2: "cancelled",
}
# Products (the Monday Orders board's product dropdown, same order): sku, title, unit price.
PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("PAL-STD", "Standard pallet", "45.00"),
    ("PAL-HALF", "Half pallet", "26.50"),
    ("BAG-BULK", "Bulk bag", "18.75"),
    ("CRT-100", "Crate", "12.40"),
    ("DRM-200", "Drum", "33.00"),
    ("IBC-1000", "IBC tote", "120.00"),
    ("CTN-STD", "Carton", "3.95"),
    ("MIX-LOAD", "Mixed load", "60.00"),
)
MALFORMED_KINDS = ("quantity", "date", "priority", "number")
# Per shape: first order id, first line-item id, first customer id, first event id.
ID_BASES = {
    "shopify": {
        "order": 6120451000001,
        "line": 15330200000001,
        "customer": 7450100000001,
        "event": 98010000001,
    },
    "woocommerce": {"order": 4101, "line": 1, "customer": 101, "event": 1},
}
FIRST_ORDER_NUMBER = 1001  # Shopify's order_number sequence (name "#1001")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class OmsSpec:
    """What to generate.

    The Monday side (`monday_orders`, `monday_seed` (None = `seed`), `customers`, `as_of`, `dirt`,
    `account`) is the `WorkspaceSpec` of the Monday sandbox the OMS shares customers and orders
    with (`workspace_spec()`); keep it equal to the Monday sandbox's spec. `orders` is the number of
    OMS orders (deleted ones included). The rates pick the special orders (see README, "Data")."""

    seed: int = 42
    orders: int = 300
    monday_orders: int = 500
    monday_seed: int | None = None
    customers: int | None = None
    as_of: dt.date = field(default=dt.date(2026, 11, 1))
    dirt: bool = True
    account: str = "sandbox"
    both_systems_rate: float = 0.1
    conflict_every: int = 5  # of the both-systems orders: #0, #5, ... quantity, #1, #6, ... requested date
    unknown_customer_rate: float = 0.02
    cancelled_rate: float = 0.05
    deleted_rate: float = 0.01
    multi_line_rate: float = 0.3
    utc_offset_minutes: int = 0  # the shop's timezone (Shopify's offsets, WooCommerce's local dates)
    # The Monday sandbox's data profile (generator.PROFILES): its knobs shape the shared customers and
    # orders, and the OMS's own orders follow them (requests on delivery days, few past due).
    profile: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.as_of, str):
            object.__setattr__(self, "as_of", dt.date.fromisoformat(self.as_of))
        if self.orders < 0 or self.monday_orders < 0:
            raise ValueError("orders >= 0 and monday_orders >= 0")
        if self.account not in ACCOUNTS:
            raise ValueError(f"unknown account {self.account!r}; one of {', '.join(ACCOUNTS)}")
        for name in ("both_systems_rate", "unknown_customer_rate", "cancelled_rate", "deleted_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if not 0.0 <= self.multi_line_rate <= 1.0:
            raise ValueError("multi_line_rate must be within [0, 1]")
        if self.conflict_every < 2:
            raise ValueError("conflict_every >= 2")
        if not -720 <= self.utc_offset_minutes <= 840:
            raise ValueError("utc_offset_minutes must be within [-720, 840]")
        if self.profile is not None and self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; one of {', '.join(PROFILES)}")

    def workspace_spec(self) -> WorkspaceSpec:
        """The Monday sandbox spec whose customers (and orders) this OMS shares."""
        return WorkspaceSpec(
            **{
                **(PROFILES[self.profile] if self.profile else {}),
                "seed": self.seed if self.monday_seed is None else self.monday_seed,
                "orders": self.monday_orders,
                "customers": self.customers,
                "as_of": self.as_of,
                "dirt": self.dirt,
                "account": self.account,
            }
        )

    @classmethod
    def for_workspace(cls, workspace: WorkspaceSpec, **changes) -> OmsSpec:
        """The OMS beside a Monday sandbox of `workspace` (same customers and order numbers)."""
        base: dict[str, Any] = {
            "seed": workspace.seed,
            "monday_orders": workspace.orders,
            "customers": workspace.customers,
            "as_of": workspace.as_of,
            "dirt": workspace.dirt,
            "account": workspace.account,
        }
        base.update(changes)
        return cls(**base)

    def with_changes(self, **changes) -> OmsSpec:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown OmsSpec fields {unknown}; known: {sorted(known)}")
        values = {name: getattr(self, name) for name in known}
        values.update(changes)
        return OmsSpec(**values)

    def as_dict(self) -> dict:
        return {
            f.name: (v.isoformat() if isinstance(v := getattr(self, f.name), dt.date) else v)
            for f in fields(self)
        }


class OmsCustomer:
    __slots__ = ("position", "number", "email", "company", "first_name", "last_name", "monday_item_id", "id")

    def __init__(
        self, position: int, email: str, company: str, monday_item_id: int | None, id_base: int
    ) -> None:
        self.position = position
        self.number = customer_number(position)  # what the Monday board says too
        self.email = email
        self.company = company
        local = email.split("@", 1)[0]
        first, _, last = local.partition(".")
        known_person = bool(last) and first.isalpha() and last.isalpha()
        self.first_name = first.capitalize() if known_person else None
        self.last_name = last.capitalize() if known_person else None
        self.monday_item_id = monday_item_id  # None: not on the Monday board (unknown customer)
        self.id = id_base + position


class OmsLine:
    __slots__ = ("id", "product", "quantity")

    def __init__(self, id: int, product: int, quantity: int) -> None:
        self.id = id
        self.product = product  # index into PRODUCTS
        self.quantity = quantity


class OmsOrder:
    """One order, shape-independent. Timestamps are epoch seconds (UTC)."""

    __slots__ = (
        "id",
        "seq",
        "number",
        "customer",
        "lines",
        "created",
        "updated",
        "status",
        "cancelled",
        "completed",
        "paid",
        "requested",
        "priority",
        "note",
        "deleted",
        "monday_item_id",
        "conflict",
        "partial",
    )

    def __init__(self) -> None:
        self.id = 0
        self.seq = 0
        self.number: str | None = None  # an explicit order number (both-systems orders)
        self.customer: OmsCustomer | None = None
        self.lines: list[OmsLine] = []
        self.created = 0
        self.updated = 0
        self.status = "processing"
        self.cancelled: int | None = None
        self.completed: int | None = None
        self.paid: int | None = None
        self.requested = ""
        self.priority = "normal"
        self.note: str | None = None
        self.deleted: int | None = None
        self.monday_item_id: int | None = None
        self.conflict: str | None = None
        self.partial = False  # Shopify: some line items fulfilled

    @property
    def quantity(self) -> int:
        """The order's quantity in capacity units: the sum of its line items' quantities."""
        return sum(line.quantity for line in self.lines)

    @property
    def key(self) -> tuple[int, int]:
        return (self.updated, self.id)


@dataclass
class OmsEvent:
    """A Shopify event (only `Order` / `destroy` events are recorded)."""

    id: int
    subject_id: int
    created: int
    verb: str
    name: str  # the order's name, for `arguments` and `message`


class OmsStore:
    """The orders an OMS serves, with the sorted (updated_at, id) index the listings use."""

    def __init__(self, spec: OmsSpec, shape: str) -> None:
        if shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
        self.spec = spec
        self.shape = shape
        self.bases = ID_BASES[shape]
        self.as_of_ts = int(dt.datetime.combine(spec.as_of, dt.time(), dt.UTC).timestamp())
        self.customers: list[OmsCustomer] = []
        self.orders_by_id: dict[int, OmsOrder] = {}
        self.by_id: list[OmsOrder] = []  # every order (deleted too), id order (= creation order)
        self.ids: list[int] = []  # the ids of by_id, same positions
        self.keys: list[tuple[int, int]] = []  # visible orders' (updated, id), sorted
        self.index: list[OmsOrder] = []  # the orders of `keys`, same positions
        self.events: list[OmsEvent] = []  # id order (= created order)
        self.version = 0  # bumped by every change; listing caches key on it
        self.next_line_id = self.bases["line"]
        self.monday_orders = 0
        # Hundreds of thousands of small long-lived objects: the cyclic GC's passes over them while
        # they are being made cost a quarter of the time, and none of them is garbage.
        enabled = gc.isenabled()
        gc.disable()
        try:
            _generate(self)
        finally:
            if enabled:
                gc.enable()

    # ----------------------------------------------------------------------- queries

    def visible(self, order: OmsOrder) -> bool:
        """Shopify deletes orders for good (an event remains); WooCommerce keeps them as trash."""
        return order.deleted is None or self.shape == "woocommerce"

    def position_after(self, updated: int, order_id: int) -> int:
        return bisect.bisect_right(self.keys, (updated, order_id))

    def position_from(self, updated: int) -> int:
        return bisect.bisect_left(self.keys, (updated, -1))

    def order(self, order_id: int | str) -> OmsOrder:
        try:
            return self.orders_by_id[int(order_id)]
        except (KeyError, ValueError, TypeError):
            raise KeyError(f"unknown order {order_id}") from None

    # ----------------------------------------------------------------------- changes

    def _unindex(self, order: OmsOrder) -> None:
        pos = bisect.bisect_left(self.keys, order.key)
        if pos < len(self.keys) and self.keys[pos] == order.key:
            del self.keys[pos]
            del self.index[pos]

    def _reindex(self, order: OmsOrder) -> None:
        if self.visible(order):
            pos = bisect.bisect_left(self.keys, order.key)
            self.keys.insert(pos, order.key)
            self.index.insert(pos, order)

    def touch(self, order: OmsOrder, now: int, change=None) -> None:
        """Apply `change(order)` and move the order to updated_at = now (always later than before)."""
        self._unindex(order)
        if change is not None:
            change(order)
        order.updated = max(now, order.updated + 1)
        self._reindex(order)
        self.version += 1

    def add(self, order: OmsOrder) -> None:
        self.orders_by_id[order.id] = order
        self.by_id.append(order)
        self.ids.append(order.id)
        self._reindex(order)
        self.version += 1

    def new_line(self, product: int, quantity: int) -> OmsLine:
        line = OmsLine(self.next_line_id, product, quantity)
        self.next_line_id += 1
        return line

    def record_destroy(self, order: OmsOrder, now: int, name: str) -> OmsEvent:
        next_id = self.events[-1].id + 1 if self.events else self.bases["event"]
        event = OmsEvent(next_id, order.id, now, "destroy", name)
        self.events.append(event)
        return event

    def facts(self) -> dict:
        """The data rules as generated and changed since: which orders are special (README, Data)."""
        both = [
            {
                "order_id": o.id,
                "number": o.number,
                "monday_item_id": o.monday_item_id,
                "conflict": o.conflict,
                "quantity": o.quantity,
                "requested_date": o.requested,
            }
            for o in self.by_id
            if o.monday_item_id is not None
        ]
        return {
            "shape": self.shape,
            "orders": len(self.by_id),
            "visible": len(self.keys),
            "both_systems": both,
            "unknown_customer": [
                o.id for o in self.by_id if o.customer and o.customer.monday_item_id is None
            ],
            "cancelled": [o.id for o in self.by_id if o.status == "cancelled"],
            "deleted": [o.id for o in self.by_id if o.deleted is not None],
            "multi_line": [o.id for o in self.by_id if len(o.lines) > 1],
            "customers": len(self.customers),
            "monday_orders": self.monday_orders,
        }


# --------------------------------------------------------------------------- generation


def _count(n: int, rate: float, minimum: int) -> int:
    if n == 0 or rate <= 0:
        return 0
    return min(n, max(minimum, round(n * rate)))


def _monday_side(spec: OmsSpec) -> tuple[Board, Board]:
    """The Monday sandbox's customers and orders boards, in the sandbox account's column layout
    (the same items as any account: only ids and titles differ), so cells are read by role."""
    ws = generate_workspace(spec.workspace_spec().with_changes(account="sandbox"))
    return ws.board_by_key("customers"), ws.board_by_key("orders")


def _scaled_cum(pool: tuple[tuple, list], scaled: set, factor: float) -> tuple[tuple, list]:
    """A (values, cumulative weights) pool with the weights of the `scaled` values times `factor`."""
    values, cum = pool
    weights = [c - p for c, p in zip(cum, [0, *cum[:-1]], strict=True)]
    scaled_weights = [w * factor if v in scaled else w for v, w in zip(values, weights, strict=True)]
    return values, list(itertools.accumulate(scaled_weights))


def _slot(board: Board, role: str) -> int:
    return board.columns_by_id[COLUMN_IDS[board.key][role]].slot


def _generate(store: OmsStore) -> None:
    spec = store.spec
    bases = store.bases
    rng = random.Random(f"customer_master-oms:{spec.seed}")
    rnd = rng.random

    def randint(a: int, b: int) -> int:  # one draw, cheaper than Random.randint in the hot loop
        return a + int(rnd() * (b - a + 1))

    def weighted(values: tuple, cum: Sequence[float]):
        return values[bisect.bisect_right(cum, rnd() * cum[-1])]

    as_of = store.as_of_ts
    as_of_ord = spec.as_of.toordinal()
    days: dict[int, str] = {}

    def day(offset: int) -> str:
        s = days.get(offset)
        if s is None:
            s = days[offset] = dt.date.fromordinal(as_of_ord + offset).isoformat()
        return s

    # --- customers: the Monday board's, by position; unknown ones after them
    customers_board, orders_board = _monday_side(spec)
    monday_spec = spec.workspace_spec()
    delivery_days = (
        delivery_days_by_customer(customers_board) if monday_spec.requests_on_delivery_days else None
    )
    email_slot = _slot(customers_board, "email")
    pool: list[OmsCustomer] = []
    by_item: dict[int, OmsCustomer] = {}
    for position, item in enumerate(customers_board.items):
        email = item.cells[email_slot]
        valid = isinstance(email, str) and _EMAIL_RE.fullmatch(email) is not None
        customer = OmsCustomer(position, email if valid else "", item.name, item.id, bases["customer"])
        store.customers.append(customer)
        # Customers the board has no usable e-mail for, or no longer active ones, do not order here.
        if valid and item.state == STATE_ACTIVE:
            pool.append(customer)
            by_item[item.id] = customer
    n = spec.orders
    n_unknown = _count(n, spec.unknown_customer_rate, 2)
    unknown: list[OmsCustomer] = []
    for k in range(min(50, max(1, n_unknown // 2)) if n_unknown else 0):
        position = len(store.customers)
        customer = OmsCustomer(
            position,
            f"purchasing@new-account-{k + 1}.example",
            f"New Account {k + 1}",
            None,
            bases["customer"],
        )
        store.customers.append(customer)
        unknown.append(customer)

    # --- Monday orders eligible for "entered in both systems"
    s_number = _slot(orders_board, "order_number")
    s_customer = _slot(orders_board, "customer")
    s_status = _slot(orders_board, "status")
    s_priority = _slot(orders_board, "priority")
    s_quantity = _slot(orders_board, "quantity")
    s_requested = _slot(orders_board, "requested_date")
    s_product = _slot(orders_board, "product")
    s_delivered = _slot(orders_board, "delivered_date")
    number_count: dict[str, int] = {}
    for item in orders_board.items:
        number = item.cells[s_number]
        if isinstance(number, str):
            number_count[number] = number_count.get(number, 0) + 1
    eligible = []
    for item in orders_board.items:
        c = item.cells
        number, relation, quantity, requested = c[s_number], c[s_customer], c[s_quantity], c[s_requested]
        if (
            item.state == STATE_ACTIVE
            and item.name
            and isinstance(number, str)
            and number_count.get(number) == 1
            and relation
            and relation[0] in by_item
            and isinstance(quantity, str)
            and quantity.isdigit()
            and int(quantity) > 0
            and isinstance(requested, str)
        ):
            eligible.append(item)
    store.monday_orders = len(orders_board.items)

    # Disjoint special orders, in this order of precedence while orders remain.
    left = n
    n_both = min(_count(n, spec.both_systems_rate, 3), len(eligible), left)
    left -= n_both
    n_unknown = min(n_unknown, left) if unknown else 0
    left -= n_unknown
    n_deleted = min(_count(n, spec.deleted_rate, 1), left)
    left -= n_deleted
    n_cancelled = min(_count(n, spec.cancelled_rate, 2), left)
    shuffled = list(range(n))
    rng.shuffle(shuffled)
    kind = bytearray(n)  # 0 plain, 1 both systems, 2 unknown customer, 3 deleted, 4 cancelled
    cut = 0
    for code, count in ((1, n_both), (2, n_unknown), (3, n_deleted), (4, n_cancelled)):
        for i in shuffled[cut : cut + count]:
            kind[i] = code
        cut += count
    both_items = sorted(rng.sample(eligible, n_both), key=lambda it: it.id) if n_both else []
    both_iter = iter(both_items)

    # Zipf-like customer weights (a few big customers, a long tail), as the Monday sandbox.
    cum: list[float] = []
    acc = 0.0
    for k in range(len(pool)):
        acc += 1.0 / (k + 1) ** 0.8
        cum.append(acc)
    picks: list[OmsCustomer | None] = list(rng.choices(pool, cum_weights=cum, k=n)) if pool else [None] * n
    priorities = rng.choices(PRIORITIES, (5, 20, 60, 15), k=n)
    product_ids = tuple(range(len(PRODUCTS)))
    product_cum = list(itertools.accumulate((30, 12, 10, 12, 8, 6, 15, 7)))
    past = (
        ("completed", "processing", "refunded", "on-hold", "failed", "pending"),
        [80, 88, 91, 94, 96, 100],
    )
    soon = (("processing", "pending", "on-hold", "completed"), [60, 85, 95, 100])
    later = (("pending", "processing", "on-hold"), [55, 90, 100])
    recent = -7  # requested in the last week: still mostly open (the "soon" statuses)
    if monday_spec.past_due_scale != 1.0:
        past = _scaled_cum(past, {"processing", "on-hold", "failed", "pending"}, monday_spec.past_due_scale)
        recent = 0  # ... unless few orders run past due: then every past request is mostly closed
    notes = ("Deliver to dock B", "Call before delivery", "Pallets must be wrapped", "Invoice by e-mail")
    records: list[tuple[int, int, OmsOrder]] = []
    both_seen = 0
    for i in range(n):
        o = OmsOrder()
        k = kind[i]
        monday = next(both_iter) if k == 1 else None
        monday_delivered = monday.cells[s_delivered] if monday is not None else None
        if monday is not None:
            c = monday.cells
            quantity = int(c[s_quantity])
            req_date = c[s_requested]
            req = dt.date.fromisoformat(req_date).toordinal() - as_of_ord
            o.monday_item_id = monday.id
            number = c[s_number]
            o.number = po_number(number) if spec.account == "northwind" else number
            o.customer = by_item[c[s_customer][0]]
            o.priority = _MONDAY_PRIORITY.get(c[s_priority], "normal")
            status = _MONDAY_STATUS.get(c[s_status], "processing")
            products = [c[s_product][0] - 1] if c[s_product] else [0]
            created = monday.created + randint(600, 6 * 3600)
            conflict_kind = both_seen % spec.conflict_every
            if conflict_kind == 0:
                o.conflict = "quantity"
                delta = randint(1, 5) * (1 if rnd() < 0.5 or quantity <= 5 else -1)
                quantity += delta
            elif conflict_kind == 1:
                o.conflict = "requested_date"
                shift = randint(1, 7) * (1 if rnd() < 0.5 else -1)
                req += shift
                req_date = day(req)
            both_seen += 1
            o.requested = req_date
        else:
            req = stretch_request(randint(-90, 60), monday_spec.far_request_stretch)
            lead = randint(3, 45)
            created = as_of + (req - lead) * DAY + randint(0, DAY - 1)
            o.priority = priorities[i]
            o.customer = unknown[i % len(unknown)] if k == 2 and unknown else picks[i]
            if delivery_days is not None:
                days_of = delivery_days.get(o.customer.monday_item_id) if o.customer else None
                req = delivery_day(spec.as_of, req, days_of, i)
            o.requested = day(req)
            pool_ = past if req < recent else soon if req < 14 else later
            status = weighted(pool_[0], pool_[1])
            quantity = max(1, min(400, int(math.exp(rng.gauss(3.0, 0.8)))))
            products = []
        created = max(as_of - 150 * DAY, min(created, as_of - 3600 - randint(0, 6 * DAY)))
        # line items: quantity = sum of the lines (capacity units)
        n_lines = randint(2, 4) if rnd() < spec.multi_line_rate and quantity >= 2 else 1
        n_lines = min(n_lines, quantity)
        while len(products) < n_lines:
            p = weighted(product_ids, product_cum)
            if p not in products:
                products.append(p)
        cuts = sorted(rng.sample(range(1, quantity), n_lines - 1)) if n_lines > 1 else []
        bounds = [0, *cuts, quantity]
        o.lines = [OmsLine(0, products[j], bounds[j + 1] - bounds[j]) for j in range(n_lines)]
        o.note = notes[int(rnd() * len(notes))] if rnd() < 0.1 else None
        # updated between created and as_of, skewed to recent (as the Monday sandbox)
        span = as_of - max(created, as_of - 120 * DAY)
        updated = as_of - 1 - int(span * rnd() ** 2) if span > 0 else created
        updated = max(updated, created)
        if k == 4:
            status = "cancelled"
        o.status = status
        if status == "cancelled":
            o.cancelled = created + int((updated - created) * rnd())
        if status in ("processing", "completed", "refunded") or (status == "cancelled" and rnd() < 0.5):
            o.paid = created + randint(0, 3600)
        if status in ("completed", "refunded"):  # completed (Shopify: closed) on the requested day
            done = min(max(created, as_of + req * DAY + randint(8 * 3600, 16 * 3600)), updated)
            if isinstance(monday_delivered, str):  # both systems record the one delivery
                delivered = dt.date.fromisoformat(monday_delivered).toordinal() - as_of_ord
                done = max(created, as_of + delivered * DAY + 12 * 3600)
                updated = max(updated, done)
            o.completed = done
        o.partial = status == "processing" and n_lines > 1 and rnd() < 0.3
        if k == 3:
            # deleted after its last change; deleting is itself a change (WooCommerce's trash)
            o.deleted = updated + int((as_of - 1 - updated) * rnd())
            updated = o.deleted
        o.created = created
        o.updated = updated
        records.append((created, i, o))

    # ids, order numbers and line ids in creation order
    records.sort(key=lambda r: (r[0], r[1]))
    order_base = bases["order"]
    for seq, (_, _, o) in enumerate(records):
        o.seq = seq
        o.id = order_base + seq
        for line in o.lines:
            line.id = store.next_line_id
            store.next_line_id += 1
        store.orders_by_id[o.id] = o
        store.by_id.append(o)
        if o.cancelled is not None and o.paid is not None and o.paid > o.cancelled:
            o.paid = None
    store.ids = [o.id for o in store.by_id]
    visible = [o for o in store.by_id if store.visible(o)]
    visible.sort(key=lambda o: (o.updated, o.id))
    store.index = visible
    store.keys = [(o.updated, o.id) for o in visible]
    deleted = sorted((o for o in store.by_id if o.deleted is not None), key=lambda o: (o.deleted, o.id))
    for offset, o in enumerate(deleted):
        assert o.deleted is not None
        store.events.append(OmsEvent(bases["event"] + offset, o.id, o.deleted, "destroy", order_name(o)))
    if store.shape == "woocommerce":
        for o in deleted:
            o.status = "trash"


def order_name(order: OmsOrder) -> str:
    """The order's number as people see it: the explicit number, else Shopify's "#1001" style."""
    return order.number if order.number is not None else f"#{FIRST_ORDER_NUMBER + order.seq}"
