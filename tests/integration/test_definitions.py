"""The code location loads the way `dagster dev`, `dg` and Dagster+ load it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from customer_master.definitions import defs, with_freshness_policies

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_definitions_are_loadable_and_wire_every_resource():
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    job = definitions.resolve_job_def("monday_ingestion_job")
    assert job.partitions_def is not None
    keys = {key.to_user_string() for key in definitions.resolve_all_asset_keys()}
    assert {"monday/customers", "monday/orders", "monday/capacity"} <= keys


def test_dg_check_defs_passes():
    venv_bin = Path(sys.executable).parent
    # dg starts the code location in a process of its own, which finds dbt on PATH as a user's would.
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(venv_bin / "dg"), "check", "defs"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_daily_pipeline_runs_ingestion_dbt_the_plan_and_the_schedule_models_with_their_checks():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    job = definitions.resolve_job_def("daily_pipeline_job")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"monday/orders", "order_master", "snap_order_master", "delivery_plan", "delivery_schedules",
            "capacity_planning", "schedule_history", "delivery_performance"} <= keys  # fmt: skip
    plan = dg.AssetKey("delivery_plan")
    assert {dg.AssetKey("snap_order_master"), dg.AssetKey("capacity_calendar")} <= graph.get(plan).parent_keys
    for model in ("delivery_schedules", "capacity_planning", "schedule_history"):
        assert plan in graph.upstream_key_iterator(dg.AssetKey(model)), model
    checks = {c.name: c for c in job.asset_layer.asset_graph.asset_check_keys if c.asset_key == plan}
    assert {"capacity_never_exceeded", "every_order_scheduled_or_explained", "schedule_calculation_errors",
            "unscheduled_backlog", "sustained_capacity_utilization"} <= set(checks)  # fmt: skip
    assert graph.get(plan).partitions_def == job.partitions_def


def test_plans_are_purged_by_a_weekly_retention_job():
    definitions = defs()
    assert definitions.resolve_job_def("schedule_retention_job") is not None
    schedule = definitions.resolve_schedule_def("schedule_retention_job_schedule")
    assert schedule.cron_schedule == "0 3 * * 0"


def test_every_alerting_sensor_and_the_hourly_customer_sync_are_defined_and_on():
    import datetime as dt

    definitions = defs()
    sensors = {s.name: s for s in definitions.sensors}
    assert {"run_failure_alert_sensor", "check_failure_alert_sensor", "freshness_alert_sensor",
            "run_duration_sensor", "run_report_sensor"} <= set(sensors)  # fmt: skip
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    hourly = definitions.resolve_schedule_def("hourly_customer_sync_schedule")
    assert hourly.cron_schedule == "30 * * * *"
    when = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    repository = definitions.get_repository_def()
    with dg.build_schedule_context(scheduled_execution_time=when, repository_def=repository) as context:
        (request,) = hourly.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-23"
    assert {
        k.to_user_string()
        for k in definitions.resolve_job_def("customer_sync_job").asset_layer.executable_asset_keys
    } == {"monday/customers"}


def test_freshness_policies_are_on_the_watched_assets():
    graph = defs().resolve_asset_graph()
    customers = graph.get(dg.AssetKey(["monday", "customers"])).freshness_policy
    assert customers.fail_window.to_timedelta().total_seconds() == 3600
    for asset in ("monday/orders", "order_master", "delivery_plan", "delivery_schedules"):
        policy = graph.get(dg.AssetKey.from_user_string(asset)).freshness_policy
        assert policy is not None and policy.deadline_cron == "0 4 * * *", asset


def test_freshness_policies_are_applied_in_one_place_only():
    # Domains build their assets without policies; definitions.py maps the rules over all of them.
    importers = sorted(
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "customer_master").rglob("*.py")
        if "defs.monitoring.freshness import" in path.read_text(encoding="utf-8")
    )
    assert importers == ["customer_master/definitions.py", "customer_master/defs/monitoring/sensors.py"]


def test_a_freshness_rule_for_a_missing_asset_fails_the_load():
    @dg.asset(key=["monday", "orders"])
    def orders() -> None: ...

    with pytest.raises(ValueError, match="delivery_plan"):
        with_freshness_policies(dg.Definitions(assets=[orders]))


def test_an_asset_imported_by_name_into_two_modules_is_refused():
    @dg.asset
    def twice() -> None: ...

    with pytest.raises(ValueError, match="import its module instead"):
        with_freshness_policies(dg.Definitions(assets=[twice, twice]))


def _load_in_a_fresh_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """The code location as a new process sees it (settings are read once per process)."""
    return subprocess.run(
        [sys.executable, "-c", f"from customer_master.definitions import defs\n{code}"],
        cwd=PROJECT_ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_board_assets_pull_the_boards_of_the_mapping_the_settings_name(tmp_path):
    mapping = PROJECT_ROOT / "dbt_project" / "board_mapping.yml"
    own = tmp_path / "mine.yml"
    own.write_text(mapping.read_text(encoding="utf-8").replace("7000000002", "4410000202"), encoding="utf-8")
    code = (
        "d = defs()\n"
        "spec = next(s for s in d.resolve_all_asset_specs() if s.key.to_user_string() == 'monday/orders')\n"
        "print(spec.metadata['monday_board_id'])\n"
        "from customer_master.defs.resources import warehouse_resource\n"
        "print(warehouse_resource().get_warehouse().rules.max_delete_fraction)"
    )
    result = _load_in_a_fresh_process({"CM_BOARD_MAPPING": str(own), "CM_MAX_DELETE_FRACTION": "0.3"}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4410000202", "0.3"]


def test_a_leftover_board_variable_or_a_broken_mapping_stops_the_code_location_naming_what_to_fix(tmp_path):
    result = _load_in_a_fresh_process({"MONDAY_BOARD_ORDERS": "123"}, "defs()")
    assert result.returncode != 0
    assert "MONDAY_BOARD_ORDERS=123 but the board mapping (board_mapping.yml line" in result.stderr
    assert "maps orders to board 7000000002" in result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("version: 1\nentities:\n  orders: {board_id: '1'}\n", encoding="utf-8")
    result = _load_in_a_fresh_process({"CM_BOARD_MAPPING": str(broken)}, "defs()")
    assert result.returncode != 0 and "missing entities: customers, capacity" in result.stderr
