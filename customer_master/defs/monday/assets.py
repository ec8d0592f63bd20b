"""One asset per Monday board: pull it and land it in the raw tables, one daily partition per sync."""

import datetime as dt
from typing import Literal

import dagster as dg

from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import WAREHOUSE_POOL, daily_partitions
from customer_master.settings import get_settings
from customer_master.warehouse.base import RunInfo
from customer_master.warehouse.landing import LandingReport, land_board

MONDAY_GROUP = "monday_raw"

BOARD_DESCRIPTIONS = {
    "customers": "Customers board: company, status, region, tier, contacts, address, delivery days, window.",
    "orders": "Orders board: order number, customer, status, priority, quantity, requested/promised dates.",
    "capacity": "Capacity board: one item per production line and day: capacity, maintenance, overtime.",
}


class BoardSyncConfig(dg.Config):
    """`auto` pulls the whole board the first time and incrementally afterwards."""

    mode: Literal["auto", "full", "incremental"] = "auto"


def board_asset_key(board: str) -> dg.AssetKey:
    return dg.AssetKey(["monday", board])


def materialization_metadata(report: LandingReport) -> dict[str, object]:
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
        "error_rate": dg.MetadataValue.float(round(result.error_rate, 6)),
        "state_changes": result.state_changes,
        "seconds": dg.MetadataValue.float(round(report.seconds, 3)),
        "api_calls": report.api_calls,
        "complexity_used": report.complexity_used,
        "retries": report.retries,
        "cursor_restarts": report.cursor_restarts,
    }


def build_board_asset(board: str, board_id: str, warehouse_kind: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=board_asset_key(board),
        group_name=MONDAY_GROUP,
        kinds={"python", warehouse_kind},
        partitions_def=daily_partitions,
        pool=WAREHOUSE_POOL,
        description=BOARD_DESCRIPTIONS[board],
        metadata={"monday_board_id": board_id},
        tags={"source": "monday"},
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
            started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
        with monday.get_client() as client:
            report = land_board(
                client,
                warehouse.get_warehouse(),
                board_id,
                run=run,
                mode=config.mode,
                overlap_days=get_settings().monday_overlap_days,
            )
        context.log.info(
            f"{report.board_name}: {report.result.items_loaded} items, "
            f"{report.result.quarantined} quarantined ({report.mode})"
        )
        return dg.MaterializeResult(metadata=materialization_metadata(report))

    return _board


_settings = get_settings()
monday_board_assets = [
    build_board_asset(board, board_id, _settings.warehouse_kind)
    for board, board_id in _settings.board_ids.items()
]

monday_ingestion_job = dg.define_asset_job(
    "monday_ingestion_job",
    selection=dg.AssetSelection.groups(MONDAY_GROUP),
    description="Pull every Monday board into the raw tables for one day's partition.",
)
