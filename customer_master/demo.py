"""`make demo`: start the sandboxes (Monday and the OMS) and run the nightly pipeline for today with
Dagster: every Monday board, the OMS orders, the dbt models (order_master aggregates both sources),
the day's delivery plan with its checks, and the schedule models.

Both emulators serve the "demo" data profile anchored to today (`serve --profile demo`, the same
data `make ui` serves). Runs on the embedded defaults (DuckDB file under .data/, the emulators on
127.0.0.1) and leaves `.data/warehouse.duckdb` behind for exploring. The run is recorded in the local
Dagster instance ($DAGSTER_HOME), so it also shows up in `make ui`. The run's log (dbt's per-node lines
included) goes to .data/logs/demo-<partition>.log; only warnings and errors reach the console unless
--verbose.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from customer_master.board_mapping import DEFAULT_MAPPING_PATH
from customer_master.common import fmt_pct
from customer_master.monitoring.formats import percent
from customer_master.oms.config import SHOPIFY_YML
from customer_master.sandbox.oms.process import oms_process
from customer_master.sandbox.oms.server import API_PREFIXES
from customer_master.sandbox.process import sandbox_process

# The emulators' data profile (generator.PROFILES; the OMS's size and faults in its __main__).
DEMO_PROFILE = "demo"
OMS_SHAPE = "shopify"  # the shipped default OMS_SOURCE (customer_master/oms/shopify.yml)
OMS_SANDBOX_TOKEN = "shpat_sandbox"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--partition", default=dt.date.today().isoformat(), help="daily partition (sync date)"
    )
    parser.add_argument("--verbose", action="store_true", help="the whole run log (dbt's too) on the console")
    args = parser.parse_args(argv)

    os.environ.setdefault("MONDAY_API_TOKEN", "sandbox-token")
    with (
        sandbox_process(None, args.seed, profile=DEMO_PROFILE) as url,
        # The OMS shares the Monday sandbox's customers and some of its order numbers.
        oms_process(
            None, args.seed, shape=OMS_SHAPE, monday_orders=None, malformed_orders=None, profile=DEMO_PROFILE
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
        _align_dbt_warehouse()
        print(f"sandbox: {url} (profile {DEMO_PROFILE}, as of today, seed {args.seed})")
        print(f"OMS sandbox ({OMS_SHAPE}): {oms_url} (profile {DEMO_PROFILE})")
        return _run_and_report(args.partition, verbose=args.verbose)


def _align_dbt_warehouse() -> None:
    """dbt's profile reads the DuckDB file from CM_DUCKDB_PATH only (else ../.data/warehouse.duckdb):
    with just CM_DATA_DIR set, the loaders would write under it and dbt build in .data/. Name the file."""
    if not os.environ.get("CM_DUCKDB_PATH") and os.environ.get("CM_DATA_DIR"):
        os.environ["CM_DUCKDB_PATH"] = str(Path(os.environ["CM_DATA_DIR"]).resolve() / "warehouse.duckdb")


INFO_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
PIPELINE_JOB = "daily_pipeline_job"


def _log_path(partition: str) -> Path:
    from customer_master.settings import get_settings

    return Path(get_settings().data_dir) / "logs" / f"demo-{partition}.log"


def matters(line: str) -> bool:
    """A run-log line worth a person's look on the console: Dagster's warnings and errors."""
    return any(f" - {level} - " in line for level in ("WARNING", "ERROR", "CRITICAL"))


class _ConsoleFilter(io.TextIOBase):
    """The run's output: every line to the log file, the lines that `matter` to the console too."""

    def __init__(self, log, console) -> None:
        self.log, self.console = log, console

    def write(self, text: str) -> int:
        if not self.log.closed:  # a handler bound during the run may still write after it
            self.log.write(text)
        for line in text.splitlines(keepends=True):
            if matters(line):
                self.console.write(line)
        return len(text)

    def flush(self) -> None:
        if not self.log.closed:
            self.log.flush()
        self.console.flush()


@contextlib.contextmanager
def _quiet_run(log_path: Path | None):
    """Dagster's console logger (and dbt's lines it relays) into `log_path`; None: all on the console.
    coloredlogs' handler looks sys.stderr up at each record, so redirecting it reroutes the logger."""
    if log_path is None:
        yield
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        stream = _ConsoleFilter(log, _console := sys.stderr)
        with contextlib.redirect_stderr(stream), contextlib.redirect_stdout(stream):
            yield
        _console.flush()


def _run_and_report(partition: str, *, verbose: bool = False) -> int:
    started = time.perf_counter()
    log_path = None if verbose else _log_path(partition)
    if log_path is not None:
        print(
            f"running the nightly job (log: {log_path}; --verbose or make demo VERBOSE=1 to see it all) ..."
        )
    with _quiet_run(log_path):
        # Imported here: the definitions' import-time warnings (and the log handlers libraries such as
        # dlt bind to stderr then) belong to the run's log too.
        import dagster as dg

        from customer_master.definitions import defs
        from customer_master.defs.monday.assets import monday_board_assets
        from customer_master.defs.oms.assets import oms_assets

        # The demo's sandboxes are fresh each time: pull them whole, not incrementally.
        full = {a.key.to_python_identifier(): {"config": {"mode": "full"}} for a in monday_board_assets}
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
        outlook = plan_outlook(resources.warehouse.get_warehouse(), dt.date.fromisoformat(partition))
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    print(next_steps(outlook, _sheet_html(result), log_path))
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
            f"{md['quarantined']:>13}{percent(md['error_rate_pct'] / 100):>12}"
            f"{md['api_calls']:>11}{md['seconds']:>8.2f}"
        )


