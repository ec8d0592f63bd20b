"""Run the OMS emulator as its own process (demo, UI, benchmarks): client and server then do not
share a GIL. Same launcher as customer_master.sandbox.process.sandbox_process (serving.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from customer_master.sandbox.serving import listening_process


@contextmanager
def oms_process(
    orders: int | None = 300,
    seed: int = 42,
    *,
    shape: str = "shopify",
    monday_orders: int | None = 500,
    latency_ms: float = 0,
    malformed_orders: int | None = 0,
    dirt: bool = True,
    profile: str | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Start `python -m customer_master.sandbox.oms serve` on a free loopback port; yields its API
    root URL (.../admin/api/2024-10 or .../wp-json/wc/v3). Pass the Monday sandbox's orders and seed
    (or its `profile`, with None for the sizes the profile sets) so both share customers and order
    numbers. `extra_args` are further `serve` flags."""
    optional = {"--orders": orders, "--monday-orders": monday_orders, "--malformed-orders": malformed_orders}
    cmd = [
        sys.executable, "-m", "customer_master.sandbox.oms", "serve", "--host", "127.0.0.1", "--port", "0",
        "--shape", shape, "--seed", str(seed), "--latency-ms", str(latency_ms),
        *[arg for flag, value in optional.items() if value is not None for arg in (flag, str(value))],
        *([] if profile is None else ["--profile", profile]),
        *([] if dirt else ["--no-dirt"]), *extra_args,
    ]  # fmt: skip
    with listening_process(cmd) as url:
        yield url
