"""The OMS half of the realtime path (issue 13): poll the OMS for changed orders, read exactly those by
id, upsert them into `raw_oms_orders` in one transaction, and (end to end) bring order_master up to
date through `apply_pending_changes` with the real dbt CLI.

Real HTTP to the OMS emulator on 127.0.0.1 (both YAMLs: shopify and woocommerce), a real change store
(SQLite) and a real DuckDB warehouse, first filled by the nightly sync (`sync_oms`, dlt) as in
production. What must hold: a poll finds exactly the orders changed since the previous one (updates,
cancellations, deletions; the first poll reads the day before); the upsert lands them in one
transaction (a failure part way leaves what dbt reads unchanged); an older version never overwrites
a newer one; a deleted order is marked deleted and a later update event does not resurrect it; a
wrong token names OMS_API_TOKEN and never shows itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import duckdb
import pytest

from customer_master.oms.changes import (
    OmsChangeReader,
    OmsPollState,
    changed_since,
    fetch_orders,
    poll_oms,
)
from customer_master.oms.config import SHOPIFY_YML, WOOCOMMERCE_YML, load_oms_source
from customer_master.oms.pipeline import OmsAuthError, duckdb_destination
from customer_master.oms.source import OmsConnection, build_session
from customer_master.realtime.apply import apply_pending_changes, order_changes_vars
from customer_master.realtime.store import Change, ChangeKey, ChangeStore
from customer_master.sandbox.oms import OmsServer, OmsSpec
from customer_master.warehouse.base import RunInfo
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.oms_landing import OmsChangeStatements, sync_oms, upsert_oms_orders

pytestmark = pytest.mark.slow  # real HTTP, dlt and (end to end) dbt

ORDERS = 60
AS_OF = dt.datetime(2026, 11, 1)  # the emulator's default clock (OmsSpec.as_of 00:00 UTC)
LATER = "2026-11-02T09:00:00Z"
SOURCES = {"shopify": load_oms_source(SHOPIFY_YML), "woocommerce": load_oms_source(WOOCOMMERCE_YML)}
CONTRACT = (
    "source_id, order_number, quantity, status, is_cancelled, is_deleted, updated_at, "
    "_state_changed_at, _run_id"
)


@pytest.fixture(scope="module", params=["shopify", "woocommerce"])
def _server(request):
    with OmsServer(OmsSpec(orders=ORDERS), shape=request.param) as server:
        yield server


@pytest.fixture()
def oms(_server):
    _server.control.reset()
    yield _server


def _connection(server: OmsServer, token: str | None = None) -> OmsConnection:
    source = SOURCES[server.shape]
    if server.shape == "shopify":
        return OmsConnection.resolve(
            source, api_url=server.base_url, token=token or server.token, username=None
        )
    return OmsConnection.resolve(
        source, api_url=server.base_url, token=token or server.consumer_secret, username=server.consumer_key
    )


def _credentials(server: OmsServer, token: str | None = None) -> dict[str, Any]:
    if server.shape == "shopify":
        return {"api_url": server.base_url, "token": token or server.token, "user": None}
    return {"api_url": server.base_url, "token": token or server.consumer_secret, "user": server.consumer_key}


class Recorder:
    """The nightly's session, with every request URL recorded."""

    def __init__(self, source) -> None:
        self.session = build_session(source.http)
        self.urls: list[str] = []
        send = self.session.send

        def recording(request, **kwargs):
            self.urls.append(str(request.url))
            return send(request, **kwargs)

        self.session.send = recording  # type: ignore[method-assign]


