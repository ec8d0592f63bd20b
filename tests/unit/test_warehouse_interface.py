"""One warehouse interface: `base.Warehouse` declares what callers use, both engines implement all of
it, and no caller reaches past it (no private method, no engine class, no engine-only method).

mypy is not installed in this environment, so the structural checks are done here: the protocol's
members against both classes' signatures, and every attribute callers read on a warehouse.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import customer_master
from customer_master.defs.resources import WarehouseResource
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.sqlserver import SqlServerWarehouse

PACKAGE = Path(customer_master.__file__).resolve().parent
# The engine itself: the only modules that may name the implementation classes or their hooks.
ENGINE_MODULES = {"loader.py", "duckdb.py", "sqlserver.py", "factory.py"}
PROTOCOL_MEMBERS = sorted(n for n in dir(Warehouse) if not n.startswith("_"))
RESOURCE_MEMBERS = {n for n in dir(WarehouseResource) if not n.startswith("_")}


def _callers() -> list[Path]:
    return [
        p
        for p in PACKAGE.rglob("*.py")
        if not (p.parent.name == "warehouse" and p.parent.parent == PACKAGE and p.name in ENGINE_MODULES)
    ]


def test_the_protocol_declares_what_callers_need():
    assert {
        "statements",
        "session",
        "query",
        "begin_board_load",
        "sync_state",
        "active_item_ids",
        "record_run",
        "table_counts",
        "table_rows",
        "staging_tables",
        "ensure_schema",
        "publish_for_analysts",
    } <= set(PROTOCOL_MEMBERS)


ENGINES = {
    "duckdb": lambda: DuckDBWarehouse("unused.duckdb"),  # nothing is opened until first use
    "sqlserver": lambda: SqlServerWarehouse("SERVER=db;UID=u;PWD=p"),
}


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("member", PROTOCOL_MEMBERS)
def test_both_engines_implement_every_member_with_its_signature(engine, member):
    instance = ENGINES[engine]()
    declared = getattr(Warehouse, member)
    if isinstance(declared, property):  # satisfied by an attribute set in __init__
        assert hasattr(instance, member)
        return
    implemented = getattr(type(instance), member)
    want = [(p.name, p.kind) for p in inspect.signature(declared).parameters.values()]
    have = [(p.name, p.kind) for p in inspect.signature(implemented).parameters.values()]
    assert have[: len(want)] == want, f"{engine}.{member}{inspect.signature(implemented)}"


def test_no_caller_imports_an_engine_class_or_uses_a_private_warehouse_method():
    engine_names = {"SqlWarehouse", "DuckDBWarehouse", "SqlServerWarehouse"}
    private = {"_open_session", "_ensure", "_ensure_on", "_ensured"}
    offenders = []
    for path in _callers():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                offenders += [f"{path.name}: imports {a.name}" for a in node.names if a.name in engine_names]
            elif isinstance(node, ast.Attribute) and node.attr in private:
                offenders.append(f"{path.name}:{node.lineno} uses .{node.attr}")
    # A board load is a caller too: it opens its session through the public `session()`.
    loader = ast.parse((PACKAGE / "warehouse" / "loader.py").read_text())
    load_class = next(n for n in loader.body if isinstance(n, ast.ClassDef) and n.name == "StagedBoardLoad")
    for node in ast.walk(load_class):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "warehouse"
            and node.attr.startswith("_")
        ):
            offenders.append(f"loader.py:{node.lineno} StagedBoardLoad uses warehouse.{node.attr}")
    assert offenders == []


def test_callers_read_only_protocol_members_on_a_warehouse():
    """Every `warehouse.x` / `wh.x` outside the engine is a protocol member (or, in defs, a member
    of the Dagster resource of the same name)."""
    allowed = set(PROTOCOL_MEMBERS) | RESOURCE_MEMBERS
    offenders = []
    for path in _callers():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in {"warehouse", "wh"}
                and node.attr not in allowed
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} .{node.attr}")
    assert offenders == []
