"""The OMS emulator (customer_master/sandbox/oms) over real HTTP on 127.0.0.1, both API shapes:
auth, paging, incremental reads, changes, deletions, faults, malformed values, determinism and the
data rules it shares with the Monday sandbox (same customers, orders entered in both systems)."""

from __future__ import annotations

import base64
import re
from urllib.parse import urlencode

import httpx
import pytest

from customer_master.sandbox import generate_workspace
from customer_master.sandbox.boards import COLUMN_IDS
from customer_master.sandbox.oms import (
    WOO_CONSUMER_KEY,
    WOO_CONSUMER_SECRET,
    OmsControlError,
    OmsServer,
    OmsSpec,
)
from customer_master.sandbox.oms.process import oms_process

SHOPIFY_401 = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
WOO_401 = {
    "code": "woocommerce_rest_cannot_view",
    "message": "Sorry, you cannot list resources.",
    "data": {"status": 401},
}
LINK_RE = re.compile(r'<([^>]+)>; rel="(\w+)"')


@pytest.fixture(scope="module")
def _servers():
    with OmsServer(OmsSpec(), shape="shopify") as shop, OmsServer(OmsSpec(), shape="woocommerce") as woo:
        yield {"shopify": shop, "woocommerce": woo}


@pytest.fixture(params=["shopify", "woocommerce"])
def oms(request, _servers):
    server = _servers[request.param]
    server.control.reset()
    yield server


@pytest.fixture()
def shop(_servers):
    _servers["shopify"].control.reset()
    yield _servers["shopify"]


@pytest.fixture()
def woo(_servers):
    _servers["woocommerce"].control.reset()
    yield _servers["woocommerce"]


@pytest.fixture()
def http():
    with httpx.Client(timeout=10) as client:
        yield client


def links(resp: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK_RE.findall(resp.headers.get("link", ""))}


def read_shopify(
    http, server, params: dict, *, path: str = "orders"
) -> tuple[list[dict], list[httpx.Response]]:
    """Follow the Link header's rel="next" to the end; returns the records and the responses."""
    url: str | None = f"{server.url}/{path}.json"
    records: list[dict] = []
    responses = []
    first = True
    while url:
        resp = http.get(url, params=params if first else None, headers=server.auth_headers)
        assert resp.status_code == 200, resp.text
        first = False
        responses.append(resp)
        records += resp.json()[path]
        url = links(resp).get("next")
    return records, responses


def read_woo(http, server, params: dict) -> tuple[list[dict], list[httpx.Response]]:
    """Page numbers 1..X-WP-TotalPages."""
    records: list[dict] = []
    responses = []
    page = 1
    while True:
        resp = http.get(server.orders_url, params={**params, "page": page}, headers=server.auth_headers)
        assert resp.status_code == 200, resp.text
        responses.append(resp)
        records += resp.json()
        if page >= int(resp.headers["X-WP-TotalPages"]):
            return records, responses
        page += 1


def read_all(http, server, since: str | None = None, *, per_page: int = 37) -> list[dict]:
    """A full (or incremental, `since`) read sorted by updated_at ascending, as a loader does."""
    if server.shape == "shopify":
        params = {"status": "any", "limit": per_page, "order": "updated_at asc"}
        if since:
            params["updated_at_min"] = since
        return read_shopify(http, server, params)[0]
    params = {"per_page": per_page, "orderby": "modified", "order": "asc"}
    if since:
        params["modified_after"] = since
    return read_woo(http, server, params)[0]


def updated(server, order: dict) -> str:
    return order["updated_at"] if server.shape == "shopify" else order["date_modified_gmt"]


def listed_ids(server, *, trash: bool = False) -> list[int]:
    return [oid for oid, _, status in server.control.listing() if trash or status != "trash"]


# --------------------------------------------------------------------------- auth


