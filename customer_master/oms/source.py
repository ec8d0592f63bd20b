"""The OMS as a dlt `rest_api` source, built from the validated YAML (`config.py`).

Nothing here speaks HTTP: dlt's REST client does the requests, the pagination, the incremental
cursor (kept in the pipeline state, sent as the YAML's query parameter) and the retries. This
module only translates `OmsSource` into dlt's `RESTAPIConfig`:

- the client: base URL (OMS_API_URL, else the YAML's), auth built from OMS_API_TOKEN (and
  OMS_API_USER for basic auth), and a requests session with the YAML's bounded `http` settings:
  timeout per request, attempts, exponential backoff capped at `max_retry_delay_seconds`, honouring
  Retry-After on 429; 5xx and connection errors are retried, 401/403 never are;
- one resource per endpoint: `orders`, and when configured `deletions` and `order_lines` (a child
  of `orders`, one request per order), each `merge`d on its primary key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, AuthConfigBase, BearerTokenAuth, HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import (
    BasePaginator,
    HeaderLinkPaginator,
    JSONLinkPaginator,
    JSONResponseCursorPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)
from requests import PreparedRequest, Response, Session

from customer_master.oms.config import (
    ApiKeyHeaderAuth,
    BasicAuth,
    BearerAuth,
    CursorPaginator,
    Endpoint,
    Http,
    JsonLinkPaginator,
    OmsSource,
    OrderLinesEndpoint,
)
from customer_master.oms.config import HeaderLinkPaginator as HeaderLinkConfig
from customer_master.oms.config import OffsetPaginator as OffsetConfig
from customer_master.oms.config import PageNumberPaginator as PageNumberConfig
from customer_master.redaction import SecretValueError, clean_secret

ORDERS = "orders"
DELETIONS = "deletions"
ORDER_LINES = "order_lines"
TOKEN_VAR = "OMS_API_TOKEN"
USER_VAR = "OMS_API_USER"
URL_VAR = "OMS_API_URL"

_ORDER_FIELD = re.compile(r"\{order\.([^}]+)\}")


class OmsCredentialsError(ValueError):
    """A credential is missing or unusable; the message names the variable, never the value."""


@dataclass(frozen=True, slots=True)
class OmsConnection:
    """Where the OMS is and how to sign in. The token never shows in repr."""

    base_url: str
    token: str = field(repr=False)
    username: str | None = None

    @classmethod
    def resolve(
        cls, source: OmsSource, *, api_url: str | None, token: str | None, username: str | None
    ) -> OmsConnection:
        """From the settings (OMS_API_URL, OMS_API_TOKEN, OMS_API_USER) over the YAML."""
        base_url = (api_url or "").strip() or source.base_url
        if not base_url:
            raise OmsCredentialsError(f"no OMS base URL: set {URL_VAR} or base_url in the OMS source file")
        try:
            cleaned = clean_secret(token, TOKEN_VAR)
        except SecretValueError as exc:
            raise OmsCredentialsError(str(exc)) from None
        if cleaned is None:
            raise OmsCredentialsError(f"{TOKEN_VAR} is not set: the OMS API token (or basic-auth password)")
        user = (username or "").strip() or None
        if isinstance(source.auth, BasicAuth):
            user = user or source.auth.username
            if user is None:
                raise OmsCredentialsError(
                    f"basic auth needs a user: set {USER_VAR} or auth.username in the OMS source file"
                )
        return cls(base_url=base_url, token=cleaned, username=user)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be printed (the basic-auth user is half of a key pair, e.g. WooCommerce)."""
        return tuple(s for s in (self.token, self.username) if s)


def build_auth(source: OmsSource, connection: OmsConnection) -> AuthConfigBase:
    """dlt's authenticator for the YAML's scheme, marked resolved (dlt must not look elsewhere)."""
    auth: AuthConfigBase
    if isinstance(source.auth, BearerAuth):
        auth = BearerTokenAuth(token=connection.token)
    elif isinstance(source.auth, ApiKeyHeaderAuth):
        auth = APIKeyAuth(name=source.auth.header, api_key=connection.token, location="header")
    else:  # basic: `OmsConnection.resolve` made sure there is a user
        auth = HttpBasicAuth(username=connection.username or "", password=connection.token)
    return auth.resolve()


