"""The one place that reads the environment: one settings tree, loaded once (`get_settings()`).

    Settings                      platform, warehouse, Monday, OMS and planning settings (flat, as before)
    ├── secrets: SecretSettings   MONDAY_API_TOKEN, CM_SQLSERVER_DSN, CM_SQLSERVER_PASSWORD, OMS_API_TOKEN
    ├── alerts: AlertSettings     CM_SLACK_WEBHOOK_URL, CM_SLACK_DEADLINE_SECONDS, CM_DAGSTER_UI_URL
    └── thresholds: AlertThresholds   CM_ALERT_<NAME> (customer_master/thresholds.py)

Every field, in any section, is read from its own environment variable (its alias), so variable
names do not depend on where a field sits in the tree. Every setting has a default that runs the
embedded local platform (DuckDB + the sandbox emulator), so `make demo` needs no configuration.
Production sets `CM_ENV=prod` and the variables listed in `.env.example` (a test keeps that file and
this tree in step).

Secrets are *validated* here at start-up (surrounding whitespace is stripped; an interior control
character such as a pasted line break is an error naming the variable, never the value) but Dagster
resources still take them through `dg.EnvVar` at run time, so they are never baked into definitions.
A bad value raises `SettingsError`, whose message names each variable and the rule it broke.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from customer_master.alerts.settings import AlertSettings
from customer_master.redaction import clean_secret
from customer_master.scheduling.models import DeliveryWindow
from customer_master.scheduling.records import WEEKDAY_CODES, parse_delivery_days
from customer_master.thresholds import AlertThresholds

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SANDBOX_PORT = 8765
# The receiver's route for Monday's events (customer_master/realtime/receiver.py).
WEBHOOK_PATH = "/monday/webhook"


class SettingsError(ValueError):
    """The environment holds values the platform cannot run with; the message names each variable."""


class SecretSettings(BaseModel):
    """Credentials, validated at start-up only: resources read them through `dg.EnvVar` at run time
    (and clean them with the same `clean_secret`)."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True)

    monday_api_token: SecretStr | None = Field(None, validation_alias="MONDAY_API_TOKEN")
    sqlserver_dsn: SecretStr | None = Field(None, validation_alias="CM_SQLSERVER_DSN")
    # Read by dbt's sqlserver profile, not by Python: checked here so a pasted newline fails at start-up.
    sqlserver_password: SecretStr | None = Field(None, validation_alias="CM_SQLSERVER_PASSWORD")
    # The OMS API token (bearer / API-key header) or basic-auth password (customer_master/oms).
    oms_api_token: SecretStr | None = Field(None, validation_alias="OMS_API_TOKEN")
    # Monday signs webhook deliveries (a JWT in Authorization) with the app's signing secret; set, the
    # receiver rejects every delivery without a valid signature (401).
    monday_webhook_signing_secret: SecretStr | None = Field(
        None, validation_alias="MONDAY_WEBHOOK_SIGNING_SECRET"
    )

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: object, info: Any) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        alias = cls.model_fields[info.field_name].validation_alias
        return clean_secret(value, str(alias or info.field_name))


def _env_aliases(model: type[BaseModel]) -> dict[str, str]:
    """field name -> environment variable for every field of a section."""
    return {name: _alias(name, field) for name, field in model.model_fields.items()}


def _alias(name: str, field: FieldInfo) -> str:
    alias = field.validation_alias or field.alias
    return alias if isinstance(alias, str) else name


def _section(field: FieldInfo) -> type[BaseModel] | None:
    kind = field.annotation
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


