"""The raw-landing behaviour every warehouse must show, run against DuckDB and (live) SQL Server.

Subclasses provide one fixture, `make_warehouse(**kwargs) -> SqlWarehouse`, returning a fresh,
empty warehouse each call (same storage for every call within one test).
"""

from __future__ import annotations

import datetime as dt

import pytest

from customer_master.monday.models import ExtractStats, ItemState, ItemStateChange
from customer_master.warehouse.base import LoadValidationError, RunLogEntry
from customer_master.warehouse.loader import SqlWarehouse
from customer_master.warehouse.tables import PRODUCTION_TABLES, RAW_ITEMS
from customer_master.warehouse.validation import (
    RULE_DUPLICATE_ITEMS,
    RULE_ERROR_RATE,
    RULE_ITEM_REQUIRED,
    RULE_MASS_DELETION,
    RULE_ORPHAN_VALUES,
    RULE_SHRINK,
)

from .landing_helpers import (
    BASE_TIME,
    COLUMNS,
    Column,
    item_id_for,
    make_board,
    make_page,
    make_pages,
    make_run,
    values_per_item,
)

BOARD = "1001"
LINEAGE_COLUMNS = {"_partition_key", "_run_id", "_loaded_at", "_snapshot_at", "quarantined_at"}
BUSINESS_TABLES = (
    "raw_monday_boards",
    "raw_monday_columns",
    "raw_monday_items",
    "raw_monday_column_values",
    "ops_quarantine",
)


class FixedClock:
    """A clock that only moves when told to (deterministic `_loaded_at`)."""

    def __init__(self, now: dt.datetime = dt.datetime(2026, 11, 1, 2, 0, 0)) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def snapshot(wh: SqlWarehouse) -> dict[str, list[tuple]]:
    """Every production table, fully (all columns, all rows, sorted)."""
    return {spec.name: wh.table_rows(spec.name) for spec in PRODUCTION_TABLES}


def business(wh: SqlWarehouse, table: str) -> list[tuple]:
    """A table's rows without the lineage columns (_run_id, _loaded_at, ...)."""
    spec = next(s for s in PRODUCTION_TABLES if s.name == table)
    keep = [i for i, c in enumerate(spec.column_names) if c not in LINEAGE_COLUMNS]
    return sorted((tuple(r[i] for i in keep) for r in wh.table_rows(table)), key=repr)


def load(
    wh: SqlWarehouse,
    numbers=range(20),
    *,
    board=None,
    mode="full",
    run=None,
    changes=(),
    force=False,
    **page_kwargs,
):
    board = board or make_board(BOARD)
    with wh.begin_board_load(
        board,
        mode=mode,
        since=None if mode == "full" else dt.date(2026, 10, 31),
        run=run or make_run(),
        force=force,
    ) as ld:
        for page in make_pages(board.id, numbers, page_size=7, **page_kwargs):
            ld.add_page(page)
        ld.set_state_changes(list(changes))
        return ld.commit(ExtractStats(api_calls=3))


def states(wh: SqlWarehouse, board_id: str = BOARD) -> dict[str, str]:
    spec = RAW_ITEMS.column_names
    return {
        r[spec.index("item_id")]: r[spec.index("state")]
        for r in wh.table_rows("raw_monday_items")
        if r[0] == board_id
    }


def state_changed_at(wh: SqlWarehouse, board_id: str = BOARD) -> dict[str, dt.datetime | None]:
    spec = RAW_ITEMS.column_names
    at = spec.index("_state_changed_at")
    return {r[spec.index("item_id")]: r[at] for r in wh.table_rows("raw_monday_items") if r[0] == board_id}


