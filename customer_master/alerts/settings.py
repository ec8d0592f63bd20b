"""The alerts section of the settings tree (customer_master/settings.py loads it with everything else):
where alerts go (the Slack incoming-webhook URL, a secret), how long one message may take to deliver,
and the Dagster UI base URL for links. Each field is read from its own environment variable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from customer_master.redaction import clean_secret

DEFAULT_DAGSTER_UI_URL = "http://127.0.0.1:3000"
WEBHOOK_ENV_VAR = "CM_SLACK_WEBHOOK_URL"
# The operations channel's own incoming webhook (the morning delivery summary); unset = the alerts one.
OPS_WEBHOOK_ENV_VAR = "CM_SLACK_OPS_WEBHOOK_URL"
DEADLINE_ENV_VAR = "CM_SLACK_DEADLINE_SECONDS"
# One message, all attempts and waits included: several alerts in one sensor tick must still end
# well inside Dagster's 60 s sensor timeout.
DEFAULT_DEADLINE_SECONDS = 5.0
MAX_DEADLINE_SECONDS = 30.0


class AlertSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True)

    # Secret: a SecretStr, so printing the settings shows '**********', never the URL.
    slack_webhook_url: SecretStr | None = Field(None, validation_alias=WEBHOOK_ENV_VAR)
    slack_ops_webhook_url: SecretStr | None = Field(None, validation_alias=OPS_WEBHOOK_ENV_VAR)
    slack_deadline_seconds: float = Field(
        DEFAULT_DEADLINE_SECONDS, gt=0, le=MAX_DEADLINE_SECONDS, validation_alias=DEADLINE_ENV_VAR
    )
    # Base URL of the Dagster UI for "View run" links; empty means no links.
    dagster_ui_url: str | None = Field(DEFAULT_DAGSTER_UI_URL, validation_alias="CM_DAGSTER_UI_URL")

    @field_validator("slack_webhook_url", "slack_ops_webhook_url", mode="before")
    @classmethod
    def _webhook(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        variable = OPS_WEBHOOK_ENV_VAR if info.field_name == "slack_ops_webhook_url" else WEBHOOK_ENV_VAR
        url = clean_secret(value, variable)
        if url is not None and not url.startswith(("https://", "http://")):
            # Never quote the value: it is the webhook's only credential.
            raise ValueError(
                f"{variable} must be an http(s) URL (Slack's starts with https://hooks.slack.com/)"
            )
        return url

    @field_validator("dagster_ui_url")
    @classmethod
    def _ui_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"CM_DAGSTER_UI_URL must start with http:// or https://, got {value!r}")
        return value
