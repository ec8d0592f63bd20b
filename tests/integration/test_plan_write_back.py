"""The delivery plan written back to the sandbox's Orders board over real HTTP, from a plan in a real
DuckDB warehouse: only changed values are written (a second run writes nothing), a dry run writes
nothing but lists the changes, failures stay with their items or batch, writes are paced on the
complexity budget, the written values show on later reads, and the receiver does not queue the
change events the write-back causes.

Only `sleep` is replaced (it fast-forwards the sandbox's complexity window, as in test_monday_client).
`order_master` is a table shaped like the dbt mart's columns the write-back reads (order_id,
monday_source_id, order_number): building it with dbt would add minutes and test nothing more here.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from customer_master.board_mapping import DEFAULT_MAPPING_PATH, load_board_mapping, parse_board_mapping
from customer_master.monday.client import MondayClient
from customer_master.monday.write_back import (
    WriteBackConfigError,
    diff_plan,
    planned_board_values,
    resolve_write_back,
    write_back_column_ids,
    write_plan_back,
)
from customer_master.realtime.receiver import ReceiverConfig, create_app
from customer_master.realtime.store import ChangeStore
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, SandboxServer, WorkspaceSpec
from customer_master.warehouse.duckdb import DuckDBWarehouse
from customer_master.warehouse.plans import write_plan

ORDERS = BOARD_IDS["orders"]
OC = COLUMN_IDS["orders"]
DAY = dt.date(2026, 11, 23)
AT = dt.datetime(2026, 11, 23, 2, 0)
MAPPING = load_board_mapping(DEFAULT_MAPPING_PATH)
WRITE_BACK = ("planned_date", "planned_line", "plan_status", "plan_note")


class FastForward:
    """A `sleep` that records the waits and resets the sandbox's complexity window instead."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sandbox.control.reset_budget()


