"""`make demo`: start the sandbox, run the Monday ingestion job with Dagster, print a summary.

Runs on the embedded defaults (DuckDB file under .data/, the sandbox emulator on 127.0.0.1) and
leaves `.data/warehouse.duckdb` behind for exploring. The run is recorded in the local Dagster
instance ($DAGSTER_HOME), so it also shows up in `make ui`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from customer_master.sandbox.process import sandbox_process

# A little of the dirt real boards have, so the quarantine path shows up in the summary.
DEMO_MALFORMED_RATE = 0.002


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000, help="orders in the sandbox workspace")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--partition", default=dt.date.today().isoformat(), help="daily partition (sync date)"
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("MONDAY_API_TOKEN", "sandbox-token")
    with sandbox_process(args.orders, args.seed, malformed_rate=DEMO_MALFORMED_RATE) as url:
        # Settings are read when the definitions load, so point them at this sandbox first.
        os.environ["MONDAY_API_URL"] = url
        print(f"sandbox: {url} ({args.orders} orders, seed {args.seed})")
        return _run_and_report(args.partition)


def _run_and_report(partition: str) -> int:
    import dagster as dg

    from customer_master.definitions import defs
    from customer_master.defs.monday.assets import monday_board_assets
    from customer_master.settings import get_settings
    from customer_master.warehouse.factory import open_warehouse

    started = time.perf_counter()
    job = defs().resolve_job_def("monday_ingestion_job")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            partition_key=partition,
            instance=instance,
            run_config={
                "loggers": {"console": {"config": {"log_level": "INFO"}}},
                # The demo's sandbox is a fresh workspace each time: pull it whole, not incrementally.
                "ops": {
                    asset.key.to_python_identifier(): {"config": {"mode": "full"}}
                    for asset in monday_board_assets
                },
            },
            raise_on_error=False,
        )
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
