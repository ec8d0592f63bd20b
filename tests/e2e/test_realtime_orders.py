"""Order changes reach order_master within seconds (issue 13), end to end on the shipped instance.

Real parts: the Monday sandbox (mutations over GraphQL, webhooks POSTed to registered URLs, Monday's
retry schedule sped up), the webhook receiver as its own process, the SQLite change store, the
registration job, `order_changes_sensor` and `monday_order_poll_sensor` evaluated on the instance
`make ui` runs (deploy/dagster.yaml), runs of `realtime_order_updates_job`, one DuckDB file and real
dbt (order_master built incrementally). The warehouse is built once by a full landing and `dbt build`,
as the nightly run leaves it. The OMS half: the OMS emulator beside the sandbox, synced by the nightly
(dlt), its changes found by `oms_order_poll_sensor` and applied by the same runs.

A "tick" here is what the daemon does every few seconds: evaluate the sensor, launch its run request
(run in process, on the same instance, like the run worker the daemon would start).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import pytest

from customer_master.defs.monday.resources import MondayResource
from customer_master.defs.resources import SlackResource, WarehouseResource
from customer_master.monday import MondayClient
from customer_master.oms.config import SHOPIFY_YML, load_oms_source
from customer_master.oms.pipeline import duckdb_destination
from customer_master.oms.source import OmsConnection
from customer_master.realtime.store import ChangeKey, ChangeStore
from customer_master.realtime_defs import assets as realtime_assets
from customer_master.realtime_defs import jobs as realtime_jobs
from customer_master.realtime_defs import sensors as realtime_sensors
from customer_master.realtime_defs.resources import ChangeStoreResource
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, SANDBOX_TOKEN, SandboxServer, WorkspaceSpec
from customer_master.sandbox.oms import OmsServer, OmsSpec
from customer_master.settings import dbt_vars, get_settings
from customer_master.warehouse.base import RunInfo
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.oms_landing import sync_oms
from tests.integration.dbt_helpers import land_boards, run_dbt

pytestmark = pytest.mark.slow

DEPLOY_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"
ORDERS = BOARD_IDS["orders"]
COLS = COLUMN_IDS["orders"]
SECRET = "whsec-e2e-0123456789abcdef"
LINGER = "CM_REALTIME_LINGER_SECONDS"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """`python -m customer_master.realtime serve` on a fixed port, restartable, its logs kept."""

    def __init__(self, store: Path, port: int, log: Path) -> None:
        self.store, self.port, self.log = store, port, log
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}/monday/webhook"

    def start(self) -> None:
        cmd = [
            sys.executable, "-m", "customer_master.realtime", "serve", "--host", "127.0.0.1",
            "--port", str(self.port), "--store", str(self.store), "--board", ORDERS,
        ]  # fmt: skip
        env = {**os.environ, "MONDAY_WEBHOOK_SIGNING_SECRET": SECRET}
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"receiver did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class Live:
    """The running world of this module and the operations a test needs."""

    def __init__(
        self, sandbox, receiver: Receiver, store_path: Path, db: Path, instance, defs, resources
    ) -> None:
        self.sandbox, self.receiver, self.store_path, self.db = sandbox, receiver, store_path, db
        self.instance, self.defs, self.resources = instance, defs, resources
        self.cursors: dict[str, str | None] = {}

    @property
    def store(self) -> ChangeStore:
        return ChangeStore(self.store_path)

    def graphql(self, query: str, variables: dict) -> dict:
        with MondayClient(self.sandbox.url, self.sandbox.token, timeout=30) as client:
            return client.execute(query, variables, board_id=ORDERS, purpose="e2e_mutation")

    def change_quantity(self, item_id: str, quantity: int) -> None:
        self.graphql(
            "mutation ($b: ID!, $i: ID, $c: String!, $v: JSON!) "
            "{ change_column_value(board_id: $b, item_id: $i, column_id: $c, value: $v) { id } }",
            {"b": ORDERS, "i": item_id, "c": COLS["quantity"], "v": json.dumps(str(quantity))},
        )

    def wait_delivered(self, timeout: float = 20) -> None:
        self.sandbox.control.wait_webhooks_idle(timeout=timeout)

    def tick(self, sensor_name: str = "order_changes_sensor") -> list[dg.ExecuteInProcessResult]:
        """One sensor evaluation on the shipped instance, and the runs it asks for."""
        sensor = self.defs.resolve_sensor_def(sensor_name)
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursors.get(sensor_name), resources=self.resources
        ) as context:
            result = sensor.evaluate_tick(context)
        self.cursors[sensor_name] = result.cursor
        job = self.defs.resolve_job_def(realtime_assets.REALTIME_JOB_NAME)
        return [
            job.execute_in_process(instance=self.instance, tags=request.tags, raise_on_error=False)
            for request in result.run_requests or []
        ]

    def drain(self, limit: int = 10) -> list[dg.ExecuteInProcessResult]:
        runs = []
        for _ in range(limit):
            launched = self.tick()
            if not launched:
                return runs
            runs.extend(launched)
        raise AssertionError("changes kept waiting after 10 runs")

    def order(self, item_id: str) -> dict | None:
        with duckdb.connect(str(self.db), read_only=True) as con:
            row = con.execute(
                "select quantity, is_active, order_number from order_master where monday_source_id = ?",
                [item_id],
            ).fetchone()
        return None if row is None else {"quantity": row[0], "is_active": row[1], "order_number": row[2]}

    def open_items(self, n: int) -> list[str]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            rows = con.execute(
                "select monday_source_id from order_master where source = 'monday' and is_open "
                "and quantity is not null order by monday_source_id limit ?",
                [n],
            ).fetchall()
        return [r[0] for r in rows]


def _build_and_wire(work: Path, sandbox_url: str, db: Path, store: Path) -> dict:
    """dbt builds the landed warehouse (as the nightly leaves it); the resources the runs use."""
    built = run_dbt(
        ["build", "--vars", json.dumps(dbt_vars(get_settings()))], work, env={"DBT_TARGET": "duckdb"}
    )
    assert built.returncode == 0, built.stdout[-3000:]
    return {
        "monday": MondayResource(api_url=sandbox_url, api_token=SANDBOX_TOKEN, max_attempts=3),
        "warehouse": WarehouseResource(duckdb_path=str(db)),
        "change_store": ChangeStoreResource(path=str(store)),
        "slack": SlackResource(webhook_url=None),
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    work = tmp_path_factory.mktemp("realtime_e2e")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_DAGSTER_YAML, home / "dagster.yaml")
    db, store = work / "warehouse.duckdb", work / "changes.sqlite"
    receiver = Receiver(store, _free_port(), work / "receiver.log")
    with (
        SandboxServer(
            WorkspaceSpec(orders=1200, dirt=False), webhook_retry_seconds=0.2, webhook_signing_secret=SECRET
        ) as sandbox,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("CM_DUCKDB_PATH", str(db))  # dbt's profile reads the same variable
        mp.setenv("DAGSTER_HOME", str(home))
        mp.setenv(LINGER, "0")  # one batch per run: a tick's run returns (one test lingers on purpose)
        get_settings.cache_clear()
        land_boards(sandbox.url, sandbox.token, DuckDBWarehouse(db))
        resources = _build_and_wire(work, sandbox.url, db, store)
        defs = dg.Definitions(
            assets=[realtime_assets.order_updates],
            jobs=[realtime_assets.realtime_order_updates_job, realtime_jobs.register_monday_webhooks_job],
            sensors=[realtime_sensors.order_changes_sensor, realtime_sensors.monday_order_poll_sensor],
            resources=resources,
        )
        receiver.start()
        with dg.DagsterInstance.from_config(str(home)) as instance:
            world = Live(sandbox, receiver, store, db, instance, defs, resources)
            _register(world, receiver.url)
            yield world
        receiver.stop()
    get_settings.cache_clear()


def _register(live: Live, url: str, *, dry_run: bool = False) -> dg.ExecuteInProcessResult:
    job = live.defs.resolve_job_def("register_monday_webhooks_job")
    config = {"ops": {"register_monday_webhooks": {"config": {"url": url, "dry_run": dry_run}}}}
    result = job.execute_in_process(instance=live.instance, run_config=config)
    assert result.success
    return result


def _registered_events(live: Live) -> list[str]:
    return sorted(w["event"] for w in live.sandbox.control.webhooks(ORDERS))


def test_registration_creates_each_webhook_once_and_replaces_stale_ones(live):
    events = _registered_events(live)
    assert events == sorted(
        ["create_item", "change_column_value", "change_name", "item_archived", "item_deleted",
         "item_restored", "item_moved_to_any_group"]
    )  # fmt: skip
    _register(live, live.receiver.url)  # again: nothing changes
    assert _registered_events(live) == events
    ids_before = {w["id"] for w in live.sandbox.control.webhooks(ORDERS)}
    dry = _register(live, live.receiver.url + "?moved=1", dry_run=True)
    assert {w["id"] for w in live.sandbox.control.webhooks(ORDERS)} == ids_before  # a dry run changes nothing
    (output,) = [e for e in dry.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = output.event_specific_data.metadata
    assert metadata["dry_run"].value is True and len(metadata["created"].value) == 7  # what it would do


def test_a_quantity_change_is_in_order_master_after_one_run(live):
    (item,) = live.open_items(1)
    live.change_quantity(item, 1234)
    live.wait_delivered()
    assert live.store.pending_count() == 1
    runs = live.drain()
    assert len(runs) == 1 and runs[0].success
    assert live.order(item)["quantity"] == 1234
    by_key = {
        m.asset_key.to_user_string(): m
        for m in runs[0].asset_materializations_for_node("apply_order_changes")
    }
    mat = by_key["realtime/order_updates"]
    assert by_key["order_master"].metadata["order_changes"].value == 1  # order_master's own history shows it
    assert mat.metadata["changes"].value == 1 and mat.metadata["applied"].value == 1
    assert 0 <= mat.metadata["lag_max_s"].value < 30
    with duckdb.connect(str(live.db), read_only=True) as con:  # the day's backlog as the view has it now
        backlog = con.execute("select order_backlog, unplanned_open_orders from order_backlog").fetchone()
    assert (mat.metadata["order_backlog"].value, mat.metadata["unplanned_open_orders"].value) == backlog
    checks = {e.check_name: e.passed for e in runs[0].get_asset_check_evaluations()}
    assert checks == {"order_update_success_rate": True, "unprocessed_order_changes": True}


def test_every_event_type_reaches_order_master(live):
    renamed, archived, deleted, moved, restored = live.open_items(5)
    created = live.graphql(
        'mutation ($b: ID!, $v: JSON) { create_item(board_id: $b, item_name: "New realtime order", '
        "column_values: $v) { id } }",
        {"b": ORDERS, "v": json.dumps({COLS["quantity"]: "41", COLS["order_number"]: "RT-NEW-1"})},
    )["create_item"]["id"]
    live.graphql(
        "mutation ($b: ID!, $i: ID, $v: JSON!) { change_multiple_column_values(board_id: $b, item_id: $i, "
        "column_values: $v) { id } }",
        {
            "b": ORDERS,
            "i": renamed,
            "v": json.dumps({"name": "Renamed order", COLS["order_number"]: "RT-RENAMED"}),
        },
    )
    live.graphql("mutation ($i: ID) { archive_item(item_id: $i) { id } }", {"i": archived})
    live.graphql("mutation ($i: ID) { delete_item(item_id: $i) { id } }", {"i": deleted})
    groups = live.graphql("query ($b: [ID!]) { boards(ids: $b) { groups { id } } }", {"b": [ORDERS]})
    other_group = groups["boards"][0]["groups"][-1]["id"]
    live.graphql(
        "mutation ($i: ID, $g: String!) { move_item_to_group(item_id: $i, group_id: $g) { id } }",
        {"i": moved, "g": other_group},
    )
    live.sandbox.control.archive_item(ORDERS, restored)
    live.sandbox.control.restore_item(ORDERS, restored)
    live.wait_delivered()
    runs = live.drain()
    assert runs and all(r.success for r in runs)
    assert live.order(created)["quantity"] == 41
    assert live.order(renamed)["order_number"] == "RT-RENAMED"
    assert live.order(archived)["is_active"] is False
    assert live.order(deleted)["is_active"] is False
    assert live.order(restored)["is_active"] is True
    assert live.order(moved)["is_active"] is True
    kinds = {row[0] for row in _events(live)}
    assert {"create_pulse", "update_column_value", "update_name", "archive_pulse", "delete_pulse",
            "restore_pulse", "move_pulse_into_group"} <= kinds  # fmt: skip


def _events(live: Live) -> list[tuple]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(live.store_path)) as db:
        return db.execute("select kind, outcome, delivery_key from events").fetchall()


def test_receiver_down_while_monday_retries_loses_nothing(live):
    (item,) = live.open_items(1)
    live.receiver.kill()
    live.change_quantity(item, 555)
    time.sleep(1.0)  # Monday retries (every 0.2 s here) while nobody answers
    assert live.sandbox.control.webhook_deliveries()["retries"] >= 1
    live.receiver.start()
    live.wait_delivered()
    runs = live.drain()
    assert runs and live.order(item)["quantity"] == 555


def test_events_pending_across_a_receiver_and_daemon_restart_are_applied(live):
    (item,) = live.open_items(1)
    live.change_quantity(item, 777)
    live.wait_delivered()
    live.receiver.kill()  # stored before the 200: the kill loses nothing
    live.cursors.clear()  # a restarted daemon starts with whatever the instance remembered
    live.receiver.start()
    assert live.store.pending_count() == 1
    runs = live.drain()
    assert runs and live.order(item)["quantity"] == 777


def test_duplicate_and_out_of_order_deliveries_apply_once_and_keep_the_newest(live):
    (item,) = live.open_items(1)
    live.change_quantity(item, 100)
    live.change_quantity(item, 200)  # the newer change
    live.wait_delivered()
    events = [e for e in _events(live) if e[1] == "queued"]
    # Monday delivers the first event again, late (a retry after a lost 200): recognised, stored once.
    first_body = _event_body(live, events[-2][2])
    answer = httpx.post(live.receiver.url, content=first_body, headers=_signed(live.receiver.url))
    assert answer.status_code == 200 and answer.json()["status"] == "duplicate"
    runs = live.drain()
    assert len(runs) == 1 and live.order(item)["quantity"] == 200


def _event_body(live: Live, key: str) -> bytes:
    import sqlite3

    with contextlib.closing(sqlite3.connect(live.store_path)) as db:
        return db.execute("select body from events where delivery_key = ?", [key]).fetchone()[0].encode()


def _signed(url: str) -> dict[str, str]:
    import jwt

    now = int(time.time())
    token = jwt.encode({"aud": url, "iat": now, "exp": now + 60}, SECRET, algorithm="HS256")
    return {"Authorization": token, "Content-Type": "application/json"}


def test_an_unsigned_delivery_is_refused_and_the_secret_is_never_logged(live):
    answer = httpx.post(
        live.receiver.url, json={"event": {"type": "create_pulse", "boardId": ORDERS, "pulseId": 1}}
    )
    assert answer.status_code == 401
    logs = live.receiver.log.read_text()
    assert SECRET not in logs and "Authorization" not in logs


def test_the_warehouse_locked_by_the_nightly_run_makes_changes_wait_then_apply(live):
    (item,) = live.open_items(1)
    live.change_quantity(item, 4242)
    live.wait_delivered()
    # Another process holds DuckDB's write lock (as the nightly run's dbt build does) for 4 s.
    hold = (
        f"import duckdb, time; con = duckdb.connect({str(live.db)!r}); "
        "print('locked', flush=True); time.sleep(4)"
    )
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    runs = live.drain()
    holder.wait(10)
    assert runs and runs[0].success and time.monotonic() - started >= 2
    assert live.order(item)["quantity"] == 4242


def test_polling_mode_without_webhooks_finds_and_applies_changes(live):
    live.drain()
    for hook in live.sandbox.control.webhooks(ORDERS):
        live.graphql("mutation ($i: ID!) { delete_webhook(id: $i) { id } }", {"i": hook["id"]})
    try:
        live.tick("monday_order_poll_sensor")  # the first poll takes today's items as its baseline
        live.drain()
        (item,) = live.open_items(1)
        live.change_quantity(item, 3131)
        assert live.store.pending_count() == 0  # no webhook: nothing pushed
        runs = live.tick("monday_order_poll_sensor")  # the poll finds it and launches the run itself
        assert len(runs) == 1 and runs[0].success
        assert live.order(item)["quantity"] == 3131
    finally:
        _register(live, live.receiver.url)


def test_a_burst_of_1000_changes_is_applied_completely(live):
    with duckdb.connect(str(live.db), read_only=True) as con:
        rows = con.execute(
            "select monday_source_id from order_master where source = 'monday' and is_active "
            "order by monday_source_id desc limit 1000"
        ).fetchall()
    items = [r[0] for r in rows]
    assert len(items) == 1000
    with MondayClient(live.sandbox.url, live.sandbox.token, timeout=30) as client:
        for n, item in enumerate(items):
            client.execute(
                "mutation ($b: ID!, $i: ID, $c: String!, $v: JSON!) "
                "{ change_column_value(board_id: $b, item_id: $i, column_id: $c, value: $v) { id } }",
                {"b": ORDERS, "i": item, "c": COLS["quantity"], "v": json.dumps(str(10_000 + n))},
                purpose="burst",
            )
    live.wait_delivered(timeout=120)
    assert live.store.pending_count() == 1000
    runs = live.drain()
    assert len(runs) == 1 and runs[0].success  # one run drains the whole burst (batch limit 1000)
    with duckdb.connect(str(live.db), read_only=True) as con:
        got = dict(con.execute("select monday_source_id, quantity from order_master").fetchall())
    assert all(got[item] == 10_000 + n for n, item in enumerate(items))
    assert live.store.stats().success_rate == 1.0


def test_after_a_failed_run_the_next_waits_before_trying_again(live):
    (item,) = live.open_items(1)
    live.store.enqueue([(ChangeKey("monday", ORDERS, item), None, "update_column_value")])
    # Monday unreachable for this one run (a closed port): the run fails, its change waits again.
    broken = {
        **live.resources,
        "monday": MondayResource(api_url="http://127.0.0.1:9/v2", api_token="x", max_attempts=1),
    }
    job = dg.Definitions(jobs=[realtime_assets.realtime_order_updates_job], resources=broken).resolve_job_def(
        realtime_assets.REALTIME_JOB_NAME
    )
    failed = job.execute_in_process(instance=live.instance, raise_on_error=False)
    assert not failed.success and live.store.pending_count() == 1
    assert live.tick() == []  # the sensor waits instead of launching the same failure again at once
    now = time.time()
    assert realtime_sensors.failed_recently(live.instance, now)
    assert not realtime_sensors.failed_recently(live.instance, now + realtime_sensors.RETRY_AFTER_FAILURE_S)
    # Then a run applies it (launched directly here: the 30 s are not waited out in a test).
    assert (
        live.defs.resolve_job_def(realtime_assets.REALTIME_JOB_NAME)
        .execute_in_process(instance=live.instance)
        .success
    )
    assert live.store.pending_count() == 0


def _applied(live: Live, item: str, since: float) -> bool:
    """The change store says the item's change was applied (read beside a running run: SQLite, not
    the DuckDB file the run writes)."""
    with contextlib.closing(sqlite3.connect(live.store_path, timeout=10)) as db:
        row = db.execute(
            "select count(*) from outcomes where outcome = 'applied' and item_id = ? and ts >= ?",
            [item, since],
        ).fetchone()
    return bool(row[0])


def _until(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_lingering_run_applies_the_next_change_itself_and_makes_way_for_another_run(live):
    """A run stays warm for CM_REALTIME_LINGER_SECONDS after its batch: a change that arrives then is
    applied by the same run (no sensor, no new process); a run queued meanwhile (the nightly) ends it.
    The run executes in this (main) thread, as in a run worker; a helper thread plays the operator."""
    first, second = live.open_items(2)
    # a run waiting to start (as the nightly is, before its launcher picks it up)
    nightly = dg.DagsterRun(
        job_name="daily_pipeline_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.NOT_STARTED
    )
    seen: dict = {}

    def operator() -> None:
        try:
            _until(lambda: _applied(live, first, started))
            live.change_quantity(second, 2222)  # while the run lingers
            _until(lambda: _applied(live, second, started))
            seen["second_applied"] = True
        finally:  # (also ends the run when a step above failed)
            live.instance.add_run(nightly)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(LINGER, "300")
        get_settings.cache_clear()
        job = live.defs.resolve_job_def(realtime_assets.REALTIME_JOB_NAME)
        started = time.time()
        live.change_quantity(first, 1111)
        live.wait_delivered()
        helper = threading.Thread(target=operator)
        helper.start()
        result = job.execute_in_process(instance=live.instance)
        helper.join(timeout=60)
        live.instance.delete_run(nightly.run_id)
    get_settings.cache_clear()
    assert result.success and seen == {"second_applied": True}
    # it made way as soon as the other run appeared, long before its 300 s linger were over
    assert time.time() - started < 300
    assert (live.order(first)["quantity"], live.order(second)["quantity"]) == (1111, 2222)
    batches = [
        m.metadata["applied"].value
        for m in result.asset_materializations_for_node("apply_order_changes")
        if m.asset_key == realtime_assets.ORDER_UPDATES_KEY
    ]
    assert batches == [1, 1]  # one run, two batches, each recorded


# ------------------------------------------------------------------ the OMS, polled (issue 13 §2)


@pytest.fixture(scope="module")
def oms_live(tmp_path_factory):
    """The Monday sandbox and the OMS emulator beside it (Shopify shape, shared customers and order
    numbers), landed by the nightly (full Monday pull, the OMS sync through dlt) and built with dbt;
    the OMS enabled through the variables a deployment sets. In this module (not a file of its own):
    order-update runs share dbt's `target/realtime`, so they must not run beside another file's."""
    work = tmp_path_factory.mktemp("realtime_oms_e2e")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_DAGSTER_YAML, home / "dagster.yaml")
    db, store = work / "warehouse.duckdb", work / "changes.sqlite"
    workspace = WorkspaceSpec(orders=60, dirt=False)
    with (
        SandboxServer(workspace) as sandbox,
        OmsServer(OmsSpec.for_workspace(workspace, orders=40), shape="shopify") as oms,
        pytest.MonkeyPatch.context() as mp,
    ):
        env = {
            "CM_DUCKDB_PATH": str(db),
            "DAGSTER_HOME": str(home),
            "CM_OMS_ENABLED": "true",
            "OMS_SOURCE": str(SHOPIFY_YML),
            "OMS_API_URL": oms.base_url,
            "OMS_API_TOKEN": oms.token,
            LINGER: "0",
        }
        for name, value in env.items():
            mp.setenv(name, value)
        get_settings.cache_clear()
        source = load_oms_source(SHOPIFY_YML)
        land_boards(sandbox.url, sandbox.token, DuckDBWarehouse(db))
        sync_oms(
            DuckDBWarehouse(db),
            source,
            destination=duckdb_destination(db),
            pipeline_dir=work / "dlt",
            connection=OmsConnection.resolve(source, api_url=oms.base_url, token=oms.token, username=None),
            run=RunInfo("nightly-1", "oms/orders", "2026-11-01", dt.datetime(2026, 11, 1, 2)),
        )
        resources = _build_and_wire(work, sandbox.url, db, store)
        defs = dg.Definitions(
            assets=[realtime_assets.order_updates],
            jobs=[realtime_assets.realtime_order_updates_job],
            sensors=[realtime_sensors.oms_order_poll_sensor],
            resources=resources,
        )
        with dg.DagsterInstance.from_config(str(home)) as instance:
            yield Live(sandbox, None, store, db, instance, defs, resources), oms, source.name
    get_settings.cache_clear()


def test_an_oms_order_changed_is_polled_and_reaches_order_master(oms_live):
    live, oms, name = oms_live
    both = {str(b["order_id"]) for b in oms.control.facts()["both_systems"]}
    with duckdb.connect(str(live.db), read_only=True) as con:
        rows = con.execute(
            "select oms_source_id from order_master where source = 'oms' and is_open order by 1"
        ).fetchall()
    updated, deleted = [r[0].split(":", 1)[1] for r in rows if r[0].split(":", 1)[1] not in both][:2]
    # The emulator stamps changes with its clock: now, as a live OMS would (the poll's cursor is real time).
    oms.control.set_clock(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    assert live.tick("oms_order_poll_sensor") == []  # the first poll: nothing changed since yesterday
    oms.control.update_order(int(updated), quantity=321)
    oms.control.delete_order(int(deleted))

    runs = live.tick("oms_order_poll_sensor")  # the poll stores both changes and launches the run itself
    assert len(runs) == 1 and runs[0].success
    with duckdb.connect(str(live.db), read_only=True) as con:
        got = dict(
            (r[0], r[1:])
            for r in con.execute(
                "select oms_source_id, quantity, is_active from order_master where oms_source_id in (?, ?)",
                [f"{name}:{updated}", f"{name}:{deleted}"],
            ).fetchall()
        )
    assert got == {
        f"{name}:{updated}": (321, True),
        f"{name}:{deleted}": (got[f"{name}:{deleted}"][0], False),
    }
    mats = {
        m.asset_key.to_user_string(): m
        for m in runs[0].asset_materializations_for_node("apply_order_changes")
    }
    assert mats["realtime/order_updates"].metadata["applied"].value == 2
    assert mats["order_master"].metadata["order_changes"].value == 2
    assert live.tick("oms_order_poll_sensor") == []  # nothing new: no run
