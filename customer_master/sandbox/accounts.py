"""Account profiles: the same generated data served as differently shaped Monday accounts.

`WorkspaceSpec(account="sandbox")` (the default) is the workspace `generator.py` builds, unchanged.
Any other profile is a *reshape* of it: the sandbox account is generated first, then each board
gets the profile's board id and name, column ids, titles and types, status labels, groups and item
names, and each cell is moved (or split, relabelled, dropped) into the profile's columns. Item ids,
timestamps, states and the dirt stay exactly as generated, so a profile is as deterministic as
the sandbox (same spec -> byte-identical responses) and its data is the sandbox's data in
another shape: an onboarding test can compare the two.

"northwind" is what a real team's account tends to look like: Monday's older id styles
(`status_1`, `email0`, `connect_boards8`), everyday titles ("Tel.", "Due date"), the order number as
the item name, the delivery window in two `hour` columns, several labels that mean "not an active
customer", a line as a dropdown and no tier, customer number (OMS orders find its customers by
e-mail only), promised date or production window.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from customer_master.sandbox.boards import (
    BOARD_IDS,
    COLUMN_IDS,
    PRODUCTS,
    REGIONS,
    ColumnSpec,
)
from customer_master.sandbox.model import Board, Column, Group, Item

ACCOUNTS: tuple[str, ...] = ("sandbox", "northwind")

NORTHWIND_WORKSPACE_ID = "3310042"
NORTHWIND_BOARD_IDS: dict[str, str] = {
    "customers": "4410000101",
    "orders": "4410000202",
    "capacity": "4410000303",
}
NORTHWIND_BOARD_NAMES = {"customers": "Accounts", "orders": "Sales orders", "capacity": "Line capacity"}

# role -> column id, in board order. Roles are the sandbox's (boards.COLUMN_IDS) where the field is
# the same; the two halves of the delivery window are new roles. The orders' `name` IS the order
# number here (there is no order-number column).
NORTHWIND_COLUMN_IDS: dict[str, dict[str, str]] = {
    "customers": {
        "name": "name",
        "status": "status_1",
        "account_manager": "person",
        "email": "email0",
        "phone": "phone_2",
        "address": "location",
        "region": "dropdown4",
        "delivery_days": "dropdown7",
        "delivery_window_start": "hour_from",
        "delivery_window_end": "hour_to",
        "notes": "long_text",
        "onboarded": "date",
    },
    "orders": {
        "name": "name",
        "customer": "connect_boards8",
        "product": "dropdown0",
        "quantity": "numbers3",
        "status": "status",
        "priority": "status_19",
        "requested_date": "date4",
        "delivered_date": "date_1",
    },
    "capacity": {
        "name": "name",
        "line": "dropdown_line",
        "date": "date_day",
        "capacity_units": "numbers_cap",
        "overtime_units": "numbers_ot",
        "maintenance": "check_maint",
    },
}

ACCOUNT_BOARD_IDS: dict[str, dict[str, str]] = {"sandbox": BOARD_IDS, "northwind": NORTHWIND_BOARD_IDS}
ACCOUNT_COLUMN_IDS: dict[str, dict[str, dict[str, str]]] = {
    "sandbox": COLUMN_IDS,
    "northwind": NORTHWIND_COLUMN_IDS,
}

# Status labels: several of them mean "not an active customer"; indices deliberately not in
# business order (clients map labels through settings_str).
NORTHWIND_CUSTOMER_STATUS = ((0, "On hold"), (1, "Active"), (2, "Churned"), (5, "Inactive"), (7, "Prospect"))
# The sandbox's Inactive customers take these in turn (id order).
_INACTIVE_CYCLE = (2, 0, 5, 7)  # Churned, On hold, Inactive, Prospect
_ACTIVE_TO_PROSPECT_EVERY = 12  # every 12th active customer (from the 6th) is a Prospect
NORTHWIND_ORDER_STATUS = ((0, "Confirmed"), (1, "Done"), (2, "Canceled"), (5, "Open"), (9, "Picking"))
# sandbox index -> northwind index: New->Open, Confirmed, In production->Picking,
# Shipped->Picking, Delivered->Done, Cancelled->Canceled
_ORDER_STATUS_MAP = {0: 5, 3: 0, 4: 9, 7: 9, 1: 1, 2: 2}
NORTHWIND_URGENCY = ((0, "High"), (3, "Medium"), (11, "Critical"), (14, "Low"))
_URGENCY_MAP = {2: 11, 0: 0, 6: 3, 9: 14}  # Rush->Critical, High, Normal->Medium, Low
WEEKDAY_NAMES = (
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
)

Convert = Callable[[Any, Item], Any]
# One target column: its spec, the sandbox role its cells come from, and an optional conversion
# of a non-empty raw cell (values.py raw forms) into the target's raw form.
Target = tuple[ColumnSpec, str | None, Convert | None]


def reshape(account: str, boards: dict[str, Board]) -> dict[str, Board]:
    """The sandbox boards (key -> Board, as generated) reshaped into `account`'s boards, by key.

    Items are moved, not copied: the generated items are re-pointed at the new boards."""
    if account == "sandbox":
        return boards
    if account == "northwind":
        return {
            "customers": _northwind_customers(boards["customers"]),
            "orders": _northwind_orders(boards["orders"]),
            "capacity": _northwind_capacity(boards["capacity"]),
        }
    raise ValueError(f"unknown account {account!r}; one of {', '.join(ACCOUNTS)}")


# --------------------------------------------------------------------------- helpers


def _relabel(mapping: dict[int, int]) -> Convert:
    return lambda raw, _item: mapping[raw]


_WINDOW = re.compile(r"\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*")


def window_hours(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The sandbox's delivery-window text ("08:00-12:00", "8-12") as ((h, m), (h, m)); None for
    text that is not a window ("mornings", "ASAP"). A reversed window stays reversed (it is dirt)."""
    match = _WINDOW.fullmatch(text)
    if match is None:
        return None
    start = (int(match[1]), int(match[2] or 0))
    end = (int(match[3]), int(match[4] or 0))
    if not all(0 <= h <= 23 and 0 <= m <= 59 for h, m in (start, end)):
        return None
    return start, end


