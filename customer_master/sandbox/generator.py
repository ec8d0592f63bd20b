"""Deterministic, seeded demo workspace: customers, orders and production capacity boards.

Same `WorkspaceSpec` -> the same items, cells and timestamps, hence byte-identical API data.
Each board draws from its own `random.Random` derived from (seed, board), so changing the number of
orders never reshuffles the customers. 100,000 orders generate in about a second.

Column ids are fixed (see `boards.COLUMN_IDS`); dirt (`dirt=True`, a few per cent, deterministic):
blank item names, bad emails ("john.doe@", "n/a"), odd date/text values, duplicate order numbers,
zero or negative quantities, archived and deleted items (visible only via `items(ids)`), customers
without delivery days or customer-less orders.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from customer_master.sandbox.accounts import ACCOUNTS, reshape
from customer_master.sandbox.boards import (
    BOARD_IDS,
    BOARD_NAMES,
    COLUMN_IDS,
    CUSTOMER_COLUMNS,
    CUSTOMER_GROUPS,
    ORDER_COLUMNS,
    ORDER_GROUPS,
    PEOPLE,
    WORKSPACE_ID,
    capacity_columns,
    capacity_group_id,
)
from customer_master.sandbox.directory import build_directory
from customer_master.sandbox.model import (
    STATE_ARCHIVED,
    STATE_DELETED,
    Board,
    Column,
    Group,
    Item,
    Workspace,
)

DAY = 86400
# First item id per board (10-digit, like Monday's); ids ascend in generation order.
ITEM_ID_BASE = {"customers": 8100000001, "orders": 8200000001, "capacity": 8300000001}
MAX_CUSTOMERS = 5000


@dataclass(frozen=True)
class WorkspaceSpec:
    """What to generate. `as_of` is the generator's "today": data spreads ~120 days before it
    (created/updated timestamps, past orders) and ~60 days after it (requested dates).
    `account` picks the account profile the data is served as (see accounts.py)."""

    seed: int = 42
    orders: int = 500
    customers: int | None = None
    resources: int = 5
    capacity_days: int = 120
    as_of: dt.date = field(default=dt.date(2026, 11, 1))
    dirt: bool = True
    account: str = "sandbox"

    def __post_init__(self) -> None:
        if self.account not in ACCOUNTS:
            raise ValueError(f"unknown account {self.account!r}; one of {', '.join(ACCOUNTS)}")
        if isinstance(self.as_of, str):
            object.__setattr__(self, "as_of", dt.date.fromisoformat(self.as_of))
        if self.orders < 0 or self.resources < 1 or self.resources > 40 or self.capacity_days < 0:
            raise ValueError("orders >= 0, 1 <= resources <= 40, capacity_days >= 0")
        if self.customers is not None and self.customers < 1:
            raise ValueError("customers >= 1")

    @property
    def customer_count(self) -> int:
        if self.customers is not None:
            return self.customers
        return min(MAX_CUSTOMERS, max(20, self.orders // 25))

    def with_changes(self, **changes) -> WorkspaceSpec:
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        fields.update(changes)
        return WorkspaceSpec(**fields)


def generate_workspace(spec: WorkspaceSpec | None = None) -> Workspace:
    spec = spec or WorkspaceSpec()
    g = _Gen(spec)
    customers = g.customers_board()
    orders = g.orders_board(customers)
    capacity = g.capacity_board()
    shaped = reshape(spec.account, {"customers": customers, "orders": orders, "capacity": capacity})
    boards = {b.id: b for b in shaped.values()}
    items_by_id = {it.id: it for b in boards.values() for it in b.items}
    people = {pid: (name, email) for pid, name, email in PEOPLE}
    directory = build_directory(spec.account, spec.as_of, boards)
    return Workspace(spec=spec, boards=boards, items_by_id=items_by_id, people=people, directory=directory)


# --------------------------------------------------------------------------- vocabulary

_NAME_A = (
    "North",
    "Blue",
    "Silver",
    "Golden",
    "Harbor",
    "Maple",
    "Summit",
    "Pioneer",
    "Cedar",
    "Granite",
    "Riverside",
    "Lakeside",
    "Prairie",
    "Coastal",
    "Evergreen",
    "Redwood",
    "Ironbridge",
    "Sunrise",
    "Highland",
    "Oak",
    "Falcon",
    "Atlas",
    "Beacon",
    "Crescent",
    "Delta",
    "Frontier",
    "Keystone",
    "Liberty",
    "Meridian",
    "Orchard",
    "Pinnacle",
    "Sterling",
    "Union",
    "Valley",
    "Westfield",
)
_NAME_B = (
    "Bakery",
    "Foods",
    "Logistics",
    "Builders",
    "Hardware",
    "Farms",
    "Brewing",
    "Supply",
    "Markets",
    "Distributors",
    "Packaging",
    "Wholesale",
    "Grocers",
    "Industries",
    "Provisions",
    "Trading",
    "Pharmacy",
    "Garden Center",
    "Hotels",
    "Catering",
    "Dairy",
    "Textiles",
    "Auto Parts",
    "Chemicals",
)
_NAME_C = ("Ltd", "Inc", "LLC", "Co.", "GmbH", "& Sons", "Group", "")
_FIRST = ("john", "mary", "li", "ahmed", "sofia", "lucas", "emma", "noah", "olga", "raj", "chloe", "diego")
_LAST = ("smith", "nguyen", "garcia", "khan", "muller", "rossi", "cohen", "kim", "brown", "silva")
_STREETS = (
    "Market St",
    "Main St",
    "Industrial Pkwy",
    "Harbor Rd",
    "Commerce Dr",
    "Elm Ave",
    "Station Rd",
    "Mill Ln",
    "Dock St",
    "Warehouse Way",
    "King St",
    "Queen St",
)
# city, city_short, country, country_short, lat, lng, region dropdown id, phone prefix
_CITIES = (
    ("Minneapolis", "Minneapolis", "United States", "US", 44.977753, -93.265011, 1, "+1612555"),
    ("Seattle", "Seattle", "United States", "US", 47.606209, -122.332071, 1, "+1206555"),
    ("Boston", "Boston", "United States", "US", 42.360082, -71.05888, 3, "+1617555"),
    ("New York", "NY", "United States", "US", 40.712776, -74.005974, 3, "+1212555"),
    ("Philadelphia", "Philadelphia", "United States", "US", 39.952584, -75.165222, 3, "+1215555"),
    ("Atlanta", "Atlanta", "United States", "US", 33.748995, -84.387982, 2, "+1404555"),
    ("Houston", "Houston", "United States", "US", 29.760427, -95.369803, 2, "+1713555"),
    ("Miami", "Miami", "United States", "US", 25.76168, -80.19179, 2, "+1305555"),
    ("Denver", "Denver", "United States", "US", 39.739236, -104.990251, 4, "+1303555"),
    ("Los Angeles", "LA", "United States", "US", 34.052234, -118.243685, 4, "+1213555"),
    ("Phoenix", "Phoenix", "United States", "US", 33.448377, -112.074037, 4, "+1602555"),
    ("Chicago", "Chicago", "United States", "US", 41.878114, -87.629798, 5, "+1312555"),
    ("St. Louis", "St. Louis", "United States", "US", 38.627003, -90.199404, 5, "+1314555"),
    ("Kansas City", "Kansas City", "United States", "US", 39.099727, -94.578567, 5, "+1816555"),
    ("Toronto", "Toronto", "Canada", "CA", 43.653226, -79.383184, 3, "+1416555"),
    ("Manchester", "Manchester", "United Kingdom", "GB", 53.480759, -2.242631, 1, "+44161496"),
)
_WINDOWS = ("08:00-12:00", "12:00-16:00", "06:00-10:00", "14:00-18:00", "07:00-15:00")
_ODD_WINDOWS = ("8-12", "mornings", "12:00-08:00", " 08:00 - 12:00 ", "ASAP")
_NOTES = (
    "Dock B, call ahead 30 minutes.",
    "Forklift on site.",
    "No deliveries during lunch (12-13).",
    "Gate code changes monthly, ask the account manager.",
    "Prefers full pallets only.",
    "Tail-lift truck required.",
)
_BAD_EMAILS = ("john.doe@", "n/a", "orders at example dot com", "-")


def customer_number(position: int) -> str:
    """The customer number of the customer at `position` (0-based) on the customers board, "CUST-00001"
    for the first: the number the OMS emulator knows the customer by (sandbox/oms/data.py). Computed
    from the position, so no draw from the board's rng: every other generated value stays the same."""
    return f"CUST-{position + 1:05d}"