class LinkPrefetch:
    """Fetches the page a response's `Link: <...>; rel="next"` names while dlt processes this one.

    dlt's REST client reads a paged endpoint one request after the other: page N+1 is asked for only
    after page N went through dlt's pipe, so every page costs the API's latency plus the client's
    time. Link-header paging (Shopify, GitHub) names the next request in the answer itself, so it
    can be on the wire at once; dlt then gets it from here when it asks for exactly that URL. One
    page ahead per paged resource, never more. A prefetch that failed is simply not used: dlt's own
    request (with dlt's retries, and its error if it fails) is made as if there had been no
    prefetch. Wraps the session's (retrying) `send`, so a prefetch is retried like any request.
    """

    def __init__(self, send: Callable[..., Response]) -> None:
        self._send = send
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oms-prefetch")
        # URL -> the prefetch of it: one per paged resource (dlt takes turns between resources).
        self._ahead: dict[str, Future[Response]] = {}

    def __call__(self, request: PreparedRequest, **kwargs: Any) -> Response:
        response = self._prefetched(request)
        if response is None:
            response = self._send(request, **kwargs)
        next_url = response.links.get("next", {}).get("url") if response.ok else None
        if next_url and request.method == "GET":
            ahead = request.copy()
            ahead.prepare_url(urljoin(str(request.url), next_url), None)
            self._ahead[str(ahead.url)] = self._pool.submit(self._send, ahead, **kwargs)
        return response

    def _prefetched(self, request: PreparedRequest) -> Response | None:
        future = self._ahead.pop(str(request.url), None) if request.method == "GET" else None
        if future is None:
            return None
        try:
            response = future.result()
        except Exception:  # dlt's own request below gets (and reports) what is wrong
            return None
        return response if response.ok else None


def build_session(http: Http) -> Session:
    """A requests session with dlt's retrying transport, bounded by the YAML's `http` settings, that
    fetches the next page of Link-header paging ahead (`LinkPrefetch`).
    `raise_for_status=False`: dlt's REST client raises itself (with the URL sanitized)."""
    client = Client(
        request_timeout=http.timeout_seconds,
        request_max_attempts=http.max_attempts,
        request_backoff_factor=http.backoff_factor,
        request_max_retry_delay=http.max_retry_delay_seconds,
        raise_for_status=False,
    )
    session = client.session
    session.send = LinkPrefetch(session.send)  # type: ignore[method-assign]
    return session


class HeaderTotalPagesPaginator(PageNumberPaginator):
    """Page numbers until the total-pages header says the last page was read (WooCommerce and
    WordPress send X-WP-TotalPages); an empty page or a missing header also ends it."""

    def __init__(self, header: str, *, base_page: int = 1, page_param: str = "page") -> None:
        super().__init__(
            base_page=base_page, page_param=page_param, total_path=None, stop_after_empty_page=True
        )
        self.header = header

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        total = response.headers.get(self.header)
        if total is None or not total.strip().isdigit():
            return  # no total: stop on the first empty page
        if self.current_value >= int(total) + self.base_index:
            self._has_next_page = False


