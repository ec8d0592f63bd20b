"""Board mapping: Monday board and column ids -> typed fields of the dbt staging models.

`dbt_project/board_mapping.yml` is the file people edit; `load_board_mapping` validates it and
`render_field_map_csv` turns it into the dbt seed `dbt_project/seeds/monday_field_map.csv`, which the
staging models join to the long raw values (by column id, falling back to the column title).

    python -m customer_master.board_mapping [--mapping PATH] [--seed PATH] [--check]

validates the mapping and (re)writes the seed; `--check` only reports whether the seed is stale.
No dagster import here: the Dagster wiring and the tests use it alike.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_MAPPING_PATH = DBT_PROJECT_DIR / "board_mapping.yml"
DEFAULT_SEED_PATH = DBT_PROJECT_DIR / "seeds" / "monday_field_map.csv"

Entity = Literal["customers", "orders", "capacity"]
Kind = Literal["string", "number", "date", "date_to", "bool", "ids", "label"]
ENTITIES: tuple[str, ...] = ("customers", "orders", "capacity")
SEED_COLUMNS = ("entity", "board_id", "field", "column_id", "column_title", "kind", "extra_key")

# The SQL type ("lane") each kind lands in; the staging models read one lane per field.
KIND_LANE: dict[str, str] = {
    "string": "text",
    "label": "text",
    "ids": "text",
    "number": "number",
    "date": "date",
    "date_to": "date",
    "bool": "bool",
}

# Fields each staging model reads, with the lane it reads them from. Keep in step with
# models/staging/stg_monday__*.sql (the `monday_pivot` call of each model).
STAGING_FIELDS: dict[str, dict[str, str]] = {
    "customers": {
        "status": "text",
        "region": "text",
        "tier": "text",
        "email": "text",
        "phone": "text",
        "address": "text",
        "city": "text",
        "country": "text",
        "delivery_days": "text",
        "delivery_window": "text",
    },
    "orders": {
        "order_number": "text",
        "customer": "text",
        "status": "text",
        "priority": "text",
        "quantity": "number",
        "requested_date": "date",
        "promised_date": "date",
        "product": "text",
        "production_start": "date",
        "production_end": "date",
        "rush_approved": "bool",
        "delivered_date": "date",
    },
    "capacity": {
        "resource": "text",
        "capacity_date": "date",
        "capacity_units": "number",
        "maintenance": "bool",
        "overtime_units": "number",
    },
}


class BoardMappingError(ValueError):
    """The mapping file is invalid; the message names the offending path (e.g. entities.orders...)."""


class FieldMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    column_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    kind: Kind
    extra_key: str | None = Field(default=None, min_length=1)

    @field_validator("column_id", "title", "extra_key")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value is not None else None


class EntityMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    board_id: str = Field(min_length=1, pattern=r"^\d+$")
    fields: dict[str, FieldMapping] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_column_mapped_twice(self) -> EntityMapping:
        seen: dict[tuple[str, str, str | None], str] = {}
        for name, f in self.fields.items():
            key = (f.column_id, f.kind, f.extra_key)
            if key in seen:
                raise ValueError(
                    f"fields {seen[key]!r} and {name!r} both map column {f.column_id!r} as {f.kind!r}"
                    + (f" (extra_key {f.extra_key!r})" if f.extra_key else "")
                )
            seen[key] = name
        return self


class BoardMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    entities: dict[Entity, EntityMapping]

    @model_validator(mode="after")
    def _matches_staging_models(self) -> BoardMapping:
        missing = [e for e in ENTITIES if e not in self.entities]
        if missing:
            raise ValueError(f"missing entities: {', '.join(missing)}")
        for entity, em in self.entities.items():
            expected = STAGING_FIELDS[entity]
            unknown = sorted(set(em.fields) - set(expected))
            if unknown:
                raise ValueError(
                    f"entities.{entity}.fields: unknown field(s) {', '.join(unknown)} "
                    f"(staging reads: {', '.join(expected)})"
                )
            absent = [f for f in expected if f not in em.fields]
            if absent:
                raise ValueError(f"entities.{entity}.fields: missing field(s) {', '.join(absent)}")
            for name, f in em.fields.items():
                if KIND_LANE[f.kind] != expected[name]:
                    raise ValueError(
                        f"entities.{entity}.fields.{name}.kind: {f.kind!r} does not fit the "
                        f"{expected[name]!r} column the staging model reads"
                    )
        return self

    def rows(self) -> list[dict[str, str]]:
        """One seed row per (entity, field), in file order."""
        return [
            {
                "entity": entity,
                "board_id": em.board_id,
                "field": name,
                "column_id": f.column_id,
                "column_title": f.title,
                "kind": f.kind,
                "extra_key": f.extra_key or "",
            }
            for entity, em in self.entities.items()
            for name, f in em.fields.items()
        ]


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (plain YAML keeps the last one silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise BoardMappingError(
                f"{key!r} is defined twice (lines {seen[key]} and {key_node.start_mark.line + 1}); "
                "each field may be mapped only once"
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except BoardMappingError as exc:
        raise BoardMappingError(f"invalid board mapping {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise BoardMappingError(f"invalid board mapping {path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise BoardMappingError(f"invalid board mapping {path}: expected a mapping at the top level")
    try:
        return BoardMapping.model_validate(data)
    except ValidationError as exc:
        raise BoardMappingError(_format_errors(path, exc)) from None


def load_board_mapping(path: Path | str = DEFAULT_MAPPING_PATH) -> BoardMapping:
    path = Path(path)
    return parse_board_mapping(path.read_text(encoding="utf-8"), path)


def render_field_map_csv(mapping: BoardMapping) -> str:
    """The seed file's exact content (LF line endings, header first, file order)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SEED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(mapping.rows())
    return buf.getvalue()


def sync_field_map_seed(project_dir: Path | str = DBT_PROJECT_DIR) -> bool:
    """Validate `<project_dir>/board_mapping.yml` and (re)write `<project_dir>/seeds/monday_field_map.csv`.

    Raises BoardMappingError (naming the bad key) before anything is written; returns True when the
    seed changed. Called before every dbt run so the seed never lags the mapping.
    """
    project_dir = Path(project_dir)
    rendered = render_field_map_csv(load_board_mapping(project_dir / "board_mapping.yml"))
    seed = project_dir / "seeds" / "monday_field_map.csv"
    if seed.exists() and seed.read_text(encoding="utf-8") == rendered:
        return False
    seed.parent.mkdir(parents=True, exist_ok=True)
    seed.write_text(rendered, encoding="utf-8", newline="")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate the board mapping and write the dbt seed.")
    parser.add_argument("--mapping", type=Path, default=DEFAULT_MAPPING_PATH)
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the seed is not up to date")
    args = parser.parse_args(argv)
    try:
        mapping = load_board_mapping(args.mapping)
    except BoardMappingError as exc:
        print(exc, file=sys.stderr)
        return 2
    rendered = render_field_map_csv(mapping)
    current = args.seed.read_text(encoding="utf-8") if args.seed.exists() else None
    fields = sum(len(e.fields) for e in mapping.entities.values())
    if args.check:
        if current != rendered:
            print(f"{args.seed} is stale; run python -m customer_master.board_mapping", file=sys.stderr)
            return 1
        print(f"{args.seed} is up to date ({fields} fields)")
        return 0
    if current != rendered:
        args.seed.parent.mkdir(parents=True, exist_ok=True)
        args.seed.write_text(rendered, encoding="utf-8", newline="")
        print(f"wrote {args.seed} ({fields} fields)")
    else:
        print(f"{args.seed} unchanged ({fields} fields)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
