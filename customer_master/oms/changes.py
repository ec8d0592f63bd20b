"""The OMS half of the realtime path: find the orders that changed, read exactly those. No dagster.

The Monday half polls the Orders board (`realtime/polling.py`) and reads changed items by id
(`realtime/apply.py`); this is the same design for the OMS, driven by the YAML (`config.py`):

- `changed_since(source, connection, since=...)`: (order id, updated_at) of every order changed at or
  after `since`, through the orders endpoint's incremental parameter (Shopify `updated_at_min`,
  WooCommerce `modified_after`), asking only for the id and the cursor where the API allows it
  (`realtime.fields_param`: Shopify `fields=id,updated_at`), following the endpoint's paging;
- `deleted_since(...)`: the same over the deletions feed, when the YAML has one (Shopify drops a
  deleted order from orders.json and reports it as an event; WooCommerce trashes it, which moves
  its date_modified, so `changed_since` sees it);
- `fetch_orders(source, connection, ids)`: the current records of exactly those orders (Shopify
  `ids=1,2,3` with the endpoint's `status=any`, WooCommerce `include=` with its status list),
  `realtime.ids_per_request` ids a request. An order the API no longer returns is gone (deleted);
- `OmsPollState` + `poll_oms(store, state, reader)`: one poll. Per OMS and feed it keeps the
  high-water mark of the stamps seen and the (id, stamp) pairs near it in the change store's
  SQLite file; the next poll reads from the mark minus `overlap` (an order written while the
  previous poll read can carry a slightly older stamp) and enqueues only the pairs not seen yet,
  as `ChangeKey("oms", <oms name>, <order id>)`. The first poll reads the `first_lookback` before
  `now` (as the Monday poller's first poll reads the day before).

HTTP is the nightly's (`source.py`): the same retrying, bounded session (`build_session`), dlt's
authenticator (`build_auth`) and paginators (`build_paginator`), driven by dlt's `RESTClient`. A 401
or 403 raises `OmsAuthError` naming OMS_API_TOKEN; no error or log record carries a secret
(`Redactor`, as the nightly load).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from requests import Session

from customer_master.oms.config import Endpoint, OmsSource, Realtime, load_oms_source
from customer_master.oms.contract import parse_timestamp
from customer_master.oms.paths import FieldPath
from customer_master.oms.pipeline import DLT_LOGGERS, OmsLoadError, _failure, connection_from_settings
from customer_master.oms.source import (
    OmsConnection,
    _params,
    build_auth,
    build_paginator,
    build_session,
)
from customer_master.realtime.sqlite_state import SqliteState
from customer_master.realtime.store import ChangeKey, ChangeStore
from customer_master.redaction import Redactor, install_log_redaction

if TYPE_CHECKING:
    from customer_master.settings import Settings

SOURCE = "oms"  # ChangeKey.source of an OMS order (board_id: the OMS name, item_id: the order id)
KIND_UPDATED = "oms_poll_updated"
KIND_DELETED = "oms_poll_deleted"
FEED_ORDERS = "orders"
FEED_DELETIONS = "deletions"
DEFAULT_OVERLAP = dt.timedelta(seconds=2)
DEFAULT_FIRST_LOOKBACK = dt.timedelta(days=1)

Stamp = tuple[str, str]  # (order id, change time as naive-UTC ISO 8601, or the API's text if unreadable)


class OmsRealtimeConfigError(ValueError):
    """The OMS source file has no `realtime` section (or no incremental cursor to poll with)."""


def _realtime(source: OmsSource) -> Realtime:
    if source.realtime is None:
        raise OmsRealtimeConfigError(
            f"the OMS source {source.name!r} has no `realtime:` section (ids_param, ids_per_request, ...): "
            "add one to its YAML to read changed orders by id"
        )
    if source.order_lines is not None:
        raise OmsRealtimeConfigError(
            f"the OMS source {source.name!r} serves order lines apart (order_lines): the realtime path "
            "reads orders with their lines only; its orders reach order_master with the nightly load"
        )
    return source.realtime


def normalize_stamp(value: Any) -> str | None:
    """An API change time as naive-UTC ISO 8601 (`2026-12-02T09:00:00`); the text as sent when it
    does not parse (kept for de-duplication, never used as the high-water mark); None when absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_timestamp(value).isoformat()
    except ValueError:
        return str(value)


