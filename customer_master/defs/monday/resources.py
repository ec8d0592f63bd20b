"""The Monday.com API as a Dagster resource (the token comes from the environment at run time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from customer_master.monday import MondayClient
from customer_master.settings import get_settings

TOKEN_ENV_VAR = "MONDAY_API_TOKEN"


class MondayResource(dg.ConfigurableResource):
    """Monday GraphQL API v2. Locally the sandbox emulator; in production api.monday.com."""

    api_url: str
    api_token: str
    api_version: str = "2026-07"
    timeout_seconds: float = 30.0
    # Retries are bounded in time; `max_attempts` is an optional hard cap (tests use it to fail fast).
    retry_budget_seconds: float = 300.0
    max_attempts: int | None = None

    @contextmanager
    def get_client(self) -> Iterator[MondayClient]:
        # The client strips the token and refuses one with an interior control character, naming
        # MONDAY_API_TOKEN (never the value): a pasted newline must not reach an HTTP header.
        with MondayClient(
            self.api_url,
            self.api_token,
            token_env_var=TOKEN_ENV_VAR,
            api_version=self.api_version,
            timeout=self.timeout_seconds,
            retry_budget_seconds=self.retry_budget_seconds,
            max_attempts=self.max_attempts,
        ) as client:
            yield client


def monday_resource() -> MondayResource:
    settings = get_settings()
    return MondayResource(
        api_url=settings.monday_url,
        api_token=dg.EnvVar(TOKEN_ENV_VAR),
        api_version=settings.monday_api_version,
        timeout_seconds=settings.monday_timeout_seconds,
        retry_budget_seconds=settings.monday_retry_budget_seconds,
        max_attempts=settings.monday_max_attempts,
    )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"monday": monday_resource()})
