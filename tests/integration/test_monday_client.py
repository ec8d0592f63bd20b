"""The Monday client against the real sandbox over HTTP: extraction, faults, reconciliation, secrecy.

Only `sleep` is replaced (by a recorder that fast-forwards, resetting the sandbox's complexity
window as real waiting would), so retry and pacing tests do not wait. No timed assertions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import orjson
import pytest

from customer_master.monday import (
    CursorExpiredError,
    ItemState,
    ItemStateChange,
    MondayAuthError,
    MondayClient,
    MondayError,
    MondayServerError,
    extract,
    reconcile,
)
from customer_master.monday.extract import MAX_PAGES_AHEAD
from customer_master.monday.models import COLUMN_VALUE_FIELDS, ItemPage
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS, SandboxServer, WorkspaceSpec
from tests.integration.monday_hooks import BeforeRequest

ORDERS = BOARD_IDS["orders"]
CUSTOMERS = BOARD_IDS["customers"]
CAPACITY = BOARD_IDS["capacity"]


class FastForward:
    """A `sleep` that records the requested waits and returns at once. Like real waiting, it lets
    the sandbox's complexity window reset."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sandbox.control.reset_budget()


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(WorkspaceSpec(orders=300)) as sb:
        yield sb


@pytest.fixture
def sb(server: SandboxServer) -> SandboxServer:
    server.control.reset()  # fresh workspace, no faults, fresh cursors/budget/clock/stats
    return server


@pytest.fixture
def sleeps(sb: SandboxServer) -> FastForward:
    return FastForward(sb)


@pytest.fixture
def client(sb: SandboxServer, sleeps: FastForward) -> Iterator[MondayClient]:
    with MondayClient(sb.url, sb.token, page_limit=50, sleep=sleeps) as c:
        yield c


def active_count(sb: SandboxServer, board_id: str) -> int:
    workspace = sb.control.stats()["workspace"]
    return next(b["active"] for b in workspace.values() if b["board_id"] == board_id)


def pull(client: MondayClient, board_id: str, **kwargs) -> list[ItemPage]:
    return list(client.iter_item_pages(client.get_board(board_id), **kwargs))


def item_ids(pages: list[ItemPage]) -> list[str]:
    return [i for p in pages for i in p.items["item_id"]]


def rows(pages: list[ItemPage]) -> dict[tuple[str, str], dict]:
    return {
        (p.values["item_id"][i], p.values["column_id"][i]): {f: p.values[f][i] for f in COLUMN_VALUE_FIELDS}
        for p in pages
        for i in range(p.value_count)
    }


# ------------------------------------------------------------------------------------------
# Extraction


def test_read_ahead_stops_a_few_pages_ahead_of_a_consumer_that_has_not_taken_them(
    client: MondayClient, sb: SandboxServer
):
    board = client.get_board(ORDERS)
    # This client's own requests (counted as each is sent), not the sandbox's total: a request that
    # an earlier test's reader still had in flight on the shared sandbox must not count here.
    before = client.stats.api_calls
    pages = client.iter_item_pages(board)
    first = next(pages)
    # The consumer holds on to page 1; give the worker threads every chance to run ahead.
    for _ in range(20):
        sb.control.stats()
    assert client.stats.api_calls - before <= 1 + MAX_PAGES_AHEAD  # the first page and the bounded read-ahead
    rest = list(pages)
    assert len(item_ids([first, *rest])) == active_count(sb, ORDERS) > 50 * (2 + MAX_PAGES_AHEAD)