def _window_part(index: int) -> Convert:
    def convert(raw: str, _item: Item) -> tuple[int, int] | None:
        hours = window_hours(raw)
        return None if hours is None else hours[index]

    return convert


def _rebuild(
    board: Board,
    targets: tuple[Target, ...],
    groups: tuple[tuple[str, str, str], ...],
    group_of: Callable[[Item], str],
    name_of: Callable[[Item], str],
) -> Board:
    key = board.key
    board_id = NORTHWIND_BOARD_IDS[key]
    ids = NORTHWIND_COLUMN_IDS[key]
    columns = [Column.from_spec(ids[spec.role], spec, slot) for slot, (spec, _, _) in enumerate(targets)]
    assert [c.id for c in columns] == list(ids.values()), "targets must follow NORTHWIND_COLUMN_IDS"
    source_ids = COLUMN_IDS[key]
    sources = [
        (board.columns_by_id[source_ids[source]].slot if source else None, convert)
        for _, source, convert in targets
    ]
    for item in board.items:
        old = item.cells
        item.name = name_of(item)
        item.group_id = group_of(item)
        item.cells = [
            None
            if slot is None or old[slot] is None
            else (convert(old[slot], item) if convert else old[slot])
            for slot, convert in sources
        ]
        item.board_id = board_id
    new = Board(
        board_id,
        NORTHWIND_BOARD_NAMES[key],
        key,
        columns,
        [
            Group(gid, title, color, f"{65536 * (i + 1)}.0", board_id=board_id)
            for i, (gid, title, color) in enumerate(groups)
        ],
        workspace_id=NORTHWIND_WORKSPACE_ID,
    )
    new.add_items_sorted(board.items)
    new.updated = board.updated
    return new


def _slot(board: Board, role: str) -> int:
    return board.columns_by_id[COLUMN_IDS[board.key][role]].slot


# --------------------------------------------------------------------------- northwind boards