class _EnvironmentSource(PydanticBaseSettingsSource):
    """Reads every field of the tree from its own variable, sections included (pydantic-settings'
    own env source would look for `THRESHOLDS__...`). Names match case-insensitively, as before."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the whole tree at once

    def __call__(self) -> dict[str, Any]:
        env = {name.upper(): value for name, value in os.environ.items()}
        data: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            section = _section(field)
            if section is None:
                alias = _alias(name, field)
                if alias.upper() in env:
                    data[alias] = env[alias.upper()]
                continue
            values = {
                alias: env[alias.upper()] for alias in _env_aliases(section).values() if alias.upper() in env
            }
            if values:
                data[name] = values
        return data


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    def __init__(self, **values: Any) -> None:
        # A pydantic ValidationError quotes the input, which may be a secret: replace it with
        # messages that name the variable and the rule (and the value only when it is not secret).
        # Raised outside the handler so the ValidationError is not even the (suppressed) __context__.
        problems = None
        try:
            super().__init__(**values)
        except ValidationError as exc:
            problems = describe_errors(exc)
        if problems is not None:
            raise SettingsError(problems)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _EnvironmentSource(settings_cls)

    secrets: SecretSettings = Field(default_factory=SecretSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    thresholds: AlertThresholds = Field(default_factory=AlertThresholds)

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

    # The OMS source (customer_master/oms): its YAML (endpoints, auth scheme, paging, incremental
    # cursor, mapping to the order contract), the API's base URL over the YAML's, and the basic-auth
    # user over the YAML's (the token is a secret: OMS_API_TOKEN in `secrets`).
    # Off by default: a team without an OMS runs on Monday alone. On, the `oms/*` assets pull the
    # OMS daily with the Monday boards (`make demo` and `make ui` turn it on against the emulator).
    oms_enabled: bool = Field(False, alias="CM_OMS_ENABLED")
    oms_source_path: Path = Field(
        PROJECT_ROOT / "customer_master" / "oms" / "shopify.yml", alias="OMS_SOURCE"
    )
    oms_api_url: str | None = Field(None, alias="OMS_API_URL")
    oms_api_user: str | None = Field(None, alias="OMS_API_USER")

    # Order changes within 30 s (customer_master/realtime, realtime_defs). `off`: orders move with the
    # nightly run only. `webhook`: Monday pushes every change to the receiver (`python -m
    # customer_master.realtime serve`, port CM_WEBHOOK_PORT), which Monday reaches at
    # CM_WEBHOOK_PUBLIC_URL. `polling`: for teams without a public URL, a sensor asks Monday every
    # CM_POLL_INTERVAL_SECONDS for the orders updated today. Either way the changes wait in a durable
    # store (SQLite, CM_CHANGE_STORE) until a small run applies them to order_master.
    realtime_mode: Literal["off", "webhook", "polling"] = Field("off", alias="CM_REALTIME_MODE")
    webhook_port: int = Field(8767, alias="CM_WEBHOOK_PORT", ge=1, le=65535)
    webhook_public_url: str | None = Field(None, alias="CM_WEBHOOK_PUBLIC_URL")
    webhook_max_body_bytes: int = Field(1_048_576, alias="CM_WEBHOOK_MAX_BODY_BYTES", gt=0)
    poll_interval_seconds: int = Field(15, alias="CM_POLL_INTERVAL_SECONDS", ge=1)
    # The polling sensor scans the board's active ids (to notice archived and deleted orders) every
    # this many polls; the updated-today query cannot see items that left the board.
    poll_state_check_every: int = Field(4, alias="CM_POLL_STATE_CHECK_EVERY", ge=1)
    # How often the change sensor looks for pending changes (the daemon ticks at most every 5 s).
    realtime_sensor_interval_seconds: int = Field(2, alias="CM_REALTIME_SENSOR_INTERVAL_SECONDS", ge=1)
    # A change whose run failed this many times is parked with its error (and alerts).
    realtime_max_attempts: int = Field(3, alias="CM_REALTIME_MAX_ATTEMPTS", ge=1)
    # Changes one batch applies at most (Monday's items(ids) reads 100 per call).
    realtime_batch_limit: int = Field(1000, alias="CM_REALTIME_BATCH_LIMIT", ge=1)
    # After its last batch an order-update run waits this long for more changes and applies them at
    # once (a warm run: ~2 s instead of a new run's ~13 s); it makes way at once for any other run
    # (the nightly). 0: one batch per run.
    realtime_linger_seconds: float = Field(60.0, alias="CM_REALTIME_LINGER_SECONDS", ge=0, le=600)
    change_store_path: Path | None = Field(None, alias="CM_CHANGE_STORE")

    # dbt target in dbt_project/profiles.yml (default: duckdb locally, sqlserver in prod)
    dbt_target_override: Literal["duckdb", "sqlserver"] | None = Field(None, alias="DBT_TARGET")

    # Replaced by CM_ALERT_RECORD_ERROR_RATE_CRITICAL (one number for the load gate and the check):
    # read only so a leftover variable is an error that says so instead of being ignored.
    legacy_max_error_rate: str | None = Field(None, alias="CM_MAX_ERROR_RATE")
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
    # The local-search pass after the greedy (scheduling/improve.py): less weighted lateness, priority
    # precedence kept; ~4 s at 100,000 orders (the greedy alone: 0.4 s). `false` plans greedy only.
    schedule_improve: bool = Field(True, alias="CM_SCHEDULE_IMPROVE")
    # Promises kept (scheduling/stability.py): orders the previous plan put on one of the first this
    # many working days keep their day and line unless they or their customer's window changed or
    # the day's capacity shrank; 0 lets every plan move everything.
    schedule_frozen_days: int = Field(2, alias="CM_SCHEDULE_FROZEN_DAYS", ge=0, le=60)
    # The delivery window of a customer without its own (a customer's days/times override it). The
    # one definition: the planner uses it and every dbt build gets it as vars (`dbt_vars`).
    default_delivery_days: str = Field("Mon,Tue,Wed,Thu,Fri", alias="CM_DEFAULT_DELIVERY_DAYS")
    default_window_start: dt.time = Field(dt.time(8, 0), alias="CM_DEFAULT_WINDOW_START")
    default_window_end: dt.time = Field(dt.time(17, 0), alias="CM_DEFAULT_WINDOW_END")

    # The plan where operations look (customer_master/reports): the daily delivery sheet (HTML + CSV
    # per plan date) goes to this directory; default <CM_DATA_DIR>/reports.
    reports_dir_path: Path | None = Field(None, alias="CM_REPORTS_DIR")
    # Where people open that directory (a file share or a web server serving it), for the links in
    # Slack and the Dagster UI; unset = the file's path on this host.
    reports_base_url: str | None = Field(None, alias="CM_REPORTS_BASE_URL")
    # The plan back on the Monday Orders board (columns named in the board mapping's `write_back`):
    # off (default), on ("true"), or dry_run ("dry-run": list what would change, write nothing).
    plan_write_back: Literal["off", "on", "dry_run"] = Field("off", alias="CM_PLAN_WRITE_BACK")

    @field_validator("plan_write_back", mode="before")
    @classmethod
    def _write_back_mode(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        word = value.strip().lower().replace("-", "_")
        modes = {"": "off", "false": "off", "0": "off", "no": "off", "off": "off", "true": "on", "1": "on"}
        modes |= {"yes": "on", "on": "on", "dry_run": "dry_run", "dryrun": "dry_run"}
        if word not in modes:
            raise ValueError(f"CM_PLAN_WRITE_BACK={value!r} must be true, false or dry-run")
        return modes[word]

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        value = value.strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"CM_TIMEZONE={value!r} is not an IANA time zone name "
                "(e.g. UTC, Europe/Berlin, America/Chicago)"
            ) from None
        return value

    @field_validator("legacy_max_error_rate")
    @classmethod
    def _max_error_rate_replaced(cls, value: str | None) -> None:
        if value is not None and value.strip():
            raise ValueError(
                "CM_MAX_ERROR_RATE is no longer read: the load's error-rate gate is the record error "
                "rate's critical threshold, CM_ALERT_RECORD_ERROR_RATE_CRITICAL (set that instead)"
            )
        return None

    @field_validator("default_delivery_days")
    @classmethod
    def _delivery_days(cls, value: str) -> str:
        tokens = [t.strip() for t in value.split(",") if t.strip()]
        unknown = [t for t in tokens if t.lower()[:3] not in WEEKDAY_CODES or len(t) < 3]
        if not tokens or unknown:
            raise ValueError(
                f"CM_DEFAULT_DELIVERY_DAYS={value!r} must list weekdays as Mon,Tue,...,Sun "
                f"(not understood: {', '.join(unknown) or 'no day at all'})"
            )
        return ",".join(t[:3].title() for t in tokens)

    @model_validator(mode="after")
    def _window_in_order(self) -> Settings:
        if self.default_window_end < self.default_window_start:
            raise ValueError(
                f"CM_DEFAULT_WINDOW_END ({self.default_window_end}) is before "
                f"CM_DEFAULT_WINDOW_START ({self.default_window_start})"
            )
        return self

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

    @field_validator(
        "legacy_board_customers",
        "legacy_board_orders",
        "legacy_board_capacity",
        "oms_api_url",
        "oms_api_user",
        "webhook_public_url",
        "reports_base_url",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator(
        "data_dir",
        "duckdb_path",
        "board_mapping_path",
        "oms_source_path",
        "change_store_path",
        "reports_dir_path",
    )
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
    def reports_dir(self) -> Path:
        return self.reports_dir_path or self.data_dir / "reports"

    def report_link(self, path: Path) -> str:
        """Where a person opens a report file: under CM_REPORTS_BASE_URL when set, else the path."""
        if self.reports_base_url:
            return f"{self.reports_base_url.rstrip('/')}/{path.name}"
        return str(path)

    @property
    def change_store(self) -> Path:
        return self.change_store_path or self.data_dir / "realtime" / "changes.sqlite"

    @property
    def webhook_url(self) -> str:
        """Where Monday sends the events: the public URL, else the local receiver (the sandbox)."""
        return self.webhook_public_url or f"http://127.0.0.1:{self.webhook_port}{WEBHOOK_PATH}"

    @property
    def monday_url(self) -> str:
        if self.monday_api_url:
            return self.monday_api_url
        if self.env == "prod":
            return "https://api.monday.com/v2"
        return f"http://127.0.0.1:{self.sandbox_port}/v2"

    @property
    def default_window(self) -> DeliveryWindow:
        return DeliveryWindow(
            parse_delivery_days(self.default_delivery_days) or frozenset(),
            self.default_window_start,
            self.default_window_end,
        )

    @property
    def legacy_board_ids(self) -> dict[str, str]:
        """entity -> id from a leftover MONDAY_BOARD_<ENTITY> variable (only those that are set)."""
        ids = {
            "customers": self.legacy_board_customers,
            "orders": self.legacy_board_orders,
            "capacity": self.legacy_board_capacity,
        }
        return {entity: board_id for entity, board_id in ids.items() if board_id}


def env_var_names() -> dict[str, str]:
    """Every environment variable the settings tree reads -> its dotted place in the tree."""
    names: dict[str, str] = {}
    for name, field in Settings.model_fields.items():
        section = _section(field)
        if section is None:
            names[_alias(name, field)] = name
        else:
            names.update({alias: f"{name}.{sub}" for sub, alias in _env_aliases(section).items()})
    return names


def secret_env_var_names() -> frozenset[str]:
    return frozenset(_env_aliases(SecretSettings).values()) | {"CM_SLACK_WEBHOOK_URL"}


def describe_errors(exc: ValidationError) -> str:
    """One line per broken rule: `VARIABLE=value: rule` (no value for secrets)."""
    known, secret = env_var_names(), secret_env_var_names()
    lines = []
    for error in exc.errors(include_url=False):
        names = [str(part) for part in error["loc"] if str(part) in known]
        message = error["msg"].removeprefix("Value error, ")
        if not names:  # a rule across fields: its message names the variables
            lines.append(f"  {message}")
            continue
        name = names[-1]
        if name in message:
            lines.append(f"  {message}")
        elif name in secret or "input" not in error:
            lines.append(f"  {name}: {message}")
        else:
            lines.append(f"  {name}={error['input']!r}: {message}")
    return "invalid configuration (variables are listed in .env.example):\n" + "\n".join(lines)


def dbt_vars(settings: Settings) -> dict[str, Any]:
    """The settings every dbt build applies, as dbt vars: thresholds of the dbt tests and models and
    the default delivery window. dbt_project.yml repeats the defaults only so a bare `dbt build`
    runs; Dagster always passes these (tests/unit/test_dbt_vars.py keeps the two equal)."""
    t = settings.thresholds
    return {
        "dq_coverage_min": t.coverage_min,
        "dq_customer_name_nulls_max": t.customer_name_nulls_warn,
        "utilization_warn": t.utilization_warn,
        "default_delivery_days": settings.default_delivery_days,
        "default_window_start": settings.default_window_start.strftime("%H:%M"),
        "default_window_end": settings.default_window_end.strftime("%H:%M"),
    }


def load_settings() -> Settings:
    """Read the whole tree from the environment now (SettingsError names what to fix)."""
    return Settings()


@cache
def get_settings() -> Settings:
    """The tree, read once per process (tests that change the environment call `cache_clear()`)."""
    return load_settings()
