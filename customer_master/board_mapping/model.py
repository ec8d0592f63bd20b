"""The board mapping file, validated: which board holds each entity and which column feeds each field.

The file (default `dbt_project/board_mapping.yml`, or `CM_BOARD_MAPPING`) is the one place board ids
live: the ingestion assets pull exactly its boards and the staging models read exactly its columns.

    version: 1
    entities:
      orders:
        board_id: "4410000202"
        fields:
          order_number: {column_id: name, title: Name, kind: string}      # the item name
          priority: {column_id: status_19, title: Urgency, kind: label,
                     values: {rush: [Critical], high: [High], normal: [Medium], low: [Low]}}
          promised_date: {column_id: null, kind: date}                        # optional: not on this board
        write_back:                      # optional: where CM_PLAN_WRITE_BACK writes the delivery plan
          planned_date: {column_id: date_mkq2wb1p, title: Planned delivery}
          planned_line: {column_id: text_mkq2wb2l, title: Planned line}
          plan_status:  {column_id: color_mkq2wb3s, title: Plan status,
                         values: {scheduled: [Scheduled], late: [Late], unschedulable: [Unschedulable]}}
          plan_note:    {column_id: text_mkq2wb4n, title: Plan note}

A field left out (or with `column_id: null`) is not mapped: fine for an optional field (it stays
empty), refused for a required one. Every error names the key's path and, where it helps, its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from customer_master.board_mapping.catalog import (
    ENTITIES,
    FIELDS,
    ITEM_NAME_COLUMN,
    ITEM_NAME_KINDS,
    KIND_LANE,
    WRITE_BACK_COLUMNS,
    WRITE_BACK_ENTITY,
    Entity,
    is_entity,
    required_fields,
)
from customer_master.yaml_keys import DuplicateKeyError, load_unique_keys

Kind = Literal["string", "number", "date", "date_to", "bool", "ids", "label", "time"]
CHECK_COMMAND = "python -m customer_master.board_mapping check"


class BoardMappingError(ValueError):
    """The mapping file is invalid; the message names the offending path (e.g. entities.orders...)."""


def _clean_text(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be blank")
    return value.strip() if value is not None else None


def _clean_labels(value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
    """canonical -> labels, stripped; a label may mean only one canonical value."""
    if value is None:
        return None
    seen: dict[str, str] = {}
    cleaned: dict[str, list[str]] = {}
    for canonical, labels in value.items():
        if not labels:
            raise ValueError(f"{canonical}: list at least one label")
        cleaned[canonical] = []
        for label in labels:
            label = str(label).strip()
            if not label:
                raise ValueError(f"{canonical}: a label must not be blank")
            key = label.lower()
            if key in seen and seen[key] != canonical:
                raise ValueError(f"label {label!r} is listed under both {seen[key]!r} and {canonical!r}")
            seen[key] = canonical
            cleaned[canonical].append(label)
    return cleaned


class FieldMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    column_id: str | None = Field(default=None, min_length=1)
    title: str | None = Field(default=None, min_length=1)
    kind: Kind
    extra_key: str | None = Field(default=None, min_length=1)
    # canonical value -> the board's labels that mean it (e.g. inactive: [Churned, On hold])
    values: dict[str, list[str]] | None = None

    @field_validator("column_id", "title", "extra_key")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        return _clean_text(value)

    @field_validator("values")
    @classmethod
    def _labels(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        return _clean_labels(value)

    @property
    def is_mapped(self) -> bool:
        return self.column_id is not None

    @property
    def reads_item_name(self) -> bool:
        return self.column_id == ITEM_NAME_COLUMN


class WriteBackColumn(BaseModel):
    """One write-back column: found by id, else by title (like a field); `values` for plan_status."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column_id: str | None = Field(default=None, min_length=1)
    title: str | None = Field(default=None, min_length=1)
    values: dict[str, list[str]] | None = None

    @field_validator("column_id", "title")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        return _clean_text(value)

    @field_validator("values")
    @classmethod
    def _labels(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        return _clean_labels(value)

    @model_validator(mode="after")
    def _id_or_title(self) -> WriteBackColumn:
        if self.column_id is None and self.title is None:
            raise ValueError("give the column's column_id (and title)")
        return self


class WriteBackMapping(BaseModel):
    """`entities.orders.write_back`: the four columns the delivery plan is written to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    planned_date: WriteBackColumn | None = None
    planned_line: WriteBackColumn | None = None
    plan_status: WriteBackColumn | None = None
    plan_note: WriteBackColumn | None = None

    def columns(self) -> dict[str, WriteBackColumn | None]:
        """name -> column (None: not in the block), in catalog order."""
        return {name: getattr(self, name) for name in WRITE_BACK_COLUMNS}

    @model_validator(mode="after")
    def _values_only_for_status(self) -> WriteBackMapping:
        for name, column in self.columns().items():
            if column is None or column.values is None:
                continue
            sets = WRITE_BACK_COLUMNS[name].value_sets
            if not sets:
                raise ValueError(f"{name}.values: only plan_status takes values")
            odd = sorted(set(column.values) - set(sets))
            if odd:
                raise ValueError(f"{name}.values: unknown value(s) {', '.join(odd)} (use: {', '.join(sets)})")
        ids = [c.column_id for c in self.columns().values() if c is not None and c.column_id]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"column(s) {', '.join(twice)} named for more than one write-back value")
        return self


class EntityMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    board_id: str = Field(min_length=1, pattern=r"^\d+$")
    fields: dict[str, FieldMapping] = Field(default_factory=dict)
    write_back: WriteBackMapping | None = None

    @field_validator("fields", mode="before")
    @classmethod
    def _no_fields_is_empty(cls, value: object) -> object:
        return {} if value is None else value  # `fields:` with only comments under it

    @model_validator(mode="after")
    def _no_column_mapped_twice(self) -> EntityMapping:
        seen: dict[tuple[str, str, str | None], str] = {}
        for name, f in self.fields.items():
            if f.column_id is None:  # not mapped
                continue
            key = (f.column_id, f.kind, f.extra_key)
            if key in seen:
                raise ValueError(
                    f"fields {seen[key]!r} and {name!r} both map column {f.column_id!r} as {f.kind!r}"
                    + (f" (extra_key {f.extra_key!r})" if f.extra_key else "")
                )
            seen[key] = name
        return self

    def mapped(self) -> dict[str, FieldMapping]:
        return {name: f for name, f in self.fields.items() if f.is_mapped}


class BoardMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    entities: dict[Entity, EntityMapping]
    _lines: dict[tuple[str, str], int] = PrivateAttr(default_factory=dict)
    _path: str = PrivateAttr(default="<string>")

    @model_validator(mode="after")
    def _matches_the_catalog(self) -> BoardMapping:
        missing = [e for e in ENTITIES if e not in self.entities]
        if missing:
            raise ValueError(f"missing entities: {', '.join(missing)}")
        for entity, em in self.entities.items():
            _check_entity(entity, em)
        return self

    @property
    def board_ids(self) -> dict[str, str]:
        """entity -> board id, in catalog order."""
        return {entity: self.entity(entity).board_id for entity in ENTITIES}

    @property
    def path(self) -> str:
        return self._path

    def entity(self, name: str) -> EntityMapping:
        """`entities[name]` for a name held as plain text (a KeyError for a name that is no entity)."""
        if not is_entity(name):
            raise KeyError(name)
        return self.entities[name]

    def line_of(self, entity: str, field_name: str) -> int | None:
        """The line of `field_name`'s key in the file (None for a mapping built in code)."""
        return self._lines.get((entity, field_name))

    def where(self, entity: str, field_name: str) -> str:
        """'board_mapping.yml line 31' (or the key path when the line is unknown), for messages."""
        return self._where(entity, field_name, f"entities.{entity}.fields.{field_name}")

    def write_back_where(self, name: str) -> str:
        """Where write-back column `name` is set (or would go), for messages."""
        entity = WRITE_BACK_ENTITY
        return self._where(entity, WRITE_BACK_LINE_PREFIX + name, f"entities.{entity}.write_back.{name}")

    def board_where(self, entity: str) -> str:
        """Where the entity's board_id is set, for messages."""
        return self._where(entity, _BOARD_ID, f"entities.{entity}.board_id")

    def _where(self, entity: str, key: str, path: str) -> str:
        line = self._lines.get((entity, key))
        name = Path(self._path).name
        return f"{name} line {line}" if line else f"{name} {path}"


def _check_entity(entity: str, em: EntityMapping) -> None:
    catalog = FIELDS[entity]
    if em.write_back is not None and entity != WRITE_BACK_ENTITY:
        raise ValueError(f"entities.{entity}.write_back: only {WRITE_BACK_ENTITY} take a write_back block")
    if em.write_back is not None:
        read = {f.column_id: name for name, f in em.fields.items() if f.column_id is not None}
        for name, column in em.write_back.columns().items():
            if column is None or column.column_id is None:
                continue
            if column.column_id == ITEM_NAME_COLUMN or column.column_id in read:
                what = (
                    "the item name"
                    if column.column_id == ITEM_NAME_COLUMN
                    else f"field {read[column.column_id]!r}"
                )
                raise ValueError(
                    f"entities.{entity}.write_back.{name}: column {column.column_id!r} is read as {what}; "
                    "the plan must be written to columns of its own (add new columns to the board)"
                )
    unknown = sorted(set(em.fields) - set(catalog))
    if unknown:
        raise ValueError(
            f"entities.{entity}.fields: unknown field(s) {', '.join(unknown)} "
            f"(this platform reads: {', '.join(catalog)})"
        )
    for name in required_fields(entity):
        f = em.fields.get(name)
        if f is None or not f.is_mapped:
            raise ValueError(
                f"entities.{entity}.fields.{name}: required ({catalog[name].description}) but not mapped: "
                f"set its column_id to the board column that holds it (`{CHECK_COMMAND}` lists them)"
            )
    for name, f in em.fields.items():
        spec = catalog[name]
        path = f"entities.{entity}.fields.{name}"
        if KIND_LANE[f.kind] != spec.lane or f.kind not in spec.kinds:
            raise ValueError(
                f"{path}.kind: {f.kind!r} does not fit this field (use {' or '.join(map(repr, spec.kinds))})"
            )
        if f.reads_item_name and (f.kind not in ITEM_NAME_KINDS or f.extra_key):
            raise ValueError(f"{path}: the item name is text: use kind string or label, without extra_key")
        if f.values is not None:
            if not spec.value_sets:
                raise ValueError(f"{path}.values: only {_fields_with_values(entity)} take values")
            odd = sorted(set(f.values) - set(spec.value_sets))
            if odd:
                raise ValueError(
                    f"{path}.values: unknown value(s) {', '.join(odd)} (use: {', '.join(spec.value_sets)})"
                )


def _fields_with_values(entity: str) -> str:
    return ", ".join(n for n, s in FIELDS[entity].items() if s.value_sets) or "no field of this entity"


def value_labels(entity: str, field_name: str, f: FieldMapping) -> dict[str, tuple[str, ...]]:
    """canonical -> labels for a field: the mapping's `values`, else the catalog's defaults."""
    if f.values is not None:
        return {canonical: tuple(labels) for canonical, labels in f.values.items()}
    return dict(FIELDS[entity][field_name].default_values)


# --- parsing ------------------------------------------------------------------------------------


_BOARD_ID = ""  # the line key of an entity's board_id (no field has an empty name)
WRITE_BACK_LINE_PREFIX = "write_back."  # line keys of write-back columns (no field has a dot)


def _field_lines(text: str) -> dict[tuple[str, str], int]:
    """(entity, field) -> 1-based line of the field's key, read from the YAML node tree."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[str, str], int] = {}
    for entity_key, entity_node in _pairs(_child(root, "entities")):
        for key, _ in _pairs(entity_node):
            if key.value == "board_id":
                lines[(entity_key.value, _BOARD_ID)] = key.start_mark.line + 1
        for field_key, _ in _pairs(_child(entity_node, "fields")):
            lines[(entity_key.value, field_key.value)] = field_key.start_mark.line + 1
        for key, _ in _pairs(_child(entity_node, "write_back")):
            lines[(entity_key.value, WRITE_BACK_LINE_PREFIX + key.value)] = key.start_mark.line + 1
    return lines


def _pairs(node: yaml.Node | None) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    return next((v for k, v in _pairs(node) if k.value == key), None)


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"invalid board mapping {path}:"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not allowed)"
        lines.append(f"  {loc or '<root>'}: {msg}")
    return "\n".join(lines)


def parse_board_mapping(text: str, path: Path | str = "<string>") -> BoardMapping:
    path = Path(path)
    try:
        data = load_unique_keys(text)
    except DuplicateKeyError as exc:
        raise BoardMappingError(
            f"invalid board mapping {path}: {exc}; each field may be mapped only once"
        ) from None
    except yaml.YAMLError as exc:
        raise BoardMappingError(f"invalid board mapping {path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise BoardMappingError(f"invalid board mapping {path}: expected a mapping at the top level")
    try:
        mapping = BoardMapping.model_validate(data)
    except ValidationError as exc:
        raise BoardMappingError(_format_errors(path, exc)) from None
    mapping._lines = _field_lines(text)
    mapping._path = str(path)
    return mapping


def load_board_mapping(path: Path | str) -> BoardMapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BoardMappingError(
            f"board mapping {path} not found: set CM_BOARD_MAPPING to your mapping file, or write one "
            "with `python -m customer_master.board_mapping discover`"
        ) from None
    return parse_board_mapping(text, path)
