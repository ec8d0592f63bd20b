"""Plan write-back, the pure parts: notes in words, value normalisation and Monday's value JSON, the
queries against the sandbox's GraphQL schema, the `write_back` block of the board mapping, resolving
it against a board's columns, the SQL as T-SQL, the report's metadata, and the receiver ignoring the
write-back columns' events."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlglot
import yaml
from graphql import build_schema, parse, validate

from customer_master.board_mapping import DEFAULT_MAPPING_PATH, BoardMappingError, load_board_mapping
from customer_master.board_mapping import parse_board_mapping as parse_mapping
from customer_master.monday.models import Column
from customer_master.monday.write_back import (
    CURRENT_VALUES_QUERY,
    PlannedValues,
    TargetColumn,
    WriteBackConfigError,
    WriteBackReport,
    WriteBackStatements,
    WriteFailure,
    board_text,
    column_value,
    desired_text,
    mutation_batch,
    plan_note,
    resolve_write_back,
    same_value,
    write_back_column_ids,
)
from customer_master.realtime.receiver import monday_event, watch_verdict
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, WorkspaceSpec, generate_workspace
from customer_master.sandbox.engine import SCHEMA_PATH
from customer_master.warehouse.sqlserver import statements

PLAN_DAY = dt.date(2026, 11, 23)
OC = COLUMN_IDS["orders"]
ORDERS = BOARD_IDS["orders"]
STATUS = TargetColumn(
    "plan_status",
    "color_x",
    "Plan status",
    "status",
    {"scheduled": ("Scheduled",), "late": ("Late", "Delayed"), "unschedulable": ("Unschedulable",)},
)
DATE = TargetColumn("planned_date", "date_x", "Planned delivery", "date")
NOTE = TargetColumn("plan_note", "text_x", "Plan note", "text")


def _committed() -> dict:
    return yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))


def _parse(data: dict):
    return parse_mapping(yaml.safe_dump(data, sort_keys=False), "board_mapping.yml")


def _planned(status="scheduled", day=PLAN_DAY, line="Line 1", note=None) -> PlannedValues:
    return PlannedValues("monday:1", "1", "SO-1", status, day, line, note)


# --------------------------------------------------------------------------- values


def test_the_note_says_how_late_and_why_or_why_unschedulable_in_words():
    assert plan_note("scheduled", None, 0, PLAN_DAY, PLAN_DAY) is None
    assert plan_note("late", None, 3, PLAN_DAY - dt.timedelta(days=2), PLAN_DAY) == (
        "Late by 3 days: past due when planned"
    )
    assert plan_note("late", None, 1, PLAN_DAY + dt.timedelta(days=4), PLAN_DAY) == (
        "Late by 1 day: pushed by capacity"
    )
    assert plan_note("unschedulable", "customer_inactive", 0, None, PLAN_DAY) == (
        "Unschedulable: the customer is inactive"
    )
    assert plan_note("unschedulable", "some_new_code", 0, None, PLAN_DAY) == "Unschedulable: some new code"


def test_board_values_compare_normalised_and_any_label_of_the_status_counts():
    assert board_text(DATE, "2026-12-04 10:00") == "2026-12-04"
    assert same_value(
        DATE, board_text(DATE, "2026-12-04"), desired_text(DATE, _planned(day=dt.date(2026, 12, 4)))
    )
    assert same_value(STATUS, "delayed", desired_text(STATUS, _planned("late")))
    assert not same_value(STATUS, "Scheduled", desired_text(STATUS, _planned("late")))
    assert desired_text(STATUS, _planned("late")) == "Late"  # the first label is written
    assert same_value(NOTE, board_text(NOTE, "  Late by  2 days "), "Late by 2 days")
    assert desired_text(DATE, _planned("unschedulable", day=None)) == ""


def test_values_are_monday_column_json_and_an_empty_value_clears_the_cell():
    assert column_value(DATE, "2026-12-04") == {"date": "2026-12-04"}
    assert column_value(STATUS, "Late") == {"label": "Late"}
    assert column_value(NOTE, "Late by 2 days") == "Late by 2 days"
    assert column_value(DATE, "") == "" and column_value(NOTE, "") == ""
    long = TargetColumn("plan_note", "long_text_x", "Plan note", "long_text")
    assert column_value(long, "x") == {"text": "x"}
    dropdown = TargetColumn("plan_status", "dropdown_x", "Plan status", "dropdown")
    assert column_value(dropdown, "Late") == {"labels": ["Late"]}


def test_the_queries_are_valid_against_the_sandbox_schema():
    schema = build_schema(SCHEMA_PATH.read_text())
    assert validate(schema, parse(CURRENT_VALUES_QUERY)) == []
    batch = mutation_batch(3)
    assert validate(schema, parse(batch)) == []
    assert re.findall(r"\bw\d+:", batch) == ["w0:", "w1:", "w2:"]


# --------------------------------------------------------------------------- the mapping


def test_the_committed_mapping_writes_back_to_the_sandbox_columns():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    block = mapping.entities["orders"].write_back
    assert block is not None
    assert {n: c.column_id for n, c in block.columns().items() if c} == {
        n: OC[n] for n in ("planned_date", "planned_line", "plan_status", "plan_note")
    }
    assert write_back_column_ids(mapping) == {(ORDERS, OC[n]) for n in block.columns()}
    lines = DEFAULT_MAPPING_PATH.read_text(encoding="utf-8").splitlines()
    where = mapping.write_back_where("plan_note")
    assert lines[int(where.split()[-1]) - 1].strip().startswith("plan_note:")


def test_a_mapping_without_the_block_is_valid_and_has_no_columns_to_ignore():
    data = _committed()
    del data["entities"]["orders"]["write_back"]
    assert write_back_column_ids(_parse(data)) == frozenset()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["entities"]["customers"].update(write_back={}), "only orders take a write_back"),
        (
            lambda d: d["entities"]["orders"]["write_back"]["plan_status"].update(
                values={"early": ["Early"]}
            ),
            "unknown value(s) early",
        ),
        (
            lambda d: d["entities"]["orders"]["write_back"]["plan_note"].update(values={"late": ["x"]}),
            "only plan_status takes values",
        ),
        (
            lambda d: d["entities"]["orders"]["write_back"]["plan_note"].update(column_id=OC["status"]),
            "is read as field 'status'",
        ),
        (
            lambda d: d["entities"]["orders"]["write_back"]["plan_note"].update(column_id=OC["planned_line"]),
            "named for more than one write-back value",
        ),
        (
            lambda d: d["entities"]["orders"]["write_back"].update(planned_at={"column_id": "x"}),
            "unknown key",
        ),
    ],
)
def test_a_bad_write_back_block_is_refused_naming_the_key(change, message):
    data = _committed()
    change(data)
    with pytest.raises(BoardMappingError, match=re.escape(message)):
        _parse(data)


def _orders_columns() -> list[Column]:
    board = generate_workspace(WorkspaceSpec(orders=5)).boards[ORDERS]
    return [Column(id=c.id, title=c.title, type=c.type, settings_str=c.settings_str) for c in board.columns]


def test_write_back_columns_resolve_by_id_else_by_title_and_wrong_ones_are_named():
    mapping = load_board_mapping(DEFAULT_MAPPING_PATH)
    columns = _orders_columns()
    target = resolve_write_back(mapping, columns)
    assert target.columns["plan_status"].labels["late"] == ("Late",)
    renamed = [
        Column(id="text_new", title=c.title, type=c.type) if c.id == OC["plan_note"] else c for c in columns
    ]
    assert resolve_write_back(mapping, renamed).columns["plan_note"].column_id == "text_new"
    retyped = [
        Column(id=c.id, title=c.title, type="numbers") if c.id == OC["planned_line"] else c for c in columns
    ]
    with pytest.raises(
        WriteBackConfigError, match="planned_line .*is a numbers column; use a text or long_text"
    ):
        resolve_write_back(mapping, retyped)
    unlabelled = [
        Column(id=c.id, title=c.title, type=c.type, settings_str='{"labels": {"1": "Scheduled"}}')
        if c.id == OC["plan_status"]
        else c
        for c in columns
    ]
    with pytest.raises(WriteBackConfigError, match="has no label\\(s\\) 'Late', 'Unschedulable'"):
        resolve_write_back(mapping, unlabelled)


# --------------------------------------------------------------------------- SQL and the report


@pytest.mark.parametrize("schemas", [{}, {"schema": "dbo", "ops_schema": "ops", "staging_schema": "stg"}])
def test_the_write_back_statements_parse_as_t_sql_without_duckdb_isms(schemas):
    for name, sql in WriteBackStatements(statements(**schemas)).catalog().items():
        parsed = sqlglot.parse(sql, read="tsql")
        assert parsed and all(p is not None for p in parsed), name
        for pattern in (r"\bLIMIT\b", r"::", r"\|\|", r"\b(TRUE|FALSE)\b", r"\bUSING\b"):
            assert not re.search(pattern, sql, re.I), (name, pattern)


def test_the_report_metadata_is_plain_numbers_and_strings():
    report = WriteBackReport(
        mode="on",
        plan_date=PLAN_DAY,
        board_id=ORDERS,
        items_in_plan=3,
        items_changed=2,
        values_changed=5,
        items_written=1,
        values_written=3,
        unchanged=1,
        failed=(WriteFailure("9", "SO-9", "deleted on Monday"),),
        changes_preview=("SO-1: Plan status (empty) -> Late",),
        requests=4,
        seconds=0.25,
    )
    meta = report.metadata()
    assert all(isinstance(v, int | float | str) for v in meta.values())
    assert meta["failed"] == 1 and "SO-9 (item 9): deleted on Monday" in meta["failures"]
    assert "wrote 1 of 3 orders" in meta["summary"] and not report.ok


# --------------------------------------------------------------------------- no loops


def _event(column_id: str, **extra) -> dict:
    return {
        "event": {
            "type": "update_column_value",
            "boardId": int(ORDERS),
            "pulseId": 8200000001,
            "columnId": column_id,
            "triggerUuid": f"t-{column_id}",
            **extra,
        }
    }


def test_the_receiver_ignores_events_of_the_write_back_columns_only():
    ignored = write_back_column_ids(load_board_mapping(DEFAULT_MAPPING_PATH))
    watched = frozenset({ORDERS})
    reason = watch_verdict(monday_event(_event(OC["plan_status"])), watched, ignored)
    assert reason == f"column {OC['plan_status']} is written by the plan write-back"
    assert watch_verdict(monday_event(_event(OC["quantity"])), watched, ignored) is None
    # a subitem's column is another board's column: its event is a change of the parent
    sub = _event(OC["plan_status"], parentItemId=8200000002, parentItemBoardId=int(ORDERS))
    assert watch_verdict(monday_event(sub), watched, ignored) is None
    assert watch_verdict(monday_event(_event(OC["plan_status"])), watched) is None  # nothing ignored


# --------------------------------------------------------------------------- a batch rejected as a whole


def _diff(n: int):
    from customer_master.monday.write_back import ItemChange, ValueChange, WriteBackDiff, WriteBackTarget

    change = ValueChange("plan_note", "text_x", "Plan note", "", "x")
    items = tuple(ItemChange(str(i), f"SO-{i}", (change,), {"text_x": "x"}) for i in range(1, n + 1))
    return WriteBackDiff(WriteBackTarget(ORDERS, {"plan_note": NOTE}), n, items, 0, ())


def test_a_batch_rejected_as_a_whole_is_retried_item_by_item_so_only_the_bad_item_fails():
    """Monday may reject a whole request for one bad value (a query-level error with no path): that
    cannot be produced by the sandbox, so a scripted transport answers like Monday would."""
    import httpx
    import orjson

    from customer_master.monday.client import MondayClient
    from customer_master.monday.write_back import apply_changes

    complexity = {"before": 1_000_000, "query": 10, "after": 999_990, "reset_in_x_seconds": 30}

    def answer(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        aliases = re.findall(r"\b(w\d+):", body["query"])
        if len(aliases) > 1:
            error = {"message": "invalid value", "extensions": {"code": "ColumnValueException"}}
            return httpx.Response(200, json={"errors": [error], "data": None})
        item = body["variables"]["i0"]
        if item == "2":
            error = {"message": "bad text", "extensions": {"code": "ColumnValueException"}, "path": ["w0"]}
            return httpx.Response(
                200, json={"data": {"complexity": complexity, "w0": None}, "errors": [error]}
            )
        return httpx.Response(200, json={"data": {"complexity": complexity, "w0": {"id": item}}})

    with MondayClient("http://monday.test/v2", "t0ken", transport=httpx.MockTransport(answer)) as client:
        result = apply_changes(client, _diff(3), batch_size=3)
    assert result.items_written == 2 and result.aborted is None
    assert [(f.item_id, f.reason) for f in result.failed] == [("2", "bad text (ColumnValueException)")]