def test_a_missing_or_wrong_token_is_refused_without_using_up_faults(oms, http):
    oms.control.set_faults(rate_limit_next=1, retry_after_seconds=0.01)
    if oms.shape == "shopify":
        for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"}):
            resp = http.get(oms.orders_url, headers=headers)
            assert resp.status_code == 401
            assert resp.json() == SHOPIFY_401
    else:
        resp = http.get(oms.orders_url)
        assert resp.status_code == 401
        assert resp.json() == WOO_401
        wrong_key = httpx.BasicAuth("ck_wrong", WOO_CONSUMER_SECRET)
        body = http.get(oms.orders_url, auth=wrong_key).json()
        assert (body["code"], body["message"]) == (
            "woocommerce_rest_authentication_error",
            "Consumer key is invalid.",
        )
        wrong_secret = httpx.BasicAuth(WOO_CONSUMER_KEY, "cs_wrong")
        body = http.get(oms.orders_url, auth=wrong_secret).json()
        assert body["message"] == "Consumer secret is invalid."
        # WooCommerce also takes the key and secret as query parameters
        query = {"consumer_key": WOO_CONSUMER_KEY, "consumer_secret": WOO_CONSUMER_SECRET}
        assert http.get(oms.orders_url, params=query).status_code == 429  # the fault, after auth
    resp = http.get(oms.orders_url, headers=oms.auth_headers)
    assert resp.status_code == (200 if oms.shape == "woocommerce" else 429)
    assert oms.control.stats()["auth_errors"] >= 1


# --------------------------------------------------------------------------- paging


def test_a_full_read_returns_every_order_once_in_a_stable_order(oms, http):
    first = read_all(http, oms)
    ids = [o["id"] for o in first]
    assert len(ids) == len(set(ids))
    assert ids == listed_ids(oms)  # (updated_at, id) order; WooCommerce's default "any" has no trash
    keys = [(updated(oms, o), o["id"]) for o in first]
    assert keys == sorted(keys)
    assert [o["id"] for o in read_all(http, oms, per_page=100)] == ids
    facts = oms.control.facts()
    if oms.shape == "shopify":  # deleted orders are gone
        assert not set(facts["deleted"]) & set(ids)
        assert len(ids) == facts["orders"] - len(facts["deleted"])
    else:  # trashed orders only with status=trash
        trash = [o["id"] for o in read_woo(http, oms, {"status": "trash", "per_page": 100})[0]]
        assert sorted(trash) == sorted(facts["deleted"])
        assert len(ids) + len(trash) == facts["orders"]
        # "any" short-circuits WooCommerce's status list: any,trash still has no trash
        any_trash = read_woo(http, oms, {"status": "any,trash", "per_page": 100})[0]
        assert not {o["id"] for o in any_trash} & set(trash)
        # every status listed explicitly (also as repeated status[]=) includes the trash
        every = "pending,processing,on-hold,completed,cancelled,refunded,failed,trash"
        both = read_woo(http, oms, {"status": every, "per_page": 100, "orderby": "id", "order": "asc"})[0]
        assert [o["id"] for o in both] == sorted(ids + trash)
        repeated = read_woo(http, oms, {"status[]": every.split(","), "per_page": 100, "orderby": "id"})[0]
        assert sorted(o["id"] for o in repeated) == sorted(ids + trash)


