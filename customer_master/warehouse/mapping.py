"""The board mapping in the warehouse: what the guard reads, and the resolved mapping dbt reads.

`apply_board_mapping` is the orchestrator-free "before any model builds" step (like
`landing.land_board` and `planning.plan_day`): it checks the mapping against what the warehouse
holds (each entity's board was pulled by its asset, and is the board the mapping names; every
required field resolves to a column on that board's latest columns snapshot), then writes the
resolved mapping to `ops_board_mapping` / `ops_board_mapping_values` in one transaction. The
staging models read only those tables, so a dbt build can never use a mapping nobody checked.
Any failure raises `BoardMappingPreflightError` listing every problem, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from customer_master.board_mapping import (
    BoardMapping,
    MappingResolution,
    resolve_mapping,
    value_labels,
)
from customer_master.common import utcnow
from customer_master.monday.models import Column
from customer_master.warehouse.arrow import arrow_schema, columnar_table
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.loader import transaction
from customer_master.warehouse.sql import Statements
from customer_master.warehouse.tables import (
    OPS_BOARD_MAPPING,
    OPS_BOARD_MAPPING_VALUES,
    OPS_RUN_LOG,
    RAW_BOARDS,
    RAW_COLUMNS,
    TableSpec,
)

MONDAY_ASSET_PREFIX = "monday/"


class BoardMappingPreflightError(RuntimeError):
    """The mapping does not fit what was pulled; nothing was written and no model should build."""


@dataclass(frozen=True, slots=True)
class LastPull:
    asset: str
    board_id: str | None
    ended_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class MappingApplyReport:
    resolution: MappingResolution
    fields_written: int
    values_written: int
    warnings: list[str]


def _latest_columns_sql(st: Statements) -> str:
    """Every board's columns in its newest snapshot. No params."""
    ref = st.ref(RAW_COLUMNS)
    return (
        'SELECT c."board_id", c."column_id", c."title", c."column_type", c."settings_str", c."archived" '
        f'FROM {ref} c WHERE c."_partition_key" = (SELECT MAX(l."_partition_key") FROM {ref} l '
        'WHERE l."board_id" = c."board_id") ORDER BY c."board_id", c."position"'
    )


def _board_names_sql(st: Statements) -> str:
    return f'SELECT "board_id", "name" FROM {st.ref(RAW_BOARDS)}'


def _last_pulls_sql(st: Statements) -> str:
    """The latest successful run of each Monday asset, with the board it pulled. No params."""
    ref = st.ref(OPS_RUN_LOG)
    return (
        f'SELECT r."asset", r."board_id", r."ended_at" FROM {ref} r WHERE r."status" = \'success\' '
        'AND r."asset" LIKE \'monday/%\' AND r."ended_at" = (SELECT MAX(x."ended_at") FROM '
        f'{ref} x WHERE x."asset" = r."asset" AND x."status" = \'success\')'
    )


def _delete_all_sql(st: Statements, spec: TableSpec) -> str:
    return f"DELETE FROM {st.ref(spec)}"


def statement_catalog(st: Statements) -> dict[str, str]:
    """Every statement of this module (for the T-SQL parse test)."""
    out = {
        "latest_columns": _latest_columns_sql(st),
        "board_names": _board_names_sql(st),
        "last_pulls": _last_pulls_sql(st),
    }
    for spec in (OPS_BOARD_MAPPING, OPS_BOARD_MAPPING_VALUES):
        out[f"delete:{spec.name}"] = _delete_all_sql(st, spec)
        out[f"insert:{spec.name}"] = st.insert_values(st.ref(spec), spec.column_names)
    return out


def latest_board_columns(warehouse: Warehouse) -> tuple[dict[str, list[Column]], dict[str, str]]:
    """(board id -> columns of its newest snapshot, board id -> board name)."""
    with warehouse.session() as s:
        rows = s.query(_latest_columns_sql(warehouse.statements))
        names: dict[str, str | None] = dict(s.query(_board_names_sql(warehouse.statements)))
    columns: dict[str, list[Column]] = {}
    for board_id, column_id, title, column_type, settings_str, archived in rows:
        columns.setdefault(str(board_id), []).append(
            Column(
                id=str(column_id),
                title=title or str(column_id),
                type=column_type or "unsupported",
                settings_str=settings_str,
                archived=bool(archived),
            )
        )
    return columns, {str(k): str(v) for k, v in names.items() if v is not None}


def last_pulls(warehouse: Warehouse) -> dict[str, LastPull]:
    """entity -> the latest successful pull of `monday/<entity>` (board id, when)."""
    with warehouse.session() as s:
        rows = s.query(_last_pulls_sql(warehouse.statements))
    out = {}
    for asset, board_id, ended_at in rows:
        entity = str(asset).removeprefix(MONDAY_ASSET_PREFIX)
        out[entity] = LastPull(str(asset), None if board_id is None else str(board_id), ended_at)
    return out