def build_paginator(endpoint: Endpoint) -> BasePaginator:
    config = endpoint.paginator
    if isinstance(config, HeaderLinkConfig):
        return HeaderLinkPaginator(links_next_key=config.rel)
    if isinstance(config, JsonLinkPaginator):
        return JSONLinkPaginator(next_url_path=config.next_url_path)
    if isinstance(config, CursorPaginator):
        return JSONResponseCursorPaginator(cursor_path=config.cursor_path, cursor_param=config.cursor_param)
    if isinstance(config, PageNumberConfig):
        if config.total_pages_header:
            return HeaderTotalPagesPaginator(
                config.total_pages_header, base_page=config.base_page, page_param=config.page_param
            )
        return PageNumberPaginator(
            base_page=config.base_page,
            page_param=config.page_param,
            total_path=config.total_path,
            stop_after_empty_page=True,
        )
    if isinstance(config, OffsetConfig):
        if endpoint.page_size is None:  # checked by the model too; the offset paginator owns the limit
            raise ValueError("an offset paginator needs page_size")
        return OffsetPaginator(
            limit=endpoint.page_size.size,
            offset_param=config.offset_param,
            limit_param=endpoint.page_size.param,
            total_path=config.total_path,
            stop_after_empty_page=True,
        )
    raise TypeError(f"no paginator for {config!r}")  # pragma: no cover - the model allows no other


def _params(endpoint: Endpoint) -> dict[str, Any]:
    params: dict[str, Any] = {k: _param_text(v) for k, v in endpoint.params.items()}
    if endpoint.page_size is not None and not isinstance(endpoint.paginator, OffsetConfig):
        params[endpoint.page_size.param] = endpoint.page_size.size
    return params


def _param_text(value: str | int | float | bool) -> str | int | float:
    return ("true" if value else "false") if isinstance(value, bool) else value


def _endpoint(endpoint: Endpoint) -> dict[str, Any]:
    config: dict[str, Any] = {
        "path": endpoint.path,
        "params": _params(endpoint),
        "data_selector": endpoint.data_selector,
        "paginator": build_paginator(endpoint),
    }
    if endpoint.incremental is not None:
        inc = endpoint.incremental
        config["incremental"] = {
            "cursor_path": inc.cursor_field,
            "start_param": inc.param,
            "initial_value": inc.initial_value,
            **({"lag": inc.lag_seconds} if inc.lag_seconds else {}),
        }
    return config


def _lines_path(lines: OrderLinesEndpoint) -> str:
    """`/orders/{order.id}/lines` in dlt's words: `/orders/{resources.orders.id}/lines`."""
    return lines.path.replace("{order.", f"{{resources.{ORDERS}.")


def line_parent_field(lines: OrderLinesEndpoint) -> tuple[str, str]:
    """(the order's field the lines path names, the field dlt copies it to on every line)."""
    match = _ORDER_FIELD.search(lines.path)
    name = match.group(1) if match else "id"
    return name, f"_{ORDERS}_{name}"


def rest_api_config(source: OmsSource, connection: OmsConnection, *, session: Session | None = None) -> Any:
    """The `RESTAPIConfig` dict for dlt's `rest_api_source` (typed loosely: dlt's TypedDicts do not
    admit our paginator subclass)."""

    def resource(name: str, endpoint: Endpoint, endpoint_config: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            "primary_key": endpoint.primary_key,
            "write_disposition": "merge",
            "max_table_nesting": source.max_table_nesting,
            "endpoint": endpoint_config,
        }

    resources = [resource(ORDERS, source.orders, _endpoint(source.orders))]
    if source.deletions is not None:
        resources.append(resource(DELETIONS, source.deletions, _endpoint(source.deletions)))
    if source.order_lines is not None:
        lines = resource(
            ORDER_LINES,
            source.order_lines,
            {**_endpoint(source.order_lines), "path": _lines_path(source.order_lines)},
        )
        lines["include_from_parent"] = [line_parent_field(source.order_lines)[0]]
        resources.append(lines)
    return {
        "client": {
            "base_url": connection.base_url,
            "auth": build_auth(source, connection),
            "session": session if session is not None else build_session(source.http),
        },
        "resources": resources,
    }


def build_source(source: OmsSource, connection: OmsConnection, *, session: Session | None = None) -> Any:
    """The dlt source (a `DltSource`) of the OMS: resources `orders` [, `deletions`, `order_lines`]."""
    from dlt.sources.rest_api import rest_api_source

    return rest_api_source(rest_api_config(source, connection, session=session), name=f"oms_{source.name}")
