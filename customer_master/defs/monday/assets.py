"""One asset per Monday board: pull it and land it in the raw tables, one daily partition per sync."""

from typing import Literal
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from customer_master.board_mapping import BoardMapping, EntityResolution, configured_mapping, resolve_entity
from customer_master.common import fmt_pct, utcnow
from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import (
    DAILY_BACKFILL_POLICY,
    WAREHOUSE_POOL,
    MetadataEntry,
    daily_partitions,
    verdict_check_result,
)
from customer_master.monitoring import verdicts
from customer_master.monitoring.formats import as_pct, minutes
from customer_master.settings import get_settings
from customer_master.thresholds import get_thresholds
from customer_master.warehouse.base import RunInfo
from customer_master.warehouse.landing import LandingReport, land_board
from customer_master.warehouse.mapping import latest_board_columns

MONDAY_GROUP = "monday_raw"

BOARD_DESCRIPTIONS = {
    "customers": "Customers board: company, status, region, tier, contacts, address, delivery days, window.",
    "orders": "Orders board: order number, customer, status, priority, quantity, requested/promised dates.",
    "capacity": "Capacity board: one item per production line and day: capacity, maintenance, overtime.",
}


class BoardSyncConfig(dg.Config):
    """`auto` pulls the whole board the first time and incrementally afterwards."""

    mode: Literal["auto", "full", "incremental"] = "auto"
    force: bool = Field(
        default=False,
        description=(
            "Let a load through that would mark more than CM_MAX_DELETE_FRACTION of the board's "
            "active items deleted (rule mass_deletion), or shrink it by more than half on a full "
            "pull: only after checking on Monday that the items really are gone."
        ),
    )


def board_asset_key(board: str) -> dg.AssetKey:
    return dg.AssetKey(["monday", board])


def materialization_metadata(report: LandingReport) -> dict[str, MetadataEntry]:
    """What the UI shows for each materialization: volumes, quality and API cost."""
    result = report.result
    return {
        "dagster/row_count": result.items_loaded,
        "board_id": report.board_id,
        "board_name": report.board_name,
        "mode": report.mode,
        "since": report.since.isoformat() if report.since else "-",
        "column_values": result.values_loaded,
        "quarantined": result.quarantined,
        "error_rate_pct": dg.MetadataValue.float(as_pct(result.error_rate)),
        "state_changes": result.state_changes,
        "seconds": dg.MetadataValue.float(round(report.seconds, 3)),
        "api_calls": report.api_calls,
        "complexity_used": report.complexity_used,
        "retries": report.retries,
        "cursor_restarts": report.cursor_restarts,
        "cursor_resumes": report.cursor_resumes,
        "hydrated_items": report.hydrated_items,
        "api_version": report.api_version or "-",
        "api_version_served": report.api_version_served or "-",
        **({"warnings": dg.MetadataValue.text(w)} if (w := report.api_version_warning) else {}),
    }


CHECK_RECORDS = "records_extracted"
CHECK_ERROR_RATE = "record_error_rate"
CHECK_CUSTOMER_SYNC = "customer_sync_duration"
CHECK_MAPPED_COLUMNS = "mapped_columns_exist"


def board_check_specs(board: str) -> list[dg.AssetCheckSpec]:
    """Partitioned like the board asset, so each evaluation names the sync date it checked."""
    key = board_asset_key(board)
    t = get_thresholds()
    specs = [
        dg.AssetCheckSpec(
            CHECK_RECORDS,
            asset=key,
            partitions_def=daily_partitions,
            blocking=True,
            description="Zero records on the board after a sync is critical and stops what depends on it.",
        ),
        dg.AssetCheckSpec(
            CHECK_ERROR_RATE,
            asset=key,
            partitions_def=daily_partitions,
            description=(
                "Quarantined share of the values: warns above "
                f"{fmt_pct(t.record_error_rate_warn)}, critical above "
                f"{fmt_pct(t.record_error_rate_critical)} (the load itself fails there)."
            ),
        ),
        dg.AssetCheckSpec(
            CHECK_MAPPED_COLUMNS,
            asset=key,
            partitions_def=daily_partitions,
            blocking=True,
            description=(
                "Every field of the board mapping finds its column on the board as pulled (by id, else by "
                "title). A required field without a column is an error and stops the models downstream; "
                "a missing optional column or an unclassified status label warns."
            ),
        ),
    ]
    if board == "customers":
        specs.append(
            dg.AssetCheckSpec(
                CHECK_CUSTOMER_SYNC,
                asset=key,
                partitions_def=daily_partitions,
                description=f"The customer sync is critical past {minutes(t.customer_sync_max_seconds)}.",
            )
        )
    return specs


