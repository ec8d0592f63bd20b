"""The OMS sync as the nightly asset runs it (`sync_oms`): dlt over real HTTP to the OMS emulator, the
order contract swapped into `raw_oms_orders` of a real DuckDB file, with its quarantine, run log and
the guards. What dbt reads (`raw_oms_orders`, `ops_quarantine`) is compared before and after every
failure. The dlt-level behaviour (paging, retries, timeouts, the token) is tests/integration/
test_oms_dlt_load.py; the Dagster wiring and dbt are tests/e2e/test_nightly_pipeline.py.
"""

from __future__ import annotations

import datetime as dt
import signal
import time

import duckdb
import pytest

from customer_master.oms.config import SHOPIFY_YML, WOOCOMMERCE_YML, load_oms_source
from customer_master.oms.pipeline import OmsAuthError, duckdb_destination, run_oms_load
from customer_master.oms.source import OmsConnection
from customer_master.sandbox.oms import OmsServer, OmsSpec
from customer_master.warehouse.base import LoadValidationError, RunInfo
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.oms_landing import OmsSyncReport, sync_oms
from customer_master.warehouse.validation import RULE_MASS_DELETION
from tests.integration.landing_helpers import python_child

pytestmark = pytest.mark.slow  # dlt pipeline runs over real HTTP: seconds each

ORDERS = 120
CONTRACT = (
    "oms, source_id, order_number, customer_number, customer_email, quantity, requested_date, "
    "priority, status, is_cancelled, is_deleted, delivered_date, updated_at"
)


def _small_pages(source):
    page_size = source.orders.page_size.model_copy(update={"size": 25})
    return source.model_copy(update={"orders": source.orders.model_copy(update={"page_size": page_size})})


SOURCES = {
    "shopify": _small_pages(load_oms_source(SHOPIFY_YML)),
    "woocommerce": _small_pages(load_oms_source(WOOCOMMERCE_YML)),
}


@pytest.fixture(scope="module")
def _shopify():
    with OmsServer(OmsSpec(orders=ORDERS), shape="shopify") as server:
        yield server


@pytest.fixture()
def oms(_shopify):
    _shopify.control.reset()
    yield _shopify


def _connection(server: OmsServer, token: str | None = None) -> OmsConnection:
    source = SOURCES[server.shape]
    if server.shape == "shopify":
        return OmsConnection.resolve(
            source, api_url=server.base_url, token=token or server.token, username=None
        )
    return OmsConnection.resolve(
        source, api_url=server.base_url, token=token or server.consumer_secret, username=server.consumer_key
    )


class Sync:
    """One warehouse + dlt folder, synced from one emulator like the nightly asset does."""

    def __init__(self, server: OmsServer, tmp_path) -> None:
        self.server = server
        self.source = SOURCES[server.shape]
        self.path = tmp_path / "warehouse.duckdb"
        self.pipeline_dir = tmp_path / "dlt"
        self.runs = 0

    def warehouse(self) -> DuckDBWarehouse:
        return DuckDBWarehouse(self.path)

    def __call__(self, *, mode="auto", force=False, token: str | None = None) -> OmsSyncReport:
        self.runs += 1
        return sync_oms(
            self.warehouse(),
            self.source,
            destination=duckdb_destination(self.path),
            pipeline_dir=self.pipeline_dir,
            connection=_connection(self.server, token),
            run=RunInfo(f"run-{self.runs}", "oms/orders", "2026-12-01", dt.datetime(2026, 12, 1, 2)),
            requested=mode,
            force=force,
        )

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def contract(self) -> dict[str, tuple]:
        return {r[1]: r for r in self.rows(f"select {CONTRACT} from raw_oms_orders")}

    def what_dbt_reads(self) -> tuple[list[tuple], list[tuple]]:
        return (
            sorted(self.rows("select * from raw_oms_orders"), key=str),
            sorted(self.rows("select * from ops_quarantine"), key=str),
        )


@pytest.fixture()
def sync(oms, tmp_path):
    return Sync(oms, tmp_path)


