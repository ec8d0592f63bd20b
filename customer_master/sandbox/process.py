"""Run the sandbox as its own process (demo, benchmarks): client and server then do not share a GIL."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from customer_master.sandbox.serving import START_TIMEOUT_SECONDS, listening_process

__all__ = ["START_TIMEOUT_SECONDS", "sandbox_process"]


@contextmanager
def sandbox_process(
    orders: int | None,
    seed: int = 42,
    *,
    latency_ms: int = 0,
    malformed_rate: float | None = None,
    dirt: bool = True,
    profile: str | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Start `python -m customer_master.sandbox serve` on a free loopback port; yields its API URL.
    `orders`/`malformed_rate` None: the profile's (or the CLI's defaults); `profile` is `--profile`.
    `extra_args` are further `serve` flags (e.g. `--cursor-ttl-seconds 3`)."""
    cmd = [
        sys.executable, "-m", "customer_master.sandbox", "serve", "--host", "127.0.0.1", "--port", "0",
        "--seed", str(seed), "--latency-ms", str(latency_ms),
        *([] if orders is None else ["--orders", str(orders)]),
        *([] if malformed_rate is None else ["--malformed-rate", str(malformed_rate)]),
        *([] if profile is None else ["--profile", profile]),
        *([] if dirt else ["--no-dirt"]), *extra_args,
    ]  # fmt: skip
    with listening_process(cmd) as url:
        yield url
