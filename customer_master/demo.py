"""`make demo`: start the sandboxes (Monday and the OMS) and run the nightly pipeline for today with
Dagster: every Monday board, the OMS orders, the dbt models (order_master aggregates both sources),
the day's delivery plan with its checks, and the schedule models.

Runs on the embedded defaults (DuckDB file under .data/, the sandbox emulator on 127.0.0.1) and
leaves `.data/warehouse.duckdb` behind for exploring. The run is recorded in the local Dagster
instance ($DAGSTER_HOME), so it also shows up in `make ui`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from customer_master.board_mapping import DEFAULT_MAPPING_PATH
from customer_master.common import fmt_pct
from customer_master.monitoring.formats import percent
from customer_master.oms.config import SHOPIFY_YML
from customer_master.sandbox.oms.process import oms_process
from customer_master.sandbox.oms.server import API_PREFIXES
from customer_master.sandbox.process import sandbox_process

# A little of the dirt real boards have, so the quarantine path shows up in the summary.
DEMO_MALFORMED_RATE = 0.002
DEMO_OMS_ORDERS = 600
DEMO_OMS_MALFORMED = 2
OMS_SHAPE = "shopify"  # the shipped default OMS_SOURCE (customer_master/oms/shopify.yml)
OMS_SANDBOX_TOKEN = "shpat_sandbox"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000, help="orders in the sandbox workspace")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--partition", default=dt.date.today().isoformat(), help="daily partition (sync date)"
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("MONDAY_API_TOKEN", "sandbox-token")
    with (
        sandbox_process(args.orders, args.seed, malformed_rate=DEMO_MALFORMED_RATE) as url,
        # The OMS shares the Monday sandbox's customers and some of its order numbers.
        oms_process(
            DEMO_OMS_ORDERS,
            args.seed,
            shape=OMS_SHAPE,
            monday_orders=args.orders,
            malformed_orders=DEMO_OMS_MALFORMED,
        ) as oms_url,
    ):
        os.environ["CM_OMS_ENABLED"] = "true"
        os.environ["OMS_SOURCE"] = str(SHOPIFY_YML)
        os.environ["OMS_API_URL"] = oms_url.removesuffix(API_PREFIXES[OMS_SHAPE])
        os.environ["OMS_API_TOKEN"] = OMS_SANDBOX_TOKEN
        os.environ.pop("OMS_API_USER", None)
        # Settings are read when the definitions load, so point them at this sandbox first, with
        # the repository's mapping of the sandbox's boards (not a CM_BOARD_MAPPING of a real account).
        os.environ["MONDAY_API_URL"] = url
        os.environ["CM_BOARD_MAPPING"] = str(DEFAULT_MAPPING_PATH)
        for entity in ("CUSTOMERS", "ORDERS", "CAPACITY"):
            os.environ.pop(f"MONDAY_BOARD_{entity}", None)
        print(f"sandbox: {url} ({args.orders} orders, seed {args.seed})")
        print(f"OMS sandbox ({OMS_SHAPE}): {oms_url} ({DEMO_OMS_ORDERS} orders)")
        return _run_and_report(args.partition)


INFO_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
PIPELINE_JOB = "daily_pipeline_job"


def _run_and_report(partition: str) -> int:
    import dagster as dg

    from customer_master.definitions import defs
    from customer_master.defs.monday.assets import monday_board_assets
    from customer_master.defs.oms.assets import oms_assets

    started = time.perf_counter()
    # The demo's sandboxes are fresh each time: pull them whole, not incrementally.
    full = {asset.key.to_python_identifier(): {"config": {"mode": "full"}} for asset in monday_board_assets}
    full |= {asset.node_def.name: {"config": {"mode": "full"}} for asset in oms_assets}
    with dg.DagsterInstance.get() as instance:
        result = (
            defs()
            .resolve_job_def(PIPELINE_JOB)
            .execute_in_process(
                partition_key=partition,
                instance=instance,
                run_config={**INFO_LOGS, "ops": full},
                raise_on_error=False,
            )
        )
    status = "SUCCESS" if result.success else "FAILED"
    print(f"\nDagster run {result.run_id[:8]} ({PIPELINE_JOB}, partition {partition}): {status}")
    _print_ingestion(result)
    _print_oms(result)
    _print_plan(result)
    # The shipped resources, resolved as a run resolves them (dg.EnvVar secrets included).
    resource_defs = defs().resources
    assert resource_defs is not None  # the defs folder binds them (defs/resources.py)
    with dg.DagsterInstance.get() as instance, dg.build_resources(resource_defs) as resources:
        _record_and_print_digest(instance, result, resources)
        _print_orders_by_source(resources.warehouse.get_warehouse())
        _print_tables(resources.warehouse)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0 if result.success else 1


def _materializations(result) -> dict[str, dict]:
    return {
        e.materialization.asset_key.to_user_string(): {
            k: v.value for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def _print_ingestion(result) -> None:
    header = ("asset", "items", "values", "quarantined", "error rate", "API calls", "s")
    print("{:<20}{:>9}{:>10}{:>13}{:>12}{:>11}{:>8}".format(*header))
    for key, md in _materializations(result).items():
        if not key.startswith("monday/"):
            continue
        print(
            f"{key:<20}{md['dagster/row_count']:>9}{md['column_values']:>10}"
            f"{md['quarantined']:>13}{percent(md['error_rate']):>12}{md['api_calls']:>11}{md['seconds']:>8.2f}"
        )


def _print_oms(result) -> None:
    md = _materializations(result).get("oms/orders")
    if md is None:
        print("oms/orders: not loaded")
        return
    print(
        f"{'oms/orders':<20}{md['active_orders']:>9}{md['column_values']:>10}{md['quarantined']:>13}"
        f"{percent(md['error_rate']):>12}{'-':>11}{md['seconds']:>8.2f}"
        f"   ({md['mode']}: {md['records_extracted']} orders read, {md['deleted']} deleted)"
    )


def _print_orders_by_source(warehouse) -> None:
    from customer_master.warehouse.marts import orders_by_source

    sources, conflicts, plan = orders_by_source(warehouse)
    if not sources:
        return
    print("\norder_master by source: " + ", ".join(f"{name} {count}" for name, count in sources))
    print(f"order conflicts (Monday vs OMS, order x field): {conflicts}")
    print(
        "plan by source: "
        + ", ".join(f"{name}: {scheduled} scheduled / {total}" for name, total, scheduled in plan)
    )


def _print_plan(result) -> None:
    md = _materializations(result).get("delivery_plan")
    if md is None:
        print("\ndelivery plan: not made (an upstream step failed)")
        return
    print(
        f"\ndelivery plan {md['plan_date']}: {md['scheduled']} of {md['orders']} open orders scheduled, "
        f"{md['late']} late, {md['unschedulable']} unschedulable {md['unschedulable_by_reason']}; "
        f"peak utilization {fmt_pct(md['peak_utilization'], digits=0)}, "
        f"overtime {md['overtime_units']:.0f} units, "
        f"engine {md['engine_seconds']:.2f} s"
    )
    print("checks:")
    for e in sorted(result.get_asset_check_evaluations(), key=lambda e: e.check_name):
        if "summary" not in e.metadata:  # the threshold checks; dbt's tests are in the dbt log above
            continue
        verdict = "pass" if e.passed else ("WARN" if e.severity.value == "WARN" else "FAIL")
        summary = e.metadata["summary"].value
        print(f"  {verdict:<5}{e.check_name:<36}{summary}")


def _record_and_print_digest(instance, result, resources) -> None:
    """What the run-report sensor does under the daemon: log the run in ops_pipeline_runs and write the
    daily digest (printed here; posted to Slack when CM_SLACK_WEBHOOK_URL is set)."""
    from customer_master.alerts.messages import daily_digest_alert
    from customer_master.alerts.slack import plain_text
    from customer_master.defs.monitoring.sensors import digest_of, record_run, run_facts

    facts = run_facts(instance, instance.get_run_by_id(result.run_id))
    record_run(resources.warehouse.get_warehouse(), facts)
    digest = daily_digest_alert(digest_of(facts))
    print(f"\ndaily digest: {plain_text(digest)}")
    slack = resources.slack.get_notifier()
    if slack.configured:
        slack.send(digest)


MARTS = (
    "customer_master",
    "order_master",
    "order_conflicts",
    "delivery_schedules",
    "capacity_planning",
    "schedule_history",
    "delivery_performance",
)


def _print_tables(resource) -> None:
    from customer_master.warehouse.marts import mart_row_counts

    warehouse = resource.get_warehouse()
    where = resource.duckdb_path if resource.kind == "duckdb" else f"SQL Server, {resource.sqlserver_schema}"
    print(f"\nwarehouse tables ({where}):")
    for table, rows in sorted(warehouse.table_counts().items()):
        print(f"  {table:<28}{rows:>10}")
    for mart, count in mart_row_counts(warehouse, MARTS).items():
        print(f"  {mart:<28}{'not built' if count is None else count:>10}")
    if resource.kind == "duckdb":
        print(f"analysts' copy (query this one): {resource.analyst_copy_path()}")


if __name__ == "__main__":
    raise SystemExit(main())