def _delivered_offset(i: int, req: int) -> int:
    """Day offset (from as_of) an order was delivered on: the requested day for most orders, 1-3 days
    later for about 1 in 12 (a hash of the item index, so no draw from the board's rng: every other
    generated value stays the same), never after as_of."""
    h = (i * 2654435761) % 97
    late = 1 + h % 3 if h < 8 else 0
    return min(req + late, 0)


class _Gen:
    def __init__(self, spec: WorkspaceSpec) -> None:
        self.spec = spec
        self.dirt = spec.dirt
        self.as_of_ts = int(dt.datetime.combine(spec.as_of, dt.time(), dt.UTC).timestamp())
        self.as_of_ord = spec.as_of.toordinal()
        self._days: dict[int, str] = {}

    def rng(self, board: str) -> random.Random:
        return random.Random(f"customer_master-sandbox:{self.spec.seed}:{board}")

    def day(self, offset: int) -> str:
        """ISO date `offset` days from as_of (memoised: dates repeat a lot)."""
        s = self._days.get(offset)
        if s is None:
            s = dt.date.fromordinal(self.as_of_ord + offset).isoformat()
            self._days[offset] = s
        return s

    @staticmethod
    def _columns(key: str, specs) -> list[Column]:
        ids = COLUMN_IDS[key]
        return [Column.from_spec(ids[s.role], s, slot) for slot, s in enumerate(specs)]

    @staticmethod
    def _groups(board_id: str, defs) -> list[Group]:
        return [
            Group(gid, title, color, f"{65536 * (i + 1)}.0", board_id=board_id)
            for i, (gid, title, color) in enumerate(defs)
        ]

    def _updated(self, rng: random.Random, created: int) -> int:
        """Updated between created and as_of, skewed to recent (u^2), never older than ~120 days."""
        lo = max(created, self.as_of_ts - 120 * DAY)
        span = self.as_of_ts - lo
        if span <= 0:
            return created
        return self.as_of_ts - 1 - int(span * rng.random() ** 2)

    def _states(self, rng: random.Random, items: list[Item], archived: float, deleted: float) -> None:
        if not self.dirt or len(items) < 4:
            return
        n = len(items)
        for it in items:
            r = rng.random()
            if r < deleted:
                it.state = STATE_DELETED
            elif r < deleted + archived:
                it.state = STATE_ARCHIVED
        # Always at least one of each, so tests and demos can rely on them.
        if not any(it.state == STATE_ARCHIVED for it in items):
            items[n // 3].state = STATE_ARCHIVED
        if not any(it.state == STATE_DELETED for it in items):
            items[(2 * n) // 3].state = STATE_DELETED

    # ----------------------------------------------------------------------- customers

    def customers_board(self) -> Board:
        key = "customers"
        bid = BOARD_IDS[key]
        rng = self.rng(key)
        cols = self._columns(key, CUSTOMER_COLUMNS)
        groups = self._groups(bid, CUSTOMER_GROUPS)
        dirt = self.dirt
        n = self.spec.customer_count
        people_ids = [p[0] for p in PEOPLE]
        items: list[Item] = []
        base = ITEM_ID_BASE[key]
        for i in range(n):
            name = f"{rng.choice(_NAME_A)} {rng.choice(_NAME_B)} {rng.choice(_NAME_C)}".strip()
            slug = name.lower().replace("&", "and").replace(".", "").replace(" ", "-")
            active = rng.random() < 0.85
            city = rng.choice(_CITIES)
            r = rng.random()
            if dirt and r < 0.03:
                email = rng.choice(_BAD_EMAILS)
            elif dirt and r < 0.05:
                email = None
            elif r < 0.5:
                email = f"orders@{slug}.example"
            else:
                email = f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}@{slug}.example"
            phone = None if rng.random() < 0.05 else (f"{city[7]}{rng.randint(0, 9999):04d}", city[3])
            street = rng.choice(_STREETS)
            number = str(rng.randint(1, 4999))
            lat = round(city[4] + rng.uniform(-0.08, 0.08), 6)
            lng = round(city[5] + rng.uniform(-0.08, 0.08), 6)
            address = f"{number} {street}, {city[0]}, {city[2]}"
            place_id = "ChIJ" + "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                for _ in range(23)
            )
            location = (lat, lng, address, place_id, city[0], city[1], city[2], city[3], street, number)
            if dirt and rng.random() < 0.05:
                days = None
            else:
                k = rng.choice((2, 3, 5, 5, 5))
                days = tuple(sorted(rng.sample((1, 2, 3, 4, 5), k)))
                if rng.random() < 0.1:
                    days = days + (6,)
            r = rng.random()
            if dirt and r < 0.03:
                window = rng.choice(_ODD_WINDOWS)
            elif r < 0.5:
                window = None
            else:
                window = rng.choice(_WINDOWS)
            r = rng.random()
            manager = (
                None
                if r < 0.05
                else (tuple(rng.sample(people_ids, 2)) if r < 0.15 else (rng.choice(people_ids),))
            )
            r = rng.random()
            if dirt and r < 0.02:
                notes = "Deliver after 2025-02-30 only."
            elif r < 0.3:
                notes = rng.choice(_NOTES)
            else:
                notes = None
            created = self.as_of_ts - rng.randint(30, 700) * DAY + rng.randint(0, DAY - 1)
            updated = self._updated(rng, created)
            onboarded = self.day((created - self.as_of_ts) // DAY)
            if dirt and rng.random() < 0.02:
                name = ""
            tier = rng.choices((0, 3, 4), (15, 35, 50))[0]
            cells = [
                None,  # name column (never in column_values)
                1 if active else 2,
                (city[6],),
                tier,
                email,
                phone,
                location,
                days,
                window,
                manager,
                notes,
                onboarded,
                customer_number(i),
            ]
            group = "topics" if active else "group_mkq1chrn"
            items.append(Item(base + i, name, group, created, updated, cells, bid))
        self._states(rng, items, archived=0.015, deleted=0.005)
        board = Board(bid, BOARD_NAMES[key], key, cols, groups, workspace_id=WORKSPACE_ID)
        board.add_items_sorted(items)
        board.updated = max((it.updated for it in items), default=self.as_of_ts)
        return board

    # ----------------------------------------------------------------------- orders

    def orders_board(self, customers: Board) -> Board:
        key = "orders"
        bid = BOARD_IDS[key]
        rng = self.rng(key)
        cols = self._columns(key, ORDER_COLUMNS)
        groups = self._groups(bid, ORDER_GROUPS)
        dirt = self.dirt
        n = self.spec.orders
        base = ITEM_ID_BASE[key]
        as_of_ts = self.as_of_ts
        day = self.day
        cust_ids = [it.id for it in customers.items]
        # A few big customers, a long tail (Zipf-like weights).
        cum: list[float] = []
        acc = 0.0
        for k in range(len(cust_ids)):
            acc += 1.0 / (k + 1) ** 0.8
            cum.append(acc)
        customer_pick: list[int | None] = (
            rng.choices(cust_ids, cum_weights=cum, k=n) if cust_ids else [None] * n
        )
        priorities = rng.choices((2, 0, 6, 9), (5, 20, 60, 15), k=n)
        products = rng.choices((1, 2, 3, 4, 5, 6, 7, 8), (30, 12, 10, 12, 8, 6, 15, 7), k=n)
        # status distributions by requested-date bucket (indices from boards.ORDER_STATUS)
        new, confirmed, production, shipped, delivered, cancelled = 0, 3, 4, 7, 1, 2
        st_past = ((delivered, shipped, cancelled, production), (85, 5, 6, 4))
        st_recent = ((delivered, shipped, production, cancelled, confirmed), (50, 30, 12, 3, 5))
        st_soon = ((confirmed, production, new, shipped, cancelled), (35, 35, 20, 5, 5))
        st_later = ((new, confirmed, cancelled), (55, 40, 5))
        numbers: list[str] = []
        items: list[Item] = []
        # Interning: many cells repeat (quantities, one-element tuples, timelines), sharing saves ~40 %.
        interned: dict = {}
        intern = interned.setdefault
        rnd = rng.random
        randint = rng.randint
        for i in range(n):
            number = f"SO-{100001 + i}"
            if dirt and i > 10 and rnd() < 0.005:
                number = numbers[randint(0, i - 1)]
            numbers.append(number)
            req = randint(-120, 60)
            pool = st_past if req < -7 else st_recent if req < 0 else st_soon if req < 14 else st_later
            status = rng.choices(pool[0], pool[1])[0]
            priority = priorities[i]
            r = rnd()
            requested: str | tuple[str, str] | None  # a date, or (date, time) when dirty
            if dirt and r < 0.005:
                requested = None
            elif dirt and r < 0.015:
                requested = (day(req), f"{randint(6, 17):02d}:{rng.choice(('00', '15', '30', '45'))}:00")
            else:
                requested = day(req)
            promised = None if status == new and rnd() < 0.5 else day(req + randint(-2, 5))
            if status in (new, cancelled):
                window = None
            else:
                start = req - randint(3, 10)
                end = min(req, start + randint(1, 5))
                window = intern((start, end), (day(start), day(end)))
            rush = True if rnd() < (0.7 if priority == 2 else 0.02) else None
            r = rnd()
            if dirt and r < 0.006:
                quantity = "0"
            elif dirt and r < 0.012:
                quantity = str(-randint(1, 20))
            elif dirt and r < 0.017:
                quantity = None
            elif r < 0.04:
                quantity = f"{randint(1, 80)}.5"
            else:
                quantity = str(max(1, min(400, int(math.exp(rng.gauss(3.0, 0.8))))))
            if quantity is not None:
                quantity = intern(quantity, quantity)
            customer = customer_pick[i]
            relation = None if customer is None or (dirt and rnd() < 0.005) else intern(customer, (customer,))
            lead = randint(3, 45)
            created = as_of_ts + (req - lead) * DAY + randint(0, DAY - 1)
            created = max(as_of_ts - 150 * DAY, min(created, as_of_ts - 3600 - randint(0, 6 * DAY)))
            updated = self._updated(rng, created)
            name = "" if dirt and rnd() < 0.003 else number
            if status in (delivered, cancelled):
                group = "group_mkq2done"
            elif 0 <= req < 7:
                group = "topics"
            else:
                group = "group_mkq2bklg"
            cells = [
                None,
                number,
                relation,
                status,
                priority,
                quantity,
                requested,
                promised,
                intern(-products[i], (products[i],)),
                window,
                rush,
                day(_delivered_offset(i, req)) if status == delivered else None,
            ]
            items.append(Item(base + i, name, group, created, updated, cells, bid))
        self._states(rng, items, archived=0.01, deleted=0.005)
        board = Board(bid, BOARD_NAMES[key], key, cols, groups, workspace_id=WORKSPACE_ID)
        board.add_items_sorted(items)
        board.updated = max((it.updated for it in items), default=as_of_ts)
        return board

    # ----------------------------------------------------------------------- capacity

    def capacity_board(self) -> Board:
        key = "capacity"
        bid = BOARD_IDS[key]
        rng = self.rng(key)
        resources = self.spec.resources
        days = self.spec.capacity_days
        cols = self._columns(key, capacity_columns(resources))
        groups = [
            Group(capacity_group_id(li), f"Line {li + 1}", "#579bfc", f"{65536 * (li + 1)}.0", board_id=bid)
            for li in range(resources)
        ]
        base_caps = [rng.choice((300, 400, 450, 500, 600)) for _ in range(resources)]
        first = -(days // 2)
        maintenance: set[tuple[int, int]] = set()
        per_line = max(1, days // 40) if days >= 10 else 0
        for li in range(resources):
            for _ in range(per_line):
                maintenance.add((li, first + rng.randint(0, days - 1)))
        items: list[Item] = []
        idn = ITEM_ID_BASE[key]
        for d in range(first, first + days):
            weekday = dt.date.fromordinal(self.as_of_ord + d).weekday()
            for li in range(resources):
                cap = base_caps[li]
                capacity: str | None
                overtime: str | None
                if weekday == 6:
                    capacity, overtime = "0", None
                elif weekday == 5:
                    capacity, overtime = str(cap // 2), None
                else:
                    capacity, overtime = str(cap), str(int(cap * rng.uniform(0.1, 0.25)))
                if self.dirt and rng.random() < 0.005:
                    capacity = None
                created = self.as_of_ts + (min(d, 0) - 14) * DAY + rng.randint(0, DAY - 1)
                created = max(created, self.as_of_ts + (first - 14) * DAY)
                updated = self._updated(rng, created)
                cells = [None, li, self.day(d), capacity, True if (li, d) in maintenance else None, overtime]
                name = f"Line {li + 1} · {self.day(d)}"
                items.append(Item(idn, name, capacity_group_id(li), created, updated, cells, bid))
                idn += 1
        board = Board(bid, BOARD_NAMES[key], key, cols, groups, workspace_id=WORKSPACE_ID)
        board.add_items_sorted(items)
        board.updated = max((it.updated for it in items), default=self.as_of_ts)
        return board
