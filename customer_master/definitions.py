"""The Dagster code location: every module under `defs/` plus nothing hidden.

`dagster dev -w workspace.yaml` (`make ui`), `dg dev`, `dagster job execute -m
customer_master.definitions` and `dagster_cloud.yaml` all load this module, under one code location
name, `customer_master`.
"""

from pathlib import Path

import dagster as dg

from customer_master.defs.monitoring.freshness import unwatched_rules, with_freshness_policy

# Steps run one after the other in the run's own process. Every asset here writes the warehouse, in
# the `warehouse` pool of limit 1, so steps never run in parallel; the default multiprocess executor
# only added a process per step that imports dagster, dbt and this code location again (~10 s each)
# plus the pool's blocked-step polling (backing off to 15 s): a UI-launched nightly run took 4x the
# CLI's time (benchmarks/bench_ui_run.py).
DEFAULT_EXECUTOR = dg.in_process_executor


def with_freshness_policies(definitions: dg.Definitions) -> dg.Definitions:
    """Every freshness rule (defs/monitoring/freshness.py) attached to its asset here, in one place,
    instead of each domain importing the rules; a rule whose asset does not exist is an error."""
    assets = list(definitions.assets or [])
    if len({id(asset) for asset in assets}) != len(assets):
        # The folder loader collects every module-level name, so a module that imports an asset by
        # name holds it twice; mapping would make those two definitions of the same keys.
        raise ValueError("an asset is imported by name into another defs module: import its module instead")
    mapped = definitions.permissive_map_resolved_asset_specs(func=with_freshness_policy, selection=None)
    keys = {spec.key.to_user_string() for spec in mapped.resolve_all_asset_specs()}
    missing = unwatched_rules(keys)
    if missing:
        raise ValueError(f"freshness rules name assets that do not exist: {missing}")
    return mapped


@dg.definitions
def defs() -> dg.Definitions:
    return with_freshness_policies(
        dg.Definitions.merge(
            dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
            dg.Definitions(executor=DEFAULT_EXECUTOR),
        )
    )
