"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def oms_nights(_sandbox_server, tmp_path_factory):
    """Two nightly runs with the OMS beside Monday (tests/e2e/nightly.py), once per session: a night
    is a full run of the job, so every test that looks at one shares it."""
    from tests.e2e.nightly import two_nights

    return two_nights(_sandbox_server, tmp_path_factory.mktemp("oms_nights"))