def test_a_first_sync_is_full_then_incremental_with_updates_cancellations_and_deletions(sync, oms):
    facts = oms.control.facts()
    first = sync()
    assert (first.contract.mode, first.reason.startswith("first load")) == ("full", True)
    contract = sync.contract()
    assert len(contract) == facts["visible"] == first.contract.active_orders
    assert sync.rows("select source, board_id, active_items from ops_sync_state") == [
        ("oms", "shopify", len(contract))
    ]

    updated, cancelled, deleted = (int(i) for i in sorted(contract)[:3])
    oms.control.set_clock("2026-12-02T09:00:00Z")
    oms.control.update_order(updated, quantity=999)
    oms.control.cancel_order(cancelled)
    oms.control.delete_order(deleted)  # Shopify: gone from orders.json, a destroy event instead

    second = sync()
    assert second.contract.mode == "incremental"
    assert second.load.records_extracted < 10  # the changes (and the boundary order), not everything
    after = sync.contract()
    assert after[str(updated)][5] == 999.0
    assert after[str(cancelled)][8:10] == ("cancelled", True)
    assert after[str(deleted)][8] == "deleted" and after[str(deleted)][10] is True
    assert second.contract.deleted == 1
    assert second.contract.active_orders == first.contract.active_orders - 1

    before_rerun = sync.contract()
    third = sync()  # nothing changed: the same contract (idempotent)
    assert third.contract.mode == "incremental"
    assert sync.contract() == before_rerun
    runs = sync.rows("select status, records from ops_run_log where board_id = 'shopify' order by run_id")
    assert [r[0] for r in runs] == ["success", "success", "success"]


def test_malformed_values_are_quarantined_with_the_order_kept_and_the_rest_loaded(sync, oms):
    faults = oms.control.set_faults(malformed_orders=3, malformed_kinds="quantity,date,priority")
    report = sync(mode="full")
    quarantine = sync.rows(
        "select board_id, item_id, column_id, reason, raw_text from ops_quarantine where source = 'oms'"
    )
    assert {q[3] for q in quarantine} >= {"invalid_quantity", "invalid_date", "unknown_priority"}
    assert {q[0] for q in quarantine} == {"shopify"}
    assert report.contract.quarantined == len(quarantine) and 0 < report.contract.error_rate < 0.02
    contract = sync.contract()
    assert len(contract) == oms.control.facts()["visible"]  # every order landed, bad values NULL
    bad_quantity = next(q[1] for q in quarantine if q[3] == "invalid_quantity")
    assert contract[bad_quantity][5] is None
    assert {q[1] for q in quarantine} <= {str(i) for i in faults["malformed"]}  # the orders it broke

    # Fixed in the OMS, the next pull of those orders clears their quarantine rows.
    oms.control.clear_faults()
    sync(mode="full")
    assert sync.rows("select count(*) from ops_quarantine where source = 'oms'") == [(0,)]


def test_a_load_killed_half_way_leaves_what_dbt_reads_unchanged_and_the_next_run_catches_up(sync, oms):
    sync()
    oms.control.set_clock("2026-12-02T09:00:00Z")
    changed = int(sorted(sync.contract())[5])
    oms.control.update_order(changed, quantity=777)
    before = sync.what_dbt_reads()

    oms.control.set_faults(latency_ms=400)  # every page slow: the child is mid-pull when it dies
    child = python_child(
        """
        import sys
        sys.path.insert(0, ".")
        from tests.integration.test_oms_contract_landing import Sync, _Server
        import pathlib
        Sync(_Server(sys.argv[1], sys.argv[2]), pathlib.Path(sys.argv[3]))(mode="full")
        """,
        oms.base_url,
        oms.token,
        str(sync.path.parent),
    )
    requests_before = oms.control.stats()["api_requests"]
    deadline = time.monotonic() + 60
    while oms.control.stats()["api_requests"] < requests_before + 2 and time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    oms.control.clear_faults()

    assert sync.what_dbt_reads() == before
    assert sync.warehouse().staging_tables() == []  # DuckDB stages in TEMP: nothing left behind
    report = sync()
    assert sync.contract()[str(changed)][5] == 777.0
    assert report.contract.active_orders == oms.control.facts()["visible"]


class _Server:
    """What `Sync` needs of a server, from a URL and token (the killed child has no server object)."""

    shape = "shopify"

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url, token


