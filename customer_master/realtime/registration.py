"""Register the webhooks the receiver needs on Monday: create what is missing, remove what is stale.

Monday lists a board's webhooks (`webhooks(board_id)`: id, event, config) but never their URL, so
which ones are ours, and where they point, is kept here: every webhook this command creates is
recorded with its URL in the change store's SQLite file (table `webhook_registrations`).

- missing: an event of `WEBHOOK_EVENTS` on a watched board with no recorded webhook for the current
  URL that Monday still lists → created (Monday POSTs a challenge first; the receiver must be up);
- stale: a recorded webhook for another URL (the public URL changed), for an event no longer
  needed, or for a board no longer watched, or a second one for the same (board, event, url)
  → deleted on Monday and forgotten;
- a recorded webhook Monday no longer lists (removed by hand) is forgotten and created again;
- webhooks Monday lists that this command never created (another integration's) are left alone.

Running it again changes nothing: it is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from customer_master.monday import MondayClient
from customer_master.realtime.sqlite_state import SqliteState

# Every way an order can change on the Orders board (Monday's event names, `create_webhook(event:)`).
WEBHOOK_EVENTS: tuple[str, ...] = (
    "create_item",
    "change_column_value",
    "change_name",
    "item_archived",
    "item_deleted",
    "item_restored",
    "item_moved_to_any_group",
)

WEBHOOKS_QUERY = """query Webhooks($board_id: ID!) {
  webhooks(board_id: $board_id) { id event board_id config }
}"""

CREATE_WEBHOOK_MUTATION = """mutation CreateWebhook(
  $board_id: ID!, $url: String!, $event: WebhookEventType!
) {
  create_webhook(board_id: $board_id, url: $url, event: $event) { id board_id event }
}"""

DELETE_WEBHOOK_MUTATION = """mutation DeleteWebhook($id: ID!) {
  delete_webhook(id: $id) { id board_id }
}"""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS webhook_registrations (webhook_id TEXT PRIMARY KEY, board_id TEXT NOT NULL, "
    "event TEXT NOT NULL, url TEXT NOT NULL)"
)


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    board_id: str
    event: str
    url: str | None = None  # known only for the ones recorded here


@dataclass(frozen=True, slots=True)
class RegistrationPlan:
    create: tuple[tuple[str, str], ...]  # (board_id, event)
    delete: tuple[Webhook, ...]
    keep: tuple[Webhook, ...]
    forget: tuple[Webhook, ...]  # recorded, but Monday no longer lists them

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.delete)


def plan_registration(
    recorded: Iterable[Webhook],
    listed: Iterable[Webhook],
    *,
    boards: Sequence[str],
    url: str,
    events: Sequence[str] = WEBHOOK_EVENTS,
) -> RegistrationPlan:
    """What to create and delete so each watched board has exactly one webhook per event for `url`."""
    listed_ids = {w.id for w in listed}
    wanted = {(str(b), e) for b in boards for e in events}
    keep: list[Webhook] = []
    delete: list[Webhook] = []
    forget: list[Webhook] = []
    covered: set[tuple[str, str]] = set()
    for hook in sorted(recorded, key=lambda w: (w.board_id, w.event, _id_order(w.id))):
        pair = (hook.board_id, hook.event)
        if hook.id not in listed_ids:
            forget.append(hook)
        elif hook.url == url and pair in wanted and pair not in covered:
            keep.append(hook)
            covered.add(pair)
        else:
            delete.append(hook)
    create = tuple(sorted(wanted - covered))
    return RegistrationPlan(create=create, delete=tuple(delete), keep=tuple(keep), forget=tuple(forget))


def _id_order(value: str) -> tuple[int, str]:
    return (len(value), value)


class Registrations(SqliteState):
    """The webhooks this platform created, with their URL (next to the change store)."""

    schema = (_SCHEMA,)

    def all(self) -> list[Webhook]:
        with self._connect() as db:
            rows = db.execute("SELECT webhook_id, board_id, event, url FROM webhook_registrations").fetchall()
        return [Webhook(id=r[0], board_id=r[1], event=r[2], url=r[3]) for r in rows]

    def add(self, hook: Webhook) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO webhook_registrations (webhook_id, board_id, event, url) "
                "VALUES (?, ?, ?, ?)",
                [hook.id, hook.board_id, hook.event, hook.url or ""],
            )

    def remove(self, webhook_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM webhook_registrations WHERE webhook_id = ?", [webhook_id])


def list_webhooks(client: MondayClient, board_id: str) -> list[Webhook]:
    data = client.execute(
        WEBHOOKS_QUERY, {"board_id": str(board_id)}, board_id=str(board_id), purpose="webhooks"
    )
    return [
        Webhook(id=str(w["id"]), board_id=str(w.get("board_id") or board_id), event=str(w.get("event")))
        for w in data.get("webhooks") or ()
        if isinstance(w, dict) and w.get("id") is not None
    ]


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    created: tuple[Webhook, ...]
    deleted: tuple[Webhook, ...]
    kept: tuple[Webhook, ...]
    forgotten: tuple[Webhook, ...]

    def summary(self) -> str:
        return (
            f"{len(self.created)} webhook(s) created, {len(self.deleted)} stale removed, "
            f"{len(self.kept)} kept, {len(self.forgotten)} gone from Monday forgotten"
        )


def register_webhooks(
    client: MondayClient,
    registrations: Registrations,
    *,
    boards: Sequence[str],
    url: str,
    events: Sequence[str] = WEBHOOK_EVENTS,
    dry_run: bool = False,
) -> RegistrationResult:
    """Bring Monday's webhooks for `url` in line with `boards` × `events` (see the module doc)."""
    recorded = registrations.all()
    listed: list[Webhook] = []
    for board in sorted({*map(str, boards), *(w.board_id for w in recorded)}):
        listed.extend(list_webhooks(client, board))
    plan = plan_registration(recorded, listed, boards=boards, url=url, events=events)
    if dry_run:
        planned = tuple(Webhook(id="(new)", board_id=b, event=e, url=url) for b, e in plan.create)
        return RegistrationResult(planned, plan.delete, plan.keep, plan.forget)
    for hook in plan.forget:
        registrations.remove(hook.id)
    for hook in plan.delete:
        _delete(client, hook)
        registrations.remove(hook.id)
    created: list[Webhook] = []
    for board, event in plan.create:
        data = client.execute(
            CREATE_WEBHOOK_MUTATION,
            {"board_id": board, "url": url, "event": event},
            board_id=board,
            purpose="create_webhook",
        )
        made = data.get("create_webhook") or {}
        hook = Webhook(id=str(made["id"]), board_id=board, event=event, url=url)
        registrations.add(hook)  # recorded at once: a failure on the next one leaves no orphan
        created.append(hook)
    return RegistrationResult(tuple(created), plan.delete, plan.keep, plan.forget)


def unregister_webhooks(client: MondayClient, registrations: Registrations) -> list[Webhook]:
    """Delete every webhook this platform created (switching to polling, or decommissioning)."""
    removed = []
    listed_by_board: dict[str, set[str]] = {}
    for hook in registrations.all():
        if hook.board_id not in listed_by_board:
            listed_by_board[hook.board_id] = {w.id for w in list_webhooks(client, hook.board_id)}
        if hook.id in listed_by_board[hook.board_id]:
            _delete(client, hook)
        registrations.remove(hook.id)
        removed.append(hook)
    return removed


def _delete(client: MondayClient, hook: Webhook) -> None:
    client.execute(DELETE_WEBHOOK_MUTATION, {"id": hook.id}, board_id=hook.board_id, purpose="delete_webhook")