def _northwind_customers(board: Board) -> Board:
    status_slot = _slot(board, "status")
    statuses: dict[int, int] = {}
    inactive_seen = active_seen = 0
    for item in board.items:  # id order: deterministic
        if item.cells[status_slot] == 1:
            prospect = active_seen % _ACTIVE_TO_PROSPECT_EVERY == 5
            statuses[item.id] = 7 if prospect else 1
            active_seen += 1
        else:
            statuses[item.id] = _INACTIVE_CYCLE[inactive_seen % len(_INACTIVE_CYCLE)]
            inactive_seen += 1
    # Every label at least once (a small workspace may have no inactive customer at all), so tests
    # and demos can rely on them: the last active customers take the missing ones.
    actives = [item_id for item_id, status in statuses.items() if status == 1]
    for status in _INACTIVE_CYCLE:
        if status not in statuses.values() and len(actives) > 1:
            statuses[actives.pop()] = status
    targets: tuple[Target, ...] = (
        (ColumnSpec("name", "Account", "name"), None, None),
        (
            ColumnSpec("status", "Account status", "status", NORTHWIND_CUSTOMER_STATUS, done_index=1),
            "status",
            lambda _raw, item: statuses[item.id],
        ),
        (ColumnSpec("account_manager", "Owner", "people"), "account_manager", None),
        (ColumnSpec("email", "E-mail", "email"), "email", None),
        (ColumnSpec("phone", "Tel.", "phone"), "phone", None),
        (ColumnSpec("address", "Site", "location"), "address", None),
        (ColumnSpec("region", "Territory", "dropdown", REGIONS), "region", None),
        (ColumnSpec("delivery_days", "Delivery days", "dropdown", WEEKDAY_NAMES), "delivery_days", None),
        (ColumnSpec("delivery_window_start", "Deliver from", "hour"), "delivery_window", _window_part(0)),
        (ColumnSpec("delivery_window_end", "Deliver until", "hour"), "delivery_window", _window_part(1)),
        (ColumnSpec("notes", "Remarks", "long_text"), "notes", None),
        (ColumnSpec("onboarded", "Customer since", "date"), "onboarded", None),
    )
    groups = (("topics", "Accounts", "#00c875"), ("new_group", "Not trading", "#c4c4c4"))
    return _rebuild(
        board,
        targets,
        groups,
        lambda item: "topics" if statuses[item.id] == 1 else "new_group",
        lambda item: item.name,
    )


def po_number(sandbox_number: str) -> str:
    """The sandbox's order number "SO-100023" as northwind's item name "PO-10023"."""
    return f"PO-{int(sandbox_number[3:]) - 90000}"


def _northwind_orders(board: Board) -> Board:
    number_slot = _slot(board, "order_number")
    relation_settings = (
        '{"allowCreateReflectionColumn":false,"boardIds":[' + NORTHWIND_BOARD_IDS["customers"] + "]}"
    )
    targets: tuple[Target, ...] = (
        (ColumnSpec("name", "PO number", "name"), None, None),
        (ColumnSpec("customer", "Account", "board_relation", settings=relation_settings), "customer", None),
        (ColumnSpec("product", "Item", "dropdown", PRODUCTS), "product", None),
        (ColumnSpec("quantity", "Qty", "numbers"), "quantity", None),
        (
            ColumnSpec("status", "Stage", "status", NORTHWIND_ORDER_STATUS, done_index=1),
            "status",
            _relabel(_ORDER_STATUS_MAP),
        ),
        (ColumnSpec("priority", "Urgency", "status", NORTHWIND_URGENCY), "priority", _relabel(_URGENCY_MAP)),
        (ColumnSpec("requested_date", "Due date", "date"), "requested_date", None),
        (ColumnSpec("delivered_date", "Delivered", "date"), "delivered_date", None),
    )
    groups = (
        ("topics", "Due this week", "#579bfc"),
        ("new_group", "Open", "#fdab3d"),
        ("new_group72", "Closed", "#00c875"),
    )
    group_map = {"topics": "topics", "group_mkq2bklg": "new_group", "group_mkq2done": "new_group72"}
    return _rebuild(
        board,
        targets,
        groups,
        lambda item: group_map[item.group_id],
        # A blank sandbox name (dirt) stays blank: an order without its number.
        lambda item: po_number(item.cells[number_slot]) if item.name else "",
    )


def _northwind_capacity(board: Board) -> Board:
    # The sandbox's line status (index i = "Line i+1") becomes a dropdown with option ids from 1.
    line_status = board.columns_by_id[COLUMN_IDS["capacity"]["line"]]
    line_labels = tuple((index + 1, label) for index, label in sorted(line_status.labels.items()))
    line_slot = _slot(board, "line")
    date_slot = _slot(board, "date")
    targets: tuple[Target, ...] = (
        (ColumnSpec("name", "Line day", "name"), None, None),
        (ColumnSpec("line", "Resource", "dropdown", line_labels), "line", lambda raw, _item: (raw + 1,)),
        (ColumnSpec("date", "Day", "date"), "date", None),
        (ColumnSpec("capacity_units", "Units available", "numbers"), "capacity_units", None),
        (ColumnSpec("overtime_units", "Overtime", "numbers"), "overtime_units", None),
        (ColumnSpec("maintenance", "Down for maintenance", "checkbox"), "maintenance", None),
    )
    return _rebuild(
        board,
        targets,
        (("topics", "Capacity", "#579bfc"),),
        lambda _item: "topics",
        lambda item: f"L{item.cells[line_slot] + 1} {item.cells[date_slot]}",
    )
