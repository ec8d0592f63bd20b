"""One settings tree, read from the environment in one place; every error names its variable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from customer_master.settings import (
    SettingsError,
    env_var_names,
    get_settings,
    load_settings,
    secret_env_var_names,
)
from customer_master.thresholds import AlertThresholds, get_thresholds

PACKAGE = Path(__file__).resolve().parents[2] / "customer_master"


pytestmark = pytest.mark.usefixtures("settings_from_defaults")


def test_there_is_one_settings_class_reading_the_environment():
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if "BaseSettings" in bases:
                    readers.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert readers == ["settings.py:Settings"]


def test_sections_keep_their_variable_names():
    names = env_var_names()
    assert names["CM_SLACK_WEBHOOK_URL"] == "alerts.slack_webhook_url"
    assert names["CM_DAGSTER_UI_URL"] == "alerts.dagster_ui_url"
    assert names["CM_SLACK_DEADLINE_SECONDS"] == "alerts.slack_deadline_seconds"
    assert names["CM_ALERT_ORDER_BACKLOG_CRITICAL"] == "thresholds.order_backlog_critical"
    assert names["MONDAY_API_TOKEN"] == "secrets.monday_api_token"
    assert names["CM_TIMEZONE"] == "timezone" and names["MONDAY_API_VERSION"] == "monday_api_version"
    assert len([n for n in names if n.startswith("CM_ALERT_")]) == len(AlertThresholds.model_fields)


def test_every_section_is_read_from_its_variables_in_one_load(monkeypatch):
    monkeypatch.setenv("CM_ALERT_ORDER_BACKLOG_CRITICAL", "250")
    monkeypatch.setenv("CM_DAGSTER_UI_URL", "https://dagster.example.internal/")
    monkeypatch.setenv("CM_SLACK_DEADLINE_SECONDS", "2")
    monkeypatch.setenv("cm_timezone", "Europe/Berlin")  # names match case-insensitively, as before
    settings = load_settings()
    assert settings.thresholds.order_backlog_critical == 250
    assert settings.alerts.dagster_ui_url == "https://dagster.example.internal"
    assert settings.alerts.slack_deadline_seconds == 2
    assert settings.timezone == "Europe/Berlin"
    assert get_thresholds() is get_settings().thresholds
    assert AlertThresholds().order_backlog_critical == 100  # the section alone: the design's numbers


def test_an_unknown_timezone_names_the_variable_and_the_rule(monkeypatch):
    monkeypatch.setenv("CM_TIMEZONE", "Not/AZone")
    with pytest.raises(SettingsError) as failure:
        load_settings()
    message = str(failure.value)
    assert "CM_TIMEZONE='Not/AZone'" in message and "IANA time zone" in message
    assert "ZoneInfoNotFoundError" not in message


def test_a_negative_threshold_names_its_variable_not_the_field(monkeypatch):
    monkeypatch.setenv("CM_ALERT_ORDER_BACKLOG_CRITICAL", "-1")
    with pytest.raises(SettingsError) as failure:
        load_settings()
    message = str(failure.value)
    assert "CM_ALERT_ORDER_BACKLOG_CRITICAL='-1'" in message and "greater than or equal to 0" in message
    assert "order_backlog_critical" not in message


def test_a_rule_across_thresholds_names_both_variables(monkeypatch):
    monkeypatch.setenv("CM_ALERT_RUN_DURATION_WARN_SECONDS", "900")
    with pytest.raises(SettingsError, match="CM_ALERT_RUN_DURATION_WARN_SECONDS must not exceed "):
        load_settings()


@pytest.mark.parametrize("name", sorted(env_var_names()))
def test_every_variable_a_bad_value_can_break_is_named_with_its_rule(monkeypatch, name):
    """Any variable of the tree set to junk either loads or fails naming that variable, never a
    pydantic field path; a secret's value is never quoted."""
    monkeypatch.setenv(name, "junk\x01value")
    try:
        load_settings()
    except SettingsError as failure:
        message = str(failure)
        assert name in message, message
        path = env_var_names()[name]  # e.g. thresholds.order_backlog_critical
        field = path.split(".")[-1]
        if "_" in field:  # a one-word field ("env") cannot be told apart from ordinary text
            assert field not in message.replace(name.lower(), ""), message
        if name in secret_env_var_names():
            assert "junk" not in message and "control character" in message
        else:
            assert len(message.splitlines()) == 2  # the heading and one rule


def test_a_token_with_a_trailing_newline_is_stripped(monkeypatch):
    monkeypatch.setenv("MONDAY_API_TOKEN", "sandbox-token\n")
    assert load_settings().secrets.monday_api_token.get_secret_value() == "sandbox-token"


def test_a_token_with_an_interior_newline_fails_at_start_up_without_its_text(monkeypatch):
    monkeypatch.setenv("MONDAY_API_TOKEN", "eyJhbG\nSECRETPAYLOAD")
    with pytest.raises(SettingsError) as failure:
        get_settings()
    error = failure.value
    text = str(error) + repr(error)
    assert "MONDAY_API_TOKEN" in text and "line feed" in text
    assert "SECRETPAYLOAD" not in text and "eyJhbG" not in text
    # Not even a suppressed ValidationError (which quotes the input) travels with it.
    assert error.__cause__ is None and error.__context__ is None


def test_secrets_never_print(monkeypatch):
    monkeypatch.setenv("MONDAY_API_TOKEN", "SECRETPAYLOAD-token")
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/SECRETHOOK")
    settings = load_settings()
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings)


def test_dbt_trims_the_sql_server_credentials_as_the_settings_do():
    # The settings accept "secret\n" as "secret"; dbt reads the variable itself, so it must trim too.
    profiles = (PACKAGE.parent / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    for name in ("CM_SQLSERVER_HOST", "CM_SQLSERVER_DATABASE", "CM_SQLSERVER_USER", "CM_SQLSERVER_PASSWORD"):
        (line,) = [line for line in profiles.splitlines() if f"env_var('{name}'" in line]
        assert "| trim }}" in line, line
