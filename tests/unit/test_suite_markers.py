"""Every test that starts Dagster or dbt is marked `slow`, so `make test-fast` (`-m "not slow"`) stays
a quick loop.

A test starts Dagster or dbt when it (or a helper or fixture of its own module that it uses) runs an
asset or job, evaluates a sensor or schedule tick, loads the code location, calls dbt, or runs the
`dagster`/`dbt`/`dg` commands. Read from the source (AST), so a new test cannot forget the mark.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
# Calls that start a Dagster run or tick, load the code location, or run dbt.
STARTING_CALLS = frozenset(
    {
        "materialize",
        "materialize_to_memory",
        "execute_in_process",
        "evaluate_tick",
        "validate_loadable",
        "defs",
        "run_dbt",
        "dbtRunner",
    }
)
# A command line (a list literal) whose program is dagster, dbt or dg: `[DAGSTER, "asset", ...]`,
# `[str(venv_bin / "dg"), "check", "defs"]`.
COMMAND = re.compile(r"""\b(DAGSTER|DBT|DG)\b|["'](dagster|dbt|dg)["']""")


def _is_slow_mark(node: ast.expr) -> bool:
    return ast.unparse(node) in ("pytest.mark.slow", "slow")


def _module_is_slow(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            values = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
            if any(_is_slow_mark(v) for v in values):
                return True
    return False


def _called_names(function: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            target = node.func
            names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
        elif isinstance(node, ast.List) and node.elts and COMMAND.search(ast.unparse(node.elts[0])):
            names.add("COMMAND")
    return names


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    found: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            found.update({f"{node.name}.{n.name}": n for n in node.body if isinstance(n, ast.FunctionDef)})
    return found


def _classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def _starting_functions(functions: dict[str, ast.FunctionDef], classes: dict[str, ast.ClassDef]) -> set[str]:
    """Module functions that start Dagster or dbt, directly or through other functions and classes of
    the module (helpers they call or instantiate, fixtures they take as parameters)."""
    uses = {name: _called_names(fn) | {a.arg for a in fn.args.args} for name, fn in functions.items()}
    uses.update({name: _called_names(cls) for name, cls in classes.items()})
    starting = {n for n, used in uses.items() if used & (STARTING_CALLS | {"COMMAND"})}
    short = {name.rsplit(".", 1)[-1]: name for name in uses if "." not in name}
    changed = True
    while changed:
        changed = False
        for name, used in uses.items():
            if name not in starting and any(short.get(u) in starting for u in used):
                starting.add(name)
                changed = True
    return starting


def unmarked_tests(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if _module_is_slow(tree):
        return []
    functions = _functions(tree)
    starting = _starting_functions(functions, _classes(tree))
    return sorted(
        name
        for name in starting
        if name in functions
        and name.rsplit(".", 1)[-1].startswith("test_")
        and not any(_is_slow_mark(d) for d in functions[name].decorator_list)
    )


def test_every_test_that_starts_dagster_or_dbt_is_marked_slow():
    offenders = {
        str(path.relative_to(TESTS)): names
        for path in sorted(TESTS.rglob("test_*.py"))
        if (names := unmarked_tests(path))
    }
    assert not offenders, f"mark these @pytest.mark.slow (or the module's pytestmark): {offenders}"


def test_the_detector_sees_a_dbt_call_through_a_helper_and_a_fixture(tmp_path):
    source = tmp_path / "test_example.py"
    source.write_text(
        "import pytest\n"
        "def _build(work):\n    return run_dbt(['build'], work)\n"
        "@pytest.fixture\ndef built(tmp_path):\n    return _build(tmp_path)\n"
        "def test_uses_fixture(built):\n    assert built\n"
        "@pytest.mark.slow\ndef test_marked(tmp_path):\n    _build(tmp_path)\n"
        "def test_pure():\n    assert 1 + 1 == 2\n"
    )
    assert unmarked_tests(source) == ["test_uses_fixture"]