class LandingBehaviour:
    """Collected through subclasses named Test*; see test_duckdb_landing.py / test_sqlserver_live.py."""

    @pytest.fixture()
    def clock(self) -> FixedClock:
        return FixedClock()

    @pytest.fixture()
    def wh(self, make_warehouse, clock) -> SqlWarehouse:
        warehouse = make_warehouse(clock=clock)
        warehouse.ensure_schema()
        return warehouse

    # --- full loads --------------------------------------------------------------------------------
    def test_full_load_lands_board_columns_items_values_quarantine_and_sync_state(self, wh, clock):
        result = load(wh, range(40), bad_every=25)

        n_values = 40 * values_per_item()
        assert (result.items_loaded, result.values_loaded, result.quarantined) == (
            40,
            n_values,
            n_values // 25,
        )
        assert result.error_rate == pytest.approx(1 / 25)
        assert result.state_changes == 0
        counts = wh.table_counts()
        assert counts == {
            "raw_monday_boards": 1,
            "raw_monday_columns": len(COLUMNS),
            "raw_monday_items": 40,
            "raw_monday_column_values": n_values,
            "ops_quarantine": n_values // 25,
            "ops_run_log": 0,
            "ops_sync_state": 1,
            "ops_pipeline_runs": 0,  # written per Dagster run (run reports), not per board load
            # A board load does not touch the delivery plans (created empty with the schema).
            "plan_assignments": 0,
            "plan_capacity": 0,
            "plan_runs": 0,
            # Nor the applied board mapping (written before each dbt build).
            "ops_board_mapping": 0,
            "ops_board_mapping_values": 0,
            # Nor the OMS orders (written by the OMS sync).
            "raw_oms_orders": 0,
        }
        (board_row,) = wh.table_rows("raw_monday_boards")
        assert board_row[:3] == (BOARD, "Orders", "active")
        assert board_row[6] == len(COLUMNS)  # columns_count
        assert board_row[7:] == ("2026-11-01", "run-1", clock.now)
        item = wh.table_rows("raw_monday_items")[0]
        assert item[:4] == (BOARD, item_id_for(0), "Order 0", "active")
        assert item[6] == BASE_TIME and item[7:10] == ("2026-11-01", "run-1", clock.now)
        assert item[10] is None  # _state_changed_at: no state change recorded yet
        values = {(r[2]): r for r in wh.table_rows("raw_monday_column_values") if r[1] == item_id_for(1)}
        assert values["numbers_qty"][7] == pytest.approx(3.5)
        assert values["date_requested"][8] == dt.date(2026, 11, 2)
        assert values["timeline_window"][8:10] == (dt.date(2026, 11, 2), dt.date(2026, 11, 5))
        assert values["checkbox_rush"][10] is False
        assert values["connect_customer"][11] == '["5000001"]'  # a list arrives as a JSON array
        assert values["location"][12] == '{"lat":52.52,"lng":13.405}'
        q = wh.table_rows("ops_quarantine")[0]
        assert q[0] == "monday" and q[1] == BOARD and q[5].startswith("unparseable")
        state = wh.sync_state(BOARD)
        assert state is not None
        assert (state.last_sync_at, state.last_full_sync_at, state.active_items) == (clock.now, clock.now, 40)
        assert state.high_watermark == BASE_TIME + dt.timedelta(minutes=39)
        assert wh.active_item_ids(BOARD) == {item_id_for(n) for n in range(40)}
        assert wh.staging_tables() == []

    def test_record_run_appends_one_row_per_call(self, wh):
        entry = RunLogEntry(
            run_id="run-1",
            asset="monday/orders",
            partition_key="2026-11-01",
            started_at=BASE_TIME,
            ended_at=BASE_TIME + dt.timedelta(seconds=42),
            status="failed",
            records=0,
            errors=0,
            api_calls=3,
            complexity_used=1200,
            message="LoadValidationError: board 1001 ...",
            board_id="1001",
        )
        wh.record_run(entry)
        wh.record_run(entry)
        rows = wh.table_rows("ops_run_log")
        assert len(rows) == 2
        assert rows[0] == (
            "run-1",
            "monday/orders",
            "2026-11-01",
            BASE_TIME,
            BASE_TIME + dt.timedelta(seconds=42),
            "failed",
            0,
            0,
            3,
            1200,
            "LoadValidationError: board 1001 ...",
            "1001",
        )

    def test_full_load_marks_items_that_vanished_without_a_report_deleted(self, wh):
        load(wh, range(10))
        load(wh, range(8), run=make_run("run-2"))  # items 8 and 9 neither pulled nor reported

        assert states(wh)[item_id_for(8)] == "deleted"
        assert states(wh)[item_id_for(9)] == "deleted"
        assert wh.active_item_ids(BOARD) == {item_id_for(n) for n in range(8)}
        assert wh.sync_state(BOARD).active_items == 8

    def test_full_load_applies_reported_states_of_vanished_items(self, wh):
        load(wh, range(10))
        changes = [
            ItemStateChange(item_id_for(8), ItemState.ARCHIVED),
            ItemStateChange(item_id_for(9), ItemState.DELETED),
        ]
        result = load(wh, range(8), run=make_run("run-2"), changes=changes)

        assert result.state_changes == 2
        assert states(wh)[item_id_for(8)] == "archived"
        assert states(wh)[item_id_for(9)] == "deleted"
        # their last values stay
        kept = [r for r in wh.table_rows("raw_monday_column_values") if r[1] == item_id_for(8)]
        assert len(kept) == values_per_item()

    # --- incremental loads -------------------------------------------------------------------------
    def test_incremental_load_upserts_changed_items_and_keeps_the_rest(self, wh, clock):
        load(wh, range(30))
        before = {r[1]: r for r in wh.table_rows("raw_monday_items")}
        clock.advance(hours=1)

        result = load(wh, [3, 4, 30, 31], mode="incremental", run=make_run("run-2"), version=1)

        assert result.items_loaded == 4
        rows = {r[1]: r for r in wh.table_rows("raw_monday_items")}
        assert len(rows) == 32
        assert rows[item_id_for(3)][2] == "Order 3 (edit 1)"
        assert rows[item_id_for(3)][8] == "run-2"
        assert rows[item_id_for(30)][3] == "active"
        assert rows[item_id_for(5)] == before[item_id_for(5)]  # untouched item, untouched row
        values = wh.table_rows("raw_monday_column_values")
        assert len(values) == 32 * values_per_item()
        texts = {r[4] for r in values if r[1] == item_id_for(3) and r[2] == "text_customer"}
        assert texts == {"Customer 3 v1"}
        state = wh.sync_state(BOARD)
        assert state.last_sync_at == clock.now
        assert state.last_full_sync_at == clock.now - dt.timedelta(hours=1)  # incremental keeps it
        assert state.high_watermark == BASE_TIME + dt.timedelta(minutes=31 + 10_000)
        assert state.active_items == 32

    def test_incremental_state_changes_take_items_out_of_the_active_set(self, wh):
        load(wh, range(10))
        changes = [
            ItemStateChange(item_id_for(1), ItemState.ARCHIVED),
            ItemStateChange(item_id_for(2), ItemState.DELETED),
            ItemStateChange("404404", ItemState.DELETED),  # never landed: nothing to update
        ]
        result = load(wh, [5], mode="incremental", run=make_run("run-2"), version=1, changes=changes)

        assert result.state_changes == 2
        assert states(wh)[item_id_for(1)] == "archived"
        assert states(wh)[item_id_for(2)] == "deleted"
        assert item_id_for(1) not in wh.active_item_ids(BOARD)
        assert item_id_for(2) not in wh.active_item_ids(BOARD)
        assert len(wh.active_item_ids(BOARD)) == 8
        assert (
            len([r for r in wh.table_rows("raw_monday_column_values") if r[1] == item_id_for(1)])
            == values_per_item()
        )
        item1 = next(r for r in wh.table_rows("raw_monday_items") if r[1] == item_id_for(1))
        assert item1[8] == "run-2"  # lineage shows which run changed the state
        assert wh.sync_state(BOARD).active_items == 8

    def test_an_archived_item_that_comes_back_is_active_again(self, wh):
        load(wh, range(5))
        load(
            wh,
            [],
            mode="incremental",
            run=make_run("run-2"),
            changes=[ItemStateChange(item_id_for(1), ItemState.ARCHIVED)],
        )
        load(wh, [1], mode="incremental", run=make_run("run-3"), version=2)
        assert states(wh)[item_id_for(1)] == "active"

    # --- _state_changed_at: the version timestamp of a state change ---------------------------------
    def test_state_changed_at_moves_with_the_state_and_is_carried_over_otherwise(self, wh, clock):
        load(wh, range(10))
        assert set(state_changed_at(wh).values()) == {None}  # landed active: no change recorded

        clock.advance(hours=1)
        t1 = clock.now
        changes = [
            ItemStateChange(item_id_for(1), ItemState.ARCHIVED),
            ItemStateChange(item_id_for(2), ItemState.DELETED),
        ]
        load(wh, [3], mode="incremental", run=make_run("run-2"), version=1, changes=changes)
        at = state_changed_at(wh)
        assert (at[item_id_for(1)], at[item_id_for(2)]) == (t1, t1)
        assert at[item_id_for(3)] is None  # re-pulled, state unchanged

        clock.advance(hours=1)
        t2 = clock.now
        # A full pull: item 1 is back (restored), item 9 is gone unreported (retired), item 2 stays
        # deleted (not pulled, and not active before: untouched).
        load(wh, [0, 1, 3, 4, 5, 6, 7, 8], run=make_run("run-3"), version=2)
        at, st = state_changed_at(wh), states(wh)
        assert (st[item_id_for(1)], at[item_id_for(1)]) == ("active", t2)
        assert (st[item_id_for(9)], at[item_id_for(9)]) == ("deleted", t2)
        assert (st[item_id_for(2)], at[item_id_for(2)]) == ("deleted", t1)
        assert at[item_id_for(0)] is None

        clock.advance(hours=1)
        load(wh, [1], mode="incremental", run=make_run("run-4"), version=3)  # edited, still active
        assert state_changed_at(wh)[item_id_for(1)] == t2  # carried over on the re-pull
        reported_again = [ItemStateChange(item_id_for(2), ItemState.DELETED)]
        load(wh, [], mode="incremental", run=make_run("run-5"), changes=reported_again)
        assert state_changed_at(wh)[item_id_for(2)] == t1  # same state again: no new version

    # --- the mass-deletion guard -------------------------------------------------------------------
    @pytest.mark.parametrize("mode", ["incremental", "full"])
    def test_a_load_that_would_delete_most_of_the_board_fails_unless_forced(self, wh, clock, mode):
        load(wh, range(20))
        before = snapshot(wh)
        clock.advance(days=1)
        if mode == "incremental":  # Monday reports 15 of 20 deleted
            pulled, changes = [], [ItemStateChange(item_id_for(n), ItemState.DELETED) for n in range(5, 20)]
        else:  # a full pull sees only 5 of 20
            pulled, changes = range(5), []
        run = make_run("run-2", "2026-11-02")

        with pytest.raises(LoadValidationError) as err:
            load(wh, pulled, mode=mode, run=run, changes=changes)

        message = str(err.value)
        assert f"board {BOARD}" in message and RULE_MASS_DELETION in message
        assert "15 of 20 active items (75 %)" in message and "force" in message
        assert snapshot(wh) == before
        assert wh.staging_tables() == []

        load(wh, pulled, mode=mode, run=run, changes=changes, force=True)
        assert wh.active_item_ids(BOARD) == {item_id_for(n) for n in range(5)}
        assert set(states(wh).values()) == {"active", "deleted"}

    def test_archiving_most_of_the_board_is_normal_operations(self, wh):
        load(wh, range(20))
        archived = [ItemStateChange(item_id_for(n), ItemState.ARCHIVED) for n in range(5, 20)]
        load(wh, [], mode="incremental", run=make_run("run-2"), changes=archived)
        assert wh.active_item_ids(BOARD) == {item_id_for(n) for n in range(5)}

    def test_deleting_one_of_eight_customers_does_not_stop_the_nightly_run(self, wh):
        load(wh, range(8))
        deleted = [ItemStateChange(item_id_for(0), ItemState.DELETED)]
        load(wh, [], mode="incremental", run=make_run("run-2"), changes=deleted)  # 12.5 %, 1 item
        assert len(wh.active_item_ids(BOARD)) == 7

    # --- columns snapshot and quarantine per partition -------------------------------------------
    def test_columns_snapshot_per_partition_shows_added_renamed_and_removed_columns(self, wh):
        day1 = make_board(BOARD, columns=COLUMNS)
        cols2 = [c for c in COLUMNS if c.id != "phone"]  # removed
        cols2 = [
            Column(id=c.id, title="Qty", type=c.type) if c.id == "numbers_qty" else c for c in cols2
        ]  # renamed
        cols2.append(Column(id="email_contact", title="Contact e-mail", type="email"))  # added
        day2 = make_board(BOARD, columns=cols2)

        load(wh, range(5), board=day1, run=make_run("run-1", "2026-11-01"))
        load(wh, range(5), board=day2, run=make_run("run-2", "2026-11-02"), columns=cols2)

        by_day: dict[str, dict[str, str]] = {}
        for r in wh.table_rows("raw_monday_columns"):
            by_day.setdefault(r[7], {})[r[1]] = r[2]
        d1, d2 = by_day["2026-11-01"], by_day["2026-11-02"]
        assert set(d2) - set(d1) == {"email_contact"}
        assert set(d1) - set(d2) == {"phone"}
        assert (d1["numbers_qty"], d2["numbers_qty"]) == ("Quantity", "Qty")
        positions = [r[6] for r in wh.table_rows("raw_monday_columns") if r[7] == "2026-11-02"]
        assert sorted(positions) == list(range(len(cols2)))
        # the long values table took the new column without any schema change
        assert any(r[2] == "email_contact" for r in wh.table_rows("raw_monday_column_values"))
        (board_row,) = wh.table_rows("raw_monday_boards")
        assert board_row[6] == len(cols2)

    def test_rerun_of_a_partition_replaces_its_columns_snapshot_and_quarantine(self, wh):
        load(wh, range(30), run=make_run("run-1", "2026-11-01"), bad_every=40)
        load(wh, range(30), run=make_run("run-2", "2026-11-02"), bad_every=40)
        q_day2 = [r for r in wh.table_rows("ops_quarantine") if r[8] == "2026-11-02"]

        load(wh, range(30), run=make_run("run-3", "2026-11-01"), bad_every=60)

        rows = wh.table_rows("ops_quarantine")
        day1 = [r for r in rows if r[8] == "2026-11-01"]
        assert len(day1) == 30 * values_per_item() // 60
        assert {r[9] for r in day1} == {"run-3"}
        assert [r for r in rows if r[8] == "2026-11-02"] == q_day2  # another partition is not touched
        cols = wh.table_rows("raw_monday_columns")
        assert len(cols) == 2 * len(COLUMNS)
        assert {r[8] for r in cols if r[7] == "2026-11-01"} == {"run-3"}

    def test_incremental_rerun_replaces_quarantine_of_the_items_it_loaded(self, wh):
        load(wh, range(20), run=make_run("run-1", "2026-11-01"), bad_every=20)
        before = len(wh.table_rows("ops_quarantine"))
        # the same partition again, incrementally, items 0..4 now parse cleanly
        load(wh, range(5), mode="incremental", run=make_run("run-2", "2026-11-01"))
        after = wh.table_rows("ops_quarantine")
        assert all(r[2] not in {item_id_for(n) for n in range(5)} for r in after)
        assert len(after) == before - 5 * values_per_item() // 20

    def test_a_load_without_partition_key_is_its_own_partition(self, wh):
        load(wh, range(5), run=make_run("run-1", None), bad_every=20)
        load(wh, range(5), run=make_run("run-2", None), bad_every=20)
        assert len(wh.table_rows("raw_monday_columns")) == len(COLUMNS)
        assert len(wh.table_rows("ops_quarantine")) == 5 * values_per_item() // 20
        assert {r[7] for r in wh.table_rows("raw_monday_items")} == {None}

    # --- idempotence ------------------------------------------------------------------------------
    def test_rerunning_a_partition_with_the_same_input_gives_identical_rows(self, wh):
        load(wh, range(25), bad_every=30)
        first = snapshot(wh)
        first_business = {t: business(wh, t) for t in BUSINESS_TABLES}

        load(wh, range(25), bad_every=30)  # the same run again (same run id, same clock)
        assert snapshot(wh) == first

        load(wh, range(25), bad_every=30, run=make_run("run-retry"))  # a retried run: new run id
        assert {t: business(wh, t) for t in BUSINESS_TABLES} == first_business

    # --- validation failures leave production exactly as it was ------------------------------------
    @pytest.mark.parametrize(
        ("rule", "bad_load"),
        [
            (RULE_DUPLICATE_ITEMS, "duplicate_ids"),
            (RULE_ERROR_RATE, "error_rate"),
            (RULE_SHRINK, "shrink"),
            (RULE_ORPHAN_VALUES, "orphans"),
            (RULE_ITEM_REQUIRED, "missing_required"),
        ],
    )
    def test_a_load_failing_validation_leaves_production_unchanged(self, wh, clock, rule, bad_load):
        load(wh, range(30), bad_every=50)
        wh.record_run(
            RunLogEntry("run-1", "monday/orders", "2026-11-01", BASE_TIME, BASE_TIME, "success", 30, 0, 1, 1)
        )
        before = snapshot(wh)
        clock.advance(days=1)
        board = make_board(BOARD)
        run = make_run("run-2", "2026-11-02")

        with (
            pytest.raises(LoadValidationError) as err,
            wh.begin_board_load(board, mode="full", since=None, run=run) as ld,
        ):
            if bad_load == "duplicate_ids":
                ld.add_page(make_page(BOARD, range(30)))
                ld.add_page(make_page(BOARD, [7]))
            elif bad_load == "error_rate":
                ld.add_page(make_page(BOARD, range(30), bad_every=10))  # 10 %
            elif bad_load == "shrink":
                ld.add_page(make_page(BOARD, range(10)))  # 30 -> 10 active
            elif bad_load == "orphans":
                page = make_page(BOARD, range(30))
                page.values["item_id"][0] = "123"
                ld.add_page(page)
            else:
                page = make_page(BOARD, range(30))
                page.items["state"][3] = None
                ld.add_page(page)
            ld.commit(ExtractStats())

        message = str(err.value)
        assert f"board {BOARD}" in message and rule in message
        assert snapshot(wh) == before
        assert wh.staging_tables() == []
        assert wh.sync_state(BOARD).last_sync_at == before["ops_sync_state"][0][2]

    def test_the_shrink_guard_can_be_forced(self, wh):
        load(wh, range(30))
        load(wh, range(10), run=make_run("run-2"), force=True)
        assert len(wh.active_item_ids(BOARD)) == 10

    def test_an_error_rate_of_exactly_five_percent_passes(self, wh):
        result = load(wh, range(20), bad_every=20)
        assert result.error_rate == pytest.approx(0.05)

    def test_the_error_rate_limit_is_configurable(self, make_warehouse, clock):
        strict = make_warehouse(clock=clock, max_error_rate=0.01)
        with pytest.raises(LoadValidationError, match=RULE_ERROR_RATE):
            load(strict, range(20), bad_every=50)  # 2 %
        assert strict.table_counts()["raw_monday_items"] == 0

    def test_an_exception_mid_load_leaves_production_unchanged_and_drops_staging(self, make_warehouse, clock):
        wh = make_warehouse(clock=clock, stage_batch_rows=50)  # so staging really holds rows
        load(wh, range(30))
        before = snapshot(wh)

        class ExtractionFailed(RuntimeError):
            pass

        with (
            pytest.raises(ExtractionFailed),
            wh.begin_board_load(make_board(BOARD), mode="full", since=None, run=make_run("run-2")) as ld,
        ):
            for page in make_pages(BOARD, range(30), page_size=5, version=3):
                ld.add_page(page)
            assert snapshot(wh) == before  # mid-load, readers still see the old rows
            raise ExtractionFailed("HTTP 500 from Monday")

        assert snapshot(wh) == before
        assert wh.staging_tables() == []

    def test_a_page_of_another_board_is_refused(self, wh):
        load(wh, range(5))
        before = snapshot(wh)
        with (
            pytest.raises(ValueError, match="board 2002"),
            wh.begin_board_load(make_board(BOARD), mode="full", since=None, run=make_run("run-2")) as ld,
        ):
            ld.add_page(make_page("2002", range(3)))
        assert snapshot(wh) == before

    def test_two_boards_loading_side_by_side_do_not_collide(self, wh):
        a, b = make_board("1001", name="Orders"), make_board("2002", name="Customers")
        with (
            wh.begin_board_load(a, mode="full", since=None, run=make_run("run-a")) as la,
            wh.begin_board_load(b, mode="full", since=None, run=make_run("run-b")) as lb,
        ):
            for pa_, pb_ in zip(
                make_pages("1001", range(12), page_size=4),
                make_pages("2002", range(100, 109), page_size=3),
                strict=True,
            ):
                la.add_page(pa_)
                lb.add_page(pb_)
            lb.commit(ExtractStats())
            la.commit(ExtractStats())
        assert len(wh.active_item_ids("1001")) == 12
        assert wh.active_item_ids("2002") == {item_id_for(n) for n in range(100, 109)}
        assert {r[0] for r in wh.table_rows("raw_monday_boards")} == {"1001", "2002"}

    def test_ensure_schema_is_idempotent(self, wh):
        load(wh, range(3))
        before = snapshot(wh)
        wh.ensure_schema()
        wh.ensure_schema()
        assert snapshot(wh) == before

    def test_a_board_never_seen_has_no_sync_state(self, wh):
        assert wh.sync_state("777") is None
        assert wh.active_item_ids("777") == set()

    def test_a_fresh_warehouse_answers_reads_before_any_setup(self, make_warehouse):
        fresh = make_warehouse()  # no ensure_schema(): the first read creates the tables
        assert fresh.sync_state("777") is None
        assert fresh.active_item_ids("777") == set()
        assert set(fresh.table_counts().values()) == {0}
