"""Where alerts go: the Slack incoming-webhook URL (a secret) and the Dagster UI base URL for links."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DAGSTER_UI_URL = "http://127.0.0.1:3000"
WEBHOOK_ENV_VAR = "CM_SLACK_WEBHOOK_URL"


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    # Secret: a SecretStr, so printing the settings shows '**********', never the URL.
    slack_webhook_url: SecretStr | None = Field(None, alias=WEBHOOK_ENV_VAR)
    # Base URL of the Dagster UI for "View run" links; empty means no links.
    dagster_ui_url: str | None = Field(DEFAULT_DAGSTER_UI_URL, alias="CM_DAGSTER_UI_URL")

    @field_validator("slack_webhook_url", mode="before")
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("dagster_ui_url")
    @classmethod
    def _ui_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"CM_DAGSTER_UI_URL must start with http:// or https://, got {value!r}")
        return value
