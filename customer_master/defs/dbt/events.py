"""What a dbt build yields to Dagster, completed once dbt has let go of the warehouse.

Row counts: dagster-dbt's `.fetch_row_counts()` queries through dbt's adapter from this process. On
DuckDB that waits for dbt to exit anyway (one writer per file), skips views, and leaves the adapter's
connection open in this process, which locks every other writer out of the file (dagster-io#16248).
So the events are held until dbt exits, then every built model, view and snapshot is counted through
our own short-lived warehouse session (warehouse/marts.py, the same SQL on DuckDB and SQL Server) and
the counts go on the materializations as `dagster/row_count`.

Failed dbt tests that store rows with a `message` (tests/generic/mapping_tests.sql) get those messages
as their description. Events are yielded in dbt's order, so each check still follows its model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation

from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.marts import failure_messages, mart_row_counts

ROW_COUNT = "dagster/row_count"
# dbt tests that store failing rows with a `message` naming what to fix (tests/generic/mapping_tests.sql).
MESSAGE_TESTS = frozenset({"required_fields_populated", "not_empty_when_board_has_items"})
# dbt resource types that leave a relation in the warehouse (ephemeral models are not assets here).
COUNTED_TYPES = frozenset({"model", "snapshot", "seed"})


def unique_id_of(event: Any) -> str | None:
    value = (getattr(event, "metadata", None) or {}).get("unique_id")
    return str(value.value if hasattr(value, "value") else value) if value is not None else None


def node_of(manifest: Mapping[str, Any], event: Any) -> Mapping[str, Any]:
    return manifest.get("nodes", {}).get(unique_id_of(event) or "", {})


def counted_relation(node: Mapping[str, Any]) -> str | None:
    """The relation a built node left behind (its alias, in the marts schema), or None."""
    if node.get("resource_type") not in COUNTED_TYPES:
        return None
    if (node.get("config") or {}).get("materialized") == "ephemeral":
        return None
    return node.get("alias") or node.get("name")


def says_what_to_fix(check: dg.AssetCheckResult, manifest: Mapping[str, Any]) -> bool:
    """A failed check of one of the MESSAGE_TESTS (by the generic test, whatever the test's own name)."""
    test = (node_of(manifest, check).get("test_metadata") or {}).get("name")
    return not check.passed and test in MESSAGE_TESTS


def with_failure_messages(check: dg.AssetCheckResult, wh: Warehouse, manifest: Mapping[str, Any]):
    """The failed check with the test's stored messages as its description and metadata."""
    relation = node_of(manifest, check).get("relation_name")
    if not relation:
        return check
    messages = failure_messages(wh, relation)
    return dg.AssetCheckResult(
        check_name=check.check_name,
        asset_key=check.asset_key,
        passed=check.passed,
        severity=check.severity,
        description=" | ".join(messages) or check.description,
        metadata={**check.metadata, "messages": dg.MetadataValue.json(messages)},
    )


def row_counts(wh: Warehouse, events: list[Any], manifest: Mapping[str, Any]) -> dict[str, int]:
    """Rows of each relation built in this invocation; a relation that cannot be counted is left out."""
    relations = {r for e in events if (r := counted_relation(node_of(manifest, e)))}
    counts = mart_row_counts(wh, sorted(relations)) if relations else {}
    return {name: n for name, n in counts.items() if n is not None}


def completed_events(invocation: DbtCliInvocation, wh: Warehouse, log) -> Iterator[Any]:
    """The invocation's events once dbt has exited, with row counts and failure messages added;
    then dbt's error, if any (so what was built is recorded before the step fails)."""
    events = list(invocation.stream())
    manifest = invocation.manifest
    outputs = [e for e in events if isinstance(e, (dg.Output, dg.AssetMaterialization))]
    try:
        counts = row_counts(wh, outputs, manifest)
    except Exception as exc:  # metadata must never fail a build that succeeded
        log.warning(f"row counts unavailable: {exc}")
        counts = {}
    for event in events:
        if isinstance(event, (dg.Output, dg.AssetMaterialization)):
            relation = counted_relation(node_of(manifest, event))
            if relation in counts:
                event = event.with_metadata({**event.metadata, ROW_COUNT: counts[relation]})
        elif isinstance(event, dg.AssetCheckResult) and says_what_to_fix(event, manifest):
            event = with_failure_messages(event, wh, manifest)
        yield event
    error = invocation.get_error()
    if error is not None:
        raise error
