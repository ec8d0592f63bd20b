"""How dbt nodes become Dagster assets: groups by layer, and Monday sources joined to the board assets.

The `planning` source tables (plan_assignments, plan_capacity, plan_runs) are all written by the one
`delivery_plan` asset, so a model reading any of them depends on that asset instead.

The raw Monday tables are long and shared by every board, so a dbt source table cannot stand for
one board asset. Instead each `stg_monday__<board>` model depends directly on the `monday/<board>`
ingestion asset, which is the lineage that actually holds: the customers staging model changes
when the customers board is pulled. The UI then shows one connected graph from Monday to the marts.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

from customer_master.defs.shared import DELIVERY_PLAN_KEY

MONDAY_SOURCE = "monday"
PLANNING_SOURCE = "planning"
MONDAY_STAGING_PREFIX = "stg_monday__"
LAYER_GROUPS = {"staging": "dbt_staging", "intermediate": "dbt_intermediate", "marts": "marts"}


def layer_group(node: Mapping[str, Any]) -> str:
    """`models/<layer>/...` → the layer's group; snapshots and seeds get their own groups."""
    resource_type = node.get("resource_type")
    if resource_type == "snapshot":
        return "dbt_snapshots"
    if resource_type == "seed":
        return "dbt_seeds"
    fqn = node.get("fqn") or []
    layer = fqn[1] if len(fqn) > 2 else ""
    return LAYER_GROUPS.get(layer, "dbt_models")


def monday_board_of(node: Mapping[str, Any]) -> str | None:
    """The board a staging model reads: `meta.monday_board`, else the `stg_monday__<board>` name."""
    meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
    if meta.get("monday_board"):
        return str(meta["monday_board"])
    name = str(node.get("name", ""))
    return name.removeprefix(MONDAY_STAGING_PREFIX) if name.startswith(MONDAY_STAGING_PREFIX) else None


def is_source_of(key: dg.AssetKey, manifest: Mapping[str, Any], source_name: str) -> bool:
    """Whether an upstream key is one of the tables of the dbt source `source_name`."""
    source_keys = {
        tuple(_source_key(source)) for source in manifest.get("sources", {}).values()
        if source.get("source_name") == source_name
    }  # fmt: skip
    return tuple(key.path) in source_keys


def is_monday_source(key: dg.AssetKey, manifest: Mapping[str, Any]) -> bool:
    """Whether an upstream key is one of the `monday` dbt source tables."""
    return is_source_of(key, manifest, MONDAY_SOURCE)


def _source_key(source: Mapping[str, Any]) -> list[str]:
    return [source["source_name"], source["name"]]


class CustomerMasterTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = _node(manifest, unique_id)
        if node.get("resource_type") == "source":
            return spec
        spec = spec.replace_attributes(group_name=layer_group(node))
        reads_plan = any(is_source_of(dep.asset_key, manifest, PLANNING_SOURCE) for dep in spec.deps)
        if reads_plan:
            deps = [dep for dep in spec.deps if not is_source_of(dep.asset_key, manifest, PLANNING_SOURCE)]
            spec = spec.replace_attributes(deps=[*deps, dg.AssetDep(DELIVERY_PLAN_KEY)])
        board = monday_board_of(node)
        if board is None:
            return spec
        deps = [dep for dep in spec.deps if not is_source_of(dep.asset_key, manifest, MONDAY_SOURCE)]
        return spec.replace_attributes(deps=[*deps, dg.AssetDep(dg.AssetKey(["monday", board]))])


def _node(manifest: Mapping[str, Any], unique_id: str) -> Mapping[str, Any]:
    for section in ("nodes", "sources"):
        if unique_id in manifest.get(section, {}):
            return manifest[section][unique_id]
    return {}


# The UI's check list cuts names off at about this many characters.
CHECK_NAME_VISIBLE = 24


def check_name_clashes(
    check_keys: Iterable[dg.AssetCheckKey], width: int = CHECK_NAME_VISIBLE
) -> dict[str, list[str]]:
    """Checks of one asset whose names read the same in their first `width` characters, as
    '<asset>: <prefix>' -> the full names. dbt's default test names start with the test and the model
    (`coverage_above_customer_master_...`), so the yml names each test (`name:`) to keep this empty."""
    seen: dict[tuple[dg.AssetKey, str], list[str]] = {}
    for key in check_keys:
        seen.setdefault((key.asset_key, key.name[:width]), []).append(key.name)
    return {
        f"{asset.to_user_string()}: {prefix}": sorted(names)
        for (asset, prefix), names in seen.items()
        if len(names) > 1
    }