def test_a_load_stopped_between_dlt_and_the_contract_swap_is_caught_by_a_full_pull(sync, oms):
    sync()
    oms.control.set_clock("2026-12-02T09:00:00Z")
    changed = int(sorted(sync.contract())[7])
    oms.control.update_order(changed, quantity=555)
    # dlt commits the change (and moves its cursor past it); the contract swap never happens.
    run_oms_load(
        sync.source,
        destination=duckdb_destination(sync.path),
        pipeline_dir=sync.pipeline_dir,
        connection=_connection(oms),
    )
    assert sync.contract()[str(changed)][5] != 555.0

    report = sync()
    assert report.contract.mode == "full" and "stopped between" in report.reason
    assert sync.contract()[str(changed)][5] == 555.0
    assert sync().contract.mode == "incremental"  # in step again


def test_a_mass_deletion_is_refused_with_nothing_changed_until_forced(sync, oms):
    sync()
    before = sync.what_dbt_reads()
    gone = sorted(sync.contract())[:30]
    oms.control.set_clock("2026-12-02T09:00:00Z")
    for order_id in gone:
        oms.control.delete_order(int(order_id))

    with pytest.raises(LoadValidationError, match=RULE_MASS_DELETION) as refused:
        sync()
    assert "oms:shopify" in str(refused.value) and "force" in str(refused.value)
    assert sync.what_dbt_reads() == before
    failed = sync.rows("select status, message from ops_run_log order by ended_at desc")[0]
    assert failed[0] == "failed" and RULE_MASS_DELETION in failed[1]

    forced = sync(mode="full", force=True)
    assert forced.contract.active_orders == len(before[0]) - len(gone)


def test_a_wrong_token_fails_at_once_with_nothing_changed_and_the_token_nowhere(sync, oms, caplog):
    sync()
    before = sync.what_dbt_reads()
    wrong = "shpat_wrong_0123456789abcdef"
    with pytest.raises(OmsAuthError) as refused:
        sync(token=wrong)
    assert "OMS_API_TOKEN" in str(refused.value) and wrong not in str(refused.value)
    assert wrong not in caplog.text
    assert sync.what_dbt_reads() == before
    message = sync.rows("select message from ops_run_log where status = 'failed'")[0][0]
    assert "HTTP 401" in message and wrong not in message


def test_the_second_yaml_loads_a_differently_shaped_api_through_the_same_code(tmp_path):
    with OmsServer(OmsSpec(orders=80), shape="woocommerce") as server:
        sync = Sync(server, tmp_path)
        report = sync()
        facts = server.control.facts()
        contract = sync.contract()
        assert report.contract.mode == "full" and len(contract) == facts["orders"]
        deleted = str(facts["deleted"][0])
        assert contract[deleted][8] == "deleted"  # WooCommerce trashes: the order stays, marked deleted
        both = facts["both_systems"][0]
        assert contract[str(both["order_id"])][2] == both["number"]
        assert contract[str(both["order_id"])][3].startswith("CUST-")


def test_the_oms_assets_refuse_a_selection_without_the_orders(tmp_path):
    """oms/deletions alone would let a full pull read every order as gone: the run fails, naming why,
    before anything is pulled or written."""
    import dagster as dg
    from dagster_dlt import DagsterDltResource

    from customer_master.defs.oms.assets import build_oms_assets
    from customer_master.defs.oms.resources import OmsResource
    from customer_master.defs.resources import WarehouseResource

    assets = build_oms_assets(SOURCES["shopify"], "duckdb")
    result = dg.materialize(
        [assets],
        selection=[dg.AssetKey(["oms", "deletions"])],
        partition_key="2026-12-01",
        resources={
            "oms": OmsResource(api_url="http://127.0.0.1:9", api_token="unused", pipelines_dir=str(tmp_path)),
            "dlt": DagsterDltResource(),
            "warehouse": WarehouseResource(duckdb_path=str(tmp_path / "warehouse.duckdb")),
        },
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "oms/orders loads with every other OMS asset" in failure.event_specific_data.error.message
    assert not (tmp_path / "warehouse.duckdb").exists()