def mapped_columns_result(board: str, resolution: EntityResolution) -> dg.AssetCheckResult:
    """The board mapping's fields against the columns this pull found, one line per field."""
    errors, warnings = resolution.all_errors, resolution.all_warnings
    fields = {
        f.field: (
            f"{f.column_id} ({f.resolved_by})"
            if f.column_id
            else ("not mapped" if f.resolved_by == "unmapped" else "MISSING")
        )
        for f in resolution.fields
    }
    if errors:
        description = f"{len(errors)} required field(s) cannot be read: " + " | ".join(errors)
    elif warnings:
        description = " | ".join(warnings)
    else:
        found = sum(1 for f in resolution.fields if f.column_id)
        description = f"all {found} mapped fields found on board {resolution.board_id}"
    return dg.AssetCheckResult(
        check_name=CHECK_MAPPED_COLUMNS,
        asset_key=board_asset_key(board),
        passed=not errors and not warnings,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "board_id": resolution.board_id,
            "fields": dg.MetadataValue.json(fields),
            "errors": dg.MetadataValue.json(errors),
            "warnings": dg.MetadataValue.json(warnings),
        },
    )


def board_check_results(
    board: str, report: LandingReport, active_items: int, resolution: EntityResolution
) -> list[dg.AssetCheckResult]:
    t = get_thresholds()
    key = board_asset_key(board)
    results = [
        verdict_check_result(CHECK_RECORDS, verdicts.records_extracted(board, active_items), key),
        verdict_check_result(
            CHECK_ERROR_RATE,
            verdicts.record_error_rate(board, report.result.error_rate, report.result.quarantined, t),
            key,
            rate=True,
        ),
        mapped_columns_result(board, resolution),
    ]
    if board == "customers":
        results.append(
            verdict_check_result(CHECK_CUSTOMER_SYNC, verdicts.customer_sync_duration(report.seconds, t), key)
        )
    return results


def build_board_asset(mapping: BoardMapping, board: str, warehouse_kind: str) -> dg.AssetsDefinition:
    board_id = mapping.board_ids[board]

    @dg.asset(
        key=board_asset_key(board),
        group_name=MONDAY_GROUP,
        kinds={"python", warehouse_kind},
        partitions_def=daily_partitions,
        backfill_policy=DAILY_BACKFILL_POLICY,
        pool=WAREHOUSE_POOL,
        description=BOARD_DESCRIPTIONS[board],
        metadata={"monday_board_id": board_id},
        tags={"source": "monday"},
        check_specs=board_check_specs(board),
    )
    def _board(
        context: dg.AssetExecutionContext,
        config: BoardSyncConfig,
        monday: MondayResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        run = RunInfo(
            run_id=context.run.run_id,
            asset=context.asset_key.to_user_string(),
            partition_key=context.partition_key,
            started_at=utcnow(),
        )
        wh = warehouse.get_warehouse()
        with monday.get_client() as client:
            report = land_board(
                client,
                wh,
                board_id,
                run=run,
                mode=config.mode,
                overlap_days=get_settings().monday_overlap_days,
                force=config.force,
            )
        context.log.info(
            f"{report.board_name}: {report.result.items_loaded} items, "
            f"{report.result.quarantined} quarantined ({report.mode})"
        )
        state = wh.sync_state(board_id)
        active = state.active_items if state is not None else 0
        columns, names = latest_board_columns(wh)
        resolution = resolve_entity(mapping, board, columns.get(board_id), board_name=names.get(board_id))
        return dg.MaterializeResult(
            metadata=materialization_metadata(report),
            check_results=board_check_results(board, report, active, resolution),
        )

    return _board


# Board ids come from the board mapping, the one place they live: an invalid mapping (or a leftover
# MONDAY_BOARD_* that disagrees with it) stops the code location from loading, naming what to fix.
loaded_mapping = configured_mapping()
monday_board_assets = [
    build_board_asset(loaded_mapping, board, get_settings().warehouse_kind)
    for board in loaded_mapping.board_ids
]

monday_ingestion_job = dg.define_asset_job(
    "monday_ingestion_job",
    selection=dg.AssetSelection.groups(MONDAY_GROUP),
    description="Pull every Monday board into the raw tables for one day's partition.",
)


CUSTOMER_SYNC_MINUTE = 30

customer_sync_job = dg.define_asset_job(
    "customer_sync_job",
    selection=[board_asset_key("customers")],
    partitions_def=daily_partitions,
    description=(
        "Pull the customers board for today's partition (hourly: customer data fresh within "
        f"{minutes(get_thresholds().customer_freshness_seconds)})."
    ),
)


@dg.schedule(
    job=customer_sync_job,
    cron_schedule=f"{CUSTOMER_SYNC_MINUTE} * * * *",
    execution_timezone=get_settings().timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly customer sync, between the nightly runs.",
)
def hourly_customer_sync_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.astimezone(ZoneInfo(daily_partitions.timezone)).date()
    return dg.RunRequest(partition_key=day.isoformat())
