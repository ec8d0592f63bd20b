"""`make demo`: start the sandbox, ingest every board and build the dbt models with Dagster.

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


INFO_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
MODELS_JOB = "warehouse_models_job"


def _run_and_report(partition: str) -> int:
    import dagster as dg

    from customer_master.definitions import defs

    started = time.perf_counter()
    definitions = defs()
    with dg.DagsterInstance.get() as instance:
        ingestion = _ingest(definitions, instance, partition)
        _print_ingestion(ingestion, partition)
        models = None
        if ingestion.success:
            models = definitions.resolve_job_def(MODELS_JOB).execute_in_process(
                instance=instance, run_config=INFO_LOGS, raise_on_error=False
            )
            print(
                f"\nDagster run {models.run_id[:8]} (dbt build): {'SUCCESS' if models.success else 'FAILED'}"
            )
    _print_tables()
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0 if ingestion.success and models is not None and models.success else 1


def _ingest(definitions, instance, partition: str):
    from customer_master.defs.monday.assets import monday_board_assets

    # The demo's sandbox is a fresh workspace each time: pull it whole, not incrementally.
    full = {asset.key.to_python_identifier(): {"config": {"mode": "full"}} for asset in monday_board_assets}
    return definitions.resolve_job_def("monday_ingestion_job").execute_in_process(
        partition_key=partition,
        instance=instance,
        run_config={**INFO_LOGS, "ops": full},
        raise_on_error=False,
    )


def _print_ingestion(result, partition: str) -> None:
    status = "SUCCESS" if result.success else "FAILED"
    print(f"\nDagster run {result.run_id[:8]} (Monday ingestion, partition {partition}): {status}")
    header = ("asset", "items", "values", "quarantined", "error rate", "API calls", "s")
    print("{:<20}{:>9}{:>10}{:>13}{:>12}{:>11}{:>8}".format(*header))
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        md = {k: v.value for k, v in mat.metadata.items()}
        print(
            f"{mat.asset_key.to_user_string():<20}{md['dagster/row_count']:>9}{md['column_values']:>10}"
            f"{md['quarantined']:>13}{md['error_rate']:>12.2%}{md['api_calls']:>11}{md['seconds']:>8.2f}"
        )


def _print_tables() -> None:
    from customer_master.settings import get_settings
    from customer_master.warehouse.factory import open_warehouse

    settings = get_settings()
    warehouse = open_warehouse(settings.warehouse_kind, duckdb_path=settings.warehouse_path)
    print(f"\nwarehouse tables ({settings.warehouse_path}):")
    for table, rows in sorted(warehouse.table_counts().items()):
        print(f"  {table:<28}{rows:>10}")
    for mart in ("customer_master", "order_master"):
        rows = warehouse.query(f"select count(*) from {mart}")[0][0]
        print(f"  {mart:<28}{rows:>10}")


if __name__ == "__main__":
    raise SystemExit(main())
