"""`LinkPrefetch`: the next page of Link-header paging is fetched while dlt processes this one, with
no request more than without it, and a failing prefetch changes nothing. dlt's REST client over real
HTTP to the OMS emulator (Shopify shape)."""

from __future__ import annotations

import time

import pytest
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator

from customer_master.oms.config import SHOPIFY_YML, load_oms_source
from customer_master.oms.source import LinkPrefetch, build_session
from customer_master.sandbox.oms import OmsServer, OmsSpec

SOURCE = load_oms_source(SHOPIFY_YML)
PARAMS = {"status": "any", "order": "updated_at asc", "limit": 50}


@pytest.fixture(scope="module")
def _server():
    with OmsServer(OmsSpec(orders=260), shape="shopify") as server:
        yield server


@pytest.fixture()
def oms(_server):
    _server.control.reset()
    yield _server


def _pages(oms: OmsServer, *, work_seconds: float = 0.0, served: list[int] | None = None) -> list[list[int]]:
    """Every page's order ids; `served` gets, after the work on each page, how many pages the
    emulator has served by then."""
    session = build_session(SOURCE.http)
    client = RESTClient(base_url=oms.url, headers=oms.auth_headers, session=session)
    pages = []
    for page in client.paginate(
        "/orders.json", params=PARAMS, paginator=HeaderLinkPaginator(), data_selector="orders"
    ):
        pages.append([o["id"] for o in page])
        time.sleep(work_seconds)  # what dlt does with a page before it asks for the next
        if served is not None:
            served.append(oms.control.stats()["pages"])
    return pages


def test_pages_come_ahead_with_no_extra_request(oms):
    oms.control.set_faults(latency_ms=100)
    served: list[int] = []
    pages = _pages(oms, work_seconds=0.5, served=served)
    visible = oms.control.facts()["visible"]
    assert sum(len(p) for p in pages) == visible and len({i for p in pages for i in p}) == visible
    assert oms.control.stats()["pages"] == len(pages) == 6  # every page requested exactly once
    # Ahead: while page k was worked on, page k + 1 was already fetched (one after the other, only
    # k pages would have been served by then). The last page has no next one.
    assert served == [2, 3, 4, 5, 6, 6]


class _Answer:
    def __init__(self, url: str, next_url: str | None) -> None:
        self.url, self.ok = url, True
        self.links = {"next": {"url": next_url}} if next_url else {}


def _request(url: str, method: str = "GET"):
    import requests

    return requests.Request(method, url).prepare()


def test_a_prefetch_that_failed_is_not_used_and_the_page_is_asked_for_again():
    calls: list[str] = []
    failed_once: set[str] = set()

    def send(request, **kwargs):
        calls.append(request.url)
        if request.url.endswith("page=2") and request.url not in failed_once:
            failed_once.add(request.url)  # the prefetch of page 2 fails
            raise ConnectionError("reset by peer")
        return _Answer(request.url, "http://oms/orders?page=2" if request.url.endswith("page=1") else None)

    prefetch = LinkPrefetch(send)
    first = prefetch(_request("http://oms/orders?page=1"))
    second = prefetch(_request("http://oms/orders?page=2"))
    assert (first.url, second.url) == ("http://oms/orders?page=1", "http://oms/orders?page=2")
    assert calls == ["http://oms/orders?page=1", "http://oms/orders?page=2", "http://oms/orders?page=2"]


def test_only_get_requests_with_a_next_link_are_prefetched():
    calls: list[str] = []

    def send(request, **kwargs):
        calls.append(f"{request.method} {request.url}")
        return _Answer(request.url, "http://oms/orders?page=2")

    LinkPrefetch(send)(_request("http://oms/orders?page=1", method="POST"))
    assert calls == ["POST http://oms/orders?page=1"]  # a POST names no page to fetch ahead
