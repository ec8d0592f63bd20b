"""The board mapping file: validation messages with paths and lines, required vs optional fields, the
item name as a source, value sets, the one-source-of-truth rule for board ids, and the staging models
reading exactly the catalog's fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from customer_master.board_mapping import (
    DEFAULT_MAPPING_PATH,
    FIELDS,
    BoardMappingError,
    configured_mapping,
    legacy_board_conflicts,
    load_board_mapping,
    parse_board_mapping,
    required_fields,
    value_labels,
)
from customer_master.board_mapping.cli import main
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS
from customer_master.settings import Settings

STAGING_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging"


def _committed() -> dict:
    return yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))


def _parse(data: dict):
    return parse_board_mapping(yaml.safe_dump(data, sort_keys=False), "board_mapping.yml")


def test_the_committed_mapping_is_valid_and_points_at_the_sandbox_boards_and_columns():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    assert mapping.board_ids == BOARD_IDS
    for entity, em in mapping.entities.items():
        for field in em.fields.values():
            assert field.column_id in COLUMN_IDS[entity].values()


def test_every_field_knows_its_line_in_the_file():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    lines = DEFAULT_MAPPING_PATH.read_text(encoding="utf-8").splitlines()
    line = mapping.line_of("orders", "quantity")
    assert lines[line - 1].strip().startswith("quantity:")
    assert mapping.where("orders", "quantity") == f"board_mapping.yml line {line}"
    assert lines[int(mapping.board_where("capacity").split()[-1]) - 1].strip().startswith("board_id:")


def test_each_staging_model_pivots_exactly_the_catalog_fields_in_their_lanes():
    for entity in FIELDS:
        sql = (STAGING_DIR / f"stg_monday__{entity}.sql").read_text(encoding="utf-8")
        call = re.search(r"monday_pivot\('" + entity + r"', (\{.*?\})\)", sql, re.S)
        pivot = yaml.safe_load(call.group(1))
        assert pivot == {name: spec.lane for name, spec in FIELDS[entity].items()}


def test_the_required_fields_test_in_dbt_covers_every_required_field():
    models = yaml.safe_load((STAGING_DIR / "_monday__models.yml").read_text(encoding="utf-8"))["models"]
    declared = {}
    for model in models:
        for test in model.get("data_tests", []):
            if "required_fields_populated" in test:
                args = test["required_fields_populated"]["arguments"]
                declared[args["entity"]] = set(args["fields"])
    for entity in FIELDS:
        assert declared.get(entity, set()) == set(required_fields(entity)), entity


def test_an_unknown_key_is_refused_with_its_path():
    data = _committed()
    data["entities"]["orders"]["fields"]["quantity"]["colour"] = "red"
    with pytest.raises(BoardMappingError, match=r"entities\.orders\.fields\.quantity\.colour: unknown key"):
        _parse(data)


def test_an_unknown_kind_is_refused_with_the_allowed_kinds():
    data = _committed()
    data["entities"]["orders"]["fields"]["quantity"]["kind"] = "integer"
    with pytest.raises(BoardMappingError, match=r"entities\.orders\.fields\.quantity\.kind: Input should be"):
        _parse(data)


def test_an_empty_column_id_is_refused():
    data = _committed()
    data["entities"]["customers"]["fields"]["email"]["column_id"] = "  "
    with pytest.raises(BoardMappingError, match=r"entities\.customers\.fields\.email\.column_id"):
        _parse(data)


def test_a_field_defined_twice_is_refused_naming_the_field_and_lines():
    text = DEFAULT_MAPPING_PATH.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("quantity:"))
    doubled = text.replace(line, line + "\n" + line)
    with pytest.raises(BoardMappingError, match=r"'quantity' is defined twice \(lines \d+ and \d+\)"):
        parse_board_mapping(doubled, "board_mapping.yml")


def test_one_column_mapped_to_two_fields_the_same_way_is_refused():
    data = _committed()
    data["entities"]["orders"]["fields"]["promised_date"]["column_id"] = "date_mkq2rq8d"
    with pytest.raises(BoardMappingError, match=r"'requested_date' and 'promised_date' both map column"):
        _parse(data)


def test_a_kind_that_does_not_fit_the_field_is_refused():
    data = _committed()
    data["entities"]["orders"]["fields"]["quantity"]["kind"] = "string"
    with pytest.raises(BoardMappingError, match=r"orders\.fields\.quantity\.kind: 'string' does not fit"):
        _parse(data)


def test_optional_fields_may_be_left_out_or_set_to_null():
    data = _committed()
    del data["entities"]["customers"]["fields"]["tier"]
    data["entities"]["orders"]["fields"]["promised_date"] = {"column_id": None, "kind": "date"}
    del data["entities"]["capacity"]["fields"]["overtime_units"]
    mapping = _parse(data)
    assert "tier" not in mapping.entities["customers"].mapped()
    assert "promised_date" not in mapping.entities["orders"].mapped()


def test_a_required_field_left_out_or_null_is_refused_naming_it_and_how_to_fix_it():
    data = _committed()
    del data["entities"]["capacity"]["fields"]["capacity_units"]
    with pytest.raises(BoardMappingError, match=r"capacity\.fields\.capacity_units: required .* not mapped"):
        _parse(data)
    data = _committed()
    data["entities"]["orders"]["fields"]["quantity"] = {"column_id": None, "title": None, "kind": "number"}
    with pytest.raises(BoardMappingError, match=r"orders\.fields\.quantity: required .*board_mapping check"):
        _parse(data)


def test_an_unknown_field_or_entity_is_refused():
    data = _committed()
    data["entities"]["capacity"]["fields"]["shift"] = {"column_id": "x", "title": "Shift", "kind": "label"}
    with pytest.raises(BoardMappingError, match=r"capacity\.fields: unknown field\(s\) shift"):
        _parse(data)
    data = _committed()
    del data["entities"]["capacity"]
    with pytest.raises(BoardMappingError, match="missing entities: capacity"):
        _parse(data)
    data = _committed()
    data["entities"]["invoices"] = data["entities"]["orders"]
    with pytest.raises(BoardMappingError, match=r"entities\.invoices"):
        _parse(data)


def test_the_item_name_is_a_source_for_text_fields_only():
    data = _committed()
    data["entities"]["orders"]["fields"]["order_number"] = {
        "column_id": "name",
        "title": "Name",
        "kind": "string",
    }
    assert _parse(data).entities["orders"].fields["order_number"].reads_item_name
    data["entities"]["orders"]["fields"]["order_number"]["extra_key"] = "city"
    with pytest.raises(BoardMappingError, match="the item name is text"):
        _parse(data)


def test_value_sets_name_known_values_and_each_label_once():
    data = _committed()
    status = data["entities"]["customers"]["fields"]["status"]
    status["values"] = {"active": ["Active"], "inactive": ["Churned", " On hold ", "Prospect"]}
    mapping = _parse(data)
    assert value_labels("customers", "status", mapping.entities["customers"].fields["status"]) == {
        "active": ("Active",),
        "inactive": ("Churned", "On hold", "Prospect"),
    }
    status["values"] = {"gone": ["Churned"]}
    with pytest.raises(
        BoardMappingError, match=r"status\.values: unknown value\(s\) gone \(use: active, inactive\)"
    ):
        _parse(data)
    status["values"] = {"active": ["Active"], "inactive": ["active"]}
    with pytest.raises(
        BoardMappingError, match="label 'active' is listed under both 'active' and 'inactive'"
    ):
        _parse(data)
    data = _committed()
    data["entities"]["orders"]["fields"]["quantity"]["values"] = {"rush": ["1"]}
    with pytest.raises(BoardMappingError, match=r"quantity\.values: only status, priority take values"):
        _parse(data)


def test_without_values_the_default_labels_apply():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    labels = value_labels("orders", "priority", mapping.entities["orders"].fields["priority"])
    assert labels == {"rush": ("Rush",), "high": ("High",), "normal": ("Normal",), "low": ("Low",)}


def test_a_non_numeric_board_id_is_refused():
    data = _committed()
    data["entities"]["orders"]["board_id"] = "orders-board"
    with pytest.raises(BoardMappingError, match=r"entities\.orders\.board_id"):
        _parse(data)


def test_broken_yaml_and_a_missing_file_are_reported_with_what_to_do(tmp_path):
    with pytest.raises(BoardMappingError, match="not valid YAML"):
        parse_board_mapping("entities: [unclosed", "board_mapping.yml")
    with pytest.raises(BoardMappingError, match="not found: set CM_BOARD_MAPPING .* discover"):
        load_board_mapping(tmp_path / "nope.yml")


def test_board_ids_come_from_the_mapping_and_a_leftover_variable_that_disagrees_is_an_error(tmp_path):
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    assert legacy_board_conflicts(mapping, {"orders": BOARD_IDS["orders"]}) == []
    (conflict,) = legacy_board_conflicts(mapping, {"orders": "123"})
    assert "MONDAY_BOARD_ORDERS=123" in conflict and BOARD_IDS["orders"] in conflict
    settings = Settings(MONDAY_BOARD_ORDERS="123")  # type: ignore[call-arg]
    with pytest.raises(
        BoardMappingError, match=r"MONDAY_BOARD_ORDERS=123 but the board mapping \(board_mapping"
    ):
        configured_mapping(settings)
    own = tmp_path / "mine.yml"
    own.write_text(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8").replace(BOARD_IDS["orders"], "123"))
    assert (
        configured_mapping(Settings(CM_BOARD_MAPPING=str(own), MONDAY_BOARD_ORDERS="123")).board_ids[  # type: ignore[call-arg]
            "orders"
        ]
        == "123"
    )


def test_the_cli_validates_offline_and_reports_errors_with_their_path(tmp_path, capsys):
    assert main(["validate", "--mapping", str(DEFAULT_MAPPING_PATH)]) == 0
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\nentities: {}\nextra: 1\n", encoding="utf-8")
    assert main(["validate", "--mapping", str(bad)]) == 2
    assert "extra: unknown key" in capsys.readouterr().err
