"""Account-level objects around the boards: users, teams, tags, workspaces and item updates.

Small and deterministic: everything is derived from the generated workspace (its people, boards,
board keys and items) and the account profile, never from a random draw or the clock, so the same
spec serves byte-identical answers. The cross-references hold by construction:

- users are the API user (`me`) plus the people the people columns reference;
- every board has one owner (a user), every user subscribes to every board;
- each board's workspace is one of `workspaces` (taken from the boards' `workspace_id`);
- a board's tags are account tags;
- items get a creator (one of the people, by hashing the item id) and subscribers (creator and
  board owner); about one item in eight has one or two updates, written by a member of the
  board owner's team, between the item's creation and its last change.

Shapes and argument names follow developer.monday.com's users / teams / tags / workspaces /
updates references.
"""

from __future__ import annotations

import datetime as dt
import html
import zlib
from dataclasses import dataclass, field

from customer_master.sandbox.boards import ACCOUNT_ID, PEOPLE, STATUS_COLORS
from customer_master.sandbox.model import STATE_DELETED, Board, Item, iso_z

API_USER = (48202300, "Sandbox API user", "api-user@sandbox.example")
UPDATE_ID_BASE = 9300000001
# One item in UPDATE_EVERY gets an update (a second one for half of those): a handful per board.
UPDATE_EVERY = 8


@dataclass(frozen=True, slots=True)
class AccountProfile:
    name: str
    slug: str
    workspace_name: str
    workspace_description: str
    teams: tuple[tuple[int, str, tuple[int, ...]], ...]  # (team id, name, member ids; first = owner)
    tags: tuple[tuple[int, str], ...]  # (tag id, name)
    board_tags: dict[str, tuple[str, ...]]  # board key -> tag names
    titles: dict[int, str]  # user id -> job title


_P = [pid for pid, _name, _email in PEOPLE]
# Board key -> owner: the lead of the team that works the board.
BOARD_OWNERS = {"customers": _P[0], "orders": _P[1], "capacity": _P[2]}
_TITLES = {
    API_USER[0]: "Integration user",
    _P[0]: "Head of account management",
    _P[1]: "Order desk lead",
    _P[2]: "Production planner",
    _P[3]: "Shift supervisor",
    _P[4]: "Account manager",
    _P[5]: "Maintenance planner",
}

PROFILES: dict[str, AccountProfile] = {
    "sandbox": AccountProfile(
        name="Sandbox Manufacturing",
        slug="sandbox-manufacturing",
        workspace_name="Operations",
        workspace_description="Customers, orders and production capacity",
        teams=(
            (7301001, "Account management", (_P[0], _P[1], _P[4])),
            (7301002, "Production planning", (_P[2], _P[3], _P[5])),
        ),
        tags=(
            (13100001, "key-account"),
            (13100002, "export"),
            (13100003, "seasonal"),
            (13100004, "rush"),
            (13100005, "maintenance"),
        ),
        board_tags={
            "customers": ("key-account", "export"),
            "orders": ("export", "seasonal", "rush"),
            "capacity": ("maintenance",),
        },
        titles=_TITLES,
    ),
    "northwind": AccountProfile(
        name="Northwind Traders",
        slug="northwind",
        workspace_name="Northwind sales & production",
        workspace_description="Accounts, sales orders and line capacity",
        teams=(
            (5520011, "Sales", (_P[0], _P[1], _P[4])),
            (5520012, "Plant", (_P[2], _P[3], _P[5])),
        ),
        tags=((2240101, "vip"), (2240102, "wholesale"), (2240103, "backorder"), (2240104, "downtime")),
        board_tags={
            "customers": ("vip", "wholesale"),
            "orders": ("wholesale", "backorder"),
            "capacity": ("downtime",),
        },
        titles=_TITLES,
    ),
}

_UPDATE_TEXTS = {
    "customers": (
        "Called the buyer about next month's volumes.",
        "Asked for deliveries before noon from now on.",
        "Credit check renewed, no change to terms.",
        "New contact person for deliveries, see notes.",
    ),
    "orders": (
        "Customer asked to confirm the delivery date.",
        "Moved to the next production slot.",
        "Rush requested by phone, waiting for approval.",
        "Quantity confirmed with the customer.",
    ),
    "capacity": (
        "Line inspected, no issues found.",
        "Overtime approved by the plant manager.",
        "Planned maintenance window agreed with production.",
    ),
}


@dataclass(frozen=True, slots=True)
class Update:
    """An update (comment) on an item. Timestamps are epoch seconds."""

    id: int
    item_id: int
    board_id: str
    creator_id: int
    created: int
    updated: int
    text: str

    @property
    def sid(self) -> str:
        return str(self.id)


