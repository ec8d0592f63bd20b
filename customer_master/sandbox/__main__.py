"""CLI: `python -m customer_master.sandbox serve --port 8765 --orders 500 ...`.

`serve --profile demo` serves the demo's data (generator.PROFILES) anchored to today (or --as-of):
what `make demo` and `make ui` both run.

Prints exactly one line, `sandbox listening on http://127.0.0.1:<port>/v2`, then serves until
SIGTERM or SIGINT and exits 0. The token defaults to $MONDAY_API_TOKEN, else "sandbox-token".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

from customer_master.sandbox.accounts import ACCOUNTS
from customer_master.sandbox.engine import SANDBOX_TOKEN
from customer_master.sandbox.generator import PROFILES, WorkspaceSpec, profile_spec
from customer_master.sandbox.server import SandboxServer
from customer_master.sandbox.serving import add_host_port, serve_parser, serve_until_signalled
from customer_master.sandbox.webhooks import RETRY_SECONDS_ENV, SIGNING_SECRET_ENV

DEFAULT_AS_OF = WorkspaceSpec().as_of
# A little of the dirt real boards have in the profile's API answers, so the quarantine path shows.
PROFILE_MALFORMED_RATE = {"demo": 0.0005}


def _parser() -> argparse.ArgumentParser:
    parser, serve = serve_parser("python -m customer_master.sandbox", __doc__, "serve the Monday API sandbox")
    add_host_port(serve, 8765)
    serve.add_argument("--profile", choices=PROFILES, default=None, help="named data profile, as of today")
    serve.add_argument("--orders", type=int, default=None, help="default 500, or the profile's")
    serve.add_argument("--customers", type=int, default=None)
    serve.add_argument("--resources", type=int, default=5)
    serve.add_argument("--capacity-days", type=int, default=120)
    serve.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="default 2026-11-01, or today with --profile",
    )
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--no-dirt", action="store_true", help="generate clean data")
    serve.add_argument(
        "--account", choices=ACCOUNTS, default="sandbox", help="account profile (board ids, columns)"
    )
    serve.add_argument("--latency-ms", type=float, default=0)
    serve.add_argument("--token", default=os.environ.get("MONDAY_API_TOKEN") or SANDBOX_TOKEN)
    serve.add_argument("--cursor-ttl-seconds", type=float, default=3600)
    serve.add_argument("--complexity-budget", type=int, default=10_000_000, help="points per minute")
    serve.add_argument(
        "--malformed-rate", type=float, default=None, help="fault: fraction of malformed values (default 0)"
    )
    serve.add_argument(
        "--purge-deleted", action="store_true", help="fault: deleted items vanish from items(ids)"
    )
    serve.add_argument(
        "--latency-per-item-ms",
        type=float,
        default=0.0,
        help="fault: added latency per item with column_values in a response (full pages are slow)",
    )
    serve.add_argument(
        "--rate-limit-rate", type=float, default=0.0, help="fault: probability that a request gets a 429"
    )
    serve.add_argument(
        "--server-error-rate", type=float, default=0.0, help="fault: probability that a request gets a 5xx"
    )
    serve.add_argument(
        "--rate-limit-retry-in-seconds", type=float, default=1.0, help="fault: the 429s' retry hint"
    )
    serve.add_argument("--fault-seed", type=int, default=0, help="seed of the probabilistic faults")
    serve.add_argument(
        "--webhook-retry-seconds",
        type=float,
        default=None,
        help=f"interval between webhook delivery retries (default ${RETRY_SECONDS_ENV}, else 60)",
    )
    serve.add_argument(
        "--webhook-signing-secret",
        default=None,
        help=f"sign webhook deliveries (JWT HS256); prefer ${SIGNING_SECRET_ENV}, a flag shows in ps",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.malformed_rate is None:
        args.malformed_rate = PROFILE_MALFORMED_RATE.get(args.profile, 0.0)
    spec = _spec(args)
    server = SandboxServer(
        spec,
        host=args.host,
        port=args.port,
        token=args.token,
        latency_ms=args.latency_ms,
        complexity_budget_per_minute=args.complexity_budget,
        cursor_ttl_seconds=args.cursor_ttl_seconds,
        webhook_retry_seconds=args.webhook_retry_seconds,
        webhook_signing_secret=args.webhook_signing_secret,
    )
    return serve_until_signalled(server, "sandbox", lambda: _set_faults(server, args))


def _spec(args: argparse.Namespace) -> WorkspaceSpec:
    """The flags' spec: the profile's knobs (anchored to today) under the explicitly given flags."""
    given = {
        "seed": args.seed,
        "customers": args.customers,
        "resources": args.resources,
        "dirt": not args.no_dirt,
        "account": args.account,
    }
    if args.profile is not None:
        optional = {"orders": args.orders, "as_of": args.as_of}
        return profile_spec(args.profile, **given, **{k: v for k, v in optional.items() if v is not None})
    return WorkspaceSpec(
        **given,
        orders=500 if args.orders is None else args.orders,
        capacity_days=args.capacity_days,
        as_of=args.as_of or DEFAULT_AS_OF,
    )


def _set_faults(server: SandboxServer, args: argparse.Namespace) -> None:
    """The fault flags, applied once the server runs."""
    if args.malformed_rate or args.purge_deleted:
        server.engine.faults.update(malformed_rate=args.malformed_rate, purge_deleted=args.purge_deleted)
    if args.latency_per_item_ms or args.rate_limit_rate or args.server_error_rate:
        server.engine.faults.update(
            latency_per_item_ms=args.latency_per_item_ms,
            rate_limit_rate=args.rate_limit_rate,
            server_error_rate=args.server_error_rate,
            rate_limit_retry_in_seconds=args.rate_limit_retry_in_seconds,
            fault_seed=args.fault_seed,
        )


if __name__ == "__main__":
    sys.exit(main())
