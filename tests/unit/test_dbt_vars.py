"""One source for every number dbt and the planner share with the checks: the settings tree.

dbt gets the thresholds it applies and the default delivery window as vars from `settings.dbt_vars`
on every build; dbt_project.yml repeats the defaults only for a bare `dbt build`. The load's
error-rate gate is the record error rate's critical threshold (no second knob that can disagree).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from customer_master.defs.resources import warehouse_resource
from customer_master.defs.scheduling.assets import plan_settings
from customer_master.settings import SettingsError, dbt_vars, get_settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DBT = ROOT / "dbt_project"
# Vars that are not settings: the run's plan-date range, the offline SQL Server compile switch and the
# source rows a realtime order_master run changed.
RUN_VARS = {"min_date", "max_date", "offline_compile", "offline_compile_incremental", "order_changes"}
# The order aggregator's modelling rules (order-number matching, field precedence): configured in
# dbt_project.yml itself, where analysts read the models, not in the settings tree.
PROJECT_VARS = {"order_match", "order_precedence"}
VAR_CALL = re.compile(r"""var\(\s*['"]([a-z_]+)['"]""")


pytestmark = pytest.mark.usefixtures("settings_from_defaults")


def _project_vars() -> dict:
    return yaml.safe_load((DBT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def _vars_used_by_dbt() -> set[str]:
    used: set[str] = set()
    for folder in ("models", "macros", "tests", "snapshots"):
        for pattern in ("*.sql", "*.yml"):
            for path in (DBT / folder).rglob(pattern):
                used.update(VAR_CALL.findall(path.read_text(encoding="utf-8")))
    return used


def test_dbt_project_defaults_equal_the_settings_defaults():
    project = _project_vars()
    settings_vars = dbt_vars(load_settings())
    assert {name: project[name] for name in settings_vars} == settings_vars


def test_every_var_the_models_read_is_passed_by_dagster():
    # A var dbt reads that dbt_vars does not pass would silently use dbt_project.yml's copy.
    assert _vars_used_by_dbt() - RUN_VARS - PROJECT_VARS == set(dbt_vars(load_settings()))


def test_capacity_planning_has_no_hard_coded_threshold():
    sql = (DBT / "models" / "marts" / "planning" / "capacity_planning.sql").read_text(encoding="utf-8")
    assert "var('utilization_warn')" in sql
    assert "0.95" not in sql


def test_configured_values_reach_dbt_and_the_planner(monkeypatch):
    monkeypatch.setenv("CM_ALERT_UTILIZATION_WARN", "0.9")
    monkeypatch.setenv("CM_ALERT_COVERAGE_MIN", "0.8")
    monkeypatch.setenv("CM_DEFAULT_DELIVERY_DAYS", "tue, thursday,SAT")
    monkeypatch.setenv("CM_DEFAULT_WINDOW_START", "06:30")
    monkeypatch.setenv("CM_DEFAULT_WINDOW_END", "14:00")
    settings = load_settings()
    assert dbt_vars(settings) == {
        "dq_coverage_min": 0.8,
        "dq_customer_name_nulls_max": 50,
        "utilization_warn": 0.9,
        "default_delivery_days": "Tue,Thu,Sat",
        "default_window_start": "06:30",
        "default_window_end": "14:00",
    }
    window = plan_settings(dt.date(2026, 12, 1)).default_window
    assert (window.days, window.start, window.end) == (frozenset({2, 4, 6}), dt.time(6, 30), dt.time(14))


def test_the_load_gate_is_the_error_rate_critical_threshold(monkeypatch):
    assert warehouse_resource().max_error_rate == 0.05
    monkeypatch.setenv("CM_ALERT_RECORD_ERROR_RATE_CRITICAL", "0.08")
    get_settings.cache_clear()
    assert warehouse_resource().max_error_rate == 0.08


def test_the_retired_error_rate_variable_names_its_replacement(monkeypatch):
    monkeypatch.setenv("CM_MAX_ERROR_RATE", "0.2")
    with pytest.raises(SettingsError, match="CM_ALERT_RECORD_ERROR_RATE_CRITICAL"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CM_DEFAULT_DELIVERY_DAYS", "Mon,Funday", "Funday"),
        ("CM_DEFAULT_DELIVERY_DAYS", " , ", "no day at all"),
        ("CM_DEFAULT_WINDOW_END", "07:00", "CM_DEFAULT_WINDOW_END"),
        ("CM_DEFAULT_WINDOW_START", "8 o'clock", "CM_DEFAULT_WINDOW_START"),
    ],
)
def test_a_bad_default_window_is_an_error_naming_the_variable(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()
