"""The OMS as dlt assets (dagster-dlt): one asset per dlt resource, `oms/orders` [, `oms/deletions`,
`oms/order_lines`], group `oms_raw`, daily partitions like the Monday boards, in the nightly job.

The pattern is dagster-open-platform's `defs/dlt/`: `@dlt_assets` over a dlt source and pipeline
with a translator for the keys, and `DagsterDltResource.run` doing the load. Around it, what dlt
does not do for us: the order contract (`customer_master/oms/contract.py`, mapped while records
stream) swapped into `raw_oms_orders` with its quarantine (`warehouse/oms_landing.py`), the run log,
and the checks. Defined only when CM_OMS_ENABLED is true; the YAML is OMS_SOURCE.
"""

from typing import Any, Literal

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from pydantic import Field

from customer_master.common import fmt_pct, utcnow
from customer_master.defs.oms.resources import OmsResource, oms_destination
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.shared import (
    DAILY_BACKFILL_POLICY,
    WAREHOUSE_POOL,
    MetadataEntry,
    daily_partitions,
    verdict_check_result,
)
from customer_master.monitoring import verdicts
from customer_master.monitoring.formats import as_pct
from customer_master.oms.config import OmsSource, load_oms_source
from customer_master.oms.pipeline import (
    DEFAULT_DATASET,
    OmsLoadResult,
    OmsRun,
    pipeline_name,
    switch_off_dlt_telemetry,
)
from customer_master.oms.source import ORDERS, OmsConnection, build_source
from customer_master.settings import get_settings
from customer_master.thresholds import get_thresholds
from customer_master.warehouse.base import RunInfo
from customer_master.warehouse.oms_landing import OmsContractResult, sync_oms
from customer_master.warehouse.validation import error_rate

OMS_GROUP = "oms_raw"
OMS_PREFIX = "oms"
ORDERS_KEY = dg.AssetKey([OMS_PREFIX, ORDERS])
CHECK_RECORDS = "records_extracted"
CHECK_ERROR_RATE = "record_error_rate"

RESOURCE_DESCRIPTIONS = {
    ORDERS: "OMS orders as the API returns them (dlt, merged on the primary key), and their order "
    "contract in raw_oms_orders, which dbt reads (stg_oms__orders).",
    "deletions": "The OMS's deletion events (orders removed from the orders endpoint).",
    "order_lines": "The OMS's order lines, from their own endpoint.",
}


class OmsSyncConfig(dg.Config):
    """`auto` pulls everything the first time and incrementally afterwards (dlt's cursor)."""

    mode: Literal["auto", "full", "incremental"] = "auto"
    force: bool = Field(
        default=False,
        description=(
            "Let a load through that would mark more than CM_MAX_DELETE_FRACTION of the OMS's active "
            "orders deleted, or shrink them by more than half on a full pull: only after checking in "
            "the OMS that the orders really are gone."
        ),
    )


class OmsTranslator(DagsterDltTranslator):
    """`oms/<resource>` in group `oms_raw`, tagged with its source and the warehouse it lands in."""

    def __init__(self, warehouse_kind: str) -> None:
        self.warehouse_kind = warehouse_kind

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        name = data.resource.name
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=dg.AssetKey([OMS_PREFIX, name]),
                group_name=OMS_GROUP,
                deps=[],
                description=RESOURCE_DESCRIPTIONS.get(name, f"OMS resource {name} (dlt)."),
                tags={"source": "oms"},
                kinds={"dlt", self.warehouse_kind},
            )
        )


def materialization_metadata(load: OmsLoadResult, contract: OmsContractResult) -> dict[str, MetadataEntry]:
    return {
        "dagster/row_count": contract.active_orders,
        "oms": contract.oms,
        "mode": contract.mode,
        "records_extracted": load.records_extracted,
        "records_loaded": load.records_loaded,
        "deletions_extracted": load.deletions_extracted,
        "lines_extracted": load.lines_extracted,
        "contract_rows": contract.orders_loaded,
        # The values read, under the name a board's materialization uses: the run's error rate is
        # quarantined / column_values over every source (customer_master/monitoring/runs.py).
        "column_values": contract.values,
        "quarantined": contract.quarantined,
        "error_rate_pct": dg.MetadataValue.float(as_pct(contract.error_rate)),
        "deleted": contract.deleted,
        "active_orders": contract.active_orders,
        "dlt_load_ids": dg.MetadataValue.json(list(load.load_ids)),
        "seconds": dg.MetadataValue.float(round(load.seconds + contract.seconds, 3)),
    }


def _definition_source(source: OmsSource) -> Any:
    """The dlt source for the asset specs only: no request is made, no credential is needed."""
    placeholder = OmsConnection(base_url=source.base_url or "http://127.0.0.1", token="definition-only")
    return build_source(source, placeholder)


