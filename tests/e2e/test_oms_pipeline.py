"""Issue 12 end to end: the nightly job with the OMS beside Monday, two nights in a row (the story
and its parts: tests/e2e/nightly.py, run once per session by the `oms_nights` fixture)."""

from __future__ import annotations

import dagster as dg
import pytest

from customer_master.defs.oms.assets import ORDERS_KEY
from customer_master.scheduling.models import REASON_UNKNOWN_CUSTOMER
from tests.e2e.nightly import NIGHT1, NIGHT2, SOURCE

pytestmark = pytest.mark.slow  # starts Dagster and dbt


@pytest.fixture()
def nights(oms_nights):
    return oms_nights


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
