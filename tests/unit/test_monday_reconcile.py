"""Reconciliation of archived/deleted items and the incremental window (pure decisions)."""

from __future__ import annotations

import datetime as dt

import pytest

from customer_master.monday import (
    ItemState,
    ItemStateChange,
    decide_state_changes,
    incremental_since,
    reconcile,
)
from customer_master.monday.extract import board_from_raw, state_from_raw

A, D = ItemState.ARCHIVED, ItemState.DELETED


def test_items_that_left_the_active_set_get_their_current_state():
    changes = decide_state_changes(
        known_active={"1", "2", "3", "4"},
        active_now={"1", "5"},
        current_states={"2": A, "3": D, "4": A},
    )
    assert changes == [ItemStateChange("2", A), ItemStateChange("3", D), ItemStateChange("4", A)]


def test_items_monday_no_longer_returns_at_all_are_deleted():
    changes = decide_state_changes({"1", "2"}, set(), {"1": A})
    assert changes == [ItemStateChange("1", A), ItemStateChange("2", D)]


def test_an_item_monday_still_reports_active_is_not_a_change():
    # Restored (or created) while the scan ran: the next scan will see it; it must not be archived.
    assert decide_state_changes({"1"}, set(), {"1": ItemState.ACTIVE}) == []


def test_nothing_departed_means_no_changes_and_new_items_are_not_changes():
    assert decide_state_changes({"1", "2"}, {"1", "2", "3"}, {}) == []
    assert decide_state_changes(set(), {"1"}, {}) == []


def test_changes_are_sorted_numerically_by_item_id():
    changes = decide_state_changes({"10", "9", "100"}, set(), {})
    assert [c.item_id for c in changes] == ["9", "10", "100"]


def test_state_from_raw_maps_unknown_and_missing_states_to_deleted():
    assert state_from_raw("active") is ItemState.ACTIVE
    assert state_from_raw("archived") is A
    assert state_from_raw("deleted") is D
    assert state_from_raw(None) is D
    assert state_from_raw("weird") is D


class FakeStates:
    """Stands in for the client's `item_states` call (the only thing reconcile asks of it)."""

    def __init__(self, states: dict[str, ItemState]) -> None:
        self.states = states
        self.calls: list[tuple[set[str], str | None]] = []

    def item_states(self, item_ids, *, board_id=None):
        ids = set(item_ids)
        self.calls.append((ids, board_id))
        return {i: self.states.get(i, D) for i in ids}


def test_reconcile_asks_only_about_departed_items():
    fake = FakeStates({"2": A})
    changes = reconcile({"1", "2", "3"}, {"1"}, fake)  # type: ignore[arg-type]
    assert changes == [ItemStateChange("2", A), ItemStateChange("3", D)]
    assert fake.calls == [({"2", "3"}, None)]


def test_reconcile_makes_no_call_when_nothing_departed():
    fake = FakeStates({})
    assert reconcile({"1"}, {"1", "2"}, fake) == []  # type: ignore[arg-type]
    assert fake.calls == []


# ------------------------------------------------------------------------------------------
# Incremental window


def test_incremental_since_overlaps_by_whole_days_in_utc():
    assert incremental_since(dt.datetime(2026, 3, 10, 12, 0)) == dt.date(2026, 3, 9)
    assert incremental_since(dt.datetime(2026, 3, 10, 0, 30), overlap_days=3) == dt.date(2026, 3, 7)
    # 01:00 at +05:00 is still the 9th in UTC.
    east = dt.timezone(dt.timedelta(hours=5))
    assert incremental_since(dt.datetime(2026, 3, 10, 1, 0, tzinfo=east)) == dt.date(2026, 3, 8)


def test_incremental_since_refuses_a_window_without_overlap():
    with pytest.raises(ValueError, match="at least 1 day"):
        incremental_since(dt.datetime(2026, 3, 10), overlap_days=0)


def test_board_from_raw_builds_the_board_snapshot():
    board = board_from_raw(
        {
            "id": 7000000001,
            "name": "Customers",
            "state": "active",
            "board_kind": "public",
            "updated_at": "2026-03-01T10:00:00Z",
            "items_count": 3,
            "columns": [
                {
                    "id": "status",
                    "title": "Status",
                    "type": "status",
                    "settings_str": '{"labels":{}}',
                    "archived": False,
                },
                None,
            ],
            "groups": [{"id": "topics", "title": "Group", "position": "65536"}],
        }
    )
    assert board.id == "7000000001" and board.items_count == 3
    assert board.column("status").settings_str == '{"labels":{}}'
    assert [g.id for g in board.groups] == ["topics"]
    assert board.updated_at == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
