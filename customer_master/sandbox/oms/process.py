"""Run the OMS emulator as its own process (demo, UI, benchmarks): client and server then do not
share a GIL. Same launcher as customer_master.sandbox.process.sandbox_process (serving.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from customer_master.sandbox.serving import listening_process


@contextmanager
def oms_process(
    orders: int = 300,
    seed: int = 42,
    *,
    shape: str = "shopify",
    monday_orders: int = 500,
    latency_ms: float = 0,
    malformed_orders: int = 0,
    dirt: bool = True,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Start `python -m customer_master.sandbox.oms serve` on a free loopback port; yields its API
    root URL (.../admin/api/2024-10 or .../wp-json/wc/v3). Pass the Monday sandbox's orders and seed
    so both share customers and order numbers. `extra_args` are further `serve` flags."""
    cmd = [
        sys.executable, "-m", "customer_master.sandbox.oms", "serve", "--host", "127.0.0.1", "--port", "0",
        "--shape", shape, "--orders", str(orders), "--seed", str(seed),
        "--monday-orders", str(monday_orders), "--latency-ms", str(latency_ms),
        "--malformed-orders", str(malformed_orders), *([] if dirt else ["--no-dirt"]), *extra_args,
    ]  # fmt: skip
    with listening_process(cmd) as url:
        yield url
