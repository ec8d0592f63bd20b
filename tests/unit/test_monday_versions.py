"""The pinned API version: its format is checked at start-up, and the served one is read back.

Responses are scripted at the HTTP transport (the sandbox's version behaviour is covered over real
HTTP in tests/integration/test_monday_landing.py).
"""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from customer_master.monday import MondayClient
from customer_master.monday.versions import check_api_version, served_version_warning
from customer_master.settings import Settings, SettingsError

TOKEN = "tok-UNIT-versions-0123456789"
URL = "http://monday.test/v2"
DATA = {
    "complexity": {"before": 10_000_000, "query": 10, "after": 9_999_990, "reset_in_x_seconds": 30},
    "me": {"id": "1"},
}


@pytest.mark.parametrize("version", ["2026-07", "2025-01", "2026-10", "2024-04"])
def test_quarterly_versions_are_accepted(version: str):
    assert check_api_version(version) == version
    assert check_api_version(f" {version} ") == version


@pytest.mark.parametrize("version", ["2026-05", "2026-7", "2023", "26-07", "2026-07-01", "latest", "", None])
def test_malformed_versions_are_refused_naming_the_setting(version):
    with pytest.raises(ValueError, match=r"MONDAY_API_VERSION=.* is not a Monday API version"):
        check_api_version(version, source="MONDAY_API_VERSION")


def test_settings_reject_a_malformed_version_at_start_up():
    with pytest.raises(SettingsError) as info:
        Settings(MONDAY_API_VERSION="2026-13")
    assert "MONDAY_API_VERSION" in str(info.value) and "quarterly month" in str(info.value)
    assert Settings(MONDAY_API_VERSION="2025-01").monday_api_version == "2025-01"


def test_the_client_rejects_a_malformed_version():
    with pytest.raises(ValueError, match=r"api_version='2026-5' is not a Monday API version"):
        MondayClient(URL, TOKEN, api_version="2026-5")


def served_as(version: str | None) -> httpx.MockTransport:
    headers = {"API-Version": version} if version else {}
    return httpx.MockTransport(
        lambda request: httpx.Response(200, content=orjson.dumps({"data": DATA}), headers=headers)
    )


def test_a_different_served_version_is_recorded_and_warned_once_per_client(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="customer_master.monday")
    with MondayClient(URL, TOKEN, api_version="2025-01", transport=served_as("2026-04")) as client:
        for _ in range(3):
            client.execute("query { me { id } }")
    assert client.stats.api_version_served == "2026-04"
    warnings = [r.getMessage() for r in caplog.records if "Monday served" in r.getMessage()]
    assert warnings == [served_version_warning("2025-01", "2026-04")]
    assert warnings[0].startswith(
        "pinned 2025-01 but Monday served 2026-04: the pinned version is deprecated"
    )


def test_the_pinned_version_served_as_is_is_no_warning(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="customer_master.monday")
    with MondayClient(URL, TOKEN, api_version="2026-07", transport=served_as("2026-07")) as client:
        client.execute("query { me { id } }")
    assert client.stats.api_version_served == "2026-07"
    assert not caplog.records
    with MondayClient(URL, TOKEN, transport=served_as(None)) as client:
        client.execute("query { me { id } }")
    assert client.stats.api_version_served is None  # no header: nothing claimed
    assert served_version_warning("2026-07", None) is None
