"""What the platform reads from each Monday board: its fields, which are required, how each lands.

This is the contract between a board mapping (the user's file) and the dbt staging models
(`models/staging/stg_monday__*.sql`): a staging model reads exactly these fields, each from one
"lane" (the SQL type it lands in). Required fields are the ones the marts and the planner cannot do
without: a mapping that leaves one out is refused, and a required field that resolves to no column
on the live board stops the run before any model builds.

`value_sets` name the canonical values a field's labels may be mapped to (`values:` in the mapping):
a team's "Churned" or "On hold" means the platform's `inactive`, its "Critical" means `rush`. A field
whose mapping says nothing about values uses `default_values`, which match this project's sandbox
labels (and any account that uses the same words).

`hints` drive the mapping assistant's matching (`discover.py`): the Monday column types that usually
hold the field and words its column title tends to contain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypedDict, TypeGuard, Unpack, get_args

Entity = Literal["customers", "orders", "capacity"]
ENTITIES: tuple[str, ...] = get_args(Entity)


def is_entity(name: str) -> TypeGuard[Entity]:
    """Whether `name` is one of ENTITIES (so it can index `BoardMapping.entities`)."""
    return name in ENTITIES


# The SQL type ("lane") each kind lands in; staging reads one lane per field.
KIND_LANE: dict[str, str] = {
    "string": "text",
    "label": "text",
    "ids": "text",
    "time": "text",
    "number": "number",
    "date": "date",
    "date_to": "date",
    "bool": "bool",
}
KINDS: tuple[str, ...] = tuple(KIND_LANE)

# The item name is listed among a board's columns (id `name`) but never in its column values: a field
# mapped to it reads the item's name.
ITEM_NAME_COLUMN = "name"
ITEM_NAME_KINDS: frozenset[str] = frozenset({"string", "label"})

# Monday column types whose typed projection each kind reads (columns.py fills value_* by type).
# Used to warn about a kind that cannot produce values from the mapped column's type.
KIND_COLUMN_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset(
        {
            "name",
            "text",
            "long_text",
            "email",
            "phone",
            "location",
            "status",
            "dropdown",
            "link",
            "board_relation",
            "hour",
            "numbers",
            "date",
            "country",
            "auto_number",
            "item_id",
        }
    ),  # fmt: skip
    "label": frozenset({"name", "status", "dropdown", "text", "tags", "country"}),
    "ids": frozenset({"board_relation", "dropdown", "people", "dependency"}),
    "time": frozenset({"hour", "text", "numbers", "long_text"}),
    "number": frozenset({"numbers", "rating", "formula"}),
    "date": frozenset({"date", "timeline"}),
    "date_to": frozenset({"timeline"}),
    "bool": frozenset({"checkbox"}),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    lane: str
    required: bool
    description: str
    kinds: tuple[str, ...]  # kinds that make sense for this field (the first is the usual one)
    column_types: tuple[str, ...] = ()  # Monday column types that usually hold it (best first)
    hints: tuple[str, ...] = ()  # words/phrases its column title tends to contain
    value_sets: tuple[str, ...] = ()  # canonical values its labels may map to
    default_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Only columns of `column_types` are discovery candidates (an identifier never sits in a date or
    # status column, however much its title looks like one: "Customer since" is no customer number).
    column_types_only: bool = False


class _SpecOptions(TypedDict, total=False):
    """The optional `FieldSpec` fields, by keyword."""

    column_types: tuple[str, ...]
    hints: tuple[str, ...]
    value_sets: tuple[str, ...]
    default_values: dict[str, tuple[str, ...]]
    column_types_only: bool


def _f(
    lane: str, required: bool, description: str, kinds: tuple[str, ...], **kw: Unpack[_SpecOptions]
) -> FieldSpec:
    return FieldSpec(lane, required, description, kinds, **kw)


TEXT, LABEL = ("string", "label"), ("label", "string")

FIELDS: dict[str, dict[str, FieldSpec]] = {
    "customers": {
        "status": _f(
            "text",
            False,
            "Customer status; labels mapped to `inactive` deactivate the customer.",
            LABEL,
            column_types=("status", "dropdown"),
            hints=("status", "account status", "customer status", "state"),
            value_sets=("active", "inactive"),
            default_values={"active": ("Active",), "inactive": ("Inactive",)},
        ),
        "region": _f(
            "text",
            False,
            "Sales region.",
            LABEL,
            column_types=("dropdown", "status", "text"),
            hints=("region", "territory", "area", "zone"),
        ),
        "tier": _f(
            "text",
            False,
            "Customer tier.",
            LABEL,
            column_types=("status", "dropdown"),
            hints=("tier", "segment", "level", "class"),
        ),
        "email": _f(
            "text",
            False,
            "Contact email.",
            TEXT,
            column_types=("email", "text"),
            hints=("email", "e-mail", "mail", "contact email"),
        ),
        "customer_number": _f(
            "text",
            False,
            "The customer number other systems use (e.g. CUST-00008); OMS orders match customers on "
            "it, falling back to e-mail.",
            TEXT,
            column_types=("text", "auto_number", "item_id"),
            hints=(
                "customer no",
                "customer number",
                "customer #",
                "cust no",
                "customer id",
                "account number",
                "account no",
            ),
            column_types_only=True,
        ),
        "phone": _f(
            "text",
            False,
            "Contact phone.",
            TEXT,
            column_types=("phone", "text"),
            hints=("phone", "tel", "telephone", "mobile", "contact phone"),
        ),
        "address": _f(
            "text",
            False,
            "Delivery address.",
            TEXT,
            column_types=("location", "text", "long_text"),
            hints=("address", "site", "location", "delivery address"),
        ),
        "city": _f(
            "text",
            False,
            "City (a location column's `city`, extra_key: city).",
            TEXT,
            column_types=("location", "text"),
            hints=("city", "town"),
        ),
        "country": _f(
            "text",
            False,
            "Country (a location column's `country`, extra_key: country).",
            TEXT,
            column_types=("location", "country", "text"),
            hints=("country",),
        ),
        "delivery_days": _f(
            "text",
            False,
            "Days of the week the customer takes deliveries (Mon..Sun or Monday..Sunday).",
            LABEL,
            column_types=("dropdown", "text", "tags"),
            hints=("delivery days", "preferred delivery days", "days", "delivery day", "weekdays"),
        ),
        "delivery_window": _f(
            "text",
            False,
            "The customer's delivery hours in one cell, 'HH:MM-HH:MM'.",
            TEXT,
            column_types=("text",),
            hints=("delivery window", "window", "delivery hours", "hours", "time window"),
        ),
        "delivery_window_start": _f(
            "text",
            False,
            "Start of the delivery hours held in two columns (an hour, text or number column).",
            ("time",),
            column_types=("hour", "text", "numbers"),
            hints=(
                "deliver from",
                "delivery from",
                "window start",
                "start time",
                "opens",
                "earliest",
            ),
        ),
        "delivery_window_end": _f(
            "text",
            False,
            "End of the delivery hours held in two columns (an hour, text or number column).",
            ("time",),
            column_types=("hour", "text", "numbers"),
            hints=(
                "deliver until",
                "delivery until",
                "window end",
                "until",
                "end time",
                "closes",
                "latest",
            ),
        ),
    },
    "orders": {
        "order_number": _f(
            "text",
            True,
            "The order number people use (often the item name).",
            TEXT,
            column_types=("text", "name", "auto_number"),
            hints=(
                "order number",
                "order no",
                "order #",
                "order",
                "po",
                "po number",
                "so number",
                "reference",
            ),
        ),
        "customer": _f(
            "text",
            True,
            "The customer: a connect-boards column linking the customers board.",
            ("ids",),
            column_types=("board_relation",),
            hints=("customer", "account", "client", "company"),
        ),
        "status": _f(
            "text",
            False,
            "Order status; labels mapped to `delivered` or `cancelled` close the order.",
            LABEL,
            column_types=("status", "dropdown"),
            hints=("status", "stage", "order status", "state"),
            value_sets=("open", "delivered", "cancelled"),
            default_values={
                "open": ("New", "Confirmed", "In production", "Shipped"),
                "delivered": ("Delivered",),
                "cancelled": ("Cancelled",),
            },
        ),
        "priority": _f(
            "text",
            False,
            "Priority; labels map to rush, high, normal, low (empty = normal).",
            LABEL,
            column_types=("status", "dropdown"),
            hints=("priority", "urgency", "importance"),
            value_sets=("rush", "high", "normal", "low"),
            default_values={"rush": ("Rush",), "high": ("High",), "normal": ("Normal",), "low": ("Low",)},
        ),
        "quantity": _f(
            "number",
            True,
            "Ordered quantity (capacity units).",
            ("number",),
            column_types=("numbers",),
            hints=("quantity", "qty", "units", "amount", "volume"),
        ),
        "requested_date": _f(
            "date",
            True,
            "The date the customer asked for.",
            ("date",),
            column_types=("date",),
            hints=(
                "requested date",
                "due date",
                "delivery date",
                "requested",
                "due",
                "need by",
                "deliver by",
            ),
        ),
        "promised_date": _f(
            "date",
            False,
            "The date promised to the customer.",
            ("date",),
            column_types=("date",),
            hints=("promised date", "promise date", "promised", "eta"),
        ),
        "product": _f(
            "text",
            False,
            "Product.",
            LABEL,
            column_types=("dropdown", "status", "text"),
            hints=("product", "item", "sku", "article"),
        ),
        "production_start": _f(
            "date",
            False,
            "Start of the production window.",
            ("date",),
            column_types=("timeline", "date"),
            hints=("production window", "production start"),
        ),
        "production_end": _f(
            "date",
            False,
            "End of the production window (a timeline's end: kind date_to).",
            ("date_to", "date"),
            column_types=("timeline", "date"),
            hints=("production window", "production end"),
        ),
        "rush_approved": _f(
            "bool",
            False,
            "Rush approved (checkbox).",
            ("bool",),
            column_types=("checkbox",),
            hints=("rush approved", "rush", "expedite"),
        ),
        "delivered_date": _f(
            "date",
            False,
            "The date the order was actually delivered.",
            ("date",),
            column_types=("date",),
            hints=("delivered on", "delivered", "delivery date actual"),
        ),
    },
    "capacity": {
        "resource": _f(
            "text",
            True,
            "Production line / resource.",
            LABEL,
            column_types=("status", "dropdown", "text"),
            hints=("line", "resource", "production line", "machine", "work center"),
        ),
        "capacity_date": _f(
            "date",
            True,
            "The day the capacity applies to.",
            ("date",),
            column_types=("date",),
            hints=("date", "day", "capacity date"),
        ),
        "capacity_units": _f(
            "number",
            True,
            "Regular capacity units that day.",
            ("number",),
            column_types=("numbers",),
            hints=("capacity units", "capacity", "units available", "available", "units"),
        ),
        "maintenance": _f(
            "bool",
            False,
            "Down for maintenance that day.",
            ("bool",),
            column_types=("checkbox",),
            hints=("maintenance", "down", "closed", "shutdown"),
        ),
        "overtime_units": _f(
            "number",
            False,
            "Extra units available with overtime.",
            ("number",),
            column_types=("numbers",),
            hints=("overtime units", "overtime", "extra units"),
        ),
    },
}


def required_fields(entity: str) -> list[str]:
    return [name for name, spec in FIELDS[entity].items() if spec.required]


def field_spec(entity: str, field_name: str) -> FieldSpec:
    return FIELDS[entity][field_name]


# --- plan write-back (CM_PLAN_WRITE_BACK) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WriteBackSpec:
    """One column the delivery plan writes back to the orders board (`entities.orders.write_back`)."""

    description: str
    column_types: tuple[str, ...]  # the Monday column types it may be written to
    example_title: str  # the sandbox's title, used in the "add this to your mapping" messages
    value_sets: tuple[str, ...] = ()
    default_values: dict[str, tuple[str, ...]] = field(default_factory=dict)


PLAN_STATUSES: tuple[str, ...] = ("scheduled", "late", "unschedulable")
# Only the orders entity takes a write_back block.
WRITE_BACK_ENTITY = "orders"
WRITE_BACK_COLUMNS: dict[str, WriteBackSpec] = {
    "planned_date": WriteBackSpec(
        "The planned delivery date (cleared when the order is unschedulable).",
        ("date", "text"),
        "Planned delivery",
    ),
    "planned_line": WriteBackSpec(
        "The production line (resource) the order is planned on.",
        ("text", "long_text"),
        "Planned line",
    ),
    "plan_status": WriteBackSpec(
        "scheduled, late or unschedulable (a status/dropdown label, or the word in a text column).",
        ("status", "dropdown", "text", "long_text"),
        "Plan status",
        value_sets=PLAN_STATUSES,
        default_values={
            "scheduled": ("Scheduled",),
            "late": ("Late",),
            "unschedulable": ("Unschedulable",),
        },
    ),
    "plan_note": WriteBackSpec(
        "Why the order is late or unschedulable, in words (empty when it is on time).",
        ("text", "long_text"),
        "Plan note",
    ),
}
