"""The translator's pure decisions: layer groups, which Monday board a staging model reads, and check
names that read apart in the UI (over the real manifest)."""

import json
from collections import Counter

import dagster as dg

from customer_master.defs.dbt.translator import (
    CHECK_NAME_VISIBLE,
    check_name_clashes,
    is_monday_source,
    layer_group,
    monday_board_of,
)


def _model(name: str, layer: str, **extra) -> dict:
    return {"resource_type": "model", "name": name, "fqn": ["customer_master", layer, name], **extra}


def test_models_are_grouped_by_their_layer_folder():
    assert layer_group(_model("stg_monday__orders", "staging")) == "dbt_staging"
    assert layer_group(_model("int_orders__unioned", "intermediate")) == "dbt_intermediate"
    assert layer_group(_model("order_master", "marts")) == "marts"
    assert layer_group(_model("loose_model", "elsewhere")) == "dbt_models"


def test_snapshots_and_seeds_have_groups_of_their_own():
    assert (
        layer_group({"resource_type": "snapshot", "fqn": ["customer_master", "orders_snapshot"]})
        == "dbt_snapshots"
    )
    assert (
        layer_group({"resource_type": "seed", "fqn": ["customer_master", "monday_field_map"]}) == "dbt_seeds"
    )


def test_a_staging_model_names_its_board_by_convention_or_meta():
    assert monday_board_of(_model("stg_monday__customers", "staging")) == "customers"
    assert (
        monday_board_of(_model("stg_board", "staging", config={"meta": {"monday_board": "capacity"}}))
        == "capacity"
    )
    assert monday_board_of(_model("customer_master", "marts")) is None


def test_only_monday_source_tables_count_as_monday_sources():
    manifest = {
        "sources": {
            "source.customer_master.monday.raw_monday_items": {
                "source_name": "monday",
                "name": "raw_monday_items",
            },
            "source.customer_master.ops.ops_run_log": {"source_name": "ops", "name": "ops_run_log"},
        }
    }
    assert is_monday_source(dg.AssetKey(["monday", "raw_monday_items"]), manifest)
    assert not is_monday_source(dg.AssetKey(["ops", "ops_run_log"]), manifest)
    assert not is_monday_source(dg.AssetKey(["monday", "orders"]), manifest)


def test_check_names_that_read_the_same_in_the_ui_are_found_per_asset():
    mart, other = dg.AssetKey("customer_master"), dg.AssetKey("order_master")
    keys = [
        dg.AssetCheckKey(mart, "coverage_above_customer_master_address"),
        dg.AssetCheckKey(mart, "coverage_above_customer_master_email"),
        dg.AssetCheckKey(mart, "address_coverage"),
        dg.AssetCheckKey(other, "coverage_above_customer_master_zip"),  # another asset: no clash
    ]
    assert check_name_clashes(keys) == {
        "customer_master: coverage_above_customer_": [
            "coverage_above_customer_master_address",
            "coverage_above_customer_master_email",
        ]
    }


def test_every_dbt_check_reads_apart_from_the_other_checks_of_its_asset():
    # The real dbt assets over the manifest `make manifest` / `dbt parse` writes.
    from customer_master.defs.dbt.assets import customer_master_dbt, schedule_models_dbt

    keys = [*customer_master_dbt.check_keys, *schedule_models_dbt.check_keys]
    assert len(keys) > 100
    assert check_name_clashes(keys, CHECK_NAME_VISIBLE) == {}


def test_dbt_test_names_are_unique_in_the_project():
    # Same-named tests in one folder share an fqn, by which dagster-dbt selects a check subset.
    from customer_master.defs.dbt.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    names = Counter(n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test")
    assert [name for name, n in names.items() if n > 1] == []
