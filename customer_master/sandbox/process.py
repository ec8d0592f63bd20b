"""Run the sandbox as its own process (demo, benchmarks): client and server then do not share a GIL."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

START_TIMEOUT_SECONDS = 60


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
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        yield _wait_for_listening_line(proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for_listening_line(proc: subprocess.Popen) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox exited before it was ready (exit code {proc.poll()})")
        if "listening on" in line:
            return line.rsplit(" ", 1)[-1].strip()
    raise RuntimeError(f"the sandbox did not start within {START_TIMEOUT_SECONDS} s")