class World:
    """One emulator, one change store + poll state, one DuckDB warehouse synced once by the nightly."""

    def __init__(self, server: OmsServer, tmp_path) -> None:
        self.server = server
        self.source = SOURCES[server.shape]
        self.name = self.source.name
        self.path = tmp_path / "warehouse.duckdb"
        self.store = ChangeStore(tmp_path / "changes.sqlite")
        self.state = OmsPollState(tmp_path / "changes.sqlite")
        self.recorder = Recorder(self.source)
        self.runs = 0

    def warehouse(self) -> DuckDBWarehouse:
        return DuckDBWarehouse(self.path)

    def reader(self) -> OmsChangeReader:
        return OmsChangeReader(self.source, _connection(self.server), session=self.recorder.session)

    def run(self, run_id: str | None = None) -> RunInfo:
        self.runs += 1
        return RunInfo(
            run_id or f"rt-{self.runs}", "realtime/order_updates", "2026-11-02", dt.datetime(2026, 11, 2)
        )

    def nightly(self) -> None:
        sync_oms(
            self.warehouse(),
            self.source,
            destination=duckdb_destination(self.path),
            pipeline_dir=self.path.parent / "dlt",
            connection=_connection(self.server),
            run=RunInfo("nightly-1", "oms/orders", "2026-11-01", dt.datetime(2026, 11, 1, 2)),
        )

    def poll(self, now: dt.datetime) -> Any:
        with self.reader() as reader:
            return poll_oms(self.store, self.state, reader, now=now)

    def take(self, run_id: str) -> set[str]:
        """The order ids waiting in the change store (claimed and settled: the next poll starts clean)."""
        claimed = self.store.claim(run_id, sources=["oms"])
        self.store.complete(run_id)
        assert {c.key.board_id for c in claimed} <= {self.name}
        return {c.key.item_id for c in claimed}

    def upsert(self, ids: list[str], run_id: str | None = None) -> Any:
        with self.reader() as reader:
            records = reader.fetch_orders(ids)
        return upsert_oms_orders(
            self.warehouse(), records, source=self.source, run=self.run(run_id), requested_ids=ids
        )

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def contract(self) -> dict[str, dict[str, Any]]:
        names = [c.strip() for c in CONTRACT.split(",")]
        return {
            r[0]: dict(zip(names, r, strict=True))
            for r in self.rows(f"select {CONTRACT} from raw_oms_orders where oms = ?", [self.name])
        }

    def what_dbt_reads(self) -> tuple[list[tuple], list[tuple]]:
        return (
            sorted(self.rows("select * from raw_oms_orders"), key=str),
            sorted(self.rows("select * from ops_quarantine"), key=str),
        )


@pytest.fixture()
def world(oms, tmp_path):
    return World(oms, tmp_path)


def _updated_since(server: OmsServer, since: dt.datetime) -> set[str]:
    """What the emulator lists as changed at or after `since` (deleted Shopify orders are unlisted)."""
    return {
        str(order_id)
        for order_id, updated, _ in server.control.listing()
        if dt.datetime.fromisoformat(updated.rstrip("Z")) >= since
    }


def _three_open(world: World) -> list[str]:
    contract = world.contract()
    return sorted(
        (i for i, r in contract.items() if not r["is_cancelled"] and not r["is_deleted"] and r["quantity"]),
        key=int,
    )[:3]


# ----------------------------------------------------------------------- polling


def test_the_first_poll_reads_the_day_before_then_each_poll_finds_exactly_the_changes(world, oms):
    first = world.poll(AS_OF)
    assert first.first_poll and first.since == AS_OF - dt.timedelta(days=1)
    expected = _updated_since(oms, AS_OF - dt.timedelta(days=1))
    assert expected and world.take("first") == expected

    again = world.poll(AS_OF)  # nothing changed: the overlap re-reads the boundary, enqueues nothing
    assert not again.first_poll and again.enqueued == 0 and world.take("again") == set()

    listed = sorted((str(i) for i, _, _ in oms.control.listing()), key=int)
    updated, cancelled, deleted = listed[:3]
    oms.control.set_clock(LATER)
    oms.control.update_order(int(updated), quantity=999)
    oms.control.cancel_order(int(cancelled))
    oms.control.delete_order(int(deleted))  # Shopify: a destroy event; WooCommerce: trash (a change)

    changes = world.poll(dt.datetime(2026, 11, 2, 10))
    assert world.take("changes") == {updated, cancelled, deleted}
    assert changes.enqueued == 3 and changes.high_water == dt.datetime(2026, 11, 2, 9)
    if oms.shape == "shopify":
        assert changes.deleted == 1
    assert world.poll(dt.datetime(2026, 11, 2, 10)).enqueued == 0
    assert world.take("quiet") == set()

    # Changed again (a later stamp): enqueued again.
    oms.control.set_clock("2026-11-02T09:30:00Z")
    oms.control.update_order(int(updated), quantity=998)
    world.poll(dt.datetime(2026, 11, 2, 10))
    assert world.take("again-changed") == {updated}


