"""`make demo`: start the sandbox, run the Monday ingestion job with Dagster, print a summary.

Runs on the embedded defaults (DuckDB file under .data/, the sandbox emulator on 127.0.0.1) and
leaves `.data/warehouse.duckdb` behind for exploring. The run is recorded in the local Dagster
instance ($DAGSTER_HOME), so it also shows up in `make ui`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

SANDBOX_START_TIMEOUT_SECONDS = 60


@contextmanager
def sandbox_process(orders: int, seed: int, latency_ms: int = 0) -> Iterator[str]:
    """The sandbox as a separate process on a free loopback port; yields its API URL."""
    cmd = [
        sys.executable, "-m", "customer_master.sandbox", "serve",
        "--host", "127.0.0.1", "--port", "0",
        "--orders", str(orders), "--seed", str(seed), "--latency-ms", str(latency_ms),
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
    deadline = time.monotonic() + SANDBOX_START_TIMEOUT_SECONDS
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox exited before it was ready (exit code {proc.poll()})")
        if "listening on" in line:
            return line.rsplit(" ", 1)[-1].strip()
    raise RuntimeError(f"the sandbox did not start within {SANDBOX_START_TIMEOUT_SECONDS} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000, help="orders in the sandbox workspace")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--partition", default=dt.date.today().isoformat(), help="daily partition (sync date)"
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("MONDAY_API_TOKEN", "sandbox-token")
    with sandbox_process(args.orders, args.seed) as url:
        # Settings are read when the definitions load, so point them at this sandbox first.
        os.environ["MONDAY_API_URL"] = url
        print(f"sandbox: {url} ({args.orders} orders, seed {args.seed})")
        return _run_and_report(args.partition)


def _run_and_report(partition: str) -> int:
    import dagster as dg

    from customer_master.definitions import defs
    from customer_master.settings import get_settings
    from customer_master.warehouse.factory import open_warehouse

    started = time.perf_counter()
    job = defs().resolve_job_def("monday_ingestion_job")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(partition_key=partition, instance=instance, raise_on_error=False)
    seconds = time.perf_counter() - started

    status = "SUCCESS" if result.success else "FAILED"
    print(f"\nDagster run {result.run_id[:8]} for partition {partition}: {status}")
    header = ("asset", "items", "values", "quarantined", "error rate", "API calls", "s")
    print("{:<20}{:>9}{:>10}{:>13}{:>12}{:>11}{:>8}".format(*header))
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        md = {k: v.value for k, v in mat.metadata.items()}
        print(
            f"{mat.asset_key.to_user_string():<20}{md['dagster/row_count']:>9}{md['column_values']:>10}"
            f"{md['quarantined']:>13}{md['error_rate']:>12.2%}{md['api_calls']:>11}{md['seconds']:>8.2f}"
        )
    settings = get_settings()
    counts = open_warehouse(settings.warehouse_kind, duckdb_path=settings.warehouse_path).table_counts()
    print("\nwarehouse tables (" + str(settings.warehouse_path) + "):")
    for table, rows in sorted(counts.items()):
        print(f"  {table:<28}{rows:>10}")
    print(f"\ntotal {seconds:.1f} s")
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
