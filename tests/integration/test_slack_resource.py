"""Slack as a Dagster resource: the webhook URL comes from CM_SLACK_WEBHOOK_URL through dg.EnvVar at
run time (a real run, a real POST to the loopback receiver)."""

from __future__ import annotations

import dagster as dg
import pytest

from customer_master.alerts import run_failure_alert
from customer_master.defs.resources import SlackResource, resources, slack_resource
from customer_master.settings import get_settings
from tests.slack_receiver import WEBHOOK_PATH

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)


def _alerting_asset():
    @dg.asset
    def alerting(slack: SlackResource) -> dg.MaterializeResult:
        result = slack.get_notifier().send(run_failure_alert("nightly_job", "run-1", None, ["step"], "boom"))
        return dg.MaterializeResult(metadata={"delivered": result.delivered, "skipped": result.skipped})

    return alerting


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_the_resource_reads_the_webhook_from_the_environment_at_run_time(slack_receiver, monkeypatch):
    monkeypatch.setenv("CM_SLACK_WEBHOOK_URL", slack_receiver.url + "\n")  # pasted with its newline
    monkeypatch.setenv("CM_SLACK_DEADLINE_SECONDS", "4")
    get_settings.cache_clear()
    try:
        resource = slack_resource()
        assert isinstance(resource.webhook_url, dg.EnvVar) and resource.deadline_seconds == 4
        result = dg.materialize([_alerting_asset()], resources={"slack": resource})
    finally:
        get_settings.cache_clear()
    assert result.success and _metadata(result) == {"delivered": True, "skipped": False}
    assert [r.path for r in slack_receiver.requests] == [WEBHOOK_PATH]


def test_without_a_webhook_the_resource_logs_instead(monkeypatch):
    monkeypatch.delenv("CM_SLACK_WEBHOOK_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = dg.materialize([_alerting_asset()], resources={"slack": slack_resource()})
    finally:
        get_settings.cache_clear()
    assert result.success and _metadata(result) == {"delivered": False, "skipped": True}


def test_the_resources_module_registers_slack():
    assert isinstance(resources().resources["slack"], SlackResource)