def test_a_poll_asks_for_ids_and_stamps_only_and_reads_by_id_in_batches(world, oms):
    oms.control.set_clock(LATER)
    listed = sorted((str(i) for i, _, _ in oms.control.listing()), key=int)
    for order_id in listed[:5]:
        oms.control.update_order(int(order_id), note="changed")
    since = dt.datetime(2026, 11, 2, 8, 59, 58)
    with world.reader() as reader:
        stamps = reader.changed_since(since)
    assert {i for i, _ in stamps} == set(listed[:5])
    assert {s for _, s in stamps} == {"2026-11-02T09:00:00"}
    url = world.recorder.urls[-1]
    if oms.shape == "shopify":
        assert "updated_at_min=2026-11-02T08%3A59%3A58%2B00%3A00" in url and "fields=id%2Cupdated_at" in url
    else:
        assert "modified_after=2026-11-02T08%3A59%3A58" in url and "dates_are_gmt=true" in url

    realtime = world.source.realtime.model_copy(update={"ids_per_request": 2})
    small = world.source.model_copy(update={"realtime": realtime})
    wanted = listed[:5]
    with OmsChangeReader(small, _connection(oms), session=world.recorder.session) as reader:
        before = len(world.recorder.urls)
        records = reader.fetch_orders(wanted)
    assert sorted(str(r["id"]) for r in records) == wanted
    by_id = world.recorder.urls[before:]
    assert len(by_id) == 3  # 2 + 2 + 1
    param = "ids=" if oms.shape == "shopify" else "include="
    assert all(param in u for u in by_id)

    # The module-level helpers: the same, from the settings' values.
    assert {i for i, _ in changed_since(world.source, since=since, **_credentials(oms))} == set(wanted)
    assert len(fetch_orders(world.source, wanted[:2], **_credentials(oms))) == 2


def test_a_wrong_token_names_oms_api_token_and_never_shows_it(world, oms, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-7c1d2e9f00"
    reader = OmsChangeReader(world.source, _connection(oms, token=wrong))
    with pytest.raises(OmsAuthError) as refused:
        reader.changed_since(AS_OF)
    message = str(refused.value)
    assert "OMS_API_TOKEN" in message and "401" in message
    assert wrong not in message and wrong not in repr(refused.value) and wrong not in caplog.text
    assert refused.value.__cause__ is None
    with pytest.raises(OmsAuthError) as again:
        reader.fetch_orders(["1"])
    assert wrong not in str(again.value)
    with pytest.raises(OmsAuthError):
        poll_oms(world.store, world.state, reader, now=AS_OF)
    assert world.store.pending_count() == 0 and world.state.polls(world.name) == 0  # nothing moved on


# ----------------------------------------------------------------------- landing


def test_an_upsert_lands_updates_cancellations_and_deletions(world, oms):
    world.nightly()
    updated, cancelled, deleted = _three_open(world)
    before = world.contract()
    oms.control.set_clock(LATER)
    oms.control.update_order(int(updated), quantity=999)
    oms.control.cancel_order(int(cancelled))
    oms.control.delete_order(int(deleted))

    report = world.upsert([updated, cancelled, deleted], run_id="rt-land")

    after = world.contract()
    assert after[updated]["quantity"] == 999.0 and after[updated]["_run_id"] == "rt-land"
    assert after[updated]["updated_at"] == dt.datetime(2026, 11, 2, 9)
    assert after[updated]["_state_changed_at"] is None  # same state: nothing to version on
    assert (after[cancelled]["status"], after[cancelled]["is_cancelled"]) == ("cancelled", True)
    assert after[cancelled]["_state_changed_at"] is not None
    assert (after[deleted]["status"], after[deleted]["is_deleted"]) == ("deleted", True)
    assert after[deleted]["_state_changed_at"] is not None
    assert report.requested == 3 and report.deleted == 1
    assert report.stale == 0
    if oms.shape == "shopify":  # gone from the API: marked deleted, its row otherwise kept
        assert report.returned == 2 and after[deleted]["quantity"] == before[deleted]["quantity"]
    else:  # trashed: read like any order
        assert report.returned == 3
    untouched = set(before) - {updated, cancelled, deleted}
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}

    # Applying the same change again changes nothing but the lineage.
    world.upsert([updated, cancelled, deleted], run_id="rt-again")
    again = world.contract()
    strip = lambda rows: {k: {**v, "_run_id": None} for k, v in rows.items()}  # noqa: E731
    assert strip(again) == strip(after)


