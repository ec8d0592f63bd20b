"""CLI: `python -m customer_master.sandbox.oms serve --port 8766 --shape shopify --orders 300 ...`.

Prints exactly one line, `oms sandbox (<shape>) listening on http://127.0.0.1:<port><api root>`,
then serves until SIGTERM or SIGINT and exits 0. The Shopify token defaults to
$OMS_SHOPIFY_TOKEN, else "shpat_sandbox"; the WooCommerce key and secret to $OMS_WOO_CONSUMER_KEY /
$OMS_WOO_CONSUMER_SECRET, else "ck_sandbox" / "cs_sandbox".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

from customer_master.sandbox.accounts import ACCOUNTS
from customer_master.sandbox.oms.data import SHAPES, OmsSpec
from customer_master.sandbox.oms.engine import SHOPIFY_TOKEN, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET
from customer_master.sandbox.oms.server import OmsServer
from customer_master.sandbox.serving import add_host_port, serve_parser, serve_until_signalled


def _parser() -> argparse.ArgumentParser:
    parser, serve = serve_parser("python -m customer_master.sandbox.oms", __doc__, "serve the OMS emulator")
    serve.add_argument("--shape", choices=SHAPES, default="shopify")
    add_host_port(serve, 8766)
    serve.add_argument("--orders", type=int, default=300, help="OMS orders")
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--monday-orders", type=int, default=500, help="the Monday sandbox's --orders")
    serve.add_argument(
        "--monday-seed", type=int, default=None, help="the Monday sandbox's --seed (default --seed)"
    )
    serve.add_argument("--customers", type=int, default=None, help="the Monday sandbox's --customers")
    serve.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
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
    serve.add_argument("--malformed-orders", type=int, default=0, help="fault: orders with malformed values")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    spec = OmsSpec(
        seed=args.seed,
        orders=args.orders,
        monday_orders=args.monday_orders,
        monday_seed=args.monday_seed,
        customers=args.customers,
        as_of=args.as_of,
        dirt=not args.no_dirt,
        account=args.account,
        utc_offset_minutes=args.utc_offset_minutes,
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
