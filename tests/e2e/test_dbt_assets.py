"""The dbt project as Dagster assets: one lineage graph from the Monday boards to the marts, dbt
tests as asset checks, metadata the UI can show. What the UI shows of a real nightly run (row counts,
check partitions, percentages) is in test_nightly_pipeline.py, on the session's nightly runs."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.remote_representation.external_data import RepositorySnap

from customer_master.definitions import defs
from customer_master.defs.dbt.assets import customer_master_dbt
from customer_master.defs.dbt.project import dbt_project

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

# Keys the webserver never shows (its HIDDEN_METADATA_ENTRY_LABELS): dagster-dbt's in-process objects.
UI_HIDDEN_METADATA = {"dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator"}


@pytest.fixture(scope="module")
def asset_graph():
    return defs().resolve_asset_graph()


def _key(*path: str) -> dg.AssetKey:
    return dg.AssetKey(list(path))


def test_each_staging_model_hangs_off_its_monday_board_asset(asset_graph):
    for board in ("customers", "orders", "capacity"):
        parents = asset_graph.get(_key(f"stg_monday__{board}")).parent_keys
        assert _key("monday", board) in parents
        assert not any(p.path[0] == "monday" and p.path[-1].startswith("raw_") for p in parents)


def test_the_marts_reach_back_to_the_monday_boards(asset_graph):
    assert _key("monday", "orders") in asset_graph.upstream_key_iterator(_key("order_master"))
    assert _key("monday", "customers") in asset_graph.upstream_key_iterator(_key("customer_master"))
    assert asset_graph.get(_key("customer_master")).group_name == "marts"
    assert asset_graph.get(_key("stg_monday__orders")).group_name == "dbt_staging"


def test_dbt_tests_are_asset_checks_blocking_where_severity_is_error():
    specs = {spec.name: spec for spec in customer_master_dbt.check_specs}
    unique_customer = specs["customer_id_unique"]
    assert unique_customer.asset_key == _key("customer_master")
    assert unique_customer.blocking
    assert not specs[
        "email_coverage"
    ].blocking  # a warn-severity business rule reports, it does not stop the run


def test_the_dbt_assets_metadata_is_all_serializable_for_the_ui():
    # What the webserver receives: before, `dagster_dbt/project` read "[DbtProject] (unserializable)".
    repo = defs().get_repository_def()
    nodes = {n.asset_key: n for n in RepositorySnap.from_def(repo).asset_nodes}
    metadata = nodes[_key("customer_master")].metadata
    shown = {k: v for k, v in metadata.items() if k not in UI_HIDDEN_METADATA}
    assert not [k for k, v in shown.items() if "(unserializable)" in str(getattr(v, "value", ""))]
    assert metadata["dagster_dbt/project"] == dg.MetadataValue.path(str(dbt_project.project_dir))
