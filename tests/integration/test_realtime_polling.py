"""The polling fallback (issue 13 §2) against the sandbox over real HTTP, with no webhooks at all.

The first poll takes every order updated since yesterday (nothing to compare with); later polls only
the orders whose `updated_at` moved; items that leave the board (archived, deleted) are found by the
periodic id scan; each poll reports the complexity points it cost, far inside Monday's budget.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from customer_master.monday import MondayClient
from customer_master.realtime.polling import PollState, departed_items, moved_items, poll_board
from customer_master.realtime.store import ChangeStore
from customer_master.sandbox import BOARD_IDS, COLUMN_IDS

ORDERS = BOARD_IDS["orders"]
QUANTITY = COLUMN_IDS["orders"]["quantity"]
# Monday's complexity budget per minute for a personal token; a poll every 15 s must stay far inside.
BUDGET_PER_MINUTE = 5_000_000


def test_moved_items_are_new_or_restamped():
    assert moved_items({"1": "a", "2": "b"}, {"1": "a", "2": "c", "3": "d"}) == ["2", "3"]
    assert moved_items({}, {"10": "x", "9": "y"}) == ["9", "10"]


def test_departed_items_need_a_previous_scan():
    assert departed_items(None, {"1"}) == []
    assert departed_items({"1", "2", "3"}, {"1"}) == ["2", "3"]


@pytest.fixture()
def poller(sandbox, tmp_path):
    now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    sandbox.control.set_clock(now)
    store = ChangeStore(tmp_path / "changes.sqlite")
    state = PollState(tmp_path / "changes.sqlite")
    with MondayClient(sandbox.url, sandbox.token, timeout=30) as client:

        def poll(*, every: int = 4):
            return poll_board(client, store, state, ORDERS, today=now.date(), state_check_every=every)

        yield sandbox.control, store, poll, sorted(client.active_item_ids(ORDERS), key=lambda i: (len(i), i))


def _waiting(store: ChangeStore) -> list[tuple[str, str]]:
    return sorted((c.key.item_id, c.kind) for c in store.claim("inspect", limit=10_000))


def test_a_poll_finds_exactly_the_orders_that_changed(poller):
    control, store, poll, active = poller
    first = poll()
    assert first.state_checked  # the first poll scans too: the baseline for departures
    baseline = _waiting(store)
    assert len(baseline) == first.moved == first.window_items  # nothing to compare with yet
    store.complete("inspect")

    assert poll().moved == 0  # nothing changed
    assert control.webhooks(ORDERS) == []  # polling needs no webhooks
    control.update_item(ORDERS, active[0], column_values={QUANTITY: json.dumps("77")})
    report = poll()
    assert report.moved == 1 and _waiting(store) == [(active[0], "poll_updated")]
    assert 0 < report.complexity_used * (60 / 15) < BUDGET_PER_MINUTE / 100  # under 1 % of the budget
    assert f"{report.complexity_used} complexity points" in report.summary()


def test_archived_and_deleted_orders_are_found_by_the_id_scan(poller):
    control, store, poll, active = poller
    poll(every=2)  # poll 0 scans (baseline)
    store.claim("baseline", limit=10_000)
    store.complete("baseline")
    archived, deleted = active[:2]
    control.archive_item(ORDERS, archived)
    control.delete_item(ORDERS, deleted)
    between = poll(every=2)  # poll 1: no scan, and gone items are not in the updated-since answer
    assert not between.state_checked and between.departed == 0
    scan = poll(every=2)  # poll 2 scans
    assert scan.state_checked and scan.departed == 2
    assert _waiting(store) == sorted([(archived, "poll_departed"), (deleted, "poll_departed")])
