"""Order changes in order_master within 30 s: the order-update asset, its checks and its job.

Webhook events (the receiver) and polled changes (`monday_order_poll_sensor`) wait in the change
store; `order_changes_sensor` turns them into runs of `realtime_order_updates_job`. Each batch of a
run materializes `realtime/order_updates`: it claims the waiting changes, reads those items from Monday
by id, lands them in the raw tables in one transaction and runs dbt on `order_master` alone,
incrementally (only the changed orders are recomputed). Its metadata says how many changes and how
far behind they were; order_master gets a materialization of its own from the same batch. A run
then lingers for more changes (CM_REALTIME_LINGER_SECONDS) and applies them itself, making way for
any other run. The work itself is customer_master/realtime/apply.py; this module only wires it.

The nightly run stays the reconciliation: it pulls the boards and rebuilds order_master in full.
The plan stays daily; the day's backlog count is order_master's, so it moves with every change.
"""

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from customer_master.board_mapping import configured_mapping
from customer_master.common import utcnow
from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import WAREHOUSE_POOL, verdict_check_result
from customer_master.monitoring.verdicts import order_update_success, unprocessed_order_changes
from customer_master.realtime.apply import (
    ORDER_CHANGES_VAR,
    ApplyReport,
    apply_pending_changes,
    apply_session,
    change_sources,
)
from customer_master.realtime.order_master import build_order_master, prewarm
from customer_master.realtime.store import ChangeStore
from customer_master.realtime_defs.resources import ChangeStoreResource
from customer_master.settings import PROJECT_ROOT, Settings, dbt_vars, get_settings
from customer_master.thresholds import get_thresholds
from customer_master.warehouse.base import RunInfo, Warehouse
from customer_master.warehouse.marts import order_backlog_now

REALTIME_GROUP = "realtime"
ORDER_UPDATES_KEY = dg.AssetKey(["realtime", "order_updates"])
ORDER_MASTER_KEY = dg.AssetKey("order_master")
REALTIME_JOB_NAME = "realtime_order_updates_job"

# A run in one of these states holds, or is about to take, a place in the run queue and the pools.
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]

SUCCESS_CHECK = "order_update_success_rate"
BACKLOG_CHECK = "unprocessed_order_changes"

_T = get_thresholds()
# Not defs/dbt's DbtProject: importing dagster-dbt costs this light code location seconds per run.
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def oms_reader(settings: Settings) -> Callable[[], Any]:
    """Opens the OMS change reader (imported on use: the OMS side imports dlt)."""

    def open_reader() -> Any:
        from customer_master.oms.changes import OmsChangeReader

        return OmsChangeReader.from_settings(settings)

    return open_reader


def today_partition() -> str:
    """The sync date the changes land under (raw rows' `_partition_key`): today in CM_TIMEZONE."""
    return dt.datetime.now(ZoneInfo(get_settings().timezone)).date().isoformat()


def order_master_builder(resource: WarehouseResource, log: Any) -> Callable[[dict[str, Any]], None]:
    """dbt on order_master alone with the changed ids (customer_master/realtime/order_master.py):
    the model's incremental path recomputes exactly those orders, in the file the changes landed in."""
    env = {"CM_DUCKDB_PATH": str(Path(resource.duckdb_path).resolve())} if resource.kind == "duckdb" else {}

    def build(changes: dict[str, Any]) -> None:
        seconds = build_order_master(
            changes[ORDER_CHANGES_VAR],
            project_dir=DBT_PROJECT_DIR,
            profiles_dir=DBT_PROJECT_DIR,
            target=get_settings().dbt_target,
            dbt_vars=dbt_vars(get_settings()),
            env=env,
        )
        log.info(f"order_master updated incrementally in {seconds:.1f} s")

    return build


def as_evaluation(result: dg.AssetCheckResult) -> dg.AssetCheckEvaluation:
    """A check result as the event a run logs for an asset it does not define (see order_updates)."""
    assert result.asset_key is not None and result.check_name is not None
    return dg.AssetCheckEvaluation(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        description=result.description,
    )


def check_results(store: ChangeStore) -> list[dg.AssetCheckEvaluation]:
    stats = store.stats()
    results = [
        verdict_check_result(
            SUCCESS_CHECK,
            order_update_success(stats.applied_in_window, stats.parked_in_window, _T),
            ORDER_UPDATES_KEY,
            rate=True,
        ),
        verdict_check_result(BACKLOG_CHECK, unprocessed_order_changes(stats.pending, _T), ORDER_UPDATES_KEY),
    ]
    return [as_evaluation(r) for r in results]


def report_metadata(report: ApplyReport) -> dict[str, Any]:
    md: dict[str, Any] = {k: v for k, v in report.as_metadata().items() if v is not None}
    md["dagster/row_count"] = report.applied
    if report.by_kind:
        md["by_kind"] = dg.MetadataValue.json(dict(report.by_kind))
    return md


