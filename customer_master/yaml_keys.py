"""YAML that refuses duplicate keys (plain YAML keeps the last one silently): the board mapping and
the OMS source files are read with it, so a key written twice is an error naming both lines."""

from __future__ import annotations

from typing import Any

import yaml


class DuplicateKeyError(yaml.YAMLError):
    """`key` appears twice in one mapping: first on `first_line`, again on `line` (1-based)."""

    def __init__(self, key: object, first_line: int, line: int) -> None:
        super().__init__(f"{key!r} is defined twice (lines {first_line} and {line})")
        self.key, self.first_line, self.line = key, first_line, line


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise DuplicateKeyError(key, seen[key], line)
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_unique_keys(text: str) -> Any:
    """`yaml.safe_load`, but a duplicate key raises `DuplicateKeyError` (a `yaml.YAMLError`)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
