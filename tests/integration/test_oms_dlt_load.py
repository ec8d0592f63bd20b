"""The OMS source over real HTTP: dlt's rest_api source built from the shipped YAMLs pulls the OMS
emulator (customer_master/sandbox/oms, both shapes) into a real DuckDB file.

Proves: a full load lands every order once; an incremental load after a change brings the change
(and not everything again); a rerun is idempotent (merge on the primary key); deletions arrive
(Shopify: the events feed; WooCommerce: status trash); malformed values are quarantined with the
rest loaded; 429 and 5xx are retried; a wrong token fails at once naming OMS_API_TOKEN, and the
token appears in no error, log record or output."""

from __future__ import annotations

import datetime as dt
import logging

import duckdb
import pytest
from dlt.common.runtime import anon_tracker

from customer_master.oms.config import SHOPIFY_YML, WOOCOMMERCE_YML, load_oms_source
from customer_master.oms.contract import (
    REASON_INVALID_DATE,
    REASON_INVALID_QUANTITY,
    REASON_MISSING_ORDER_NUMBER,
    REASON_UNKNOWN_PRIORITY,
)
from customer_master.oms.pipeline import OmsAuthError, OmsLoadError, duckdb_destination, run_oms_load
from customer_master.oms.source import OmsConnection
from customer_master.sandbox.oms import OmsServer, OmsSpec

pytestmark = pytest.mark.slow  # dlt pipeline runs over real HTTP: seconds each

SOURCES = {"shopify": load_oms_source(SHOPIFY_YML), "woocommerce": load_oms_source(WOOCOMMERCE_YML)}
ORDERS = 180  # several pages: Shopify's limit is 250, so its tests shrink the page size below


@pytest.fixture(scope="module", params=["shopify", "woocommerce"])
def _oms_server(request):
    with OmsServer(OmsSpec(orders=ORDERS), shape=request.param) as server:
        yield server


@pytest.fixture()
def oms(_oms_server):
    _oms_server.control.reset()
    yield _oms_server


def _source(shape: str):
    source = SOURCES[shape]
    # Smaller pages than the APIs' maximum so the paginators really page (and within their limits).
    page_size = source.orders.page_size.model_copy(update={"size": 40})
    return source.model_copy(update={"orders": source.orders.model_copy(update={"page_size": page_size})})


def _connection(server: OmsServer, token: str | None = None) -> OmsConnection:
    if server.shape == "shopify":
        secret, user = token or server.token, None
    else:
        secret, user = token or server.consumer_secret, server.consumer_key
    return OmsConnection.resolve(SOURCES[server.shape], api_url=server.base_url, token=secret, username=user)


class _Load:
    def __init__(self, server: OmsServer, tmp_path) -> None:
        self.server = server
        self.source = _source(server.shape)
        self.warehouse = tmp_path / "warehouse.duckdb"
        self.pipeline_dir = tmp_path / "dlt"

    def __call__(self, *, token: str | None = None, full_refresh: bool = False):
        return run_oms_load(
            self.source,
            destination=duckdb_destination(self.warehouse),
            pipeline_dir=self.pipeline_dir,
            full_refresh=full_refresh,
            connection=_connection(self.server, token),
        )

    def raw(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def raw_ids(self) -> set[int]:
        return {row[0] for row in self.raw("select id from oms_raw.orders")}

    def raw_tables(self) -> set[str]:
        if not self.warehouse.exists():
            return set()
        rows = self.raw("select table_name from information_schema.tables where table_schema = 'oms_raw'")
        return {row[0] for row in rows}


def _http(load: _Load, **changes) -> None:
    load.source = load.source.model_copy(update={"http": load.source.http.model_copy(update=changes)})


@pytest.fixture()
def load(oms, tmp_path):
    return _Load(oms, tmp_path)


def _listed_ids(server: OmsServer) -> set[int]:
    return {row[0] for row in server.control.listing()}


def test_a_full_load_lands_every_order_once(load, oms):
    result = load()
    listed = _listed_ids(oms)
    assert result.records_extracted == len(listed) == result.records_loaded
    assert load.raw("select count(*), count(distinct id) from oms_raw.orders") == [(len(listed), len(listed))]
    assert load.raw_ids() == listed
    assert {row.source_id for row in result.contract.rows} == {str(i) for i in listed}
    assert result.quarantined == 0 and result.mode == "incremental"
    assert anon_tracker._ANON_TRACKER_ENDPOINT is None  # dlt's telemetry never started
    assert oms.control.stats()["pages"] >= len(listed) // 40  # really paged


def test_an_incremental_load_brings_only_the_change_and_a_rerun_is_idempotent(load, oms):
    first = load()
    before = load.raw("select count(*) from oms_raw.orders")[0][0]
    changed = sorted(_listed_ids(oms))[7]
    oms.control.set_clock(dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC))
    oms.control.update_order(changed, quantity=37, priority="rush")
    second = load()
    assert 1 <= second.records_extracted < first.records_extracted / 4
    row = next(r for r in second.contract.rows if r.source_id == str(changed))
    assert (row.quantity, row.priority) == (37.0, "rush")
    assert row.updated_at == dt.datetime(2026, 11, 2, 9, 30)
    assert load.raw("select count(*), count(distinct id) from oms_raw.orders") == [(before, before)]
    third = load()
    assert third.records_extracted <= second.records_extracted
    assert load.raw("select count(*), count(distinct id) from oms_raw.orders") == [(before, before)]


