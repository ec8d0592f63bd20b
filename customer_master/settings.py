"""The one place that reads the environment.

Every setting has a default that runs the embedded local platform (DuckDB + the sandbox emulator),
so `make demo` needs no configuration. Production sets `CM_ENV=prod` and the variables listed in
`.env.example`. Secrets (the Monday token, the SQL Server DSN) are not read here: Dagster resources
take them through `dg.EnvVar` at run time, so they are never baked into definitions or logged.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SANDBOX_PORT = 8765


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    env: Literal["local", "prod"] = Field("local", alias="CM_ENV")
    data_dir: Path = Field(PROJECT_ROOT / ".data", alias="CM_DATA_DIR")
    warehouse: Literal["duckdb", "sqlserver"] | None = Field(None, alias="CM_WAREHOUSE")
    duckdb_path: Path | None = Field(None, alias="CM_DUCKDB_PATH")
    # SQL Server schema of the raw and ops tables (dbt's sources read the same variable).
    sqlserver_raw_schema: str = Field("raw", alias="CM_SQLSERVER_RAW_SCHEMA")
    # SQL Server schema dbt builds the marts and snapshots in (the dbt profile reads the same variable).
    sqlserver_marts_schema: str = Field("dbo", alias="CM_SQLSERVER_SCHEMA")

    monday_api_url: str | None = Field(None, alias="MONDAY_API_URL")
    monday_api_version: str = Field("2026-07", alias="MONDAY_API_VERSION")
    monday_timeout_seconds: float = Field(30.0, alias="MONDAY_TIMEOUT_SECONDS", gt=0)
    # A failing request is retried while its first attempt is at most this long ago (time, not a
    # count: a burst of 429s and 5xx must not lose a board); MONDAY_MAX_ATTEMPTS optionally caps it.
    monday_retry_budget_seconds: float = Field(300.0, alias="MONDAY_RETRY_BUDGET_SECONDS", gt=0)
    monday_max_attempts: int | None = Field(None, alias="MONDAY_MAX_ATTEMPTS", ge=3)
    # Board ids and columns live in ONE place, the board mapping file (customer_master/board_mapping):
    # the default maps the sandbox's boards. A real account points this at its own mapping.
    board_mapping_path: Path = Field(
        PROJECT_ROOT / "dbt_project" / "board_mapping.yml", alias="CM_BOARD_MAPPING"
    )
    # No longer a source of board ids; read only so a leftover variable that disagrees with the
    # mapping is an error naming both instead of being silently ignored.
    legacy_board_customers: str | None = Field(None, alias="MONDAY_BOARD_CUSTOMERS")
    legacy_board_orders: str | None = Field(None, alias="MONDAY_BOARD_ORDERS")
    legacy_board_capacity: str | None = Field(None, alias="MONDAY_BOARD_CAPACITY")
    # Incremental pulls filter on Monday's day-granular, timezone-skewed __last_updated__; overlap
    # by at least a day so nothing falls between two runs.
    monday_overlap_days: int = Field(1, alias="MONDAY_OVERLAP_DAYS", ge=1)

    # dbt target in dbt_project/profiles.yml (default: duckdb locally, sqlserver in prod)
    dbt_target_override: Literal["duckdb", "sqlserver"] | None = Field(None, alias="DBT_TARGET")

    max_error_rate: float = Field(0.05, alias="CM_MAX_ERROR_RATE", ge=0, le=1)
    # A board load that would mark more than this share of the board's active items deleted (and at
    # least 5 of them) fails, production unchanged, unless the run is forced (warehouse/validation.py).
    max_delete_fraction: float = Field(0.10, alias="CM_MAX_DELETE_FRACTION", ge=0, le=1)
    partition_start: dt.date = Field(dt.date(2026, 1, 1), alias="CM_PARTITION_START")
    timezone: str = Field("UTC", alias="CM_TIMEZONE")
    sandbox_port: int = Field(SANDBOX_PORT, alias="CM_SANDBOX_PORT")

    # Delivery planning (customer_master/scheduling): days planned ahead, public-holiday country
    # (ISO code for the `holidays` package; "none" for no holidays), the ordering rule, and how long
    # every day's plan is kept (schedule_history retention).
    schedule_horizon_days: int = Field(365, alias="CM_SCHEDULE_HORIZON_DAYS", ge=1, le=3660)
    schedule_holiday_country: str | None = Field("US", alias="CM_SCHEDULE_HOLIDAY_COUNTRY")
    schedule_ordering: Literal["strict", "weekly_buckets"] = Field("strict", alias="CM_SCHEDULE_ORDERING")
    schedule_retention_years: int = Field(5, alias="CM_SCHEDULE_RETENTION_YEARS", ge=1)
    # The local-search pass after the greedy (scheduling/improve.py): less weighted lateness, never
    # at a higher priority's expense; seconds on large plans, so off by default.
    schedule_improve: bool = Field(False, alias="CM_SCHEDULE_IMPROVE")

    @field_validator("monday_api_version")
    @classmethod
    def _monday_api_version(cls, value: str) -> str:
        from customer_master.monday.versions import check_api_version

        return check_api_version(value, source="MONDAY_API_VERSION")

    @field_validator("monday_max_attempts", mode="before")
    @classmethod
    def _blank_max_attempts_is_no_cap(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("schedule_holiday_country")
    @classmethod
    def _holiday_country(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "none"):
            return None
        import holidays

        code = value.strip().upper()
        if code not in holidays.list_supported_countries():
            raise ValueError(
                f"CM_SCHEDULE_HOLIDAY_COUNTRY={value!r} is not a country the holidays package knows"
            )
        return code

    @field_validator("legacy_board_customers", "legacy_board_orders", "legacy_board_capacity")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("data_dir", "duckdb_path", "board_mapping_path")
    @classmethod
    def _relative_to_project(cls, value: Path | None) -> Path | None:
        # `.data` means the project's .data whatever the working directory (dbt runs elsewhere).
        return value if value is None or value.is_absolute() else PROJECT_ROOT / value

    @property
    def warehouse_kind(self) -> Literal["duckdb", "sqlserver"]:
        if self.warehouse:
            return self.warehouse
        return "sqlserver" if self.env == "prod" else "duckdb"

    @property
    def dbt_target(self) -> str:
        return self.dbt_target_override or self.warehouse_kind

    @property
    def warehouse_path(self) -> Path:
        return self.duckdb_path or self.data_dir / "warehouse.duckdb"

    @property
    def monday_url(self) -> str:
        if self.monday_api_url:
            return self.monday_api_url
        if self.env == "prod":
            return "https://api.monday.com/v2"
        return f"http://127.0.0.1:{self.sandbox_port}/v2"

    @property
    def legacy_board_ids(self) -> dict[str, str]:
        """entity -> id from a leftover MONDAY_BOARD_<ENTITY> variable (only those that are set)."""
        ids = {
            "customers": self.legacy_board_customers,
            "orders": self.legacy_board_orders,
            "capacity": self.legacy_board_capacity,
        }
        return {entity: board_id for entity, board_id in ids.items() if board_id}


@cache
def get_settings() -> Settings:
    return Settings()