class InlineExecutor:
    """A thread pool whose `submit` runs the task at once, in the caller's thread: the page sent
    ahead comes back (and asks for the next one) before `submit` has returned, the ordering that
    a loaded machine produces only now and then."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn, *args):
        fn(*args)


def test_read_ahead_stays_bounded_when_a_page_comes_back_before_it_was_recorded(
    client: MondayClient, sb: SandboxServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(extract, "ThreadPoolExecutor", InlineExecutor)
    board = client.get_board(ORDERS)
    before = client.stats.api_calls
    pages = client.iter_item_pages(board)
    first = next(pages)
    assert client.stats.api_calls - before == 1 + MAX_PAGES_AHEAD
    rest = list(pages)
    assert len(item_ids([first, *rest])) == active_count(sb, ORDERS) > 50 * (2 + MAX_PAGES_AHEAD)


@pytest.mark.parametrize("board", ["customers", "orders", "capacity"])
def test_full_pull_returns_every_active_item_exactly_once(
    client: MondayClient, sb: SandboxServer, board: str
):
    board_id = BOARD_IDS[board]
    pages = pull(client, board_id)
    ids = item_ids(pages)
    assert len(ids) == len(set(ids)) == active_count(sb, board_id)
    assert set(ids) == client.active_item_ids(board_id)
    assert client.stats.items == len(ids) and client.stats.pages >= len(pages)
    assert all(p.board_id == board_id for p in pages)
    if board == "orders":
        assert len(pages) > 1  # 50-item pages: the cursor chain was followed
    # Every item has a value row for every column (except `name`, which Monday never lists).
    columns = [c.id for c in client.get_board(board_id).columns if c.id != "name"]
    assert sum(p.value_count for p in pages) == len(ids) * len(columns)


def test_board_metadata_has_columns_with_settings_groups_and_counts(client: MondayClient, sb: SandboxServer):
    board = client.get_board(ORDERS)
    assert board.id == ORDERS and board.state == "active" and board.name
    assert board.items_count == active_count(sb, ORDERS)
    assert {c.id for c in board.columns} == set(COLUMN_IDS["orders"].values())
    status = board.column("status")
    assert status is not None and status.type == "status" and "labels" in orjson.loads(status.settings_str)
    assert board.groups and all(g.id and g.title for g in board.groups)


def test_typed_projections_are_filled_from_the_sandbox(client: MondayClient):
    by_key = rows(pull(client, ORDERS))
    ids = COLUMN_IDS["orders"]
    quantities = [r["value_number"] for (_, col), r in by_key.items() if col == ids["quantity"]]
    assert sum(q is not None for q in quantities) > 200 and all(isinstance(q, float) for q in quantities if q)
    windows = [r for (_, col), r in by_key.items() if col == ids["production_window"] and r["value_date"]]
    assert windows and all(isinstance(r["value_date"], dt.date) for r in windows)
    assert all(r["value_date_to"] >= r["value_date"] for r in windows)
    relations = [r for (_, col), r in by_key.items() if col == ids["customer"] and r["value_ids"]]
    assert relations and all(r["text"] is None and r["value_json"] is None for r in relations)
    # display_value (text is null); a link to a deleted customer shows nothing, as in Monday.
    assert sum(bool(r["value_string"]) for r in relations) > 0.9 * len(relations)


def test_incremental_pull_returns_items_updated_since_the_date(client: MondayClient, sb: SandboxServer):
    full = pull(client, ORDERS)
    updated_at = {i: u for p in full for i, u in zip(p.items["item_id"], p.items["updated_at"], strict=True)}
    latest = max(updated_at.values())
    # Move the sandbox clock 10 days past the newest item and touch three items then.
    clock = (latest + dt.timedelta(days=10)).replace(microsecond=0)
    sb.control.set_clock(clock)
    touched = sorted(updated_at)[:3]
    for item_id in touched:
        sb.control.update_item(ORDERS, item_id, name=f"renamed {item_id}")

    since = clock.date()
    pages = pull(client, ORDERS, since=since)
    got = item_ids(pages)
    assert sorted(got) == touched
    names = {i: n for p in pages for i, n in zip(p.items["item_id"], p.items["name"], strict=True)}
    assert names == {i: f"renamed {i}" for i in touched}

    # A window starting earlier includes exactly the items updated on/after that day.
    cutoff = sorted(u.date() for u in updated_at.values())[len(updated_at) // 2]
    expected = {i for i, u in updated_at.items() if u.date() >= cutoff} | set(touched)
    assert set(item_ids(pull(client, ORDERS, since=cutoff))) == expected


# ------------------------------------------------------------------------------------------
# Faults


@pytest.mark.parametrize("shape", ["current", "legacy_200", "legacy_flat"])
def test_rate_limits_of_every_shape_are_retried_after_the_servers_hint(
    client: MondayClient, sb: SandboxServer, sleeps: FastForward, shape: str
):
    sb.control.set_faults(rate_limit_next=2, rate_limit_retry_in_seconds=3, rate_limit_shape=shape)
    board = client.get_board(ORDERS)
    assert board.id == ORDERS
    assert client.stats.retries == 2 and client.stats.api_calls == 3
    assert sleeps.waits == [3.0, 3.0]
    assert sb.control.stats()["rate_limited"] == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(client: MondayClient, sb: SandboxServer, sleeps: FastForward, status: int):
    sb.control.set_faults(server_error_next=2, server_error_status=status)
    pages = pull(client, CAPACITY)
    assert len(item_ids(pages)) == active_count(sb, CAPACITY)
    assert client.stats.retries == 2
    assert len(sleeps.waits) == 2 and all(w >= 0 for w in sleeps.waits)


def test_persistent_server_errors_give_up_after_max_attempts_with_a_clear_error(sb: SandboxServer):
    sb.control.set_faults(server_error_next=10)
    client = MondayClient(sb.url, sb.token, max_attempts=3, sleep=FastForward(sb))
    with client, pytest.raises(MondayServerError) as info:
        client.get_board(ORDERS)
    message = str(info.value)
    assert message.startswith(f"board for board {ORDERS}: Internal server error")
    assert (
        "code=INTERNAL_SERVER_ERROR" in message and "request_id=sbx-" in message and "attempts=3" in message
    )
    assert client.stats.api_calls == 3 and client.stats.retries == 2


def test_a_timeout_is_retried(sb: SandboxServer):
    sb.control.set_faults(slow_next=1, slow_seconds=2.0)
    sleeps = FastForward(sb)
    with MondayClient(sb.url, sb.token, timeout=0.5, sleep=sleeps) as client:
        board = client.get_board(CUSTOMERS)
    assert board.id == CUSTOMERS
    assert client.stats.retries == 1 and client.stats.api_calls == 2 and len(sleeps.waits) == 1


def test_an_expired_cursor_is_resumed_keeping_the_pages_read_without_duplicates_or_loss(
    sb: SandboxServer, sleeps: FastForward
):
    expected = sb.workspace_active_item_ids(ORDERS)
    # Pages are requested ahead of the reader, so the cursors are expired at a fixed point of the
    # chain instead: just before the request for page 3.
    hook = BeforeRequest("NextItemsPage", 2, sb.control.expire_cursors)
    with MondayClient(sb.url, sb.token, page_limit=50, transport=hook, sleep=sleeps) as client:
        pages = pull(client, ORDERS)
    ids = item_ids(pages)
    assert ids[:100] == expected[:100]  # the two pages read before the expiry were kept, not re-read
    assert len(ids) == len(set(ids)) and sorted(ids, key=int) == expected
    assert client.stats.cursor_resumes == 1 and client.stats.cursor_restarts == 0
    assert client.stats.hydrated_items == len(expected) - 100
    assert sb.control.stats()["cursor_errors"] == 1


def test_a_resume_whose_id_scan_keeps_expiring_gives_up_after_the_configured_restarts(sb: SandboxServer):
    # Every chain dies after one page: the item chain after 50 items, and the id scan (500 ids a
    # page, the capacity board has more) each time it starts again.
    sb.control.set_faults(cursor_expire_after_pages=1)
    seen: list[str] = []
    with MondayClient(
        sb.url, sb.token, page_limit=50, max_cursor_restarts=2, sleep=FastForward(sb)
    ) as client:
        board = client.get_board(CAPACITY)
        with pytest.raises(CursorExpiredError) as info:
            for page in client.iter_item_pages(board):
                seen.extend(page.items["item_id"])
    message = str(info.value)
    assert "gave up after 2 restart(s)" in message and f"board {CAPACITY}" in message
    assert "code=CursorException" in message and "after its cursor chain broke" in message
    assert client.stats.cursor_resumes == 1 and client.stats.cursor_restarts == 3
    assert len(seen) == len(set(seen)) == 50  # the one page read, never repeated


@pytest.mark.slow  # waits on real time for seconds
def test_a_chain_that_outlives_its_cursors_lifetime_is_finished_by_ids_complete_and_exact():
    # Several thousand orders, full 100-item pages at ~100 ms (1 ms per item with values), id-only
    # pages nearly free, and chains that live 1.5 s: the chain cannot finish, the id scan can.
    with SandboxServer(WorkspaceSpec(orders=4000), cursor_ttl_seconds=1.5) as sb:
        expected = sb.workspace_active_item_ids(ORDERS)
        with MondayClient(sb.url, sb.token, page_limit=500) as reference_client:
            reference = pull(reference_client, ORDERS)  # no latency: one short chain of 8 pages
        assert reference_client.stats.cursor_resumes == 0 and item_ids(reference) == expected

        sb.control.set_faults(latency_per_item_ms=1)
        with MondayClient(sb.url, sb.token, page_limit=100) as client:
            pages = pull(client, ORDERS)
        ids = item_ids(pages)
        assert len(ids) == len(set(ids)) and sorted(ids, key=int) == expected
        assert rows(pages) == rows(reference)  # every value as the uninterrupted chain read it
        names = {i: n for p in pages for i, n in zip(p.items["item_id"], p.items["name"], strict=True)}
        assert names == {
            i: n for p in reference for i, n in zip(p.items["item_id"], p.items["name"], strict=True)
        }
        stats = client.stats
        assert stats.cursor_resumes == 1 and 0 < stats.hydrated_items < len(expected)
        assert stats.items == len(expected)
        assert sb.control.stats()["cursor_errors"] >= 1


def test_a_page_that_finally_fails_mid_chain_is_resumed_without_losing_the_pages_read(sb: SandboxServer):
    expected = sb.workspace_active_item_ids(ORDERS)
    # The third next-page request (page 4) and its two retries fail: with a cap of 3 attempts the
    # page is given up after three pages were handed on.
    hook = BeforeRequest("NextItemsPage", 3, lambda: sb.control.set_faults(server_error_next=3))
    with MondayClient(
        sb.url, sb.token, page_limit=50, max_attempts=3, transport=hook, sleep=FastForward(sb)
    ) as client:
        board = client.get_board(ORDERS)
        pages = list(client.iter_item_pages(board))
    ids = item_ids(pages)
    assert hook.fired and sb.control.stats()["server_errors"] == 3
    assert len(ids) == len(set(ids)) and sorted(ids, key=int) == expected
    assert ids[:150] == expected[:150]  # the chain's pages came first and were kept
    assert client.stats.cursor_resumes == 1 and client.stats.items == len(expected)
    assert client.stats.hydrated_items == len(expected) - 150  # read by id: only what was missing


def test_an_incremental_pull_resumes_with_the_same_filter(sb: SandboxServer, sleeps: FastForward):
    with MondayClient(sb.url, sb.token, sleep=sleeps) as clean:
        updated_at = {
            i: u
            for p in pull(clean, ORDERS)
            for i, u in zip(p.items["item_id"], p.items["updated_at"], strict=True)
        }
        cutoff = sorted(u.date() for u in updated_at.values())[len(updated_at) // 2]
        expected = pull(clean, ORDERS, since=cutoff)
    assert 100 < len(item_ids(expected)) < len(updated_at)

    hook = BeforeRequest("NextItemsPage", 1, sb.control.expire_cursors)  # dies after one page
    with MondayClient(sb.url, sb.token, page_limit=50, transport=hook, sleep=sleeps) as client:
        pages = pull(client, ORDERS, since=cutoff)
    assert client.stats.cursor_resumes == 1 and client.stats.hydrated_items == len(item_ids(expected)) - 50
    assert item_ids(pages) == item_ids(expected)  # the filter's items only, in id order, once each
    assert rows(pages) == rows(expected)


def test_the_reconciliation_id_scan_survives_an_expired_cursor(sb: SandboxServer, sleeps: FastForward):
    # The capacity board has more than 500 items: the id scan needs a second page.
    hook = BeforeRequest("NextItemIdsPage", 1, sb.control.expire_cursors)
    with MondayClient(sb.url, sb.token, transport=hook, sleep=sleeps) as client:
        ids = client.active_item_ids(CAPACITY)
    assert hook.fired and ids == set(sb.workspace_active_item_ids(CAPACITY))
    assert client.stats.cursor_restarts == 1


def test_a_burst_of_errors_longer_than_five_attempts_is_ridden_out(client: MondayClient, sb: SandboxServer):
    sb.control.set_faults(rate_limit_next=6, rate_limit_retry_in_seconds=0.01)
    pages = pull(client, CAPACITY)
    sb.control.set_faults(server_error_next=6)
    pages += pull(client, CUSTOMERS)
    assert len(item_ids(pages)) == active_count(sb, CAPACITY) + active_count(sb, CUSTOMERS)
    assert client.stats.retries == 12
    stats = sb.control.stats()
    assert stats["rate_limited"] == 6 and stats["server_errors"] == 6


def test_malformed_values_are_quarantined_and_everything_else_parsed(client: MondayClient, sb: SandboxServer):
    clean = rows(pull(client, ORDERS) + pull(client, CUSTOMERS))
    sb.control.set_faults(malformed_rate=0.05)
    pages = pull(client, ORDERS) + pull(client, CUSTOMERS)
    dirty = rows(pages)
    quarantine = [q for p in pages for q in p.quarantine]

    assert dirty.keys() == clean.keys()  # every value row still lands
    assert quarantine and client.stats.quarantined == len(quarantine)
    quarantined = {(q.item_id, q.column_id) for q in quarantine}
    typed = (
        "value_string",
        "value_number",
        "value_date",
        "value_date_to",
        "value_bool",
        "value_ids",
        "value_extra",
    )
    for key, row in dirty.items():
        if key in quarantined:
            assert all(row[f] is None for f in typed)
            assert row["value_json"] is not None or row["text"] is not None
        elif row != clean[key]:
            # The only change the parser accepts is an odd email address: parsed, flagged, not quarantined.
            assert row["column_type"] == "email" and orjson.loads(row["value_extra"]).get("valid") is False
        if row["value_json"] is not None and row["column_type"] != "mirror":
            try:
                orjson.loads(row["value_json"])
            except orjson.JSONDecodeError:
                assert key in quarantined, f"invalid JSON not quarantined: {key}"
    reasons = {q.reason.split(" (")[0] for q in quarantine}
    assert "value is not valid JSON" in reasons
    assert any("is not numeric" in r for r in reasons)
    assert any("is not a valid ISO date" in r for r in reasons)


def test_pacing_waits_for_the_window_instead_of_hitting_the_limit():
    with SandboxServer(WorkspaceSpec(orders=300), complexity_budget_per_minute=2_000) as sb:
        sleeps = FastForward(sb)
        with MondayClient(
            sb.url, sb.token, page_limit=50, min_complexity_reserve=200, sleep=sleeps
        ) as client:
            ids = item_ids(pull(client, ORDERS))
        assert len(ids) == len(set(ids)) == active_count(sb, ORDERS)
        # A 50-item page costs ~600 points here: the budget lasts three pages, then the pacer waits.
        assert len(sleeps.waits) >= 2 and all(0 < w <= 61 for w in sleeps.waits)
        assert client.stats.seconds_waiting == sum(sleeps.waits)
        assert sb.control.stats()["rate_limited"] == 0  # the pacer kept every call inside the budget
        assert client.stats.retries == 0


# ------------------------------------------------------------------------------------------
# Reconciliation


def test_archived_deleted_and_purged_items_are_reconciled(client: MondayClient, sb: SandboxServer):
    known_active = set(item_ids(pull(client, ORDERS)))
    archived, deleted, restored, untouched = sorted(known_active)[:4]
    sb.control.archive_item(ORDERS, archived)
    sb.control.delete_item(ORDERS, deleted)
    sb.control.archive_item(ORDERS, restored)
    sb.control.restore_item(ORDERS, restored)

    active_now = client.active_item_ids(ORDERS)
    assert archived not in active_now and deleted not in active_now and {restored, untouched} <= active_now
    changes = reconcile(known_active, active_now, client, board_id=ORDERS)
    assert changes == [
        ItemStateChange(archived, ItemState.ARCHIVED),
        ItemStateChange(deleted, ItemState.DELETED),
    ]

    # Monday eventually stops returning deleted items at all: still deleted, never lingering active.
    sb.control.set_faults(purge_deleted=True)
    assert client.item_states([archived, deleted]) == {
        archived: ItemState.ARCHIVED,
        deleted: ItemState.DELETED,
    }
    assert reconcile(known_active, active_now, client) == changes


def test_item_states_batches_ids_by_100_and_reports_unknown_ids_as_deleted(client: MondayClient):
    ids = sorted(item_ids(pull(client, ORDERS)))[:150]
    calls_before = client.stats.api_calls
    states = client.item_states([*ids, "1", "999999999999"])
    assert client.stats.api_calls - calls_before == 2
    assert all(states[i] is ItemState.ACTIVE for i in ids)
    assert states["1"] is ItemState.DELETED and states["999999999999"] is ItemState.DELETED


def test_schema_drift_new_renamed_and_removed_columns_do_not_break_a_pull(
    client: MondayClient, sb: SandboxServer
):
    sb.control.add_column(ORDERS, "rating_mkzz0001", "Rating", "rating")
    sb.control.add_column(ORDERS, "text_mkzz0002", "Driver notes", "text")
    sb.control.rename_column(ORDERS, "status", "Order status")
    sb.control.remove_column(ORDERS, COLUMN_IDS["orders"]["rush_approved"])
    board = client.get_board(ORDERS)
    assert board.column("status").title == "Order status"
    assert board.column(COLUMN_IDS["orders"]["rush_approved"]) is None
    pages = list(client.iter_item_pages(board))
    columns = {c for p in pages for c in p.values["column_id"]}
    assert {"rating_mkzz0001", "text_mkzz0002"} <= columns
    assert COLUMN_IDS["orders"]["rush_approved"] not in columns
    assert not [q for p in pages for q in p.quarantine]


# ------------------------------------------------------------------------------------------
# Auth and secrecy


def test_a_bad_token_fails_at_once_with_a_clear_error(sb: SandboxServer):
    bad = "not-the-right-token-0123456789"
    sleeps = FastForward(sb)
    client = MondayClient(sb.url, bad, sleep=sleeps)
    with client, pytest.raises(MondayAuthError) as info:
        client.get_board(ORDERS)
    assert str(info.value).startswith(f"board for board {ORDERS}: Not Authenticated")
    assert "http=401" in str(info.value)
    assert client.stats.api_calls == 1 and client.stats.retries == 0 and sleeps.waits == []
    assert bad not in str(info.value) and bad not in repr(info.value)


def test_the_token_never_appears_in_logs_errors_or_reprs(sb: SandboxServer, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    secrets = [sb.token, "wrong-token-abcdef-123456"]
    errors: list[BaseException] = []
    sleeps = FastForward(sb)
    with MondayClient(sb.url, sb.token, page_limit=50, timeout=0.5, max_attempts=3, sleep=sleeps) as client:
        sb.control.set_faults(rate_limit_next=1, server_error_next=1, slow_next=1, slow_seconds=1.5)
        board = client.get_board(ORDERS)
        sb.control.set_faults(malformed_rate=0.05)
        pages = list(client.iter_item_pages(board))
        sb.control.set_faults(server_error_next=5)
        try:
            client.get_board(ORDERS)
        except MondayError as exc:
            errors.append(exc)
        sb.control.clear_faults()
        reprs = [repr(client), repr(client.stats), repr(board)]
    with MondayClient(sb.url, secrets[1], sleep=sleeps) as bad_client:
        try:
            bad_client.get_board(ORDERS)
        except MondayError as exc:
            errors.append(exc)
        reprs.append(repr(bad_client))
    with MondayClient("http://127.0.0.1:9/v2", sb.token, max_attempts=3, sleep=sleeps) as dead:
        try:
            dead.get_board(ORDERS)  # connection refused, retried, then raised
        except MondayError as exc:
            errors.append(exc)

    assert len(errors) == 3 and client.stats.retries >= 3
    assert pages and any(p.quarantine for p in pages)
    texts = (
        [r.getMessage() for r in caplog.records]
        + [str(e) for e in errors]
        + [repr(e) for e in errors]
        + reprs
    )
    texts += [str(q) for p in pages for q in p.quarantine]
    assert any("retrying" in t for t in texts)  # the logs did record the failures
    for secret in secrets:
        assert not [t for t in texts if secret in t]
    for exc in errors:
        assert exc.__cause__ is None and exc.__context__ is None
