"""Fixed board, column and group definitions of the sandbox workspace.

Column ids are fixed (they never depend on the seed), so a board mapping file can reference them.
They follow Monday's real id styles: the first status column of a board is `status`, later columns
get `<type>_mk<6 chars>` ids (`color_` for status, `numeric_` for numbers, `timerange_` for timeline,
`boolean_` for checkbox, `multiple_person_` for people). The `name` column is listed in `columns`
(as Monday does) but, like Monday, never appears in `column_values`.
"""

from __future__ import annotations

from dataclasses import dataclass

BOARD_IDS: dict[str, str] = {"customers": "7000000001", "orders": "7000000002", "capacity": "7000000003"}
WORKSPACE_ID = "5000001"
ACCOUNT_ID = 24601337

# role -> column id, per board. These are the ids a board mapping file references.
COLUMN_IDS: dict[str, dict[str, str]] = {
    "customers": {
        "name": "name",
        "status": "status",
        "region": "dropdown_mkq1rg7x",
        "tier": "color_mkq1tr4z",
        "email": "email_mkq1c4d5",
        "phone": "phone_mkq1p8h2",
        "address": "location_mkq1ad3r",
        "delivery_days": "dropdown_mkq1dd5y",
        "delivery_window": "text_mkq1a2b3",
        "account_manager": "multiple_person_mkq1am6n",
        "notes": "long_text_mkq1nt0s",
        "onboarded": "date_mkq1on9b",
        "customer_number": "text_mkq1cn7q",
    },
    "orders": {
        "name": "name",
        "order_number": "text_mkq2on1x",
        "customer": "board_relation_mkq2cu5t",
        "status": "status",
        "priority": "color_mkq2pr7y",
        "quantity": "numeric_mkq2qt4v",
        "requested_date": "date_mkq2rq8d",
        "promised_date": "date_mkq2pm3d",
        "product": "dropdown_mkq2pd6k",
        "production_window": "timerange_mkq2pw2n",
        "rush_approved": "boolean_mkq2ra9c",
        "delivered_date": "date_mkq2dv5x",
        # Written by the delivery plan (CM_PLAN_WRITE_BACK), empty until a plan is written back.
        "planned_date": "date_mkq2wb1p",
        "planned_line": "text_mkq2wb2l",
        "plan_status": "color_mkq2wb3s",
        "plan_note": "text_mkq2wb4n",
    },
    "capacity": {
        "name": "name",
        "line": "color_mkq3ln1e",
        "date": "date_mkq3dy2f",
        "capacity_units": "numeric_mkq3cp5u",
        "maintenance": "boolean_mkq3mt7g",
        "overtime_units": "numeric_mkq3ot3h",
    },
}

# Monday's status palette (color, border, var_name), indexed by label index.
STATUS_COLORS: dict[int, tuple[str, str, str]] = {
    0: ("#fdab3d", "#e99729", "orange"),
    1: ("#00c875", "#00b461", "green-shadow"),
    2: ("#e2445c", "#ce3048", "red-shadow"),
    3: ("#0086c0", "#3db0df", "blue-links"),
    4: ("#a25ddc", "#9238af", "purple"),
    5: ("#c4c4c4", "#b0b0b0", "grey"),
    6: ("#037f4c", "#006b38", "grass-green"),
    7: ("#579bfc", "#4387e8", "bright-blue"),
    8: ("#cab641", "#c0ab1b", "mustered"),
    9: ("#ff642e", "#e56031", "orange-dark"),
    10: ("#ff158a", "#e01279", "dark-pink"),
    11: ("#bb3354", "#a42d4a", "dark-red"),
    12: ("#ff5ac4", "#e754b2", "light-pink"),
    13: ("#784bd1", "#6c45bb", "dark-purple"),
    14: ("#9aadbd", "#8a9cad", "american-gray"),
    15: ("#9cd326", "#89b921", "lime-green"),
    16: ("#7f5347", "#6b443a", "brown"),
    17: ("#66ccff", "#5cb8e6", "river"),
    18: ("#808080", "#6e6e6e", "dark-grey"),
    19: ("#225091", "#1a3d6e", "navy"),
}


def status_color(index: int) -> tuple[str, str, str]:
    return STATUS_COLORS.get(index % 20, STATUS_COLORS[5])


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    role: str
    title: str
    type: str
    # status: {index: label}; dropdown: {id: label}
    labels: tuple[tuple[int, str], ...] = ()
    done_index: int | None = None
    settings: str | None = None  # settings_str override (JSON text)


