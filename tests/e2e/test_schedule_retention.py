"""The retention job through Dagster on a real DuckDB file: plans older than five years are purged
and the run says how many rows went; younger plans stay."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest

from customer_master.defs.resources import WarehouseResource
from customer_master.defs.scheduling.retention import schedule_retention_job
from customer_master.scheduling import CapacityDay, Order, PlanSettings, plan_deliveries
from customer_master.scheduling.records import assignment_columns, capacity_columns, summarize
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.plans import write_plan

pytestmark = pytest.mark.slow  # starts Dagster or dbt (tests/unit/test_suite_markers.py)


def _write(wh: DuckDBWarehouse, plan_date: dt.date, orders: int) -> None:
    settings = PlanSettings(plan_date=plan_date, horizon_days=3, country=None)
    plan = plan_deliveries(
        [Order(f"monday:{i}", "c1", "normal", 1.0, plan_date) for i in range(orders)],
        {"c1": None},
        [CapacityDay("L1", plan_date + dt.timedelta(days=i), 100.0) for i in range(3)],
        settings,
    )
    write_plan(
        wh, plan_date, assignments=assignment_columns(plan), capacity=capacity_columns(plan),
        run=summarize(plan).run_row(settings, 0.0), run_id="seed", planned_at=dt.datetime(2026, 1, 1),
    )  # fmt: skip


def test_the_retention_job_purges_plans_older_than_five_years_and_reports_the_rows(tmp_path):
    path = tmp_path / "wh.duckdb"
    wh = DuckDBWarehouse(path)
    _write(wh, dt.date(2021, 11, 22), 4)  # one day past five years on 2026-11-23
    _write(wh, dt.date(2021, 11, 23), 2)  # exactly five years: kept
    _write(wh, dt.date(2026, 11, 22), 3)

    result = schedule_retention_job.execute_in_process(
        run_config={"ops": {"purge_expired_plans": {"config": {"today": "2026-11-23"}}}},
        resources={"warehouse": WarehouseResource(duckdb_path=str(path))},
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert result.success
    assert result.output_for_node("purge_expired_plans") == 4 + 3 + 1  # assignments, capacity days, run
    (event,) = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = {k: v.value for k, v in event.step_output_data.metadata.items()}
    assert metadata["cutoff"] == "2021-11-23" and metadata["rows_purged"] == 8
    assert metadata["purged_plan_assignments"] == 4
    with duckdb.connect(str(path), read_only=True) as con:
        kept = con.execute("select distinct plan_date from plan_assignments order by 1").fetchall()
    assert kept == [(dt.date(2021, 11, 23),), (dt.date(2026, 11, 22),)]