def test_bad_values_are_quarantined_with_a_reason_and_the_order_still_lands(world, oms):
    world.nightly()
    faults = oms.control.set_faults(malformed_orders=2, malformed_kinds="quantity,priority")
    bad = sorted(faults["malformed"], key=int)
    report = world.upsert(bad)
    quarantine = world.rows(
        "select item_id, column_id, reason from ops_quarantine where source = 'oms' and board_id = ? "
        "and _run_id = ?",
        [world.name, "rt-1"],
    )
    assert {(q[0], q[2]) for q in quarantine} == {
        (i, {"quantity": "invalid_quantity", "priority": "unknown_priority"}[k])
        for i, k in faults["malformed"].items()
    }
    assert report.upserted == 2 and report.quarantined == 2
    contract = world.contract()
    quantity_bad = next(i for i, k in faults["malformed"].items() if k == "quantity")
    assert contract[quantity_bad]["quantity"] is None and contract[quantity_bad]["_run_id"] == "rt-1"

    # Fixed in the OMS, the next read of those orders clears their quarantine rows.
    oms.control.clear_faults()
    world.upsert(bad)
    assert world.rows("select count(*) from ops_quarantine where source = 'oms' and board_id = ? "
                      "and item_id in (?, ?)", [world.name, *bad]) == [(0,)]  # fmt: skip


def test_a_failure_part_way_leaves_what_dbt_reads_unchanged(world, oms, monkeypatch):
    world.nightly()
    updated, cancelled, deleted = _three_open(world)
    oms.control.set_clock(LATER)
    oms.control.update_order(int(updated), quantity=4242)
    oms.control.cancel_order(int(cancelled))
    oms.control.delete_order(int(deleted))
    before = world.what_dbt_reads()

    # The rows are replaced and the deletions marked, then the quarantine statement fails.
    monkeypatch.setattr(
        OmsChangeStatements, "delete_quarantine_changed", lambda self: "DELETE FROM no_such_table"
    )
    with pytest.raises(Exception, match="no_such_table"):
        world.upsert([updated, cancelled, deleted])
    assert world.what_dbt_reads() == before
    assert world.warehouse().staging_tables() == []

    monkeypatch.undo()
    world.upsert([updated, cancelled, deleted])
    assert world.contract()[updated]["quantity"] == 4242.0


def test_an_older_version_never_overwrites_a_newer_one(world, oms):
    world.nightly()
    (order_id, other, _) = _three_open(world)
    with duckdb.connect(str(world.path)) as con:  # the warehouse holds a newer version already
        con.execute(
            "update raw_oms_orders set updated_at = timestamp '2099-01-01', quantity = 1234 "
            "where source_id = ?",
            [order_id],
        )
    before = world.contract()[order_id]
    oms.control.set_clock(LATER)
    oms.control.update_order(int(order_id), quantity=999)
    oms.control.update_order(int(other), quantity=998)

    report = world.upsert([order_id, other])
    assert report.stale == 1 and report.upserted == 1
    after = world.contract()
    assert after[order_id] == before
    assert after[other]["quantity"] == 998.0


