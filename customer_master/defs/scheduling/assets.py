"""The daily delivery plan: partition = plan date. Reads the marts as of that day, runs the engine,
writes the plan to the warehouse (replacing that day's plan), checks it against the thresholds, and
publishes it where operations look: the delivery sheet (HTML + CSV, customer_master/reports) with a
preview on the asset's page. A report that cannot be written never undoes or fails the plan: the
`plan_published` check fails instead (and alerts)."""

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg

from customer_master.board_mapping import configured_mapping
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.scheduling.checks import (
    PLAN_CHECK_SPECS,
    plan_check_results,
    published_check_result,
)
from customer_master.defs.shared import (
    DAILY_BACKFILL_POLICY,
    DELIVERY_PLAN_KEY,
    WAREHOUSE_POOL,
    daily_partitions,
)
from customer_master.monday import MondayClient
from customer_master.monday.write_back import write_plan_back
from customer_master.monitoring.formats import as_pct
from customer_master.monitoring.runs import NEXT_DELIVERY_DAY_KEY, SHEET_LINK_KEY
from customer_master.reports import (
    DeliverySheet,
    markdown_preview,
    next_delivery_day,
    read_delivery_sheet,
    write_delivery_sheet,
)
from customer_master.scheduling import PlanSettings
from customer_master.scheduling.stability import Churn
from customer_master.settings import get_settings
from customer_master.warehouse.base import Warehouse
from customer_master.warehouse.planning import plan_day

SCHEDULING_GROUP = "scheduling"
# The marts the plan reads: order and customer versions come from the snapshots, capacity from the calendar.
PLAN_INPUT_KEYS = [
    dg.AssetKey("snap_order_master"),
    dg.AssetKey("snap_customer_master"),
    dg.AssetKey("capacity_calendar"),
]


def plan_settings(plan_date: dt.date) -> PlanSettings:
    s = get_settings()
    return PlanSettings(
        plan_date=plan_date,
        horizon_days=s.schedule_horizon_days,
        country=s.schedule_holiday_country,
        ordering=s.schedule_ordering,
        default_window=s.default_window,
        improve=s.schedule_improve,
    )


@dg.asset(
    key=DELIVERY_PLAN_KEY,
    group_name=SCHEDULING_GROUP,
    kinds={"python", get_settings().warehouse_kind},
    partitions_def=daily_partitions,
    backfill_policy=DAILY_BACKFILL_POLICY,
    pool=WAREHOUSE_POOL,
    deps=PLAN_INPUT_KEYS,
    check_specs=PLAN_CHECK_SPECS,
    description=(
        "Which order is delivered on which day: every order open at the end of the plan date, planned "
        "against the capacity calendar (priority precedence, customer windows, holidays, maintenance). "
        "Orders the previous plan put on the next CM_SCHEDULE_FROZEN_DAYS working days keep their day and "
        "line unless they changed; the plan's churn against the previous one is in the metadata. "
        "Writes plan_assignments, plan_capacity and plan_runs for the partition's plan date, then "
        "publishes the plan: the delivery sheet (HTML + CSV in CM_REPORTS_DIR, previewed in the "
        "metadata) and, with CM_PLAN_WRITE_BACK, the plan on the Monday Orders board."
    ),
)
def delivery_plan(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    plan_date = dt.date.fromisoformat(context.partition_key)
    settings = plan_settings(plan_date)
    wh = warehouse.get_warehouse()
    report = plan_day(
        wh, settings, run_id=context.run.run_id, frozen_days=get_settings().schedule_frozen_days
    )
    summary, seconds = report.summary, report.engine_seconds
    context.log.info(
        f"plan {plan_date}: {summary.scheduled} of {summary.orders} orders scheduled, {summary.late} late, "
        f"{summary.unschedulable} unschedulable {summary.reasons}"
    )
    published, problems = publish_plan(wh, plan_date, context.log)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.orders,
            "plan_date": plan_date.isoformat(),
            "orders": summary.orders,
            "scheduled": summary.scheduled,
            "late": summary.late,
            "unschedulable": summary.unschedulable,
            "unschedulable_by_reason": dg.MetadataValue.json(summary.reasons),
            "overtime_units": dg.MetadataValue.float(summary.overtime_units),
            "peak_utilization_pct": dg.MetadataValue.float(as_pct(summary.peak_utilization, digits=1)),
            "customers": report.customers,
            "capacity_rows": report.rows_written["plan_capacity"],
            "horizon_days": settings.horizon_days,
            "ordering": settings.ordering,
            "holiday_country": settings.country or "-",
            "engine_seconds": dg.MetadataValue.float(round(seconds, 3)),
            **churn_metadata(report.churn),
            **published,
        },
        check_results=[
            *plan_check_results(wh, report.plan, summary, report.churn),
            published_check_result(problems, done=_published(published)),
        ],
    )


