"""The board mapping: which Monday board holds each entity and which column feeds each field.

One file (`dbt_project/board_mapping.yml`, or the file `CM_BOARD_MAPPING` names) is the single
source of the board ids and columns: the ingestion assets pull its boards, the pre-dbt guard
resolves its columns against the boards as pulled and writes the result for the staging models.

    python -m customer_master.board_mapping discover --customers ID --orders ID --capacity ID --out FILE
    python -m customer_master.board_mapping check [--mapping FILE]
    python -m customer_master.board_mapping validate [--mapping FILE]

No dagster import here: the Dagster wiring, the CLI and the tests use it alike.
"""

from customer_master.board_mapping.catalog import (
    ENTITIES,
    FIELDS,
    ITEM_NAME_COLUMN,
    KIND_LANE,
    FieldSpec,
    required_fields,
)
from customer_master.board_mapping.configured import configured_mapping, legacy_board_conflicts
from customer_master.board_mapping.model import (
    BoardMapping,
    BoardMappingError,
    EntityMapping,
    FieldMapping,
    WriteBackColumn,
    WriteBackMapping,
    load_board_mapping,
    parse_board_mapping,
    value_labels,
)
from customer_master.board_mapping.resolve import (
    EntityResolution,
    FieldResolution,
    MappingResolution,
    column_labels,
    find_column,
    resolve_entity,
    resolve_mapping,
)
from customer_master.settings import PROJECT_ROOT

# The repository's mapping: the sandbox's boards (what `make demo` runs on).
DEFAULT_MAPPING_PATH = PROJECT_ROOT / "dbt_project" / "board_mapping.yml"

__all__ = [
    "DEFAULT_MAPPING_PATH",
    "ENTITIES",
    "FIELDS",
    "ITEM_NAME_COLUMN",
    "KIND_LANE",
    "BoardMapping",
    "BoardMappingError",
    "EntityMapping",
    "EntityResolution",
    "FieldMapping",
    "FieldResolution",
    "FieldSpec",
    "MappingResolution",
    "WriteBackColumn",
    "WriteBackMapping",
    "column_labels",
    "configured_mapping",
    "legacy_board_conflicts",
    "find_column",
    "load_board_mapping",
    "parse_board_mapping",
    "required_fields",
    "resolve_entity",
    "resolve_mapping",
    "value_labels",
]