def build_oms_assets(source: OmsSource, warehouse_kind: str) -> dg.AssetsDefinition:
    import dlt as dlt_lib

    switch_off_dlt_telemetry()
    spec_pipeline = dlt_lib.pipeline(
        pipeline_name=pipeline_name(source), destination="duckdb", dataset_name=DEFAULT_DATASET
    )

    @dlt_assets(
        dlt_source=_definition_source(source),
        dlt_pipeline=spec_pipeline,
        name=f"oms_{source.name}",
        dagster_dlt_translator=OmsTranslator(warehouse_kind),
        partitions_def=daily_partitions,
        backfill_policy=DAILY_BACKFILL_POLICY,
        pool=WAREHOUSE_POOL,
    )
    def _oms(
        context: dg.AssetExecutionContext,
        config: OmsSyncConfig,
        dlt: DagsterDltResource,
        oms: OmsResource,
        warehouse: WarehouseResource,
    ):
        if ORDERS_KEY not in context.selected_asset_keys:
            # Without the orders the contract swap would read a full pull's missing orders as gone.
            raise dg.Failure(
                f"{ORDERS_KEY.to_user_string()} loads with every other OMS asset: select it too "
                f"(selected: {sorted(k.to_user_string() for k in context.selected_asset_keys)})"
            )
        wh = warehouse.get_warehouse()
        events: list[object] = []

        def through_dagster_dlt(load: OmsRun) -> None:
            events.extend(
                dlt.run(
                    context=context, dlt_source=load.source, dlt_pipeline=load.pipeline, **load.run_kwargs
                )
            )

        report = sync_oms(
            wh,
            source,
            destination=oms_destination(warehouse),
            pipeline_dir=oms.pipelines_path,
            connection=oms.connection(source),
            run=RunInfo(
                run_id=context.run.run_id,
                asset=ORDERS_KEY.to_user_string(),
                partition_key=context.partition_key,
                started_at=utcnow(),
            ),
            requested=config.mode,
            force=config.force,
            drive=through_dagster_dlt,
        )
        load, contract = report.load, report.contract
        context.log.info(
            f"OMS {source.name} ({contract.mode}: {report.reason}): {load.records_extracted} orders "
            f"extracted, {contract.orders_loaded} contract rows, {contract.quarantined} values quarantined "
            f"({fmt_pct(contract.error_rate)}), {contract.deleted} deleted, {contract.active_orders} active"
        )
        extra = materialization_metadata(load, contract)
        for event in events:
            if isinstance(event, dg.MaterializeResult) and event.asset_key == ORDERS_KEY:
                yield dg.MaterializeResult(
                    asset_key=event.asset_key, metadata={**(event.metadata or {}), **extra}
                )
            else:
                yield event

    return _oms


def oms_check_specs() -> list[dg.AssetCheckSpec]:
    t = get_thresholds()
    return [
        dg.AssetCheckSpec(
            CHECK_RECORDS,
            asset=ORDERS_KEY,
            partitions_def=daily_partitions,
            blocking=True,
            description="Zero active OMS orders after a sync is critical and stops what depends on it.",
        ),
        dg.AssetCheckSpec(
            CHECK_ERROR_RATE,
            asset=ORDERS_KEY,
            partitions_def=daily_partitions,
            description=(
                "Quarantined share of the OMS values read: warns above "
                f"{fmt_pct(t.record_error_rate_warn)}, critical above "
                f"{fmt_pct(t.record_error_rate_critical)} (the load itself fails there)."
            ),
        ),
    ]


def build_oms_checks() -> dg.AssetChecksDefinition:
    """The same checks as a Monday board's, on the numbers the partition's latest OMS load recorded
    (dagster-dlt's assets take no check specs, so they are evaluated here, right after the load)."""

    @dg.multi_asset_check(specs=oms_check_specs(), name="oms_orders_checks")
    def _checks(context: dg.AssetCheckExecutionContext):
        yield from oms_check_results(context)

    return _checks


def oms_check_results(context: dg.AssetCheckExecutionContext):
    t = get_thresholds()
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=ORDERS_KEY, asset_partitions=[context.partition_key]), limit=1
    ).records
    metadata = (
        records[0].asset_materialization.metadata if records and records[0].asset_materialization else {}
    )

    def number(name: str) -> float:
        value = metadata.get(name)
        return float(value.value) if value is not None else 0.0

    label = f"oms/{metadata['oms'].value}" if "oms" in metadata else "oms"
    yield verdict_check_result(
        CHECK_RECORDS, verdicts.records_extracted(label, int(number("active_orders"))), ORDERS_KEY
    )
    yield verdict_check_result(
        CHECK_ERROR_RATE,
        verdicts.record_error_rate(
            label,
            error_rate(int(number("quarantined")), int(number("column_values"))),
            int(number("quarantined")),
            t,
        ),
        ORDERS_KEY,
        rate=True,
    )


def _configured() -> list[dg.AssetsDefinition]:
    settings = get_settings()
    if not settings.oms_enabled:
        return []
    return [build_oms_assets(load_oms_source(settings.oms_source_path), settings.warehouse_kind)]


oms_assets = _configured()
oms_asset_checks = [build_oms_checks()] if oms_assets else []
