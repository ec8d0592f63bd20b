"""The mapping this deployment runs with: the file settings name, checked against leftover variables."""

from __future__ import annotations

from customer_master.board_mapping.model import BoardMapping, BoardMappingError, load_board_mapping
from customer_master.settings import Settings, get_settings


def legacy_board_conflicts(mapping: BoardMapping, legacy_ids: dict[str, str]) -> list[str]:
    """A MONDAY_BOARD_<ENTITY> left in the environment that names another board than the mapping."""
    return [
        f"MONDAY_BOARD_{entity.upper()}={board_id} but the board mapping ({mapping.board_where(entity)}) "
        f"maps {entity} to board {mapping.board_ids[entity]}"
        for entity, board_id in sorted(legacy_ids.items())
        if board_id != mapping.board_ids[entity]
    ]


def configured_mapping(settings: Settings | None = None) -> BoardMapping:
    """Load and validate the mapping file (CM_BOARD_MAPPING); raise BoardMappingError naming what to fix."""
    settings = settings or get_settings()
    mapping = load_board_mapping(settings.board_mapping_path)
    conflicts = legacy_board_conflicts(mapping, settings.legacy_board_ids)
    if conflicts:
        raise BoardMappingError(
            "board ids live in the board mapping only (CM_BOARD_MAPPING, default "
            "dbt_project/board_mapping.yml); "
            "MONDAY_BOARD_* variables are no longer read, and these disagree with it: "
            + "; ".join(conflicts)
            + ". Unset them, or point CM_BOARD_MAPPING at a mapping for those boards "
            "(python -m customer_master.board_mapping discover writes one)."
        )
    return mapping