def _print_oms(result) -> None:
    md = _materializations(result).get("oms/orders")
    if md is None:
        print("oms/orders: not loaded")
        return
    print(
        f"{'oms/orders':<20}{md['active_orders']:>9}{md['column_values']:>10}{md['quarantined']:>13}"
        f"{percent(md['error_rate_pct'] / 100):>12}{'-':>11}{md['seconds']:>8.2f}"
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
        f"peak utilization {md['peak_utilization_pct']:.0f} %, "
        f"overtime {md['overtime_units']:.0f} units, "
        f"engine {md['engine_seconds']:.2f} s"
    )
    print("checks:")
    for line in check_lines(result.get_asset_check_evaluations()):
        print(f"  {line}")


def check_lines(evaluations) -> list[str]:
    """One line per threshold check and per failed dbt test (the digest counts both), then one line
    for the dbt tests that passed: the listed failures are exactly the ones the digest counts."""
    lines, dbt_passed = [], 0
    for e in sorted(evaluations, key=lambda e: (e.check_name, e.asset_key.to_user_string())):
        summary = e.metadata.get("summary")
        if summary is None and e.passed:
            dbt_passed += 1
            continue
        verdict = "pass" if e.passed else ("WARN" if e.severity.value == "WARN" else "FAIL")
        text = summary.value if summary is not None else f"dbt test on {e.asset_key.to_user_string()} failed"
        lines.append(f"{verdict:<5}{e.check_name:<36}{text}")
    if dbt_passed:
        lines.append(f"pass {dbt_passed} dbt tests passed")
    return lines


OUTLOOK_WORKING_DAYS = 10


@dataclass(frozen=True)
class Outlook:
    """The plan's story for a person: the coming working days' orders and what went wrong."""

    planned: int  # scheduled within the next OUTLOOK_WORKING_DAYS working days
    scheduled: int  # all scheduled orders of the plan
    late: int
    past_due: int  # late because requested before the plan date
    pushed: int  # late though requested on or after the plan date: capacity or delivery days
    unschedulable: int
    bad_data: int
    # Units scheduled (regular and overtime) / regular capacity of the lines over the working days with
    # capacity in that span (holidays and weekends left out).
    utilization: float | None


def plan_outlook(warehouse, plan_date: dt.date, days: int = OUTLOOK_WORKING_DAYS) -> Outlook:
    """The outlook from the plan's delivery sheet (customer_master/reports), as operations read it."""
    from customer_master.reports import read_delivery_sheet
    from customer_master.scheduling import INPUT_ERROR_REASONS

    sheet = read_delivery_sheet(warehouse, plan_date)
    working = sorted({c.day for c in sheet.capacity if c.capacity_units > 0 and c.day.isoweekday() <= 5})
    span = set(working[:days])
    cells = [c for c in sheet.capacity if c.day in span and c.capacity_units > 0]
    regular = sum(c.capacity_units for c in cells)
    used = sum(c.scheduled_units + c.scheduled_overtime_units for c in cells)
    metrics = sheet.metrics
    return Outlook(
        planned=sum(1 for o in sheet.orders if o.is_scheduled and o.delivery_date in span),
        scheduled=int(metrics["scheduled"]),
        late=int(metrics["late"]),
        past_due=int(metrics["late_past_due"]),
        pushed=int(metrics["late_pushed_by_capacity"]),
        unschedulable=int(metrics["unschedulable"]),
        bad_data=sum(1 for o in sheet.orders if o.reason in INPUT_ERROR_REASONS),
        utilization=used / regular if regular else None,
    )


def next_steps(outlook: Outlook, sheet: str | None, log_path: Path | None) -> str:
    """The demo's last lines: what the plan found and where to look next."""
    load = "" if outlook.utilization is None else f", lines {fmt_pct(outlook.utilization, digits=0)} loaded"
    late_share = fmt_pct(outlook.late / outlook.scheduled, digits=1) if outlook.scheduled else "-"
    lines = [
        f"\n{outlook.planned} orders planned for the next {OUTLOOK_WORKING_DAYS} working days{load}; "
        f"{outlook.late} of {outlook.scheduled} scheduled late ({late_share}: {outlook.past_due} past due, "
        f"{outlook.pushed} pushed by capacity or delivery days), {outlook.unschedulable} unschedulable "
        f"({outlook.bad_data} for bad data).",
    ]
    if sheet:
        lines.append(f"delivery sheet: {sheet}")
    lines.append("explore: make ui (same data, Dagster UI); what each check means: docs/runbook.md")
    if log_path is not None:
        lines.append(f"run log (dbt included): {log_path}")
    return "\n".join(lines)


def _sheet_html(result) -> str | None:
    """The delivery sheet's path, when the delivery_plan asset reports one."""
    md = _materializations(result).get("delivery_plan", {})
    sheet = md.get("sheet_html")
    return str(sheet) if sheet else None


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
