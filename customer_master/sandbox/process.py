"""Run the sandbox as its own process (demo, benchmarks): client and server then do not share a GIL."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from customer_master.sandbox.serving import START_TIMEOUT_SECONDS, listening_process

__all__ = ["START_TIMEOUT_SECONDS", "sandbox_process"]


@contextmanager
def sandbox_process(
    orders: int,
    seed: int = 42,
    *,
    latency_ms: int = 0,
    malformed_rate: float = 0.0,
    dirt: bool = True,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Start `python -m customer_master.sandbox serve` on a free loopback port; yields its API URL.
    `extra_args` are further `serve` flags (e.g. `--cursor-ttl-seconds 3`)."""
    cmd = [
        sys.executable, "-m", "customer_master.sandbox", "serve", "--host", "127.0.0.1", "--port", "0",
        "--orders", str(orders), "--seed", str(seed), "--latency-ms", str(latency_ms),
        "--malformed-rate", str(malformed_rate), *([] if dirt else ["--no-dirt"]), *extra_args,
    ]  # fmt: skip
    with listening_process(cmd) as url:
        yield url
