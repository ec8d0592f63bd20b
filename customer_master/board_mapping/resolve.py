"""Resolve a board mapping against a board's live columns (pure: columns in, findings out).

The rule the staging models follow: a field's column is the mapped column id when the board still
has it, else the board's column with the mapped title (case-insensitive; the lowest id if several
share it), else nothing. `column_id: name` reads the item name. One implementation serves the
ingestion check (`mapped_columns_exist`), the pre-dbt guard and `board_mapping check`.

Findings are errors (the run must stop: a required field with no column, or with a kind that cannot
read that column's type) or warnings (an optional field that resolves to nothing stays empty; a
label in `values` that the column does not have).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

import orjson

from customer_master.board_mapping.catalog import (
    FIELDS,
    ITEM_NAME_COLUMN,
    KIND_COLUMN_TYPES,
)
from customer_master.board_mapping.model import BoardMapping, FieldMapping, value_labels
from customer_master.monday.models import Column

ResolvedBy = Literal["id", "title", "item_name", "missing", "unmapped"]


@dataclass(frozen=True, slots=True)
class FieldResolution:
    entity: str
    field: str
    board_id: str
    required: bool
    kind: str
    extra_key: str | None
    mapped_column_id: str | None
    mapped_title: str | None
    resolved_by: ResolvedBy
    column: Column | None  # the column values are read from (None: missing or unmapped)
    where: str  # 'board_mapping.yml line 31', for messages
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def column_id(self) -> str | None:
        return self.column.id if self.column is not None else None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class EntityResolution:
    entity: str
    board_id: str
    fields: tuple[FieldResolution, ...]
    errors: tuple[str, ...] = ()  # board-level (e.g. no columns snapshot)

    @property
    def all_errors(self) -> list[str]:
        return [*self.errors, *(e for f in self.fields for e in f.errors)]

    @property
    def all_warnings(self) -> list[str]:
        return [w for f in self.fields for w in f.warnings]

    def field(self, name: str) -> FieldResolution:
        return next(f for f in self.fields if f.field == name)


@dataclass(frozen=True, slots=True)
class MappingResolution:
    entities: dict[str, EntityResolution] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return [e for r in self.entities.values() for e in r.all_errors]

    @property
    def warnings(self) -> list[str]:
        return [w for r in self.entities.values() for w in r.all_warnings]

    def fields(self) -> Iterable[FieldResolution]:
        for r in self.entities.values():
            yield from r.fields


def column_labels(column: Column) -> list[str]:
    """The labels a status or dropdown column offers, from its settings_str (empty if none)."""
    try:
        settings = orjson.loads(column.settings_str or "{}")
    except orjson.JSONDecodeError:
        return []
    labels = settings.get("labels") if isinstance(settings, dict) else None
    if isinstance(labels, dict):  # status: {"0": "Working on it", ...}
        return [str(v) for _, v in sorted(labels.items(), key=lambda kv: _int(kv[0])) if v]
    if isinstance(labels, list):  # dropdown: [{"id": 1, "name": "North"}, ...]
        return [str(x.get("name")) for x in labels if isinstance(x, dict) and x.get("name")]
    return []


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 1 << 30


def find_column(
    columns: Sequence[Column], column_id: str | None, title: str | None
) -> tuple[Column | None, ResolvedBy]:
    """The staging rule: by id, else by title (case-insensitive, lowest id), else missing."""
    live = [c for c in columns if not c.archived]
    by_id = next((c for c in live if c.id == column_id), None)
    if by_id is not None:
        return by_id, "id"
    if title:
        key = title.strip().lower()
        matches = sorted((c for c in live if c.title.strip().lower() == key), key=lambda c: c.id)
        if matches:
            return matches[0], "title"
    return None, "missing"


def _describe(c: Column) -> str:
    return f"{c.id} {c.title!r} ({c.type})"


def _candidates(entity: str, field_name: str, columns: Sequence[Column]) -> str:
    types = FIELDS[entity][field_name].column_types
    fitting = [c for c in columns if c.type in types and not c.archived]
    if not fitting:
        return "the board has no column of a fitting type (" + ", ".join(types) + ")"
    return "columns of a fitting type: " + ", ".join(_describe(c) for c in fitting[:8])


class _Shared(TypedDict):
    """The `FieldResolution` fields that do not depend on how the field resolved."""

    entity: str
    field: str
    board_id: str
    required: bool
    kind: str
    extra_key: str | None
    mapped_column_id: str | None
    mapped_title: str | None
    where: str


def resolve_field(
    mapping: BoardMapping,
    entity: str,
    field_name: str,
    f: FieldMapping | None,
    columns: Sequence[Column],
    board_label: str,
) -> FieldResolution:
    spec = FIELDS[entity][field_name]
    where = mapping.where(entity, field_name)
    board_id = mapping.entity(entity).board_id
    common = _Shared(
        entity=entity,
        field=field_name,
        board_id=board_id,
        required=spec.required,
        kind=f.kind if f else spec.kinds[0],
        extra_key=f.extra_key if f else None,
        mapped_column_id=f.column_id if f else None,
        mapped_title=f.title if f else None,
        where=where,
    )
    if f is None or not f.is_mapped:
        return FieldResolution(**common, resolved_by="unmapped", column=None)
    name = f"{entity}.{field_name} ({where})"
    if f.reads_item_name:
        return FieldResolution(
            **common, resolved_by="item_name", column=Column(id=ITEM_NAME_COLUMN, title="Name", type="name")
        )
    column, how = find_column(columns, f.column_id, f.title)
    if column is None:
        message = (
            f"{name}: column {f.column_id!r} (title {f.title!r}) is not on {board_label} by id or by title; "
            + _candidates(entity, field_name, columns)
        )
        if spec.required:
            return FieldResolution(**common, resolved_by=how, column=None, errors=(message,))
        return FieldResolution(
            **common, resolved_by=how, column=None, warnings=(message + "; the field stays empty",)
        )
    errors: list[str] = []
    warnings: list[str] = []
    if column.type not in KIND_COLUMN_TYPES[f.kind] and column.type != "unsupported":
        message = (
            f"{name}: kind {f.kind!r} reads nothing from column {_describe(column)}; "
            f"use a column of type {', '.join(sorted(KIND_COLUMN_TYPES[f.kind]))} or another kind"
        )
        (errors if spec.required else warnings).append(message)
    if spec.value_sets:
        warnings.extend(_label_findings(entity, field_name, f, column, name))
    return FieldResolution(
        **common, resolved_by=how, column=column, errors=tuple(errors), warnings=tuple(warnings)
    )


def _label_findings(entity: str, field_name: str, f: FieldMapping, column: Column, name: str) -> list[str]:
    offered = column_labels(column)
    if not offered:
        return []
    offered_keys = {label.strip().lower() for label in offered}
    mapped = value_labels(entity, field_name, f)
    mapped_keys = {label.strip().lower() for labels in mapped.values() for label in labels}
    out = []
    unknown = [
        label for labels in mapped.values() for label in labels if label.strip().lower() not in offered_keys
    ]
    if unknown and f.values is not None:
        out.append(
            f"{name}: values name label(s) {', '.join(map(repr, unknown))} that column {column.id!r} "
            f"does not offer ({', '.join(offered)})"
        )
    unclassified = [label for label in offered if label.strip().lower() not in mapped_keys]
    if unclassified:
        out.append(
            f"{name}: label(s) {', '.join(map(repr, unclassified))} of column {column.id!r} are in no "
            f"value set ({', '.join(mapped) or 'none'}): " + _unclassified_effect(entity, field_name)
        )
    return out


def _unclassified_effect(entity: str, field_name: str) -> str:
    return {
        ("customers", "status"): "those customers count as active",
        ("orders", "status"): "those orders count as open",
        ("orders", "priority"): "those orders cannot be planned (invalid_priority)",
    }.get((entity, field_name), "they pass through as label codes")


def resolve_entity(
    mapping: BoardMapping, entity: str, columns: Sequence[Column] | None, *, board_name: str | None = None
) -> EntityResolution:
    """Resolve one entity's fields against its board's columns (None: the board was never read)."""
    em = mapping.entity(entity)
    label = f"board {em.board_id}" + (f" {board_name!r}" if board_name else "") + f" ({entity})"
    if columns is None:
        return EntityResolution(
            entity,
            em.board_id,
            (),
            errors=(
                f"{label}: no columns known for this board (it has not been pulled into this warehouse)",
            ),
        )
    fields = tuple(
        resolve_field(mapping, entity, name, em.fields.get(name), columns, label) for name in FIELDS[entity]
    )
    return EntityResolution(entity, em.board_id, fields)


def resolve_mapping(
    mapping: BoardMapping,
    columns_by_board: Mapping[str, Sequence[Column]],
    board_names: Mapping[str, str] | None = None,
) -> MappingResolution:
    board_names = board_names or {}
    return MappingResolution(
        {
            entity: resolve_entity(
                mapping,
                entity,
                columns_by_board.get(em.board_id),
                board_name=board_names.get(em.board_id),
            )
            for entity, em in mapping.entities.items()
        }
    )
