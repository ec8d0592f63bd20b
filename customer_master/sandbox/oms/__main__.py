"""CLI: `python -m customer_master.sandbox.oms serve --port 8766 --shape shopify --orders 300 ...`.

Prints exactly one line, `oms sandbox (<shape>) listening on http://127.0.0.1:<port><api root>`,
then serves until SIGTERM or SIGINT and exits 0. The Shopify token defaults to
$OMS_SHOPIFY_TOKEN, else "shpat_sandbox"; the WooCommerce key and secret to $OMS_WOO_CONSUMER_KEY /
$OMS_WOO_CONSUMER_SECRET, else "ck_sandbox" / "cs_sandbox".

`serve --profile demo` serves the OMS beside `python -m customer_master.sandbox serve --profile demo`
(same customers and order numbers, anchored to today or --as-of): what `make demo` and `make ui` run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

from customer_master.sandbox.accounts import ACCOUNTS
from customer_master.sandbox.generator import PROFILES
from customer_master.sandbox.oms.data import SHAPES, OmsSpec
from customer_master.sandbox.oms.engine import SHOPIFY_TOKEN, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET
from customer_master.sandbox.oms.server import OmsServer
from customer_master.sandbox.serving import add_host_port, serve_parser, serve_until_signalled

PLAIN_DEFAULTS = {
    "orders": 300,
    "monday_orders": 500,
    "as_of": OmsSpec().as_of,
    "malformed_orders": 0,
    "spec": {},
}
# Per profile: the OMS's size and faults beside the Monday profile's orders, anchored to today.
PROFILE_DEFAULTS = {
    "demo": {
        "orders": 600,
        "monday_orders": PROFILES["demo"]["orders"],
        "as_of": dt.date.today(),
        "malformed_orders": 2,
        "spec": {"unknown_customer_rate": 0.005},
    }
}


def _parser() -> argparse.ArgumentParser:
    parser, serve = serve_parser("python -m customer_master.sandbox.oms", __doc__, "serve the OMS emulator")
    serve.add_argument("--shape", choices=SHAPES, default="shopify")
    add_host_port(serve, 8766)
    serve.add_argument("--profile", choices=PROFILES, default=None, help="the Monday sandbox's --profile")
    serve.add_argument("--orders", type=int, default=None, help="OMS orders (default 300, or the profile's)")
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument(
        "--monday-orders", type=int, default=None, help="the Monday sandbox's --orders (default 500)"
    )
    serve.add_argument(
        "--monday-seed", type=int, default=None, help="the Monday sandbox's --seed (default --seed)"
    )
    serve.add_argument("--customers", type=int, default=None, help="the Monday sandbox's --customers")
    serve.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="default 2026-11-01, or today with --profile",
    )
    serve.add_argument("--no-dirt", action="store_true", help="the Monday sandbox runs with --no-dirt")
    serve.add_argument(
        "--account", choices=ACCOUNTS, default="sandbox", help="the Monday sandbox's --account"
    )
    serve.add_argument("--utc-offset-minutes", type=int, default=0, help="the shop's timezone")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="added to every API request")
    serve.add_argument("--token", default=os.environ.get("OMS_SHOPIFY_TOKEN") or SHOPIFY_TOKEN)
    serve.add_argument("--consumer-key", default=os.environ.get("OMS_WOO_CONSUMER_KEY") or WOO_CONSUMER_KEY)
    serve.add_argument(
        "--consumer-secret", default=os.environ.get("OMS_WOO_CONSUMER_SECRET") or WOO_CONSUMER_SECRET
    )
    serve.add_argument(
        "--malformed-orders", type=int, default=None, help="fault: orders with malformed values (default 0)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    profile = PROFILE_DEFAULTS.get(args.profile, PLAIN_DEFAULTS)
    if args.malformed_orders is None:
        args.malformed_orders = profile["malformed_orders"]
    spec = OmsSpec(
        seed=args.seed,
        orders=profile["orders"] if args.orders is None else args.orders,
        monday_orders=profile["monday_orders"] if args.monday_orders is None else args.monday_orders,
        monday_seed=args.monday_seed,
        customers=args.customers,
        as_of=args.as_of or profile["as_of"],
        dirt=not args.no_dirt,
        account=args.account,
        utc_offset_minutes=args.utc_offset_minutes,
        profile=args.profile,
        **profile["spec"],
    )
    server = OmsServer(
        spec,
        shape=args.shape,
        host=args.host,
        port=args.port,
        token=args.token,
        consumer_key=args.consumer_key,
        consumer_secret=args.consumer_secret,
        latency_ms=args.latency_ms,
    )
    return serve_until_signalled(server, f"oms sandbox ({args.shape})", lambda: _set_faults(server, args))


def _set_faults(server: OmsServer, args: argparse.Namespace) -> None:
    """The fault flags, applied once the server runs."""
    if args.malformed_orders:
        server.engine.op_set_faults(malformed_orders=args.malformed_orders)


if __name__ == "__main__":
    sys.exit(main())