def _stamp_time(stamp: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else parsed.astimezone(dt.UTC).replace(tzinfo=None)


def format_since(since: dt.datetime, realtime: Realtime) -> str:
    """`since` (naive = UTC) as the incremental parameter's value, whole seconds (rounded down)."""
    utc = since if since.tzinfo is None else since.astimezone(dt.UTC).replace(tzinfo=None)
    utc = utc.replace(microsecond=0)
    if realtime.since_format:
        return utc.strftime(realtime.since_format)
    return utc.replace(tzinfo=dt.UTC).isoformat()


def _batches(ids: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


# ----------------------------------------------------------------------- reading the OMS


class OmsChangeReader:
    """Reads changed orders from one OMS (one YAML, one connection). A context manager: closing it
    closes its HTTP session. `api_calls` counts the requests made (pages, not retries)."""

    def __init__(
        self, source: OmsSource, connection: OmsConnection, *, session: Session | None = None
    ) -> None:
        from dlt.common.configuration.specs import RuntimeConfiguration
        from dlt.sources.helpers.rest_client.client import RESTClient

        self.source = source
        self.realtime = _realtime(source)
        self.connection = connection
        self.redact = Redactor(*connection.secrets)
        install_log_redaction(self.redact, DLT_LOGGERS)
        self._own_session = session is None
        self.session = session if session is not None else build_session(source.http)
        runtime = RuntimeConfiguration()
        runtime.http_show_error_body = False  # an error body may quote the request
        self._client = RESTClient(
            base_url=connection.base_url,
            auth=build_auth(source, connection),
            session=self.session,
            config=runtime,
        )
        self.api_calls = 0

    @classmethod
    def from_settings(cls, settings: Settings, source: OmsSource | None = None) -> OmsChangeReader:
        """The OMS of the settings: OMS_SOURCE (unless `source` is given), OMS_API_URL,
        OMS_API_TOKEN, OMS_API_USER."""
        source = source if source is not None else load_oms_source(settings.oms_source_path)
        return cls(source, connection_from_settings(source, settings))

    @property
    def name(self) -> str:
        return self.source.name

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> OmsChangeReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- HTTP

    def _records(self, endpoint: Endpoint, params: dict[str, Any]) -> Iterator[Any]:
        """Every record of `endpoint` with `params`, page after page. Failures -> OmsLoadError /
        OmsAuthError (redacted, dlt's chain suppressed)."""
        try:
            pages = self._client.paginate(
                endpoint.path,
                params=params,
                paginator=build_paginator(endpoint),
                data_selector=endpoint.data_selector,
            )
            for page in pages:
                self.api_calls += 1
                yield from page
        except OmsLoadError:
            raise
        except Exception as exc:
            raise _failure(self.source, exc, self.redact) from None

    def _since_params(self, endpoint: Endpoint, since: dt.datetime) -> dict[str, Any]:
        if endpoint.incremental is None:
            raise OmsRealtimeConfigError(f"{endpoint.path}: polling for changes needs `incremental`")
        return {**_params(endpoint), endpoint.incremental.param: format_since(since, self.realtime)}

    # -- the API

    def changed_since(self, since: dt.datetime) -> list[Stamp]:
        """(id, updated_at) of the orders changed at or after `since` (naive = UTC), in the API's
        order; an order seen twice (changed while the read paged) is listed with each stamp."""
        orders = self.source.orders
        inc = orders.incremental
        params = self._since_params(orders, since)
        if self.realtime.fields_param and inc is not None:
            params[self.realtime.fields_param] = f"{orders.primary_key},{inc.cursor_field}"
        cursor = FieldPath.parse(inc.cursor_field) if inc is not None else None
        return self._stamps(self._records(orders, params), orders.primary_key, cursor)

    def deleted_since(self, since: dt.datetime) -> list[Stamp]:
        """(order id, event time) of the deletions the YAML's `deletions` feed reports at or after
        `since`; [] without a feed."""
        feed = self.source.deletions
        if feed is None:
            return []
        params = self._since_params(feed, since)
        cursor = FieldPath.parse(feed.incremental.cursor_field) if feed.incremental is not None else None
        out: list[Stamp] = []
        for event in self._records(feed, params):
            order_id = _id_text(feed.order_id_field.get(event))
            stamp = normalize_stamp(cursor.get(event)) if cursor is not None else None
            if order_id is not None and stamp is not None:
                out.append((order_id, stamp))
        return out

    def fetch_orders(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """The current records of exactly `ids` (an id the API does not return is not in the list:
        the order is gone). Raises OmsLoadError when the API answers with orders it was not asked
        for (it ignored `realtime.ids_param`: reading on would page through every order)."""
        wanted = sorted({str(i) for i in ids}, key=lambda i: (len(i), i))
        orders = self.source.orders
        key = orders.primary_key
        out: dict[str, dict[str, Any]] = {}
        for batch in _batches(wanted, self.realtime.ids_per_request):
            params = {**_params(orders), self.realtime.ids_param: ",".join(batch)}
            asked = set(batch)
            for record in self._records(orders, params):
                order_id = _id_text(record.get(key)) if isinstance(record, dict) else None
                if order_id not in asked:
                    raise OmsLoadError(
                        f"the OMS ({self.name}) answered a request for orders by id "
                        f"({self.realtime.ids_param}) with order {order_id!r}, which was not asked for: "
                        "check realtime.ids_param in its YAML"
                    )
                out[order_id] = record  # seen twice (changed while paging): the later read wins
        return [out[i] for i in wanted if i in out]

    @staticmethod
    def _stamps(records: Iterable[Any], primary_key: str, cursor: FieldPath | None) -> list[Stamp]:
        out: list[Stamp] = []
        for record in records:
            if not isinstance(record, dict):
                continue
            order_id = _id_text(record.get(primary_key))
            stamp = normalize_stamp(cursor.get(record)) if cursor is not None else None
            if order_id is not None:
                out.append((order_id, stamp or ""))
        return out


def _id_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def changed_since(
    source: OmsSource, *, api_url: str | None, token: str | None, user: str | None = None, since: dt.datetime
) -> list[Stamp]:
    """(id, updated_at) of the orders changed at or after `since` (see `OmsChangeReader`)."""
    connection = OmsConnection.resolve(source, api_url=api_url, token=token, username=user)
    with OmsChangeReader(source, connection) as reader:
        return reader.changed_since(since)


def fetch_orders(
    source: OmsSource, ids: Iterable[str], *, api_url: str | None, token: str | None, user: str | None = None
) -> list[dict[str, Any]]:
    """The current records of exactly `ids` (see `OmsChangeReader.fetch_orders`)."""
    connection = OmsConnection.resolve(source, api_url=api_url, token=token, username=user)
    with OmsChangeReader(source, connection) as reader:
        return reader.fetch_orders(ids)


# ----------------------------------------------------------------------- poll state

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS oms_poll_cursor (oms TEXT NOT NULL, feed TEXT NOT NULL, "
    "high_water TEXT, polls INTEGER NOT NULL, PRIMARY KEY (oms, feed))",
    "CREATE TABLE IF NOT EXISTS oms_poll_seen (oms TEXT NOT NULL, feed TEXT NOT NULL, "
    "order_id TEXT NOT NULL, stamp TEXT NOT NULL, PRIMARY KEY (oms, feed, order_id, stamp))",
)


class OmsPollState(SqliteState):
    """What the OMS poller saw last, per OMS and feed (in the change store's SQLite file): the
    high-water mark (naive-UTC ISO 8601) and the (id, stamp) pairs within the overlap before it."""

    schema = _SCHEMA

    def high_water(self, oms: str, feed: str) -> dt.datetime | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT high_water FROM oms_poll_cursor WHERE oms = ? AND feed = ?", [oms, feed]
            ).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def polls(self, oms: str, feed: str = FEED_ORDERS) -> int:
        with self._connect() as db:
            row = db.execute(
                "SELECT polls FROM oms_poll_cursor WHERE oms = ? AND feed = ?", [oms, feed]
            ).fetchone()
        return int(row[0]) if row else 0

    def seen(self, oms: str, feed: str) -> set[Stamp]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT order_id, stamp FROM oms_poll_seen WHERE oms = ? AND feed = ?", [oms, feed]
            ).fetchall()
        return {(r[0], r[1]) for r in rows}

    def save(
        self,
        oms: str,
        feed: str,
        high_water: dt.datetime | None,
        seen: Iterable[Stamp],
        *,
        overlap: dt.timedelta,
    ) -> None:
        """The new mark, and of `seen` the pairs a next poll (from mark - overlap) can read again."""
        floor = high_water - overlap if high_water is not None else None
        keep = sorted(
            {(i, s) for i, s in seen if floor is None or (t := _stamp_time(s)) is None or t >= floor}
        )
        with self._connect() as db:
            db.execute("DELETE FROM oms_poll_seen WHERE oms = ? AND feed = ?", [oms, feed])
            db.executemany(
                "INSERT INTO oms_poll_seen (oms, feed, order_id, stamp) VALUES (?, ?, ?, ?)",
                [(oms, feed, i, s) for i, s in keep],
            )
            db.execute(
                "INSERT INTO oms_poll_cursor (oms, feed, high_water, polls) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (oms, feed) DO UPDATE SET high_water = excluded.high_water, polls = polls + 1",
                [oms, feed, high_water.isoformat() if high_water is not None else None],
            )


# ----------------------------------------------------------------------- one poll


@dataclass(frozen=True, slots=True)
class OmsPollReport:
    oms: str
    first_poll: bool
    since: dt.datetime  # the orders feed was read from here (naive UTC)
    changed: int  # (id, updated_at) pairs the orders feed returned
    deleted: int  # deletion events the deletions feed returned
    enqueued: int  # of those, new (not seen by an earlier poll): enqueued
    high_water: dt.datetime | None
    api_calls: int
    seconds: float

    def summary(self) -> str:
        first = " (first poll)" if self.first_poll else ""
        return (
            f"OMS {self.oms}{first}: {self.enqueued} changed order(s) enqueued of {self.changed} updated "
            f"and {self.deleted} deleted since {self.since.isoformat()}; {self.api_calls} calls, "
            f"{self.seconds:.2f} s"
        )


def _window(
    state: OmsPollState, oms: str, feed: str, now: dt.datetime, overlap: dt.timedelta, first: dt.timedelta
) -> tuple[dt.datetime, dt.datetime | None]:
    mark = state.high_water(oms, feed)
    return (mark - overlap if mark is not None else now - first), mark


def _advance(mark: dt.datetime | None, since: dt.datetime, stamps: Iterable[Stamp]) -> dt.datetime:
    """The new high-water mark: the latest stamp seen, never earlier than the old mark (or, on a
    first poll that found nothing, the window's start: the next poll goes on from there)."""
    times = [t for _, s in stamps if (t := _stamp_time(s)) is not None]
    base = mark if mark is not None else since
    return max([base, *times])


def poll_oms(
    store: ChangeStore,
    state: OmsPollState,
    reader: OmsChangeReader,
    *,
    now: dt.datetime | None = None,
    overlap: dt.timedelta = DEFAULT_OVERLAP,
    first_lookback: dt.timedelta = DEFAULT_FIRST_LOOKBACK,
) -> OmsPollReport:
    """One poll of the OMS `reader` reads: enqueue the orders changed (or deleted) since the previous
    poll. `now` (naive = UTC; default the wall clock) only places a first poll's window."""
    started = time.perf_counter()
    calls = reader.api_calls
    now = now if now is not None else dt.datetime.now(dt.UTC)
    now = now if now.tzinfo is None else now.astimezone(dt.UTC).replace(tzinfo=None)
    oms = reader.name
    first_poll = state.polls(oms, FEED_ORDERS) == 0
    since, mark = _window(state, oms, FEED_ORDERS, now, overlap, first_lookback)
    changed = reader.changed_since(since)
    feeds: list[tuple[str, list[Stamp], dt.datetime, dt.datetime | None, str]] = [
        (FEED_ORDERS, changed, since, mark, KIND_UPDATED)
    ]
    deleted: list[Stamp] = []
    if reader.source.deletions is not None:
        d_since, d_mark = _window(state, oms, FEED_DELETIONS, now, overlap, first_lookback)
        deleted = reader.deleted_since(d_since)
        feeds.append((FEED_DELETIONS, deleted, d_since, d_mark, KIND_DELETED))

    enqueue: list[tuple[ChangeKey, float | None, str]] = []
    for feed, stamps, _, _, kind in feeds:
        seen = state.seen(oms, feed)
        for order_id, stamp in dict.fromkeys(stamps):  # de-duplicated, in the API's order
            if (order_id, stamp) in seen:
                continue
            at = _stamp_time(stamp)
            enqueue.append(
                (
                    ChangeKey(SOURCE, oms, order_id),
                    at.replace(tzinfo=dt.UTC).timestamp() if at else None,
                    kind,
                )
            )
    # Enqueued before the state moves on: a crash in between re-enqueues (harmless), never loses.
    store.enqueue(enqueue)
    high_water: dt.datetime | None = None
    for feed, stamps, feed_since, feed_mark, _ in feeds:
        new_mark = _advance(feed_mark, feed_since, stamps)
        state.save(oms, feed, new_mark, [*state.seen(oms, feed), *stamps], overlap=overlap)
        if feed == FEED_ORDERS:
            high_water = new_mark
    return OmsPollReport(
        oms=oms,
        first_poll=first_poll,
        since=since,
        changed=len(changed),
        deleted=len(deleted),
        enqueued=len({k for k, _, _ in enqueue}),
        high_water=high_water,
        api_calls=reader.api_calls - calls,
        seconds=time.perf_counter() - started,
    )
