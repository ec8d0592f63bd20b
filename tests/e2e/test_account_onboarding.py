"""A team's own Monday account, onboarded the way the README says, through the real nightly pipeline.

The account (`northwind` in the sandbox) is shaped unlike the repository's: other board and column
ids and titles, the order number in the item name, the delivery window in two hour columns, Churned /
On hold / Prospect customers, Critical/Medium priorities, Done/Canceled statuses, no tier, no promised
date. The mapping assistant writes the mapping (discover), it is checked against the live boards, then
`daily_pipeline_job` runs with it (CM_BOARD_MAPPING) over HTTP + DuckDB + dbt + Dagster.

Then the ways a mapping goes wrong, each stopped loudly before the marts change:
  a required column removed from the board   -> mapped_columns_exist fails (blocking) on the board asset
  a required field mapped to an empty column -> dbt's required_fields_populated names field and line
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

import dagster as dg
import duckdb
import pytest
import yaml
from dagster_dbt import DbtCliResource

from customer_master.board_mapping import load_board_mapping
from customer_master.defs.dbt.assets import customer_master_dbt, schedule_models_dbt
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.dbt.resources import dbt_executable
from customer_master.defs.monday.assets import CHECK_MAPPED_COLUMNS, build_board_asset
from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.pipeline import daily_pipeline_job
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.scheduling.assets import delivery_plan
from customer_master.sandbox import (
    ACCOUNT_BOARD_IDS,
    ACCOUNT_COLUMN_IDS,
    SANDBOX_TOKEN,
    SandboxServer,
    WorkspaceSpec,
)
from customer_master.settings import get_settings

pytestmark = pytest.mark.slow

DAY1, DAY2, DAY3 = dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 4)
BOARDS = ACCOUNT_BOARD_IDS["northwind"]
COLUMNS = ACCOUNT_COLUMN_IDS["northwind"]


@dataclass
class Onboarding:
    db: object
    mapping_path: object
    runs: dict[str, dg.ExecuteInProcessResult] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).fetchall()


def _assistant(server: SandboxServer, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MONDAY_API_URL": server.url, "MONDAY_API_TOKEN": SANDBOX_TOKEN}
    return subprocess.run(
        [sys.executable, "-m", "customer_master.board_mapping", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _run(server: SandboxServer, onboarding: Onboarding, day: dt.date, instance) -> dg.ExecuteInProcessResult:
    """daily_pipeline_job with the board assets built from the mapping file (as the code location does)."""
    mapping = load_board_mapping(onboarding.mapping_path)
    boards = [build_board_asset(mapping, entity, "duckdb") for entity in mapping.board_ids]
    defs = dg.Definitions(
        assets=[*boards, customer_master_dbt, delivery_plan, schedule_models_dbt],
        jobs=[daily_pipeline_job],
        resources={
            "monday": MondayResource(api_url=server.url, api_token=SANDBOX_TOKEN, timeout_seconds=10),
            "warehouse": WarehouseResource(duckdb_path=str(onboarding.db)),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
    )
    full = {a.key.to_python_identifier(): {"config": {"mode": "full"}} for a in boards}
    return defs.get_job_def("daily_pipeline_job").execute_in_process(
        partition_key=day.isoformat(), instance=instance, run_config={"ops": full}, raise_on_error=False
    )


def _edit_mapping(path, entity: str, field_name: str, value: dict) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entities"][entity]["fields"][field_name] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def onboarding(tmp_path_factory):
    work = tmp_path_factory.mktemp("onboarding")
    story = Onboarding(db=work / "warehouse.duckdb", mapping_path=work / "northwind.yml")
    instance = dg.DagsterInstance.ephemeral()
    with (
        SandboxServer(WorkspaceSpec(account="northwind", orders=600, seed=5)) as server,
        pytest.MonkeyPatch.context() as mp,
    ):
        ids = server.board_ids
        story.facts["discover"] = _assistant(
            server, "discover", "--customers", ids["customers"], "--orders", ids["orders"],
            "--capacity", ids["capacity"], "--out", str(story.mapping_path),
        )  # fmt: skip
        story.facts["check"] = _assistant(server, "check", "--mapping", str(story.mapping_path))
        story.facts["proposed"] = story.mapping_path.read_text(encoding="utf-8")
        mp.setenv("CM_DUCKDB_PATH", str(story.db))  # dbt's profile reads it
        mp.setenv("CM_BOARD_MAPPING", str(story.mapping_path))  # the dbt asset applies this mapping
        get_settings.cache_clear()
        try:
            story.runs["day1"] = _run(server, story, DAY1, instance)
            story.facts["day1_counts"] = {
                t: story.rows(f"select count(*) from {t}")[0][0]
                for t in ("customer_master", "order_master", "capacity_calendar", "plan_assignments")
            }
            story.facts["order_master_day1"] = story.rows("select * from order_master order by order_id")

            # The team deletes the quantity column and recreates it under another title: the mapping's
            # id and title both miss it. The board asset's check stops the run before dbt.
            qty = COLUMNS["orders"]["quantity"]
            server.control.remove_column(BOARDS["orders"], qty)
            server.control.add_column(BOARDS["orders"], "numbers_new", "Ordered units", "numbers")
            story.runs["day2_column_gone"] = _run(server, story, DAY2, instance)
            story.facts["order_master_day2"] = story.rows("select * from order_master order by order_id")

            # Someone points quantity at the new column, which nobody has filled yet: the field is empty
            # on every order. dbt's blocking test names the field and the mapping line.
            _edit_mapping(
                story.mapping_path, "orders", "quantity",
                {"column_id": "numbers_new", "title": "Ordered units", "kind": "number"},
            )  # fmt: skip
            story.facts["quantity_line"] = load_board_mapping(story.mapping_path).line_of(
                "orders", "quantity"
            )
            story.runs["day3_empty_field"] = _run(server, story, DAY3, instance)
            story.facts["order_master_day3"] = story.rows("select * from order_master order by order_id")
        finally:
            get_settings.cache_clear()
    return story


def _checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.materialization.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_the_assistant_maps_the_unfamiliar_account_and_check_accepts_it(onboarding):
    discover, check = onboarding.facts["discover"], onboarding.facts["check"]
    assert discover.returncode == 0 and "fill in before use" not in discover.stdout, discover.stdout
    assert check.returncode == 0, check.stdout + check.stderr
    proposed = yaml.safe_load(onboarding.facts["proposed"])
    assert {e: proposed["entities"][e]["board_id"] for e in BOARDS} == BOARDS
    assert proposed["entities"]["orders"]["fields"]["order_number"]["column_id"] == "name"


def test_the_nightly_job_on_the_onboarded_account_fills_the_marts_and_plans_the_day(onboarding):
    result = onboarding.runs["day1"]
    assert result.success
    counts = onboarding.facts["day1_counts"]
    assert all(n > 0 for n in counts.values()), counts
    assert {"monday/orders", "order_master", "delivery_plan", "delivery_schedules"} <= _materialized(result)
    mapped = _checks(result)[("monday/orders", CHECK_MAPPED_COLUMNS)]
    assert (
        mapped.passed
        and json.loads(json.dumps(mapped.metadata["fields"].value))["order_number"] == "name (item_name)"
    )


def test_the_account_s_own_shapes_reach_the_marts_and_the_plan(onboarding):
    rows = onboarding.rows
    # Order numbers from the item names; Critical/Medium and Done/Canceled through the value sets.
    numbers = [n for (n,) in rows("select order_number from order_master where order_number is not null")]
    assert numbers and all(n.startswith("PO-") for n in numbers)
    assert {p for (p,) in rows("select distinct priority from order_master where priority is not null")} == {
        "rush", "high", "normal", "low",
    }  # fmt: skip
    assert rows(
        "select count(*) from order_master where status_label = 'Done' and (is_open or status <> 'delivered')"
    ) == [(0,)]
    # Churned / On hold / Prospect customers are inactive; their open orders are explained, not planned.
    inactive = rows(
        "select count(*) from customer_master "
        "where status_label in ('Churned', 'On hold', 'Prospect') and is_active"
    )
    assert inactive == [(0,)]
    assert rows("select count(*) from plan_assignments where reason = 'customer_inactive'")[0][0] > 0
    # Windows from the two hour columns: own hours where both cells are set.
    own = rows("select count(*) from customer_master where window_source = 'customer'")[0][0]
    assert own > 0
    assert rows("select count(*) from plan_assignments where status = 'scheduled'")[0][0] > 0
    # No calculation errors from the shapes themselves: no priority the planner does not know.
    assert rows("select count(*) from plan_assignments where reason = 'invalid_priority'") == [(0,)]


def test_a_required_column_gone_from_the_board_fails_the_board_check_and_nothing_downstream_changes(
    onboarding,
):
    result = onboarding.runs["day2_column_gone"]
    assert not result.success
    check = _checks(result)[("monday/orders", CHECK_MAPPED_COLUMNS)]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert "orders.quantity" in check.description and "Ordered units" in check.description
    assert "order_master" not in _materialized(result) and "delivery_plan" not in _materialized(result)
    assert onboarding.facts["order_master_day2"] == onboarding.facts["order_master_day1"]


def test_a_required_field_empty_on_every_order_fails_dbt_naming_the_field_and_the_mapping_line(onboarding):
    result = onboarding.runs["day3_empty_field"]
    assert not result.success
    failed = [
        e
        for e in result.get_asset_check_evaluations()
        if not e.passed and "required_fields_populated" in e.check_name
    ]
    assert failed and failed[0].severity == dg.AssetCheckSeverity.ERROR
    text = json.dumps({k: str(v.value) for k, v in failed[0].metadata.items()}) + (
        failed[0].description or ""
    )
    assert "orders.quantity is empty on all" in text and f"line {onboarding.facts['quantity_line']}" in text
    assert "delivery_plan" not in _materialized(result)
    assert onboarding.facts["order_master_day3"] == onboarding.facts["order_master_day1"]