@dataclass
class Directory:
    account: dict
    users: list[dict]  # id order
    teams: list[dict]  # id order
    team_members: dict[str, tuple[str, ...]]  # team id -> user ids (the first is the owner)
    tags: list[dict]  # id order
    board_tags: dict[str, list[dict]]  # board id -> tags
    board_owners: dict[str, str]  # board id -> user id
    workspaces: list[dict]  # id order
    updates: list[Update]  # newest first (created desc, id desc), as Monday lists them
    updates_by_item: dict[int, list[Update]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.users_by_id = {u["id"]: u for u in self.users}
        self.workspaces_by_id = {w["id"]: w for w in self.workspaces}
        self.teams_of: dict[str, list[dict]] = {u["id"]: [] for u in self.users}
        for team in self.teams:
            for uid in self.team_members[team["id"]]:
                self.teams_of[uid].append(team)
        by_item: dict[int, list[Update]] = {}
        for update in self.updates:
            by_item.setdefault(update.item_id, []).append(update)
        self.updates_by_item = by_item
        self._update_fields: dict[int, dict] = {}

    def update_fields(self, update: Update) -> dict:
        """The scalar fields of an update as Monday serialises them (rendered once)."""
        fields = self._update_fields.get(update.id)
        if fields is None:
            fields = self._update_fields[update.id] = {
                "id": update.sid,
                "body": f"<p>{html.escape(update.text, quote=False)}</p>",
                "text_body": update.text,
                "creator_id": str(update.creator_id),
                "item_id": str(update.item_id),
                "created_at": iso_z(update.created),
                "updated_at": iso_z(update.updated),
                "edited_at": iso_z(update.updated),
            }
        return fields

    def creator_id(self, item: Item) -> str:
        """The person who created an item: one of the people, by hashing the item id."""
        return str(_P[zlib.crc32(b"creator:%d" % item.id) % len(_P)])

    def item_subscribers(self, item: Item) -> list[dict]:
        wanted = {self.creator_id(item), self.board_owners.get(item.board_id, "")}
        return [u for u in self.users if u["id"] in wanted]


def _day_iso(day: dt.date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def build_directory(account: str, as_of: dt.date, boards: dict[str, Board]) -> Directory:
    """The directory of an account whose boards (id -> Board, keyed customers/orders/capacity)
    were just generated. Pure: the same inputs give the same directory."""
    profile = PROFILES[account]
    account_obj = {"id": str(ACCOUNT_ID), "name": profile.name, "slug": profile.slug}
    people = [API_USER, *PEOPLE]
    users = []
    for i, (pid, name, email) in enumerate(people):
        joined = as_of - dt.timedelta(days=900 - 45 * i)  # the API user first, then in id order
        users.append(
            {
                "id": str(pid),
                "name": name,
                "email": email,
                "enabled": True,
                "is_admin": pid == API_USER[0],
                "is_guest": False,
                "is_pending": False,
                "is_view_only": False,
                "created_at": _day_iso(joined, 9),
                "join_date": joined.isoformat(),
                "title": profile.titles.get(pid),
                "country_code": "US",
                "time_zone_identifier": "Etc/UTC",
                "url": f"https://{profile.slug}.monday.com/users/{pid}",
            }
        )
    teams = [
        {"id": str(tid), "name": name, "picture_url": None, "is_guest": False}
        for tid, name, _ in profile.teams
    ]
    team_members = {str(tid): tuple(str(m) for m in members) for tid, _, members in profile.teams}
    tags = [
        {"id": str(tid), "name": name, "color": STATUS_COLORS[(i * 3 + 1) % len(STATUS_COLORS)][0]}
        for i, (tid, name) in enumerate(profile.tags)
    ]
    tags_by_name = {t["name"]: t for t in tags}
    ordered = sorted(boards.values(), key=lambda b: int(b.id))
    board_tags = {b.id: [tags_by_name[n] for n in profile.board_tags[b.key]] for b in ordered}
    board_owners = {b.id: str(BOARD_OWNERS[b.key]) for b in ordered}
    workspace_ids = sorted({b.workspace_id for b in ordered if b.workspace_id}, key=int)
    workspaces = [
        {
            "id": wid,
            "name": profile.workspace_name if i == 0 else f"{profile.workspace_name} {i + 1}",
            "kind": "open",
            "description": profile.workspace_description,
            "state": "active",
            "created_at": _day_iso(as_of - dt.timedelta(days=800), 8),
            "is_default_workspace": False,
        }
        for i, wid in enumerate(workspace_ids)
    ]
    team_of = {member: members for _, _, members in profile.teams for member in members}
    return Directory(
        account=account_obj,
        users=users,
        teams=teams,
        team_members=team_members,
        tags=tags,
        board_tags=board_tags,
        board_owners=board_owners,
        workspaces=workspaces,
        updates=_updates(ordered, team_of),
    )


def _updates(boards: list[Board], team_of: dict[int, tuple[int, ...]]) -> list[Update]:
    drafts = []
    for board in boards:
        texts = _UPDATE_TEXTS[board.key]
        writers = team_of[BOARD_OWNERS[board.key]]  # the board owner's team writes its updates
        for item in board.items:
            h = zlib.crc32(b"update:%d" % item.id)
            if h % UPDATE_EVERY:
                continue
            span = max(0, item.updated - item.created)
            count = 2 if (h >> 8) % 2 else 1
            for n in range(count):
                # Spread between creation and the last change; the n-th update comes later.
                created = item.created + span * (n + 1) // (count + 1)
                edited = (h >> (12 + n)) % 4 == 0  # a few were edited an hour later
                drafts.append(
                    (
                        created,
                        item.id,
                        n,
                        board.id,
                        writers[(h >> (16 + n)) % len(writers)],
                        created + 3600 if edited else created,
                        texts[(h >> (20 + 2 * n)) % len(texts)],
                    )
                )
    drafts.sort()  # ids grow with creation time, as Monday's do
    updates = [
        Update(UPDATE_ID_BASE + i, item_id, board_id, creator, created, updated, text)
        for i, (created, item_id, _n, board_id, creator, updated, text) in enumerate(drafts)
    ]
    updates.sort(key=lambda u: (u.created, u.id), reverse=True)
    return updates


def visible_update(update: Update, items_by_id: dict[int, Item]) -> bool:
    """Updates of deleted (or purged) items go with them."""
    item = items_by_id.get(update.item_id)
    return item is not None and item.state != STATE_DELETED
