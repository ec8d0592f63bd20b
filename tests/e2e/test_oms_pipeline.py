"""Issue 12 end to end: the nightly job with the OMS beside Monday, two nights in a row.

Real parts only: the Monday sandbox and the OMS emulator (Shopify shape, the shipped shopify.yml)
over HTTP on 127.0.0.1, one DuckDB file, dlt through dagster-dlt, real dbt, real Dagster runs of
`daily_pipeline_job` on the instance the project ships (deploy/dagster.yaml).

  night 1 (2026-11-02)  full pulls: order_master holds Monday-only, OMS-only and both-systems orders,
                        the precedence applied, conflicts listed and counted in the digest, unknown
                        customers planned as `unknown_customer`, OMS orders planned like Monday's
  overnight             in the OMS: an order's quantity changes, one is cancelled, one deleted
  night 2 (2026-11-03)  incremental OMS pull: the plan shows the new quantity, and neither the
                        cancelled nor the deleted order

One stand-in, as in test_delivery_pipeline: the warehouse's clock is the night of the run
(`StoryWarehouse`), since the loader dates a deletion it notices by its load time.
"""

from __future__ import annotations

import datetime as dt
import shutil

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
from customer_master.defs.oms.assets import ORDERS_KEY, build_oms_assets, build_oms_checks
from customer_master.defs.oms.resources import OmsResource
from customer_master.defs.pipeline import daily_pipeline_job
from customer_master.defs.scheduling.assets import delivery_plan
from customer_master.oms.config import SHOPIFY_YML, load_oms_source
from customer_master.sandbox import SANDBOX_TOKEN, WorkspaceSpec
from customer_master.sandbox.oms import OmsServer, OmsSpec
from customer_master.scheduling.models import REASON_UNKNOWN_CUSTOMER
from tests.conftest import DEPLOY_DAGSTER_YAML
from tests.e2e.test_delivery_pipeline import StoryWarehouse

pytestmark = pytest.mark.slow  # starts Dagster and dbt

NIGHT1, NIGHT2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
OMS_ORDERS = 160
SOURCE = load_oms_source(SHOPIFY_YML)


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
            "warehouse": StoryWarehouse(duckdb_path=str(path), clock_at=at.isoformat()),
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


@pytest.fixture(scope="module")
def nights(_sandbox_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oms_pipeline")
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_DAGSTER_YAML, home / "dagster.yaml")
    monday = _sandbox_server
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
            return defs.get_job_def("daily_pipeline_job").execute_in_process(
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


def _oms_id(order_id: int) -> str:
    return f"oms:{SOURCE.name}:{order_id}"


def test_both_nights_succeed_with_the_oms_assets_and_their_checks(nights):
    for name, result in nights.runs.items():
        assert result.success, name
        keys = {e.materialization.asset_key for e in result.get_asset_materialization_events()}
        assert {ORDERS_KEY, dg.AssetKey(["oms", "deletions"]), dg.AssetKey("order_master")} <= keys
        checks = {
            c.check_name: c.passed for c in result.get_asset_check_evaluations() if c.asset_key == ORDERS_KEY
        }
        assert checks == {"records_extracted": True, "record_error_rate": True}
    modes = [
        next(
            e.materialization.metadata["mode"].value
            for e in r.get_asset_materialization_events()
            if e.materialization.asset_key == ORDERS_KEY
        )
        for r in nights.runs.values()
    ]
    assert modes == ["full", "incremental"]


def test_order_master_is_one_row_per_real_order_from_both_sources(nights):
    by_source = dict(nights.rows("select source, count(*) from order_master group by 1"))
    both = nights.facts["both_systems"]
    assert by_source["both"] == len(both) and by_source["monday"] > 0 and by_source["oms"] > 0
    # One row per order: no OMS order of a pair shows up on its own.
    paired = [_oms_id(b["order_id"]) for b in both]
    assert nights.rows(
        f"select count(*) from order_master where order_id in ({', '.join('?' * len(paired))})", paired
    ) == [(0,)]
    for order in both:
        row = nights.rows(
            "select source, source_ids, quantity, requested_date from order_master where order_id = ?",
            [f"monday:{order['monday_item_id']}"],
        )[0]
        assert row[0] == "both" and _oms_id(order["order_id"]) in row[1]
        if order["conflict"] == "quantity":  # the OMS wins quantity by default
            assert row[2] == order["quantity"]
        if order["conflict"] == "requested_date":  # Monday wins the requested date
            assert row[3].isoformat() != order["requested_date"]


def test_conflicts_are_listed_with_their_winner_and_counted_in_the_digest(nights):
    expected = {
        (f"monday:{b['monday_item_id']}", b["conflict"])
        for b in nights.facts["both_systems"]
        if b["conflict"]
    }
    conflicts = nights.rows(
        "select order_id, field, winner from order_conflicts where field <> 'duplicate_order_number'"
    )
    assert expected <= {(c[0], c[1]) for c in conflicts}
    winners = {c[1]: c[2] for c in conflicts}
    assert winners.get("quantity", "oms") == "oms" and winners.get("requested_date", "monday") == "monday"
    total = nights.rows("select count(*) from order_conflicts")[0][0]
    # The digest was written after night 1, when order_conflicts held the same rows (nothing in
    # Monday changed, and night 2's OMS changes touch OMS-only orders).
    assert f"Order conflicts (Monday vs OMS): {total:,}" in nights.digest


def test_unknown_customers_stay_visible_and_are_planned_as_unknown_customer(nights):
    plan = nights.plan(NIGHT1)
    unknown = [_oms_id(i) for i in nights.facts["unknown_customer"]]
    rows = nights.rows(
        f"select order_id, is_unknown_customer, customer_id, is_open from order_master "
        f"where order_id in ({', '.join('?' * len(unknown))})",
        unknown,
    )
    assert len(rows) == len(unknown)
    assert all(r[1] and r[2] is None for r in rows)
    for order_id, _unknown, _customer, is_open in rows:
        if is_open:
            assert plan[order_id][:2] == ("unschedulable", REASON_UNKNOWN_CUSTOMER)


def test_oms_orders_are_planned_like_monday_orders(nights):
    plan = nights.plan(NIGHT1)
    scheduled = [
        oid for oid, (status, _r, _u) in plan.items() if oid.startswith("oms:") and status == "scheduled"
    ]
    assert len(scheduled) >= 10
    cancelled = {_oms_id(i) for i in nights.facts["cancelled"]} | {
        _oms_id(i) for i in nights.facts["deleted"]
    }
    assert not cancelled & set(plan)  # cancelled and deleted OMS orders are not open


def test_an_order_updated_cancelled_and_deleted_in_the_oms_changes_the_next_plan(nights):
    changed = nights.facts["overnight"]
    night1, night2 = nights.plan(NIGHT1), nights.plan(NIGHT2)
    updated, cancelled, deleted = (_oms_id(changed[k]) for k in ("updated", "cancelled", "deleted"))
    assert {updated, cancelled, deleted} <= set(night1)
    assert night2[updated][2] == 3.0
    assert cancelled not in night2 and deleted not in night2
    status = dict(
        nights.rows(
            "select order_id, status from order_master where order_id in (?, ?)", [cancelled, deleted]
        )
    )
    assert status == {cancelled: "cancelled", deleted: "deleted"}
