"""OMS (order management system) REST emulator beside the Monday sandbox: a loopback server with
deterministic orders for the Monday sandbox's customers, in two real API shapes.

Public API:

- `OmsSpec`, `OmsStore` (data.py): what to generate; the orders being served
- `OmsServer(spec, *, shape="shopify"|"woocommerce", host, port, token, consumer_key,
  consumer_secret, latency_ms)` - context manager serving `url` (the API root), `orders_url`,
  `auth_headers`, `control`
- `OmsControl(base_url)`, `OmsControlError` - client of the (unauthenticated, loopback-only)
  control endpoint
- `SHOPIFY_TOKEN`, `WOO_CONSUMER_KEY`, `WOO_CONSUMER_SECRET`, `SHAPES`
- `oms_process(...)` (process.py) - the emulator as its own process

See README.md in this folder for the endpoints, the data rules, the faults and the control ops.
"""

from customer_master.sandbox.oms.control import OmsControl, OmsControlError
from customer_master.sandbox.oms.data import SHAPES, OmsSpec, OmsStore
from customer_master.sandbox.oms.engine import (
    SHOPIFY_TOKEN,
    WOO_CONSUMER_KEY,
    WOO_CONSUMER_SECRET,
    OmsEngine,
)
from customer_master.sandbox.oms.server import OmsServer

__all__ = [
    "SHAPES",
    "SHOPIFY_TOKEN",
    "WOO_CONSUMER_KEY",
    "WOO_CONSUMER_SECRET",
    "OmsControl",
    "OmsControlError",
    "OmsEngine",
    "OmsServer",
    "OmsSpec",
    "OmsStore",
]