def test_a_deleted_order_is_not_resurrected_by_a_later_update_event(world, oms):
    world.nightly()
    world.poll(AS_OF)
    world.take("baseline")
    (order_id, *_) = _three_open(world)
    oms.control.set_clock(LATER)
    oms.control.update_order(int(order_id), quantity=777)
    oms.control.set_clock("2026-11-02T09:05:00Z")
    oms.control.delete_order(int(order_id))

    world.poll(dt.datetime(2026, 11, 2, 10))
    assert world.take("deleted") == {order_id}
    world.upsert([order_id])
    deleted = world.contract()[order_id]
    assert deleted["is_deleted"] is True and deleted["status"] == "deleted"

    # The update's event arrives late (a webhook redelivered, a poll's overlap): the order is read
    # again from the OMS as it is now, so it stays deleted, and its state change time stays.
    world.store.enqueue([(ChangeKey("oms", world.name, order_id), None, "late_update")])
    assert world.take("late") == {order_id}
    world.upsert([order_id])
    assert world.contract()[order_id] == {**deleted, "_run_id": world.contract()[order_id]["_run_id"]}
    assert world.contract()[order_id]["is_deleted"] is True


# ----------------------------------------------------------------------- apply_pending_changes


def test_order_changes_vars_name_oms_orders_as_order_master_does():
    changes = [
        Change(ChangeKey("oms", "shopify", "6120451000007"), 0.0, None, 1, 0, "oms_poll_updated"),
        Change(ChangeKey("monday", "123", "456"), 0.0, None, 1, 0, "update_column_value"),
    ]
    assert order_changes_vars(changes) == {
        "order_changes": {"monday": ["456"], "oms": ["shopify:6120451000007"]}
    }


def test_oms_changes_without_an_oms_configured_fail_naming_cm_oms_enabled(world, oms):
    world.store.enqueue([(ChangeKey("oms", world.name, "1"), None, "oms_poll_updated")])
    run = world.run()
    common: dict[str, Any] = {
        "run_id": "no-oms",
        "run": run,
        "warehouse": world.warehouse(),
        "monday": None,
        "orders_board_id": "123",
        "build_order_master": lambda changes: None,
    }
    # By default only Monday's changes are claimed: the OMS change waits.
    assert apply_pending_changes(world.store, **common).claimed == 0
    with pytest.raises(ValueError, match="CM_OMS_ENABLED"):
        apply_pending_changes(world.store, **common, sources=("monday", "oms"))
    assert world.store.pending_count() == 1  # back to waiting


def test_apply_lands_oms_changes_and_hands_dbt_their_ids(world, oms):
    world.nightly()
    updated, cancelled, deleted = _three_open(world)
    oms.control.set_clock(LATER)
    oms.control.update_order(int(updated), quantity=555)
    oms.control.cancel_order(int(cancelled))
    oms.control.delete_order(int(deleted))
    world.poll(dt.datetime(2026, 11, 2, 10))
    builds: list[dict] = []

    report = apply_pending_changes(
        world.store,
        run_id="apply-oms",
        run=world.run("apply-oms"),
        warehouse=world.warehouse(),
        monday=None,
        orders_board_id="123",
        build_order_master=builds.append,
        oms=world.reader,
    )
    assert report.claimed == report.applied == 3
    assert builds == [
        {"order_changes": {"oms": sorted(f"{world.name}:{i}" for i in (updated, cancelled, deleted))}}
    ]
    (landed,) = report.oms
    assert landed.deleted == 1 and landed.stale == 0
    contract = world.contract()
    assert contract[updated]["quantity"] == 555.0
    assert contract[cancelled]["is_cancelled"] and contract[deleted]["is_deleted"]
    metadata = report.as_metadata()
    assert metadata["oms_orders_deleted"] == 1 and json.dumps(metadata)