CUSTOMER_STATUS = ((1, "Active"), (2, "Inactive"))
REGIONS = ((1, "North"), (2, "South"), (3, "East"), (4, "West"), (5, "Central"))
TIERS = ((0, "Gold"), (3, "Silver"), (4, "Bronze"))
WEEKDAYS = ((1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun"))
ORDER_STATUS = (
    (0, "New"),
    (3, "Confirmed"),
    (4, "In production"),
    (7, "Shipped"),
    (1, "Delivered"),
    (2, "Cancelled"),
)
PLAN_STATUSES = ((1, "Scheduled"), (2, "Late"), (5, "Unschedulable"))
# Deliberately not in severity order: clients must resolve labels through settings_str.
PRIORITIES = ((2, "Rush"), (0, "High"), (6, "Normal"), (9, "Low"))
PRODUCTS = (
    (1, "Standard pallet"),
    (2, "Half pallet"),
    (3, "Bulk bag"),
    (4, "Crate"),
    (5, "Drum"),
    (6, "IBC tote"),
    (7, "Carton"),
    (8, "Mixed load"),
)

CUSTOMER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Company", "name"),
    ColumnSpec("status", "Status", "status", CUSTOMER_STATUS, done_index=1),
    ColumnSpec("region", "Region", "dropdown", REGIONS),
    ColumnSpec("tier", "Tier", "status", TIERS),
    ColumnSpec("email", "Contact email", "email"),
    ColumnSpec("phone", "Contact phone", "phone"),
    ColumnSpec("address", "Address", "location"),
    ColumnSpec("delivery_days", "Preferred delivery days", "dropdown", WEEKDAYS),
    ColumnSpec("delivery_window", "Delivery window", "text"),
    ColumnSpec("account_manager", "Account manager", "people"),
    ColumnSpec("notes", "Notes", "long_text"),
    ColumnSpec("onboarded", "Onboarded", "date"),
    # "CUST-00001" by position on the board: the number the OMS emulator knows the customer by.
    ColumnSpec("customer_number", "Customer No.", "text"),
)

ORDER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Order", "name"),
    ColumnSpec("order_number", "Order number", "text"),
    ColumnSpec(
        "customer",
        "Customer",
        "board_relation",
        settings='{"allowCreateReflectionColumn":false,"boardIds":[' + BOARD_IDS["customers"] + "]}",
    ),
    ColumnSpec("status", "Status", "status", ORDER_STATUS, done_index=1),
    ColumnSpec("priority", "Priority", "status", PRIORITIES),
    ColumnSpec(
        "quantity",
        "Quantity",
        "numbers",
        settings='{"unit":{"symbol":"","custom_unit":"","direction":"left"}}',
    ),
    ColumnSpec("requested_date", "Requested date", "date"),
    ColumnSpec("promised_date", "Promised date", "date"),
    ColumnSpec("product", "Product", "dropdown", PRODUCTS),
    ColumnSpec("production_window", "Production window", "timeline"),
    ColumnSpec("rush_approved", "Rush approved", "checkbox"),
    # Filled only for delivered orders (the actual delivery date, for plan-vs-actual performance).
    ColumnSpec("delivered_date", "Delivered on", "date"),
    # The delivery plan written back (customer_master/monday/write_back.py): no generated values (items'
    # cells stop at delivered_date, and a missing cell reads as empty) until a plan writes them.
    ColumnSpec("planned_date", "Planned delivery", "date"),
    ColumnSpec("planned_line", "Planned line", "text"),
    ColumnSpec("plan_status", "Plan status", "status", PLAN_STATUSES),
    ColumnSpec("plan_note", "Plan note", "text"),
)


def capacity_columns(resources: int) -> tuple[ColumnSpec, ...]:
    lines = tuple((i, f"Line {i + 1}") for i in range(resources))
    return (
        ColumnSpec("name", "Slot", "name"),
        ColumnSpec("line", "Line", "status", lines),
        ColumnSpec("date", "Date", "date"),
        ColumnSpec("capacity_units", "Capacity units", "numbers"),
        ColumnSpec("maintenance", "Maintenance", "checkbox"),
        ColumnSpec("overtime_units", "Overtime units", "numbers"),
    )


# (group id, title, color) per board; capacity groups are one per line (see generator).
CUSTOMER_GROUPS = (("topics", "Active", "#00c875"), ("group_mkq1chrn", "Churned", "#c4c4c4"))
ORDER_GROUPS = (
    ("topics", "This week", "#579bfc"),
    ("group_mkq2bklg", "Backlog", "#fdab3d"),
    ("group_mkq2done", "Done", "#00c875"),
)


def capacity_group_id(line_index: int) -> str:
    return "topics" if line_index == 0 else f"group_mkq3l{line_index + 1:03d}"


BOARD_NAMES = {"customers": "Customers", "orders": "Orders", "capacity": "Production capacity"}

PEOPLE: tuple[tuple[int, str, str], ...] = (
    (48202301, "Avery Brooks", "avery.brooks@sandbox.example"),
    (48202302, "Jordan Lee", "jordan.lee@sandbox.example"),
    (48202303, "Priya Natarajan", "priya.natarajan@sandbox.example"),
    (48202304, "Tomasz Kowalski", "tomasz.kowalski@sandbox.example"),
    (48202305, "Maria Garcia", "maria.garcia@sandbox.example"),
    (48202306, "Sam Okafor", "sam.okafor@sandbox.example"),
)
