"""The board mapping file: validation messages, seed rendering, and the committed seed being current."""

from __future__ import annotations

import pytest
import yaml

from customer_master.board_mapping import (
    DEFAULT_MAPPING_PATH,
    DEFAULT_SEED_PATH,
    SEED_COLUMNS,
    BoardMappingError,
    load_board_mapping,
    main,
    parse_board_mapping,
    render_field_map_csv,
    sync_field_map_seed,
)
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS


def _committed() -> dict:
    return yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))


def _parse(data: dict):
    return parse_board_mapping(yaml.safe_dump(data, sort_keys=False), "board_mapping.yml")


def test_the_committed_mapping_is_valid_and_points_at_the_sandbox_boards_and_columns():
    mapping = load_board_mapping()
    for entity, em in mapping.entities.items():
        assert em.board_id == BOARD_IDS[entity]
        for field in em.fields.values():
            assert field.column_id in COLUMN_IDS[entity].values()


def test_the_committed_seed_equals_the_rendering_of_the_committed_mapping():
    assert DEFAULT_SEED_PATH.read_text(encoding="utf-8") == render_field_map_csv(load_board_mapping())


def test_the_seed_has_one_row_per_entity_field_with_board_and_kind():
    csv_text = render_field_map_csv(load_board_mapping())
    lines = csv_text.splitlines()
    assert lines[0] == ",".join(SEED_COLUMNS)
    assert "orders,7000000002,quantity,numeric_mkq2qt4v,Quantity,number," in lines
    assert "customers,7000000001,city,location_mkq1ad3r,Address,string,city" in lines
    assert len(lines) == 1 + sum(len(e.fields) for e in load_board_mapping().entities.values())


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


def test_a_kind_that_does_not_fit_the_staging_column_is_refused():
    data = _committed()
    data["entities"]["orders"]["fields"]["quantity"]["kind"] = "string"
    with pytest.raises(BoardMappingError, match=r"orders\.fields\.quantity\.kind: 'string' does not fit"):
        _parse(data)


def test_a_missing_or_unknown_field_or_entity_is_refused():
    data = _committed()
    del data["entities"]["capacity"]["fields"]["overtime_units"]
    with pytest.raises(BoardMappingError, match=r"capacity\.fields: missing field\(s\) overtime_units"):
        _parse(data)
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


def test_a_non_numeric_board_id_is_refused():
    data = _committed()
    data["entities"]["orders"]["board_id"] = "orders-board"
    with pytest.raises(BoardMappingError, match=r"entities\.orders\.board_id"):
        _parse(data)


def test_broken_yaml_is_reported_as_invalid_mapping():
    with pytest.raises(BoardMappingError, match="not valid YAML"):
        parse_board_mapping("entities: [unclosed", "board_mapping.yml")


def test_the_cli_writes_the_seed_and_checks_it(tmp_path, capsys):
    seed = tmp_path / "seeds" / "monday_field_map.csv"
    assert main(["--seed", str(seed), "--check"]) == 1
    assert main(["--seed", str(seed)]) == 0
    assert seed.read_text(encoding="utf-8") == DEFAULT_SEED_PATH.read_text(encoding="utf-8")
    assert main(["--seed", str(seed), "--check"]) == 0
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\nentities: {}\nextra: 1\n", encoding="utf-8")
    assert main(["--mapping", str(bad), "--seed", str(seed)]) == 2
    assert "extra: unknown key" in capsys.readouterr().err


def test_sync_writes_the_seed_only_when_it_changed_and_refuses_a_bad_mapping(tmp_path):
    (tmp_path / "board_mapping.yml").write_text(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))
    assert sync_field_map_seed(tmp_path) is True
    seed = tmp_path / "seeds" / "monday_field_map.csv"
    assert seed.read_text(encoding="utf-8") == DEFAULT_SEED_PATH.read_text(encoding="utf-8")
    assert sync_field_map_seed(tmp_path) is False
    (tmp_path / "board_mapping.yml").write_text("version: 1\nentities:\n  orders: {board_id: x}\n")
    with pytest.raises(BoardMappingError, match=r"entities\.orders\.board_id"):
        sync_field_map_seed(tmp_path)
    assert seed.read_text(encoding="utf-8") == DEFAULT_SEED_PATH.read_text(encoding="utf-8")