def test_a_change_of_another_oms_is_refused_by_name(world, oms):
    world.store.enqueue([(ChangeKey("oms", "someother", "1"), None, "oms_poll_updated")])
    with pytest.raises(ValueError, match="someother"):
        apply_pending_changes(
            world.store,
            run_id="foreign",
            run=world.run(),
            warehouse=world.warehouse(),
            monday=None,
            orders_board_id="123",
            build_order_master=lambda changes: None,
            oms=world.reader,
        )


# ----------------------------------------------------------------------- end to end, with dbt


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    """Monday sandbox + an OMS beside it (shared customers and order numbers), landed by the nightly
    (full Monday pull, OMS sync) and built once with real dbt."""
    from customer_master.sandbox import SandboxServer, WorkspaceSpec
    from customer_master.settings import dbt_vars, get_settings
    from tests.integration.dbt_helpers import land_boards, run_dbt

    work = tmp_path_factory.mktemp("realtime_oms")
    workspace = WorkspaceSpec(orders=60, dirt=False)
    with (
        SandboxServer(workspace) as sandbox,
        OmsServer(OmsSpec.for_workspace(workspace, orders=40), shape="shopify") as server,
    ):
        world = World(server, work)
        land_boards(sandbox.url, sandbox.token, world.warehouse())
        world.nightly()

        def dbt(*args: str):
            return run_dbt(list(args), work, env={"CM_DUCKDB_PATH": str(world.path), "DBT_TARGET": "duckdb"})

        built = dbt("build", "--vars", json.dumps(dbt_vars(get_settings())))
        assert built.returncode == 0, built.stdout[-3000:]
        world.dbt = dbt  # type: ignore[attr-defined]
        world.dbt_vars = dbt_vars(get_settings())  # type: ignore[attr-defined]
        yield world


def _master(world: World, oms_id: str) -> dict[str, Any] | None:
    with duckdb.connect(str(world.path), read_only=True) as con:
        cur = con.execute("select * from order_master where oms_source_id = ?", [f"{world.name}:{oms_id}"])
        rows = cur.fetchall()
        names = [d[0] for d in cur.description]
    return dict(zip(names, rows[0], strict=True)) if rows else None


def test_end_to_end_a_polled_oms_change_reaches_order_master_through_dbt(e2e):
    world, server = e2e, e2e.server
    facts = server.control.facts()
    both = {str(b["order_id"]) for b in facts["both_systems"]}
    oms_only = sorted(
        (
            i
            for i, r in world.contract().items()
            if i not in both and not r["is_cancelled"] and not r["is_deleted"]
        ),
        key=int,
    )
    updated, deleted = oms_only[:2]
    assert _master(world, updated)["is_active"] is True
    world.poll(AS_OF)
    world.take("baseline")

    server.control.set_clock(LATER)
    server.control.update_order(int(updated), quantity=321)
    server.control.delete_order(int(deleted))
    world.poll(dt.datetime(2026, 11, 2, 10))
    builds: list[dict] = []

    def build_order_master(changes: dict) -> None:
        builds.append(changes)
        result = world.dbt(  # type: ignore[attr-defined]
            "run",
            "--select",
            "order_master",
            "--vars",
            json.dumps({**world.dbt_vars, **changes}),  # type: ignore[attr-defined]
        )
        assert result.returncode == 0, result.stdout[-5000:]
        assert "1 incremental model" in result.stdout

    report = apply_pending_changes(
        world.store,
        run_id="e2e-1",
        run=world.run("e2e-1"),
        warehouse=world.warehouse(),
        monday=None,
        orders_board_id="unused",
        build_order_master=build_order_master,
        oms=world.reader,
    )
    assert report.applied == 2 and world.store.pending_count() == 0
    assert builds == [{"order_changes": {"oms": sorted([f"shopify:{updated}", f"shopify:{deleted}"])}}]
    assert _master(world, updated)["quantity"] == 321
    assert _master(world, deleted)["is_active"] is False
