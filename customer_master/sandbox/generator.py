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
import functools
import math
import random
from dataclasses import dataclass, field

import holidays as holidays_lib

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
    STATE_ACTIVE,
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
    # Opt-in knobs of the data profiles (PROFILES, `profile_spec`); their defaults reproduce the data above
    # exactly (tests/unit/test_demo_profile.py pins it).
    dirt_scale: float = 1.0  # multiplies every dirty-value rate (blank names, bad dates, ...)
    capacity_scale: float = 1.0  # multiplies the lines' capacity (and with it their overtime)
    past_due_scale: float = 1.0  # multiplies the share of orders still open after their requested date
    active_rate: float = 0.85  # share of customers active
    requests_on_delivery_days: bool = False  # requested dates fall on the customer's delivery days
    key_account_days: tuple[int, ...] = ()  # the biggest customer's only delivery days (ISO weekdays)
    removed_customers_closed: bool = False  # archived/deleted customers' open orders are cancelled
    key_account_quantity_scale: float = 1.0  # the key account's order sizes (key_account_days set)
    # The lines' capacity sized so that the open orders due by the end of the next LOAD_WORKING_DAYS
    # working days (past due ones included) fill this share of it (then times capacity_scale). None:
    # the fixed capacities. Anchors to any day the same way: the load does not drift with the weekday.
    target_load: float | None = None
    # Requests more than NEAR_REQUEST_DAYS ahead spread over this many times the days: the order book
    # thins out ahead, as real orders come in with their lead time (1.0: as many per day as near ones).
    far_request_stretch: float = 1.0

    def __post_init__(self) -> None:
        if self.account not in ACCOUNTS:
            raise ValueError(f"unknown account {self.account!r}; one of {', '.join(ACCOUNTS)}")
        if isinstance(self.as_of, str):
            object.__setattr__(self, "as_of", dt.date.fromisoformat(self.as_of))
        if self.orders < 0 or self.resources < 1 or self.resources > 40 or self.capacity_days < 0:
            raise ValueError("orders >= 0, 1 <= resources <= 40, capacity_days >= 0")
        if self.customers is not None and self.customers < 1:
            raise ValueError("customers >= 1")
        if (
            min(self.dirt_scale, self.capacity_scale, self.past_due_scale) < 0
            or not 0 <= self.active_rate <= 1
            or (self.target_load is not None and self.target_load <= 0)
            or self.far_request_stretch < 1
            or self.key_account_quantity_scale <= 0
        ):
            raise ValueError(
                "dirt_scale, capacity_scale, past_due_scale >= 0, 0 <= active_rate <= 1, target_load > 0, "
                "far_request_stretch >= 1, key_account_quantity_scale > 0"
            )
        object.__setattr__(self, "key_account_days", tuple(self.key_account_days))
        if any(d not in range(1, 8) for d in self.key_account_days):
            raise ValueError("key_account_days are ISO weekdays 1..7")

    @property
    def customer_count(self) -> int:
        if self.customers is not None:
            return self.customers
        return min(MAX_CUSTOMERS, max(20, self.orders // 25))

    def with_changes(self, **changes) -> WorkspaceSpec:
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        fields.update(changes)
        return WorkspaceSpec(**fields)


# The named data profiles (`serve --profile NAME` of both emulators), anchored to today by default.
# "demo": a business day as `make demo` and `make ui` show it (tests/unit/test_demo_profile.py pins it):
# little dirt (and no open orders of removed customers), the lines sized to be ~85 % loaded over the next
# 10 working days with the OMS's orders (target_load counts Monday's only), an order book thinning out
# beyond two weeks, a few orders past due, and one key account delivered on Tuesdays and Thursdays only
# whose big orders overflow those days.
PROFILES: dict[str, dict] = {
    "demo": {
        "orders": 2000,
        "capacity_days": 240,
        "dirt_scale": 0.1,
        "target_load": 0.71,
        "far_request_stretch": 2.0,
        "key_account_quantity_scale": 3.0,
        "past_due_scale": 0.03,
        "active_rate": 0.97,
        "requests_on_delivery_days": True,
        "key_account_days": (2, 4),
        "removed_customers_closed": True,
    }
}
DEMO_PROFILE = "demo"


def profile_spec(name: str, as_of: dt.date | None = None, **changes) -> WorkspaceSpec:
    """The WorkspaceSpec of profile `name` anchored to `as_of` (default today), with `changes`."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; one of {', '.join(PROFILES)}")
    return WorkspaceSpec(**{**PROFILES[name], "as_of": as_of or dt.date.today(), **changes})


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


WORKING_DAYS = (1, 2, 3, 4, 5)
NEAR_REQUEST_DAYS = 14
KEY_ACCOUNT_MAX_QUANTITY = 80  # a scaled key-account order still fits one line's day
# The planner's default holiday country (settings.schedule_holiday_country).
REQUEST_HOLIDAY_COUNTRY = "US"
# Cell positions of the sandbox layout (the order of boards.CUSTOMER_COLUMNS) the demo knobs touch.
_CUSTOMER_ACTIVE, _CUSTOMER_EMAIL, _CUSTOMER_DAYS = 1, 4, 7


def delivery_day(as_of: dt.date, offset: int, days: tuple[int, ...] | None, i: int) -> int:
    """A delivery day (offset from `as_of`) of a customer delivered on `days` (ISO weekdays; None:
    Mon-Fri) in the week of `offset`, spread evenly over those days by a hash of the order index `i` (no
    rng draw), moved past public holidays where the planner runs: customers ask for a day they take
    deliveries, and a plain "next delivery day" would pile the weekend's requests onto Monday."""
    allowed = sorted(days or WORKING_DAYS)
    as_of_ord = as_of.toordinal()
    monday = offset - dt.date.fromordinal(as_of_ord + offset).weekday()
    day = monday + allowed[(i * 2654435761 >> 8) % len(allowed)] - 1
    holidays = _request_holidays(as_of.year)
    for shift in range(14):
        date = dt.date.fromordinal(as_of_ord + day + shift)
        if date.isoweekday() in allowed and date not in holidays:
            return day + shift
    return day


def stretch_request(offset: int, stretch: float) -> int:
    """A request `offset` days ahead with the days past NEAR_REQUEST_DAYS spread `stretch` times as far."""
    if stretch == 1.0 or offset <= NEAR_REQUEST_DAYS:
        return offset
    return NEAR_REQUEST_DAYS + round((offset - NEAR_REQUEST_DAYS) * stretch)


@functools.lru_cache(maxsize=8)
def _request_holidays(year: int) -> holidays_lib.HolidayBase:
    return holidays_lib.country_holidays(REQUEST_HOLIDAY_COUNTRY, years=range(year - 1, year + 2))


def _scale_weights(pool: tuple[tuple, tuple], scaled: set, factor: float) -> tuple[tuple, tuple]:
    """A (values, weights) pool with the weights of the `scaled` values multiplied by `factor`."""
    values, weights = pool
    return values, tuple(w * factor if v in scaled else w for v, w in zip(values, weights, strict=True))


def delivery_days_by_customer(customers: Board) -> dict[int | None, tuple[int, ...] | None]:
    """Each customer's delivery days (item id -> ISO weekdays, None: not set) on a sandbox-layout board."""
    return {it.id: it.cells[_CUSTOMER_DAYS] for it in customers.items}


def _make_key_account(item: Item, days: tuple[int, ...]) -> None:
    """The biggest customer (the first: most orders) as a clean, active account delivered on `days` only.
    Set after the board's draws, so every other value stays the same."""
    item.cells[_CUSTOMER_ACTIVE] = 1
    item.cells[_CUSTOMER_DAYS] = days
    if not isinstance(item.cells[_CUSTOMER_EMAIL], str) or "@" not in item.cells[_CUSTOMER_EMAIL][:-1]:
        item.cells[_CUSTOMER_EMAIL] = "orders@key-account.example"
    item.name = item.name or "Key Account Ltd"
    item.group_id = "topics"
    item.state = STATE_ACTIVE


LOAD_WORKING_DAYS = 10
_ORDER_CUSTOMER, _ORDER_STATUS, _ORDER_QUANTITY, _ORDER_REQUESTED = 2, 3, 5, 6
_ORDER_CLOSED = (1, 2)  # Delivered, Cancelled


def load_span_end(as_of: dt.date, days: int = LOAD_WORKING_DAYS) -> dt.date:
    """The last of the `days` working days (Mon-Fri, no public holiday where the planner runs) from
    `as_of` on, `as_of` included when it is one."""
    holidays = _request_holidays(as_of.year)
    date, seen = as_of, 0
    while True:
        if date.isoweekday() in WORKING_DAYS and date not in holidays:
            seen += 1
            if seen == days:
                return date
        date += dt.timedelta(days=1)


def _near_demand(orders: list[Item], customers: Board, as_of: dt.date) -> float:
    """Units of the open orders of active customers requested by the end of the next working days."""
    active = {it.id for it in customers.items if it.state == STATE_ACTIVE and it.cells[_CUSTOMER_ACTIVE] == 1}
    end = load_span_end(as_of).isoformat()
    units = 0.0
    for it in orders:
        c = it.cells
        requested = c[_ORDER_REQUESTED]
        requested = requested[0] if isinstance(requested, tuple) else requested
        if (
            it.state != STATE_ACTIVE
            or c[_ORDER_STATUS] in _ORDER_CLOSED
            or not c[_ORDER_CUSTOMER]
            or c[_ORDER_CUSTOMER][0] not in active
            or not requested
            or requested > end
        ):
            continue
        try:
            units += max(float(c[_ORDER_QUANTITY]), 0.0)
        except (TypeError, ValueError):
            continue
    return units


class _Gen:
    near_demand = 0.0  # set by orders_board with a target_load

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
        archived *= self.spec.dirt_scale
        deleted *= self.spec.dirt_scale
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
        dz = self.spec.dirt_scale
        n = self.spec.customer_count
        people_ids = [p[0] for p in PEOPLE]
        items: list[Item] = []
        base = ITEM_ID_BASE[key]
        for i in range(n):
            name = f"{rng.choice(_NAME_A)} {rng.choice(_NAME_B)} {rng.choice(_NAME_C)}".strip()
            slug = name.lower().replace("&", "and").replace(".", "").replace(" ", "-")
            active = rng.random() < self.spec.active_rate
            city = rng.choice(_CITIES)
            r = rng.random()
            if dirt and r < 0.03 * dz:
                email = rng.choice(_BAD_EMAILS)
            elif dirt and r < 0.05 * dz:
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
            if dirt and rng.random() < 0.05 * dz:
                days = None
            else:
                k = rng.choice((2, 3, 5, 5, 5))
                days = tuple(sorted(rng.sample((1, 2, 3, 4, 5), k)))
                if rng.random() < 0.1:
                    days = days + (6,)
            r = rng.random()
            if dirt and r < 0.03 * dz:
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
            if dirt and r < 0.02 * dz:
                notes = "Deliver after 2025-02-30 only."
            elif r < 0.3:
                notes = rng.choice(_NOTES)
            else:
                notes = None
            created = self.as_of_ts - rng.randint(30, 700) * DAY + rng.randint(0, DAY - 1)
            updated = self._updated(rng, created)
            onboarded = self.day((created - self.as_of_ts) // DAY)
            if dirt and rng.random() < 0.02 * dz:
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
        if self.spec.key_account_days and items:
            _make_key_account(items[0], self.spec.key_account_days)
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
        dz = self.spec.dirt_scale
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
        if self.spec.past_due_scale != 1.0:
            still_open = {shipped, production, confirmed}
            st_past = _scale_weights(st_past, still_open, self.spec.past_due_scale)
            st_recent = _scale_weights(st_recent, still_open, self.spec.past_due_scale)
        delivery_days = delivery_days_by_customer(customers) if self.spec.requests_on_delivery_days else None
        # A customer removed from the board has its open orders cancelled (no rng draw: the rest stays).
        key_account = customers.items[0].id if self.spec.key_account_days and customers.items else None
        key_scale = self.spec.key_account_quantity_scale
        if key_scale == 1.0:
            key_account = None
        removed = (
            {it.id for it in customers.items if it.state != STATE_ACTIVE}
            if self.spec.removed_customers_closed
            else set()
        )
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
            if dirt and i > 10 and rnd() < 0.005 * dz:
                number = numbers[randint(0, i - 1)]
            numbers.append(number)
            req = stretch_request(randint(-120, 60), self.spec.far_request_stretch)
            if delivery_days is not None:
                req = delivery_day(self.spec.as_of, req, delivery_days.get(customer_pick[i]), i)
            pool = st_past if req < -7 else st_recent if req < 0 else st_soon if req < 14 else st_later
            status = rng.choices(pool[0], pool[1])[0]
            if removed and status != delivered and customer_pick[i] in removed:
                status = cancelled
            priority = priorities[i]
            r = rnd()
            requested: str | tuple[str, str] | None  # a date, or (date, time) when dirty
            if dirt and r < 0.005 * dz:
                requested = None
            elif dirt and r < 0.015 * dz:
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
            if dirt and r < 0.006 * dz:
                quantity = "0"
            elif dirt and r < 0.012 * dz:
                quantity = str(-randint(1, 20))
            elif dirt and r < 0.017 * dz:
                quantity = None
            elif r < 0.04:
                quantity = f"{randint(1, 80)}.5"
            else:
                quantity = str(max(1, min(400, int(math.exp(rng.gauss(3.0, 0.8))))))
                if customer_pick[i] == key_account:
                    quantity = str(min(KEY_ACCOUNT_MAX_QUANTITY, round(int(quantity) * key_scale)))
            if quantity is not None:
                quantity = intern(quantity, quantity)
            customer = customer_pick[i]
            relation = (
                None if customer is None or (dirt and rnd() < 0.005 * dz) else intern(customer, (customer,))
            )
            lead = randint(3, 45)
            created = as_of_ts + (req - lead) * DAY + randint(0, DAY - 1)
            created = max(as_of_ts - 150 * DAY, min(created, as_of_ts - 3600 - randint(0, 6 * DAY)))
            updated = self._updated(rng, created)
            name = "" if dirt and rnd() < 0.003 * dz else number
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
        if self.spec.target_load is not None:
            self.near_demand = _near_demand(items, customers, self.spec.as_of)
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
        scale = self.spec.capacity_scale
        raw_caps = [rng.choice((300, 400, 450, 500, 600)) for _ in range(resources)]
        if self.spec.target_load is not None and self.near_demand > 0:
            scale *= self.near_demand / (self.spec.target_load * sum(raw_caps) * LOAD_WORKING_DAYS)
        base_caps = [round(cap * scale) for cap in raw_caps]
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
                if self.dirt and rng.random() < 0.005 * self.spec.dirt_scale:
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