def pull_mismatches(mapping: BoardMapping, pulls: dict[str, LastPull]) -> list[str]:
    """Each entity whose board the run did not pull, or whose asset pulled another board: both named.

    A pull recorded before the run log carried board ids (board_id NULL) cannot be compared and passes.
    """
    problems = []
    for entity, board_id in mapping.board_ids.items():
        pull = pulls.get(entity)
        asset = f"{MONDAY_ASSET_PREFIX}{entity}"
        where = mapping.board_where(entity)
        if pull is None:
            problems.append(
                f"the board mapping ({where}) maps {entity} to board {board_id}, but {asset} has never "
                f"pulled a board into this warehouse: materialize {asset} first"
            )
        elif pull.board_id is not None and pull.board_id != board_id:
            problems.append(
                f"the board mapping ({where}) maps {entity} to board {board_id}, but {asset} last pulled "
                f"board {pull.board_id} (at {pull.ended_at}): the mapping changed after that pull. "
                f"Re-run {asset} (it pulls the mapping's board) or fix board_id in the mapping"
            )
    return problems


def mapping_rows(
    mapping: BoardMapping, resolution: MappingResolution, applied_at: dt.datetime
) -> tuple[dict[str, list[object]], dict[str, list[object]]]:
    """The column lists of ops_board_mapping (mapped fields only) and ops_board_mapping_values."""
    fields: dict[str, list[object]] = {name: [] for name in OPS_BOARD_MAPPING.column_names}
    values: dict[str, list[object]] = {name: [] for name in OPS_BOARD_MAPPING_VALUES.column_names}
    for fr in resolution.fields():
        if fr.resolved_by == "unmapped":
            continue
        row = {
            "entity": fr.entity,
            "board_id": fr.board_id,
            "field": fr.field,
            "column_id": fr.column_id,
            "mapped_column_id": fr.mapped_column_id,
            "mapped_title": fr.mapped_title,
            "resolved_by": fr.resolved_by,
            "kind": fr.kind,
            "extra_key": fr.extra_key,
            "is_required": fr.required,
            "mapping_line": mapping.line_of(fr.entity, fr.field),
            "mapping_file": mapping.path,
            "applied_at": applied_at,
        }
        for name, value in row.items():
            fields[name].append(value)
        f = mapping.entity(fr.entity).fields[fr.field]
        for canonical, labels in value_labels(fr.entity, fr.field, f).items():
            for label in labels:
                for name, value in (
                    ("entity", fr.entity),
                    ("field", fr.field),
                    ("canonical", canonical),
                    ("label", label),
                    ("label_key", label.strip().lower()),
                ):
                    values[name].append(value)
    return fields, values


def _table(spec: TableSpec, columns: Mapping[str, Sequence[Any]]) -> pa.Table:
    return columnar_table(columns, spec, arrow_schema(spec), spec.name)


def write_mapping(
    warehouse: Warehouse, fields: Mapping[str, Sequence[Any]], values: Mapping[str, Sequence[Any]]
) -> None:
    """Replace both mapping tables in one transaction."""
    with warehouse.session() as s, transaction(s, warehouse.statements.rollback):
        for spec, columns in ((OPS_BOARD_MAPPING, fields), (OPS_BOARD_MAPPING_VALUES, values)):
            s.execute(_delete_all_sql(warehouse.statements, spec))
            table = _table(spec, columns)
            if table.num_rows:
                s.bulk_insert(warehouse.statements.ref(spec), spec, table)


def check_board_mapping(warehouse: Warehouse, mapping: BoardMapping) -> tuple[MappingResolution, list[str]]:
    """(the resolution against the latest pulled columns, every error) without writing anything."""
    columns, names = latest_board_columns(warehouse)
    resolution = resolve_mapping(mapping, columns, names)
    errors = [*pull_mismatches(mapping, last_pulls(warehouse)), *resolution.errors]
    return resolution, list(dict.fromkeys(errors))


def apply_board_mapping(
    warehouse: Warehouse, mapping: BoardMapping, *, now: dt.datetime | None = None
) -> MappingApplyReport:
    """Check the mapping against the warehouse and write it for dbt; raise (writing nothing) on any error."""
    resolution, errors = check_board_mapping(warehouse, mapping)
    if errors:
        raise BoardMappingPreflightError(
            f"the board mapping {mapping.path} does not fit the boards in the warehouse; no model was "
            "built:\n- " + "\n- ".join(errors)
        )
    fields, values = mapping_rows(mapping, resolution, now or utcnow())
    write_mapping(warehouse, fields, values)
    return MappingApplyReport(
        resolution=resolution,
        fields_written=len(fields["field"]),
        values_written=len(values["label"]),
        warnings=resolution.warnings,
    )


__all__ = [
    "BoardMappingPreflightError",
    "LastPull",
    "MappingApplyReport",
    "apply_board_mapping",
    "check_board_mapping",
    "last_pulls",
    "latest_board_columns",
    "mapping_rows",
    "pull_mismatches",
    "statement_catalog",
    "write_mapping",
]