def churn_metadata(churn: Churn) -> dict[str, Any]:
    """The plan against the previous one: counts per change (numbers Dagster plots per partition), the
    share moved by the planner, and the promised orders that moved furthest."""
    md: dict[str, Any] = {
        "previous_plan_date": str(churn.previous_plan_date) if churn.previous_plan_date else "-",
        "frozen_days": ", ".join(day.isoformat() for day in churn.frozen_days) or "-",
        "promised": churn.promised,
        "promises_kept": churn.promises_kept,
        "moved_by_planner": churn.moved_by_planner,
        "moved_by_planner_pct": dg.MetadataValue.float(as_pct(churn.moved_share, digits=1)),
        "newly_late": churn.newly_late,
        **{f"churn_{kind}": n for kind, n in churn.counts.items()},
    }
    moves = churn.largest_moves()
    if moves:
        rows = "\n".join(
            f"| {c.order_id} | {c.previous_date} | {c.change.replace('_', ' ')} | "
            f"{c.days_moved:+d} | {(c.reason or '').replace('_', ' ')} |"
            for c in moves
        )
        md["largest_moves"] = dg.MetadataValue.md(
            "| order | was | change | days | why |\n|---|---|---|---|---|\n" + rows
        )
    return md


def _published(metadata: dict[str, Any]) -> str:
    wrote = "the delivery sheet was written"
    back = metadata.get("write_back_summary")
    return f"{wrote}; {back}" if back else wrote


# Numbers of the sheet worth a trend line per partition (Dagster plots numeric metadata); rates in percent.
SHEET_COUNTS = ("late_past_due", "late_pushed_by_capacity")
SHEET_RATES = ("on_time_rate", "actual_on_time_rate")


def sheet_metadata(sheet: DeliverySheet, html: Path, csv: Path) -> dict[str, Any]:
    """The sheet on the asset's page: a preview of the next two delivery days linking to the file, the
    files, the next delivery day (the operations message reads it) and the sheet's numbers."""
    settings = get_settings()
    link = settings.report_link(html)
    day = next_delivery_day(sheet)
    opens = f"[open the full sheet]({link})" if settings.reports_base_url else f"full sheet: `{link}`"
    md: dict[str, Any] = {
        "delivery_sheet": dg.MetadataValue.md(f"{markdown_preview(sheet)}\n\n{opens} (CSV: `{csv}`)"),
        "sheet_html": dg.MetadataValue.path(str(html)),
        "sheet_csv": dg.MetadataValue.path(str(csv)),
        SHEET_LINK_KEY: dg.MetadataValue.url(link)
        if settings.reports_base_url
        else dg.MetadataValue.text(link),
        NEXT_DELIVERY_DAY_KEY: dg.MetadataValue.json(
            {"date": None, "orders": 0, "units": 0.0, "lines": [], "late": 0}
            if day is None
            else {
                "date": day.date.isoformat(),
                "orders": day.orders,
                "units": day.units,
                "lines": list(day.lines),
                "late": day.late,
            }
        ),
    }
    metrics = sheet.metrics
    md |= {name: int(metrics[name]) for name in SHEET_COUNTS}
    md |= {
        f"{name}_pct": dg.MetadataValue.float(as_pct(metrics[name], digits=1))
        for name in SHEET_RATES
        if name in metrics
    }
    return md


def publish_plan(wh: Warehouse, plan_date: dt.date, log) -> tuple[dict[str, Any], list[str]]:
    """Write the plan's delivery sheet; (metadata, problems). Never raises: the plan is already
    written, and a report that fails must not take the schedule models down with it."""
    try:
        sheet = read_delivery_sheet(wh, plan_date)
        files = write_delivery_sheet(sheet, get_settings().reports_dir)
    except Exception as exc:  # reported by the plan_published check, which alerts
        log.error(f"delivery sheet for {plan_date} not written: {type(exc).__name__}: {exc}")
        return {}, [f"delivery sheet not written: {type(exc).__name__}: {exc}"]
    log.info(f"delivery sheet for {plan_date}: {files.html} (CSV {files.csv})")
    metadata, problems = sheet_metadata(sheet, files.html, files.csv), list[str]()
    if get_settings().plan_write_back != "off":
        written, problems = write_back_plan(wh, plan_date, log)
        metadata |= written
    return metadata, problems


def write_back_plan(wh: Warehouse, plan_date: dt.date, log) -> tuple[dict[str, Any], list[str]]:
    """CM_PLAN_WRITE_BACK: the plan's date, line, status and note on the Orders board (only values
    that differ; dry_run lists them). (metadata, problems); never raises: the plan stands whatever
    Monday says, and the plan_published check alerts."""
    settings = get_settings()
    dry_run = settings.plan_write_back == "dry_run"
    try:
        with MondayClient.from_settings(
            settings,
            retry_budget_seconds=settings.monday_retry_budget_seconds,
            max_attempts=settings.monday_max_attempts,
        ) as client:
            report = write_plan_back(client, wh, configured_mapping(settings), plan_date, dry_run=dry_run)
    except Exception as exc:  # a configuration or API failure: reported, the plan is already written
        log.error(f"plan {plan_date} not written back to Monday: {type(exc).__name__}: {exc}")
        return {"write_back": f"failed: {type(exc).__name__}: {exc}"}, [
            f"plan not written back to the Orders board: {type(exc).__name__}: {exc}"
        ]
    log.info(report.summary())
    md: dict[str, Any] = {
        f"write_back_{key.removeprefix('write_back_')}": value
        for key, value in report.metadata().items()
        if key != "plan_date"
    }
    if report.changes_preview:
        listed = "\n".join(f"- {change}" for change in report.changes_preview)
        md["write_back_changes_preview"] = dg.MetadataValue.md(listed)
    return md, ([] if report.ok else [report.summary()])