def test_the_updated_since_filter_selects_by_updated_at(oms, http):
    listing = oms.control.listing()
    pivot = listing[len(listing) // 2][1]  # "2026-...Z"
    got = [o["id"] for o in read_all(http, oms, pivot)]
    if oms.shape == "shopify":  # updated_at_min is inclusive
        want = [oid for oid, ts, _ in listing if ts >= pivot]
    else:  # modified_after is exclusive
        want = [oid for oid, ts, status in listing if ts > pivot and status != "trash"]
    assert got == want
    assert 0 < len(got) < len(listing)


def test_shopify_link_header_and_page_info_rules(shop, http):
    url = shop.orders_url
    params = {"status": "any", "limit": 50, "order": "updated_at asc"}
    first = http.get(url, params=params, headers=shop.auth_headers)
    assert first.headers["X-Shopify-API-Version"] == "2024-10"
    assert re.fullmatch(r"\d+/40", first.headers["X-Shopify-Shop-Api-Call-Limit"])
    assert list(links(first)) == ["next"]
    next_url = links(first)["next"]
    assert re.fullmatch(rf"{re.escape(url)}\?page_info=[A-Za-z0-9_-]+&limit=50", next_url)
    assert re.fullmatch(r'<[^>]+>; rel="next"', first.headers["link"])
    second = http.get(next_url, headers=shop.auth_headers)
    assert list(links(second)) == ["previous", "next"]
    back = http.get(links(second)["previous"], headers=shop.auth_headers)
    assert [o["id"] for o in back.json()["orders"]] == [o["id"] for o in first.json()["orders"]]
    # a page_info request carries no other filter than limit (and fields)
    for extra in ({"status": "any"}, {"updated_at_min": "2026-10-01"}, {"order": "updated_at asc"}):
        resp = http.get(f"{next_url}&{urlencode(extra)}", headers=shop.auth_headers)
        assert resp.status_code == 400
        assert list(resp.json()["errors"]) == list(extra)
    assert http.get(next_url.replace("limit=50", "limit=3"), headers=shop.auth_headers).status_code == 200
    bad = http.get(url, params={"page_info": "garbage!"}, headers=shop.auth_headers)
    assert bad.status_code == 400
    assert http.get(url, params={"limit": 251}, headers=shop.auth_headers).status_code == 400
    # the last page links back only; a single page has no Link header
    _, responses = read_shopify(http, shop, params)
    assert list(links(responses[-1])) == ["previous"]
    single = http.get(url, params={"status": "any", "limit": 250, "ids": "1,2"}, headers=shop.auth_headers)
    assert single.json() == {"orders": []} and "link" not in single.headers
    # fields restricts the keys, and survives in the links
    narrow = http.get(url, params={**params, "fields": "id,updated_at"}, headers=shop.auth_headers)
    assert set(narrow.json()["orders"][0]) == {"id", "updated_at"}
    assert "fields=id,updated_at" in links(narrow)["next"]
    # default status is "open": closed and cancelled orders need status=any
    open_ids = {o["id"] for o in read_shopify(http, shop, {"limit": 250})[0]}
    all_ids = {o["id"] for o in read_all(http, shop)}
    assert open_ids < all_ids
    count = http.get(f"{shop.url}/orders/count.json", params={"status": "any"}, headers=shop.auth_headers)
    assert count.json() == {"count": len(all_ids)}


def test_woocommerce_page_headers_and_links(woo, http):
    total = len(listed_ids(woo))
    params = {"per_page": 40, "orderby": "modified", "order": "asc"}
    _, responses = read_woo(http, woo, params)
    pages = -(-total // 40)
    assert len(responses) == pages
    for n, resp in enumerate(responses, start=1):
        assert resp.headers["X-WP-Total"] == str(total)
        assert resp.headers["X-WP-TotalPages"] == str(pages)
        rels = links(resp)
        assert ("prev" in rels) == (n > 1) and ("next" in rels) == (n < pages)
        if "next" in rels:
            assert f"page={n + 1}" in rels["next"] and "per_page=40" in rels["next"]
    beyond = http.get(woo.orders_url, params={**params, "page": pages + 3}, headers=woo.auth_headers)
    assert beyond.status_code == 200 and beyond.json() == []
    assert f"page={pages}" in links(beyond)["prev"]
    too_big = http.get(woo.orders_url, params={"per_page": 101}, headers=woo.auth_headers)
    assert too_big.status_code == 400
    assert too_big.json()["code"] == "rest_invalid_param"
    assert "per_page" in too_big.json()["data"]["params"]
    default = http.get(woo.orders_url, headers=woo.auth_headers)
    assert len(default.json()) == 10  # per_page defaults to 10, newest first (date desc)
    created = [o["date_created_gmt"] for o in default.json()]
    assert created == sorted(created, reverse=True)


# --------------------------------------------------------------------------- changes


def test_changed_cancelled_deleted_and_new_orders_show_up_in_the_next_incremental_read(oms, http):
    first = read_all(http, oms)
    watermark = updated(oms, first[-1])
    live = [o for o in first if o.get("cancelled_at") is None and o.get("status") != "cancelled"]
    changed, cancelled, deleted = live[3]["id"], live[10]["id"], live[20]["id"]
    oms.control.set_clock("2026-11-02T09:00:00Z")
    result = oms.control.update_order(changed, quantity=77, requested_date="2026-12-24", priority="rush")
    assert result["quantity"] == 77
    oms.control.cancel_order(cancelled)
    oms.control.delete_order(deleted)
    created = oms.control.create_order(customer_position=0, quantity=12, requested_date="2026-12-01")
    got = {o["id"]: o for o in read_all(http, oms, watermark)}
    if oms.shape == "shopify":
        # updated_at_min is inclusive: the last order of the previous read comes again
        assert set(got) == {changed, cancelled, created["order_id"], first[-1]["id"]}
        assert sum(li["quantity"] for li in got[changed]["line_items"]) == 77
        attrs = {a["name"]: a["value"] for a in got[changed]["note_attributes"]}
        assert attrs == {"requested_date": "2026-12-24", "priority": "rush"}
        assert got[cancelled]["cancelled_at"] == "2026-11-02T09:00:00+00:00"
        assert got[changed]["updated_at"] == "2026-11-02T09:00:00+00:00"
        events, _ = read_shopify(
            http,
            oms,
            {"filter": "Order", "verb": "destroy", "created_at_min": "2026-11-01T00:00:00Z", "limit": 50},
            path="events",
        )
        assert [(e["subject_id"], e["subject_type"], e["verb"]) for e in events] == [
            (deleted, "Order", "destroy")
        ]
        assert http.get(f"{oms.url}/orders/{deleted}.json", headers=oms.auth_headers).status_code == 404
    else:
        assert set(got) == {changed, cancelled, created["order_id"]}  # trash is not in "any"
        assert got[cancelled]["status"] == "cancelled"
        meta = {m["key"]: m["value"] for m in got[changed]["meta_data"]}
        assert meta["_requested_date"] == "2026-12-24" and meta["_priority"] == "rush"
        trash = read_woo(http, oms, {"status": "trash", "modified_after": watermark, "per_page": 100})[0]
        assert [o["id"] for o in trash] == [deleted]
        assert trash[0]["date_modified_gmt"] == "2026-11-02T09:00:00"
    with pytest.raises(OmsControlError):
        oms.control.delete_order(deleted)


def test_shopify_deletions_page_through_the_events_api(shop, http):
    facts = shop.control.facts()
    base = {"filter": "Order", "verb": "destroy", "limit": 1}
    events, responses = read_shopify(http, shop, base, path="events")
    assert sorted(e["subject_id"] for e in events) == sorted(facts["deleted"])
    assert all(e["subject_type"] == "Order" and e["verb"] == "destroy" for e in events)
    if len(responses) > 1:
        assert "events.json?page_info=" in links(responses[0])["next"]
    assert read_shopify(http, shop, {**base, "verb": "create"}, path="events")[0] == []


# --------------------------------------------------------------------------- faults


def test_rate_limit_fault(oms, http):
    oms.control.set_faults(rate_limit_next=2, retry_after_seconds=0.01)
    for _ in range(2):
        resp = http.get(oms.orders_url, headers=oms.auth_headers)
        assert resp.status_code == 429
        assert float(resp.headers["Retry-After"]) == 0.01
    assert http.get(oms.orders_url, headers=oms.auth_headers).status_code == 200
    assert oms.control.stats()["rate_limited"] == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_fault(oms, http, status):
    oms.control.set_faults(server_error_next=1, server_error_status=status)
    assert http.get(oms.orders_url, headers=oms.auth_headers).status_code == status
    assert http.get(oms.orders_url, headers=oms.auth_headers).status_code == 200
    assert oms.control.stats()["server_errors"] == 1


def test_slow_and_latency_faults(oms, http):
    oms.control.set_faults(slow_next=1, slow_seconds=0.5)
    with pytest.raises(httpx.TimeoutException):
        httpx.get(oms.orders_url, headers=oms.auth_headers, timeout=0.1)
    assert http.get(oms.orders_url, headers=oms.auth_headers).status_code == 200
    oms.control.set_faults(latency_ms=60)
    resp = http.get(oms.orders_url, headers=oms.auth_headers)
    assert resp.status_code == 200 and resp.elapsed.total_seconds() >= 0.06
    assert oms.control.stats()["slowed"] == 1


def test_an_order_changed_while_a_load_pages_through(oms, http):
    oms.control.set_faults(change_after_pages=1)
    seen = [o["id"] for o in read_all(http, oms, per_page=50)]
    bumped = oms.control.stats()["changed_while_paging"]
    assert len(bumped) == 1 and bumped[0] == seen[0]
    total = len(listed_ids(oms))
    if oms.shape == "shopify":
        # keyset cursors: the changed order comes again at the end, nothing is skipped
        assert seen.count(bumped[0]) == 2 and seen[-1] == bumped[0]
        assert len(set(seen)) == total
    else:
        # page numbers: everything after it shifts back one place, so one order is skipped
        assert seen.count(bumped[0]) == 2
        assert len(set(seen)) == total - 1


def test_malformed_values(oms, http):
    faults = oms.control.set_faults(malformed_orders=8)
    malformed = {int(k): v for k, v in faults["malformed"].items()}
    assert sorted(malformed.values()) == sorted(["quantity", "date", "priority", "number"] * 2)
    by_id = {o["id"]: o for o in read_all(http, oms) if o["id"] in malformed}
    assert set(by_id) == set(malformed)
    for oid, kind in malformed.items():
        o = by_id[oid]
        if oms.shape == "shopify":
            values = {a["name"]: a["value"] for a in o["note_attributes"]}
            number = o["name"]
        else:
            values = {m["key"].lstrip("_"): m["value"] for m in o["meta_data"]}
            number = o["number"]
        if kind == "quantity":
            assert o["line_items"][0]["quantity"] == "two"
        elif kind == "date":
            assert values["requested_date"] == "2026-13-45"
        elif kind == "priority":
            assert values["priority"] == "asap"
        else:
            assert number in (None, "")
    oms.control.clear_faults()
    clean = {o["id"]: o for o in read_all(http, oms) if o["id"] in malformed}
    assert all(isinstance(li["quantity"], int) for o in clean.values() for li in o["line_items"])


# --------------------------------------------------------------------------- data


def test_same_seed_same_data(oms, http):
    def snapshot() -> bytes:
        if oms.shape == "shopify":
            _, responses = read_shopify(http, oms, {"status": "any", "limit": 250})
        else:
            _, responses = read_woo(http, oms, {"per_page": 100})
        return b"".join(resp.content for resp in responses)

    oms.control.reset(seed=7)
    a = snapshot()
    oms.control.reset(seed=7)
    assert snapshot() == a
    oms.control.reset(seed=8)
    assert snapshot() != a


def test_orders_share_customers_and_order_numbers_with_the_monday_sandbox(oms, http):
    spec = OmsSpec()
    ws = generate_workspace(spec.workspace_spec())
    customers = ws.board_by_key("customers")
    orders = ws.board_by_key("orders")
    cc, oc = COLUMN_IDS["customers"], COLUMN_IDS["orders"]
    email_slot = customers.columns_by_id[cc["email"]].slot
    board_emails: dict[str, set[int]] = {}
    for pos, it in enumerate(customers.items):
        board_emails.setdefault(it.cells[email_slot], set()).add(pos)
    slots = {
        role: orders.columns_by_id[oc[role]].slot for role in ("order_number", "quantity", "requested_date")
    }
    facts = oms.control.facts()
    records = {o["id"]: o for o in read_all(http, oms)}
    if oms.shape == "woocommerce":
        records.update({o["id"]: o for o in read_woo(http, oms, {"status": "trash", "per_page": 100})[0]})

    def view(o: dict) -> tuple[str, str, str, str, int]:
        """(email, customer number, order number, requested date, quantity)"""
        if oms.shape == "shopify":
            attrs = {a["name"]: a["value"] for a in o["note_attributes"]}
            return (
                o["email"],
                o["customer"]["note"],
                o["name"],
                attrs["requested_date"],
                sum(li["quantity"] for li in o["line_items"]),
            )
        meta = {m["key"]: m["value"] for m in o["meta_data"]}
        return (
            o["billing"]["email"],
            meta["_customer_number"],
            o["number"],
            meta["_requested_date"],
            sum(li["quantity"] for li in o["line_items"]),
        )

    # orders entered in both systems: same number; a few disagree on quantity or requested date
    both = facts["both_systems"]
    assert len(both) >= 3
    assert {b["conflict"] for b in both} >= {"quantity", "requested_date", None}
    for b in both:
        item = ws.item(b["monday_item_id"])
        email, number_, order_number, requested, quantity = view(records[b["order_id"]])
        assert order_number == item.cells[slots["order_number"]]
        monday_qty, monday_req = int(item.cells[slots["quantity"]]), item.cells[slots["requested_date"]]
        assert (quantity != monday_qty) == (b["conflict"] == "quantity")
        assert (requested != monday_req) == (b["conflict"] == "requested_date")
    # every customer reference: a board e-mail with CUST-<position+1>, or an unknown one
    unknown = set(facts["unknown_customer"])
    assert len(unknown) >= 2
    for oid, o in records.items():
        email, number_, _, _, _ = view(o)
        assert re.fullmatch(r"CUST-\d{5}", number_)
        if oid in unknown:
            assert email not in board_emails
        else:
            assert int(number_[5:]) - 1 in board_emails[email]
    # cancellations, deletions, multi-line orders (quantity = sum of the lines)
    assert len(facts["cancelled"]) >= 2 and len(facts["deleted"]) >= 1
    assert len(facts["multi_line"]) > 10
    assert all(len(records[oid]["line_items"]) > 1 for oid in facts["multi_line"] if oid in records)


def test_a_hundred_thousand_orders_serve_their_first_page(http):
    spec = OmsSpec(orders=100_000)
    with OmsServer(spec, shape="shopify") as shop:
        resp = http.get(
            shop.orders_url,
            params={"status": "any", "limit": 250, "order": "updated_at asc", "updated_at_min": "2026-10-15"},
            headers=shop.auth_headers,
        )
        assert resp.status_code == 200 and len(resp.json()["orders"]) == 250
        resp = http.get(links(resp)["next"], headers=shop.auth_headers)
        assert len(resp.json()["orders"]) == 250
    with OmsServer(spec, shape="woocommerce") as woo:
        resp = http.get(
            woo.orders_url,
            params={
                "per_page": 100,
                "orderby": "modified",
                "order": "asc",
                "modified_after": "2026-10-15T00:00:00",
            },
            headers=woo.auth_headers,
        )
        assert resp.status_code == 200 and len(resp.json()) == 100
        assert int(resp.headers["X-WP-Total"]) > 1000


def test_the_cli_serves_and_prints_its_url(http):
    with oms_process(orders=50, shape="woocommerce") as url:
        assert url.endswith("/wp-json/wc/v3")
        token = base64.b64encode(f"{WOO_CONSUMER_KEY}:{WOO_CONSUMER_SECRET}".encode()).decode()
        resp = http.get(f"{url}/orders", headers={"Authorization": f"Basic {token}"})
        assert resp.status_code == 200 and int(resp.headers["X-WP-Total"]) > 0
