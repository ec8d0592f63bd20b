"""The translator's pure decisions: layer groups, and which Monday board a staging model reads."""

import dagster as dg

from customer_master.defs.dbt.translator import is_monday_source, layer_group, monday_board_of


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
