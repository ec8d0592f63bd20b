"""Layout is the architecture: clients, warehouse, scheduling, monitoring and alerts never import
dagster (defs/ wires them); the rule is checked on the source, so a lazy import counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "customer_master"
DAGSTER_FREE = ("monday", "oms", "realtime", "warehouse", "scheduling", "monitoring", "alerts", "sandbox")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("room", DAGSTER_FREE)
def test_room_never_imports_dagster(room):
    files = sorted((PACKAGE / room).rglob("*.py"))
    assert files, room
    for path in files:
        bad = [n for n in _imports(path) if n.split(".")[0] in ("dagster", "dagster_dbt", "dagster_dlt")]
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_only_defs_and_the_entry_points_import_dagster():
    allowed = {"definitions.py", "demo.py"}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "defs" or str(rel) in allowed:
            continue
        assert not any(n.split(".")[0] == "dagster" for n in _imports(path)), str(rel)
