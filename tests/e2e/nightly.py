"""The nightly job with the OMS beside Monday, two nights in a row (issue 12), shared by the e2e tests
that look at it (test_nightly_pipeline.py): one
story per test session, since each night is a full nightly run (boards, OMS, dbt, plan).

Real parts only: the Monday sandbox and the OMS emulator (Shopify shape, the shipped shopify.yml)
over HTTP on 127.0.0.1, one DuckDB file, dlt through dagster-dlt, real dbt, real Dagster runs of
`daily_pipeline_job` on the instance the project ships (deploy/dagster.yaml).

  night 1 (2026-11-02)  full pulls: order_master holds Monday-only, OMS-only and both-systems orders,
                        the precedence applied, conflicts listed and counted in the digest, unknown
                        customers planned as `unknown_customer`, OMS orders planned like Monday's
  overnight             in the OMS: an order's quantity changes, one is cancelled, one deleted
  night 2 (2026-11-03)  incremental OMS pull: the plan shows the new quantity, and neither the
                        cancelled nor the deleted order

One stand-in: the warehouse's clock is the night of the run (`ClockedWarehouse`). The wall clock
cannot be set back to November 2026, and the loader dates a state change it notices (a deleted item
or order) by its load time, which the snapshots and the plan as of a day read.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource
from dagster_dlt import DagsterDltResource

from customer_master.alerts.messages import daily_digest_alert
from customer_master.defs.dbt.assets import customer_master_dbt, schedule_models_dbt
from customer_master.defs.dbt.project import dbt_project
from customer_master.defs.dbt.resources import dbt_executable
from customer_master.defs.monday.assets import monday_board_assets
from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.monitoring.sensors import digest_of, run_facts
from customer_master.defs.oms.assets import build_oms_assets, build_oms_checks
from customer_master.defs.oms.resources import OmsResource
from customer_master.defs.pipeline import daily_pipeline_job
from customer_master.defs.resources import WarehouseResource
from customer_master.defs.scheduling.assets import delivery_plan
from customer_master.oms.config import SHOPIFY_YML, load_oms_source
from customer_master.sandbox import SANDBOX_TOKEN, SandboxServer, WorkspaceSpec
from customer_master.sandbox.oms import OmsServer, OmsSpec
from customer_master.warehouse.duckdb import DuckDBWarehouse

DEPLOY_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"
NIGHT1, NIGHT2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
OMS_ORDERS = 160
SOURCE = load_oms_source(SHOPIFY_YML)


class ClockedWarehouse(WarehouseResource):
    """The DuckDB warehouse with its clock at `clock_at` (naive UTC ISO): the night of the run."""

    clock_at: str

    def get_warehouse(self) -> DuckDBWarehouse:
        at = dt.datetime.fromisoformat(self.clock_at)
        return DuckDBWarehouse(self.duckdb_path, max_error_rate=self.max_error_rate, clock=lambda: at)


def _defs(monday_url: str, oms: OmsServer, path, pipelines_dir, night: dt.date) -> dg.Definitions:
    at = dt.datetime.combine(night, dt.time(2))
    return dg.Definitions(
        assets=[
            *monday_board_assets,
            build_oms_assets(SOURCE, "duckdb"),
            customer_master_dbt,
            delivery_plan,
            schedule_models_dbt,
        ],
        asset_checks=[build_oms_checks()],
        jobs=[daily_pipeline_job],
        resources={
            "monday": MondayResource(
                api_url=monday_url, api_token=SANDBOX_TOKEN, max_attempts=3, timeout_seconds=5
            ),
            "oms": OmsResource(api_url=oms.base_url, api_token=oms.token, pipelines_dir=str(pipelines_dir)),
            "dlt": DagsterDltResource(),
            "warehouse": ClockedWarehouse(duckdb_path=str(path), clock_at=at.isoformat()),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
    )


class Nights:
    def __init__(self, path) -> None:
        self.path = path
        self.runs: dict[str, dg.ExecuteInProcessResult] = {}
        self.facts: dict[str, object] = {}
        self.digest: str = ""

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def plan(self, day: dt.date) -> dict[str, tuple]:
        rows = self.rows(
            "select order_id, status, reason, units from plan_assignments where plan_date = ?", [day]
        )
        return {r[0]: r[1:] for r in rows}


def two_nights(monday: SandboxServer, tmp: Path) -> Nights:
    """Night 1, the OMS changes overnight, night 2 (see the module docstring)."""
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_DAGSTER_YAML, home / "dagster.yaml")
    monday.control.reset()
    story = Nights(tmp / "warehouse.duckdb")
    with (
        OmsServer(OmsSpec.for_workspace(WorkspaceSpec(), orders=OMS_ORDERS), shape="shopify") as oms,
        dg.DagsterInstance.from_config(str(home)) as instance,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("CM_DUCKDB_PATH", str(story.path))  # dbt's profile reads the same variable

        def run(night: dt.date, oms_mode: str) -> dg.ExecuteInProcessResult:
            defs = _defs(monday.url, oms, story.path, tmp / "dlt", night)
            ops = {a.key.to_python_identifier(): {"config": {"mode": "full"}} for a in monday_board_assets}
            ops[f"oms_{SOURCE.name}"] = {"config": {"mode": oms_mode}}
            return defs.resolve_job_def("daily_pipeline_job").execute_in_process(
                partition_key=night.isoformat(),
                instance=instance,
                run_config={"ops": ops},
                raise_on_error=False,
            )

        story.facts = oms.control.facts()
        story.runs["night1"] = run(NIGHT1, "full")
        result = story.runs["night1"]
        story.digest = "\n".join(
            daily_digest_alert(digest_of(run_facts(instance, result.dagster_run))).details
        )

        # Overnight in the OMS: three planned OMS-only orders change.
        planned = sorted(
            oid for oid, (status, _reason, _units) in story.plan(NIGHT1).items()
            if oid.startswith("oms:") and status == "scheduled"
        )  # fmt: skip
        updated, cancelled, deleted = (int(oid.rsplit(":", 1)[1]) for oid in planned[:3])
        oms.control.set_clock("2026-11-03T01:00:00Z")
        oms.control.update_order(updated, quantity=3)
        oms.control.cancel_order(cancelled)
        oms.control.delete_order(deleted)
        story.facts["overnight"] = {"updated": updated, "cancelled": cancelled, "deleted": deleted}
        story.runs["night2"] = run(NIGHT2, "auto")
    return story