def test_a_full_refresh_pulls_everything_again_without_duplicates(load, oms):
    first = load()
    again = load(full_refresh=True)
    assert again.mode == "full" and again.records_extracted == first.records_extracted
    count = len(_listed_ids(oms))
    assert load.raw("select count(*), count(distinct id) from oms_raw.orders") == [(count, count)]


def test_a_full_refresh_that_fails_leaves_the_raw_tables_and_the_cursor_as_they_were(load, oms):
    load()
    before = load.raw_ids()
    oms.control.set_faults(server_error_next=50, server_error_status=500)
    _http(load, max_attempts=2, backoff_factor=0.01)
    with pytest.raises(OmsLoadError, match="500"):
        load(full_refresh=True)
    assert load.raw_ids() == before
    oms.control.clear_faults()
    again = load()  # incremental from the cursor of the last good run, not from the start
    assert again.records_extracted < len(before) / 4
    assert load.raw_ids() == before  # and no drop was left pending for the next run


def test_cancellations_and_deletions_reach_the_contract(load, oms):
    load()
    ids = sorted(_listed_ids(oms))
    cancelled, deleted = ids[3], ids[4]
    oms.control.set_clock(dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC))
    oms.control.cancel_order(cancelled)
    oms.control.delete_order(deleted)
    result = load()
    rows = {row.source_id: row for row in result.contract.rows}
    assert (rows[str(cancelled)].status, rows[str(cancelled)].is_cancelled) == ("cancelled", True)
    if oms.shape == "woocommerce":  # trashed: still listed, status trash
        assert (rows[str(deleted)].status, rows[str(deleted)].is_deleted) == ("deleted", True)
    else:  # gone from orders.json; the events feed names it
        assert str(deleted) not in rows
        assert str(deleted) in result.contract.deleted_elsewhere
        assert result.deletions_extracted >= 1
        assert (deleted,) in load.raw("select subject_id from oms_raw.deletions")


def test_an_order_changed_while_a_load_pages_through_is_neither_lost_nor_stale(load, oms):
    oms.control.set_faults(change_after_pages=1)
    first = load()
    (changed,) = oms.control.stats()["changed_while_paging"]
    assert load.raw_ids() == _listed_ids(oms)  # nothing skipped
    second = load()
    latest = {row.source_id: row for row in [*first.contract.rows, *second.contract.rows]}
    served = oms.control.get_order(changed)
    assert latest[str(changed)].quantity == sum(line["quantity"] for line in served["line_items"])
    assert load.raw("select count(*), count(distinct id) from oms_raw.orders")[0][0] == len(_listed_ids(oms))


def test_malformed_values_are_quarantined_and_the_rest_loaded(load, oms):
    faults = oms.control.set_faults(malformed_orders=8)
    malformed = {int(k): v for k, v in faults["malformed"].items()}
    result = load()
    listed = _listed_ids(oms)
    assert result.records_extracted == len(listed)
    reasons = {
        "quantity": REASON_INVALID_QUANTITY,
        "date": REASON_INVALID_DATE,
        "priority": REASON_UNKNOWN_PRIORITY,
        "number": REASON_MISSING_ORDER_NUMBER,
    }
    got = {(int(q.source_id), q.reason) for q in result.contract.quarantine}
    assert got == {(order_id, reasons[kind]) for order_id, kind in malformed.items()}
    rows = {int(row.source_id) for row in result.contract.rows}
    no_number = {i for i, kind in malformed.items() if kind == "number"}
    assert rows == listed - no_number  # an order without a number has no row; every other one has
    assert result.error_rate == pytest.approx(result.quarantined / result.contract.values)
    assert load.raw_ids() == listed  # the raw table keeps every record as sent


def test_429_and_5xx_are_retried(load, oms):
    # dlt honours a whole-second Retry-After (the 503's "1"); a fraction such as Shopify's "2.0"
    # falls back to its exponential backoff (bounded by max_retry_delay_seconds), kept short here.
    _http(load, backoff_factor=0.05)
    oms.control.set_faults(
        rate_limit_next=2, retry_after_seconds=0.2, server_error_next=2, server_error_status=503
    )
    result = load()
    assert result.records_extracted == len(_listed_ids(oms))
    stats = oms.control.stats()
    assert (stats["rate_limited"], stats["server_errors"]) == (2, 2)


def test_a_slow_response_times_out_and_is_retried(load, oms):
    _http(load, timeout_seconds=0.5, backoff_factor=0.1)
    oms.control.set_faults(slow_next=1, slow_seconds=2.0)
    result = load()
    assert result.records_extracted == len(_listed_ids(oms))
    assert oms.control.stats()["slowed"] == 1


def test_a_wrong_token_fails_at_once_naming_the_variable_and_never_the_token(load, oms, caplog, capfd):
    wrong = "wrong-token-5f2a9c77e1"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(OmsAuthError) as info:
        load(token=wrong)
    message = str(info.value)
    assert "OMS_API_TOKEN" in message and "401" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__  # dlt's chain is not shown
    stats = oms.control.stats()
    assert (stats["api_requests"], stats["auth_errors"]) == (1, 1)  # not retried
    out, err = capfd.readouterr()
    for text in (message, repr(info.value), caplog.text, out, err):
        assert wrong not in text
    assert "orders" not in load.raw_tables()
