"""The webhook registration as a Dagster job (the same work as `python -m customer_master.realtime
register`): one webhook per order event on the Orders board, pointing at CM_WEBHOOK_PUBLIC_URL."""

import dagster as dg
from pydantic import Field

from customer_master.board_mapping import configured_mapping
from customer_master.defs.monday.resources import MondayResource
from customer_master.realtime.registration import register_webhooks
from customer_master.realtime_defs.resources import ChangeStoreResource
from customer_master.settings import get_settings


class RegisterWebhooksConfig(dg.Config):
    dry_run: bool = Field(
        default=False, description="List what would be created and removed; change nothing."
    )
    url: str | None = Field(
        default=None,
        description="Where Monday sends events (default CM_WEBHOOK_PUBLIC_URL, else the local receiver).",
    )


@dg.op(
    description=(
        "Creates the Monday webhooks the receiver needs on the Orders board (create_item, "
        "change_column_value, "
        "change_name, item_archived, item_deleted, item_restored, item_moved_to_any_group) and removes stale "
        "ones; idempotent. The receiver must be running: Monday sends a challenge first."
    )
)
def register_monday_webhooks(
    context: dg.OpExecutionContext,
    config: RegisterWebhooksConfig,
    monday: MondayResource,
    change_store: ChangeStoreResource,
) -> dg.Output[None]:
    url = config.url or get_settings().webhook_url
    boards = [configured_mapping().board_ids["orders"]]
    with monday.get_client() as client:
        result = register_webhooks(
            client, change_store.registrations(), boards=boards, url=url, dry_run=config.dry_run
        )
    prefix = "dry run: " if config.dry_run else ""
    context.log.info(prefix + result.summary())
    return dg.Output(
        None,
        metadata={
            "url": url,
            "dry_run": config.dry_run,
            "created": dg.MetadataValue.json([f"{w.board_id}:{w.event}" for w in result.created]),
            "removed": dg.MetadataValue.json([f"{w.board_id}:{w.event}:{w.id}" for w in result.deleted]),
            "kept": len(result.kept),
        },
    )


@dg.job(
    name="register_monday_webhooks_job",
    description="Create / refresh the Monday webhooks of the Orders board (CM_REALTIME_MODE=webhook).",
)
def register_monday_webhooks_job() -> None:
    register_monday_webhooks()
