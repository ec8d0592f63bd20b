"""The receiver and the change store's operator commands:

    python -m customer_master.realtime serve [--host H] [--port P] [--store PATH] [--board ID ...]
    python -m customer_master.realtime register [--url URL] [--dry-run]
    python -m customer_master.realtime webhooks
    python -m customer_master.realtime unregister
    python -m customer_master.realtime retry-parked [--store PATH] [--key SOURCE/BOARD/ITEM ...]
    python -m customer_master.realtime stats [--store PATH] [--window-seconds S]

`serve` without options listens on CM_WEBHOOK_PORT, stores in the configured change store and watches
the board mapping's Orders board. `register` creates the Orders board's webhooks for
CM_WEBHOOK_PUBLIC_URL (or --url; the receiver must be up, Monday sends a challenge first) and removes
stale ones; `webhooks` lists them; `unregister` removes every webhook `register` created.

The signing secret comes only from the environment (MONDAY_WEBHOOK_SIGNING_SECRET): a command-line
argument would show in `ps` and in shell history. Without --store, the operator commands use the
configured store (CM_CHANGE_STORE, else .data/realtime/changes.sqlite).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from customer_master.realtime.receiver import ReceiverConfig, serve
from customer_master.realtime.store import ChangeKey, ChangeStore

if TYPE_CHECKING:
    from customer_master.monday import MondayClient
    from customer_master.settings import Settings

SECRET_ENV = "MONDAY_WEBHOOK_SIGNING_SECRET"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m customer_master.realtime")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="run the Monday webhook receiver")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument(
        "--port", type=int, help="default CM_WEBHOOK_PORT; 0 picks a free port (printed when up)"
    )
    run.add_argument("--store", help="the change store's SQLite file (default: the configured one)")
    run.add_argument(
        "--board",
        action="append",
        dest="boards",
        metavar="ID",
        help="a watched board id (repeat for more; default the mapping's Orders board); events of other "
        "boards are stored as ignored",
    )
    run.add_argument("--max-body-bytes", type=int, help="default CM_WEBHOOK_MAX_BODY_BYTES")
    run.add_argument("--path", default=ReceiverConfig.path)
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    register = commands.add_parser("register", help="create/refresh the Orders board's webhooks on Monday")
    register.add_argument("--url", help="where Monday sends events (default CM_WEBHOOK_PUBLIC_URL)")
    register.add_argument("--dry-run", action="store_true", help="list what would change; change nothing")
    register.add_argument(
        "--wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for the local receiver to answer (`make ui` starts both at once)",
    )
    commands.add_parser("webhooks", help="list the Orders board's webhooks on Monday")
    commands.add_parser("unregister", help="remove every webhook `register` created")

    retry = commands.add_parser("retry-parked", help="put parked changes back to pending")
    retry.add_argument("--store", help="the change store's SQLite file (default: the configured one)")
    retry.add_argument(
        "--key", action="append", dest="keys", metavar="SOURCE/BOARD/ITEM", help="only these (repeatable)"
    )

    stats = commands.add_parser("stats", help="print the change store's stats as JSON")
    stats.add_argument("--store", help="the change store's SQLite file (default: the configured one)")
    stats.add_argument("--window-seconds", type=float, default=86400)
    return parser


def parse_key(text: str) -> ChangeKey:
    parts = text.split("/")
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError(f"expected SOURCE/BOARD/ITEM, got {text!r}")
    return ChangeKey(*parts)


def _store_path(given: str | None) -> Path:
    if given:
        return Path(given)
    from customer_master.settings import get_settings  # only when needed: serve never reads settings

    return get_settings().change_store


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    secret = os.environ.get(SECRET_ENV) or None
    if secret is None:
        logging.getLogger(__name__).warning("%s is not set: accepting unsigned webhooks", SECRET_ENV)
    settings = _settings()
    config = ReceiverConfig(
        watched_boards=frozenset(args.boards or [_orders_board()]),
        signing_secret=secret,
        max_body_bytes=args.max_body_bytes or settings.webhook_max_body_bytes,
        path=args.path,
        ignored_columns=_write_back_columns(),
    )
    port = settings.webhook_port if args.port is None else args.port
    serve(config, ChangeStore(_store_path(args.store)), host=args.host, port=port, log_level=args.log_level)
    return 0


def _settings() -> Settings:
    from customer_master.settings import get_settings

    return get_settings()


def _orders_board() -> str:
    from customer_master.board_mapping import configured_mapping

    return configured_mapping().board_ids["orders"]


def _write_back_columns() -> frozenset[tuple[str, str]]:
    """The plan write-back's columns (their change events must not queue order changes)."""
    from customer_master.board_mapping import BoardMappingError, configured_mapping
    from customer_master.monday.write_back import write_back_column_ids

    try:
        return write_back_column_ids(configured_mapping())
    except BoardMappingError as exc:
        logging.getLogger(__name__).warning("no write-back columns to ignore: %s", exc)
        return frozenset()


def _monday_client() -> MondayClient:
    """A Monday client as the pipeline builds it (MONDAY_API_TOKEN, MONDAY_API_URL or the sandbox)."""
    from customer_master.monday import MondayAuthError, MondayClient

    try:
        return MondayClient.from_settings(_settings())
    except MondayAuthError as exc:  # MONDAY_API_TOKEN is not set: say how to get one, no traceback
        raise SystemExit(exc.reason) from None


def _wait_for_receiver(port: int, seconds: float) -> None:
    """Until the local receiver answers /health: Monday's challenge on create must reach it."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the receiver on port {port} did not answer within {seconds:g} s")
        time.sleep(0.2)


def _webhook_command(args: argparse.Namespace) -> int:
    from customer_master.realtime.registration import (
        Registrations,
        list_webhooks,
        register_webhooks,
        unregister_webhooks,
    )

    registrations = Registrations(_store_path(None))
    with _monday_client() as client:
        if args.command == "register":
            url = args.url or _settings().webhook_url
            if args.wait:
                _wait_for_receiver(_settings().webhook_port, args.wait)
            result = register_webhooks(
                client, registrations, boards=[_orders_board()], url=url, dry_run=args.dry_run
            )
            print(("dry run: " if args.dry_run else "") + result.summary() + f" (url {url})")
            for hook in result.created:
                print(f"  + {hook.event} on board {hook.board_id}")
            for hook in result.deleted:
                print(f"  - {hook.event} on board {hook.board_id} (webhook {hook.id}, url {hook.url})")
        elif args.command == "webhooks":
            ours = {w.id: w.url for w in registrations.all()}
            for hook in list_webhooks(client, _orders_board()):
                print(f"{hook.id}\t{hook.event}\tboard {hook.board_id}\t{ours.get(hook.id) or '(not ours)'}")
        else:
            removed = unregister_webhooks(client, registrations)
            print(f"{len(removed)} webhook(s) removed")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command in ("register", "webhooks", "unregister"):
        return _webhook_command(args)
    with ChangeStore(_store_path(args.store)) as store:
        if args.command == "retry-parked":
            try:
                keys = None if not args.keys else [parse_key(k) for k in args.keys]
            except argparse.ArgumentTypeError as exc:
                parser.error(str(exc))
            print(f"{store.retry_parked(keys)} parked change(s) back to pending")
        else:
            print(json.dumps(dataclasses.asdict(store.stats(window_seconds=args.window_seconds)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