class Mutations(httpx.HTTPTransport):
    """Real HTTP; counts the write-back's mutation requests and can act just before the n-th one."""

    def __init__(self, before: dict[int, Callable[[], object]] | None = None) -> None:
        super().__init__()
        self.count = 0
        self.before = before or {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if b"mutation WriteBackPlan(" in request.content:
            with self._lock:
                self.count += 1
                action = self.before.get(self.count)
            if action is not None:
                action()
        return super().handle_request(request)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(WorkspaceSpec(orders=200)) as sb:
        yield sb


@pytest.fixture
def sb(server: SandboxServer) -> SandboxServer:
    server.control.reset()
    return server


@pytest.fixture
def wh(tmp_path) -> DuckDBWarehouse:
    return DuckDBWarehouse(tmp_path / "wh.duckdb")


def _client(sb: SandboxServer, transport: httpx.BaseTransport | None = None, **options) -> MondayClient:
    return MondayClient(sb.url, sb.token, sleep=FastForward(sb), transport=transport, **options)


def _active_ids(sb: SandboxServer, n: int) -> list[str]:
    with _client(sb) as c:
        return sorted(c.active_item_ids(ORDERS), key=int)[:n]


def _plan_rows(item_ids: list[str], *, shift: dict[str, int] | None = None) -> list[dict]:
    """One plan row per item: every 5th unschedulable, every 3rd late, the rest on time."""
    rows = []
    for n, item in enumerate(item_ids):
        day = DAY + dt.timedelta(days=3 + n % 7 + (shift or {}).get(item, 0))
        requested = DAY + dt.timedelta(days=2 + n % 7)
        row = {
            "order_id": f"monday:{item}",
            "customer_id": "c1",
            "priority": "normal",
            "requested_date": requested,
            "status": "scheduled",
            "scheduled_date": day,
            "window_start": None,
            "window_end": None,
            "resource": f"Line {1 + n % 3}",
            "units": 4.0,
            "overtime_units": 0.0,
            "is_late": False,
            "days_late": 0,
            "reason": None,
        }
        if n % 5 == 4:
            row |= {"status": "unschedulable", "scheduled_date": None, "resource": None, "units": 0.0}
            row["reason"] = "no_capacity"
        elif n % 3 == 2:
            row |= {"is_late": True, "days_late": (day - requested).days}
        rows.append(row)
    return rows


def _write_plan(wh: DuckDBWarehouse, rows: list[dict], *, oms_only: int = 0) -> None:
    columns = {name: [r[name] for r in rows] for name in rows[0]}
    run = {"orders": len(rows)}
    write_plan(wh, DAY, assignments=columns, capacity={}, run=run, run_id="run-1", planned_at=AT)
    ref = wh.statements.mart_ref("order_master")
    with wh.session() as s:
        s.execute(
            f'CREATE TABLE IF NOT EXISTS {ref} ("order_id" VARCHAR, "monday_source_id" VARCHAR, '
            '"order_number" VARCHAR)'
        )
        s.execute(f"DELETE FROM {ref}")
        for r in rows:
            item = r["order_id"].removeprefix("monday:")
            s.execute(f"INSERT INTO {ref} VALUES (?, ?, ?)", [r["order_id"], item, f"SO-{item}"])
        for n in range(oms_only):  # orders only the OMS knows: in the plan, not written back
            s.execute(f"INSERT INTO {ref} VALUES (?, NULL, ?)", [f"oms:{n}", f"PO-{n}"])


def _board_values(sb: SandboxServer, item_ids: list[str]) -> dict[str, dict[str, str | None]]:
    """item -> write-back role -> Monday's text, read back through the client's pull path."""
    with _client(sb) as c:
        fetched = c.fetch_items(ORDERS, item_ids)
    values = fetched.page.values
    by_column = {OC[role]: role for role in WRITE_BACK}
    out: dict[str, dict[str, str | None]] = {i: {} for i in item_ids}
    for item, column, text in zip(values["item_id"], values["column_id"], values["text"], strict=True):
        if column in by_column:
            out[item][by_column[column]] = text
    return out


def test_first_run_writes_every_value_a_second_writes_nothing_and_one_change_writes_one_item(sb, wh):
    items = _active_ids(sb, 60)
    rows = _plan_rows(items)
    _write_plan(wh, rows, oms_only=3)
    planned = planned_board_values(wh, DAY)
    assert [p.item_id for p in planned] == sorted(items)  # OMS-only orders are not written back

    transport = Mutations()
    with _client(sb, transport) as client:
        first = write_plan_back(client, wh, MAPPING, DAY, dry_run=False, batch_size=25)
    assert (first.items_in_plan, first.items_changed, first.items_written) == (60, 60, 60)
    assert first.failed == () and first.ok and first.unchanged == 0
    assert first.values_written == first.values_changed > 0
    assert transport.count == 3  # 60 items in batches of 25

    shown = _board_values(sb, items)
    late = next(r for n, r in enumerate(rows) if n % 3 == 2 and n % 5 != 4)
    item = late["order_id"].removeprefix("monday:")
    assert shown[item]["plan_status"] == "Late"
    assert shown[item]["planned_date"] == late["scheduled_date"].isoformat()
    assert shown[item]["planned_line"] == late["resource"]
    days = late["days_late"]
    assert shown[item]["plan_note"] == f"Late by {days} day{'s' if days > 1 else ''}: pushed by capacity"
    unschedulable = rows[4]["order_id"].removeprefix("monday:")
    assert shown[unschedulable]["plan_status"] == "Unschedulable"
    assert not shown[unschedulable].get("planned_date")
    assert "no capacity" in shown[unschedulable]["plan_note"]
    assert shown[items[0]]["plan_status"] == "Scheduled" and not shown[items[0]].get("plan_note")

    again = Mutations()
    with _client(sb, again) as client:
        second = write_plan_back(client, wh, MAPPING, DAY, dry_run=False)
    assert (second.items_changed, second.items_written, second.unchanged) == (0, 0, 60)
    assert again.count == 0 and second.changes_preview == ()

    moved = items[0]
    _write_plan(wh, _plan_rows(items, shift={moved: 2}))
    once = Mutations()
    with _client(sb, once) as client:
        third = write_plan_back(client, wh, MAPPING, DAY, dry_run=False)
    assert (third.items_changed, third.items_written, third.values_written) == (1, 1, 1)
    assert once.count == 1
    new_day = (DAY + dt.timedelta(days=5)).isoformat()
    old_day = (DAY + dt.timedelta(days=3)).isoformat()
    assert third.changes_preview == (f"SO-{moved}: Planned delivery {old_day} -> {new_day}",)
    assert _board_values(sb, [moved])[moved]["planned_date"] == new_day


def test_a_dry_run_writes_nothing_and_lists_what_it_would_change(sb, wh):
    items = _active_ids(sb, 12)
    _write_plan(wh, _plan_rows(items))
    transport = Mutations()
    with _client(sb, transport) as client:
        report = write_plan_back(client, wh, MAPPING, DAY, dry_run=True, preview_limit=5)
    assert transport.count == 0
    assert report.mode == "dry_run" and report.items_changed == 12 and report.items_written == 0
    assert report.values_written == 0 and report.values_changed >= 12 * 2
    assert len(report.changes_preview) == 5
    assert report.changes_preview[0].startswith(f"SO-{items[0]}: Planned delivery (empty) -> ")
    assert all(not any(v.values()) for v in _board_values(sb, items).values())
    meta = report.metadata()
    assert meta["write_back_mode"] == "dry_run" and meta["items_changed"] == 12
    assert all(isinstance(v, int | float | str) for v in meta.values())


def test_deleted_items_and_a_rejected_item_fail_alone_while_the_rest_is_written(sb, wh):
    items = _active_ids(sb, 30)
    _write_plan(wh, _plan_rows(items))
    gone_before, gone_between = items[3], items[7]
    sb.control.delete_item(ORDERS, gone_before)
    # deleted after the board was read, just before the first batch: Monday rejects that one mutation
    transport = Mutations({1: lambda: sb.control.delete_item(ORDERS, gone_between)})
    with _client(sb, transport) as client:
        report = write_plan_back(client, wh, MAPPING, DAY, dry_run=False, batch_size=10)
    failed = {f.item_id: f.reason for f in report.failed}
    assert set(failed) == {gone_before, gone_between}
    assert "deleted" in failed[gone_before]
    assert "InvalidItemIdException" in failed[gone_between]
    assert report.items_written == 28 and not report.ok and report.aborted is None
    assert report.metadata()["failed"] == 2 and f"SO-{gone_between}" in str(report.metadata()["failures"])
    shown = _board_values(sb, [i for i in items if i not in failed])
    assert all(v.get("plan_status") for v in shown.values())


def test_a_batch_that_keeps_failing_is_reported_and_the_next_batches_are_written(sb, wh):
    items = _active_ids(sb, 30)
    _write_plan(wh, _plan_rows(items))
    # the first batch meets three server errors in a row: the client gives up on it (max_attempts 3)
    transport = Mutations({1: lambda: sb.control.set_faults(server_error_next=3)})
    with _client(sb, transport, max_attempts=3, backoff_base=0.01) as client:
        report = write_plan_back(client, wh, MAPPING, DAY, dry_run=False, batch_size=10)
    assert {f.item_id for f in report.failed} == set(sorted(items, key=int)[:10])
    assert all("MondayServerError" in f.reason for f in report.failed)
    assert report.items_written == 20 and report.aborted is None
    with _client(sb) as client:  # the next run writes what failed, and only that
        retry = write_plan_back(client, wh, MAPPING, DAY, dry_run=False)
    assert (retry.items_changed, retry.items_written, retry.failed) == (10, 10, ())


def test_an_auth_failure_while_writing_stops_the_run_and_is_reported_not_raised(sb, wh):
    items = _active_ids(sb, 20)
    _write_plan(wh, _plan_rows(items))
    with _client(sb) as client:
        target = resolve_write_back(MAPPING, client.get_board(ORDERS).columns)
        diff = diff_plan(client, target, planned_board_values(wh, DAY))
    from customer_master.monday.write_back import apply_changes

    with MondayClient(sb.url, "not-the-token", sleep=FastForward(sb)) as wrong:
        result = apply_changes(wrong, diff, batch_size=5)
    assert result.aborted is not None and "MondayAuthError" in result.aborted
    assert result.items_written == 0 and len(result.failed) == 5 and result.not_attempted == 15
    assert "not-the-token" not in result.aborted


def test_writes_are_paced_on_a_small_complexity_budget_instead_of_failing():
    # A mutation costs 10,000 points in the sandbox: a batch of 5 costs ~50,000, the budget two batches.
    with SandboxServer(WorkspaceSpec(orders=100), complexity_budget_per_minute=110_000) as sb:
        items = _active_ids(sb, 30)
        sleeps = FastForward(sb)
        with DuckDBWarehouse_tmp() as wh:
            _write_plan(wh, _plan_rows(items))
            with MondayClient(sb.url, sb.token, sleep=sleeps, min_complexity_reserve=1_000) as client:
                report = write_plan_back(client, wh, MAPPING, DAY, dry_run=False, batch_size=5)
        assert report.items_written == 30 and report.failed == ()
        assert len(sleeps.waits) >= 2  # the pacer waited for the window to reset ...
        assert sb.control.stats()["rate_limited"] == 0  # ... rather than running into the limit


class DuckDBWarehouse_tmp:  # noqa: N801 - a context manager named for what it gives
    def __enter__(self) -> DuckDBWarehouse:
        import tempfile
        from pathlib import Path

        self._dir = tempfile.TemporaryDirectory()
        return DuckDBWarehouse(Path(self._dir.name) / "wh.duckdb")

    def __exit__(self, *exc: object) -> None:
        self._dir.cleanup()


def test_a_mapping_without_the_block_or_a_board_without_the_column_fails_naming_what_to_add(sb, wh):
    items = _active_ids(sb, 3)
    _write_plan(wh, _plan_rows(items))
    text = DEFAULT_MAPPING_PATH.read_text(encoding="utf-8")
    block = re.compile(r"^    write_back:\n(?:      .*\n|                 .*\n)+", re.M)
    assert block.search(text)
    without = parse_board_mapping(block.sub("", text), "my_mapping.yml")
    with _client(sb) as client, pytest.raises(WriteBackConfigError) as missing:
        write_plan_back(client, wh, without, DAY, dry_run=True)
    assert "my_mapping.yml" in str(missing.value) and "write_back:" in str(missing.value)
    assert "plan_status: {column_id: <id>, title: Plan status" in str(missing.value)

    sb.control.remove_column(ORDERS, OC["plan_note"])
    with _client(sb) as client, pytest.raises(WriteBackConfigError) as gone:
        write_plan_back(client, wh, MAPPING, DAY, dry_run=True)
    message = str(gone.value)
    assert "plan_note" in message and OC["plan_note"] in message and "board_mapping.yml line" in message


def test_the_receiver_queues_no_change_for_the_plan_write_back_columns(sb, wh, tmp_path):
    """The sandbox's webhook events of a real write-back, posted to the receiver: none queues a change,
    while an ordinary edit of the same item still does."""
    items = _active_ids(sb, 4)
    _write_plan(wh, _plan_rows(items))
    store = ChangeStore(tmp_path / "changes.db")
    config = ReceiverConfig(
        watched_boards=frozenset({ORDERS}), ignored_columns=write_back_column_ids(MAPPING)
    )
    events: list[dict] = []
    with TestClient(create_app(config, store)) as receiver:
        hook = _Relay(receiver, events)  # the sandbox POSTs here; the receiver app answers in-process
        try:
            sb.control.set_webhook_retry_seconds(0.05)
            with _client(sb) as client:
                created = client.execute(
                    "mutation ($b: ID!, $u: String!) { create_webhook(board_id: $b, url: $u, "
                    "event: change_column_value) { id } }",
                    {"b": ORDERS, "u": hook.url},
                )
                assert created["create_webhook"]["id"]
                report = write_plan_back(client, wh, MAPPING, DAY, dry_run=False)
                assert report.items_written == 4
                sb.control.wait_webhooks_idle()
                column_events = [e for e in events if "event" in e]
                assert len(column_events) == report.values_written
                assert store.pending_count() == 0
                sb.control.update_item(ORDERS, items[0], column_values={OC["quantity"]: '"7"'})
                sb.control.wait_webhooks_idle()
                assert store.pending_count() == 1
        finally:
            hook.close()
    store.close()


class _Relay:
    """A loopback HTTP server that hands each POST to the receiver app (Starlette TestClient)."""

    def __init__(self, receiver: TestClient, events: list[dict]) -> None:
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with relay.lock:
                    events.append(json.loads(body))
                    answer = receiver.post("/monday/webhook", content=body)
                self.send_response(answer.status_code)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/monday/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
