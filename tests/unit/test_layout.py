"""Layout is the architecture: clients, warehouse, scheduling, monitoring and alerts never import
dagster (defs/ wires them); the rule is checked on the source, so a lazy import counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "customer_master"
DAGSTER_FREE = (
    "monday",
    "oms",
    "realtime",
    "warehouse",
    "scheduling",
    "monitoring",
    "alerts",
    "reports",
    "sandbox",
)


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
    # Two code locations: defs/ (definitions.py) and realtime_defs/ (realtime_definitions.py).
    allowed = {"definitions.py", "realtime_definitions.py", "demo.py"}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("defs", "realtime_defs") or str(rel) in allowed:
            continue
        assert not any(n.split(".")[0] == "dagster" for n in _imports(path)), str(rel)


def test_the_realtime_code_location_stays_light():
    """Every order-update run loads its code location before its first step, and a change has 30 s:
    the realtime location must not pull in dagster-dbt or dlt (seconds of imports each)."""
    import subprocess
    import sys

    code = (
        "import sys, customer_master.realtime_definitions as d; d.defs(); "
        "print(sorted(m for m in ('dagster_dbt', 'dlt', 'dagster_dlt') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