def backlog_metadata(warehouse: Warehouse) -> dict[str, Any]:
    """The day's backlog as order_master now has it (the order_backlog view): the plan is daily, the
    count follows the changes. Absent before the first plan's dbt build."""
    backlog = order_backlog_now(warehouse)
    if backlog is None:
        return {}
    return {
        "order_backlog": backlog.order_backlog,
        "order_backlog_at_plan": backlog.backlog_at_plan,
        "unplanned_open_orders": backlog.unplanned_open_orders,
    }


# An asset the UI lists and plots, not one it launches: its materializations come only from the
# order-update runs (and "Materialize all" on the global lineage must not span two code locations).
order_updates = dg.AssetSpec(
    ORDER_UPDATES_KEY,
    group_name=REALTIME_GROUP,
    kinds={"python", "monday"},
    description=(
        "Order changes (Monday webhooks, polling, the OMS) applied to the raw tables and, incrementally, "
        "to order_master, by realtime_order_updates_job (one materialization per batch of waiting "
        "changes). Metadata: changes, lag from change to warehouse, API cost. Checks logged by each batch: "
        f"{SUCCESS_CHECK} (fails below {_T.order_update_success_min:.0%} over 24 h) and {BACKLOG_CHECK} "
        f"(critical above {_T.order_backlog_critical})."
    ),
)


@dg.op(
    pool=WAREHOUSE_POOL,
    description="Claims the waiting order changes, lands them and updates order_master incrementally.",
)
def apply_order_changes(
    context: dg.OpExecutionContext,
    monday: MondayResource,
    warehouse: WarehouseResource,
    change_store: ChangeStoreResource,
) -> None:
    settings = get_settings()
    prewarm()  # dbt's imports overlap the Monday read and the landing
    run_id = context.run.run_id
    # OMS changes (polled by oms_order_poll_sensor) when the OMS is enabled.
    oms = oms_reader(settings) if settings.oms_enabled else None
    sources = change_sources(oms_configured=oms is not None)
    orders_board_id = configured_mapping().board_ids["orders"]
    build = order_master_builder(warehouse, context.log)
    with change_store.open() as store:

        def apply_batch() -> ApplyReport:
            run = RunInfo(run_id, ORDER_UPDATES_KEY.to_user_string(), today_partition(), utcnow())
            return apply_pending_changes(
                store,
                run_id=run_id,
                run=run,
                warehouse=warehouse.get_warehouse(),
                monday=monday.get_client,
                orders_board_id=orders_board_id,
                oms=oms,
                sources=sources,
                build_order_master=build,
                limit=settings.realtime_batch_limit,
                max_attempts=settings.realtime_max_attempts,
            )

        def record(report: ApplyReport) -> None:
            context.log.info(f"order changes: {json.dumps(report.as_metadata())}")
            for event in batch_events(report, warehouse, store):
                context.log_event(event)

        reports = apply_session(
            store,
            apply_batch,
            record,
            linger_seconds=settings.realtime_linger_seconds,
            sources=sources,
            yield_to_others=lambda: another_run_in_flight(context.instance, run_id),
        )
    context.log.info(
        f"{sum(r.applied for r in reports)} order change(s) applied in {len(reports)} batch(es); the run "
        f"waited up to {settings.realtime_linger_seconds} s for more after each"
    )


def batch_events(report: ApplyReport, warehouse: WarehouseResource, store: ChangeStore) -> list[Any]:
    """What one batch records: order_master's materialization (when it changed), realtime/order_updates
    with the batch's numbers and the day's backlog, and the two checks."""
    metadata = report_metadata(report)
    events: list[Any] = []
    if report.claimed:
        metadata.update(backlog_metadata(warehouse.get_warehouse()))
        events.append(
            dg.AssetMaterialization(
                asset_key=ORDER_MASTER_KEY,
                description=f"{report.applied} order change(s) applied incrementally",
                metadata={
                    "order_changes": report.applied,
                    **{k: metadata[k] for k in ("lag_max_s",) if k in metadata},
                },
            )
        )
    events.append(dg.AssetMaterialization(asset_key=ORDER_UPDATES_KEY, metadata=metadata))
    return [*events, *check_results(store)]


def another_run_in_flight(instance: dg.DagsterInstance, run_id: str) -> bool:
    """A run other than this one is queued or running (the nightly, a backfill, the next order run):
    a lingering order-update run makes way for it (they share the `warehouse` pool)."""
    records = instance.get_run_records(dg.RunsFilter(statuses=IN_FLIGHT), limit=5)
    return any(r.dagster_run.run_id != run_id for r in records)


@dg.job(
    name=REALTIME_JOB_NAME,
    description=(
        "Applies the waiting order changes to the raw tables and order_master (launched by "
        "order_changes_sensor)."
    ),
    tags={"customer_master/realtime": "true"},
)
def realtime_order_updates_job() -> None:
    apply_order_changes()
