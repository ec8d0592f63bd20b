"""`oms_source.yml`, validated: everything that differs from one OMS to the next.

Another OMS is another YAML, not another module: the base URL, the auth scheme, the orders endpoint
(path, fixed query parameters, where the records are in the body, the paginator, the page size, the
incremental cursor and its query parameter, the primary key), optional deletions and order-lines
endpoints, and the mapping of one API record to the order contract (`contract.py`). The shipped
files are `shopify.yml` (the default, `OMS_SOURCE`) and `woocommerce.yml`, next to this module.

    version: 1
    name: shopify
    base_url: https://your-shop.myshopify.com     # OMS_API_URL overrides it
    auth: {type: api_key_header, header: X-Shopify-Access-Token}   # secret: OMS_API_TOKEN
    orders:
      path: /admin/api/2024-10/orders.json
      params: {status: any, order: updated_at asc}
      data_selector: orders                      # "$" when the body is the array itself
      primary_key: id
      paginator: {type: header_link}
      page_size: {param: limit, size: 250}
      incremental: {cursor_field: updated_at, param: updated_at_min}
    realtime: {ids_param: ids, ids_per_request: 100, fields_param: fields}   # optional: oms/changes.py
    mapping:
      order_number: name
      quantity: {sum: "line_items[*].quantity"}
      ...

Paths in `mapping` (and `order_id_field`) use the syntax of `paths.py` (`customer.email`,
`line_items[*].quantity`, `note_attributes[name=priority].value`). Secrets never live in the file:
the token (or basic-auth password) only comes from `OMS_API_TOKEN`, the basic-auth user from the
file or `OMS_API_USER`. Every error names the file, the line and the key path:

    invalid OMS source oms_source.yml:
      oms_source.yml:12 orders.paginator.type: 'pages' is not one of 'json_link', 'header_link', ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from customer_master.oms.paths import FieldPath, PathSyntaxError
from customer_master.yaml_keys import DuplicateKeyError, load_unique_keys

SHIPPED_DIR = Path(__file__).resolve().parent
SHOPIFY_YML = SHIPPED_DIR / "shopify.yml"
WOOCOMMERCE_YML = SHIPPED_DIR / "woocommerce.yml"

PRIORITIES: tuple[str, ...] = ("rush", "high", "normal", "low")
STATUSES: tuple[str, ...] = ("open", "cancelled", "delivered", "deleted")
Priority = Literal["rush", "high", "normal", "low"]
Status = Literal["open", "cancelled", "delivered", "deleted"]


class OmsConfigError(ValueError):
    """The OMS source file is invalid; the message names the file, line and key path."""


def _path(value: object) -> FieldPath:
    if isinstance(value, FieldPath):
        return value
    if not isinstance(value, str):
        raise ValueError("a path must be text, e.g. customer.email")
    try:
        return FieldPath.parse(value)
    except PathSyntaxError as exc:
        raise ValueError(str(exc)) from None


def _path_list(value: object) -> object:
    """One path or a list of them (the first that holds a value wins)."""
    return [value] if isinstance(value, str | FieldPath) else value


RecordPath = Annotated[FieldPath, BeforeValidator(_path), PlainSerializer(str)]
RecordPaths = Annotated[tuple[RecordPath, ...], BeforeValidator(_path_list), Field(min_length=1)]
Name = Annotated[str, Field(min_length=1, pattern=r"\S")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


# --- auth ----------------------------------------------------------------------------------------


class BearerAuth(_Model):
    """`Authorization: Bearer <OMS_API_TOKEN>`."""

    type: Literal["bearer"]


class ApiKeyHeaderAuth(_Model):
    """`<header>: <OMS_API_TOKEN>` (Shopify: X-Shopify-Access-Token)."""

    type: Literal["api_key_header"]
    header: Name


class BasicAuth(_Model):
    """HTTP basic: user from `username` or OMS_API_USER (which wins), password from OMS_API_TOKEN
    (WooCommerce: consumer key / consumer secret)."""

    type: Literal["basic"]
    username: Name | None = None


Auth = Annotated[BearerAuth | ApiKeyHeaderAuth | BasicAuth, Field(discriminator="type")]


# --- pagination ----------------------------------------------------------------------------------


class JsonLinkPaginator(_Model):
    """The next page's URL is in the body (`next_url_path`, a dlt JSON path)."""

    type: Literal["json_link"]
    next_url_path: Name = "next"


class HeaderLinkPaginator(_Model):
    """The next page's URL is in the `Link` header (`rel="next"`): Shopify, GitHub."""

    type: Literal["header_link"]
    rel: Name = "next"


class PageNumberPaginator(_Model):
    """`?page=N`; stops at the total pages from a header (`total_pages_header`, WooCommerce's
    X-WP-TotalPages) or the body (`total_path`), and always on an empty page."""

    type: Literal["page_number"]
    page_param: Name = "page"
    base_page: int = Field(1, ge=0)
    total_pages_header: Name | None = None
    total_path: Name | None = None

    @model_validator(mode="after")
    def _one_total(self) -> PageNumberPaginator:
        if self.total_pages_header and self.total_path:
            raise ValueError("set total_pages_header or total_path, not both")
        return self


class OffsetPaginator(_Model):
    """`?offset=N&limit=M` (the limit is `page_size`); stops at `total_path` or an empty page."""

    type: Literal["offset"]
    offset_param: Name = "offset"
    total_path: Name | None = None


class CursorPaginator(_Model):
    """The next page's cursor is in the body (`cursor_path`) and goes back as `cursor_param`."""

    type: Literal["cursor"]
    cursor_path: Name
    cursor_param: Name


Paginator = Annotated[
    JsonLinkPaginator | HeaderLinkPaginator | PageNumberPaginator | OffsetPaginator | CursorPaginator,
    Field(discriminator="type"),
]


class PageSize(_Model):
    param: Name
    size: int = Field(gt=0, le=10_000)


class Incremental(_Model):
    """Pull only records whose `cursor_field` moved past the last run's maximum; the value goes to
    the API as `param` (dlt keeps the state). `lag_seconds` re-reads a window before it."""

    cursor_field: Name
    param: Name
    initial_value: str | None = None
    lag_seconds: float | None = Field(None, ge=0, le=7 * 24 * 3600)


class Endpoint(_Model):
    path: Name
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    data_selector: Name = "$"  # where the records are in the body; "$" = the body is the list
    primary_key: Name = "id"
    paginator: Paginator
    page_size: PageSize | None = None
    incremental: Incremental | None = None

    @field_validator("params", mode="before")
    @classmethod
    def _no_params_is_empty(cls, value: object) -> object:
        return {} if value is None else value

    @model_validator(mode="after")
    def _offset_has_a_limit(self) -> Endpoint:
        if isinstance(self.paginator, OffsetPaginator) and self.page_size is None:
            raise ValueError("an offset paginator needs page_size (its param is the limit parameter)")
        return self

    @model_validator(mode="after")
    def _params_not_twice(self) -> Endpoint:
        owned = {
            "page_size.param": self.page_size.param if self.page_size else None,
            "incremental.param": self.incremental.param if self.incremental else None,
        }
        for where, name in owned.items():
            if name is not None and name in self.params:
                raise ValueError(f"params.{name} is also set by {where}: keep one")
        return self


class DeletionsEndpoint(Endpoint):
    """A feed of deletion events (Shopify: events?filter=Order&verb=destroy): each names the order's
    primary key in `order_id_field`."""

    order_id_field: RecordPath


class OrderLinesEndpoint(Endpoint):
    """Order lines served apart from the orders: `path` holds `{order.<field>}` of the parent
    order (e.g. `/orders/{order.id}/lines`). The lines of an order are then under `_lines` of its
    record for the mapping (e.g. `quantity: {sum: "_lines[*].quantity"}`)."""

    @field_validator("path")
    @classmethod
    def _names_the_order(cls, value: str) -> str:
        if "{order." not in value:
            raise ValueError("the path must name its order, e.g. /orders/{order.id}/lines")
        return value


class Realtime(_Model):
    """How the realtime path (`oms/changes.py`) reads the orders endpoint besides the nightly pull:

    - `ids_param`: the query parameter that selects orders by id, comma-separated (Shopify `ids`,
      WooCommerce `include`), at most `ids_per_request` ids per request (the API's maximum);
    - `fields_param`: optional; when set, a poll for changed orders asks only for the primary key
      and the incremental cursor field (Shopify `fields=id,updated_at`);
    - `since_format`: how the poll's start time (UTC) is written into the incremental parameter:
      a strftime format (WooCommerce with dates_are_gmt=true: `%Y-%m-%dT%H:%M:%S`), by default
      ISO 8601 with its offset (`2026-12-02T09:00:00+00:00`).

    Polling reads `orders.incremental` (its `param` and `cursor_field`) and, when configured, the
    `deletions` feed the same way (its own incremental cursor)."""

    ids_param: Name
    ids_per_request: int = Field(100, ge=1, le=250)
    fields_param: Name | None = None
    since_format: Name | None = None


class Http(_Model):
    """Bounded timeouts and retries, handed to dlt's HTTP client (429 honours Retry-After; 5xx and
    connection errors back off exponentially; 401/403 are never retried)."""

    timeout_seconds: float = Field(30.0, gt=0, le=300)
    max_attempts: int = Field(6, ge=1, le=20)
    backoff_factor: float = Field(1.0, ge=0, le=60)
    max_retry_delay_seconds: float = Field(60.0, ge=0, le=600)


# --- mapping to the order contract ---------------------------------------------------------------


class Quantity(_Model):
    """One path (`quantity: qty`), or a list's sum (`quantity: {sum: "line_items[*].quantity"}`)."""

    path: RecordPath | None = None
    sum: RecordPath | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return {"path": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> Quantity:
        if (self.path is None) == (self.sum is None):
            raise ValueError("give a path, or {sum: <list path>}")
        if self.sum is not None and not self.sum.is_list:
            raise ValueError(f"sum: {self.sum.text!r} must select a list, e.g. line_items[*].quantity")
        return self


def _labels(value: dict[str, list[str]], allowed: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    odd = [k for k in value if k not in allowed]
    if odd:
        raise ValueError(f"unknown value set(s) {', '.join(odd)} (use: {', '.join(allowed)})")
    seen: dict[str, str] = {}
    out: dict[str, tuple[str, ...]] = {}
    for canonical, labels in value.items():
        cleaned: list[str] = []
        for raw in labels or []:
            label = str(raw).strip()
            if not label:
                raise ValueError(f"{canonical}: a value must not be blank")
            if label.lower() in seen and seen[label.lower()] != canonical:
                raise ValueError(f"{label!r} is listed under both {seen[label.lower()]!r} and {canonical!r}")
            seen[label.lower()] = canonical
            cleaned.append(label)
        out[canonical] = tuple(cleaned)
    return out


class ValueMap(_Model):
    """A field whose API values map to canonical ones (case-insensitive); `missing` is the canonical
    value of an absent or blank field. A value in no set is quarantined, never guessed."""

    path: RecordPath
    values: dict[str, tuple[str, ...]]
    missing: str | None = None

    def lookup(self) -> dict[str, str]:
        return {label.lower(): canonical for canonical, labels in self.values.items() for label in labels}


class PriorityMap(ValueMap):
    missing: Priority | None = "normal"

    @field_validator("values", mode="before")
    @classmethod
    def _sets(cls, value: Any) -> Any:
        return _labels(value, PRIORITIES) if isinstance(value, dict) else value


class StatusMap(ValueMap):
    missing: Status | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _sets(cls, value: Any) -> Any:
        return _labels(value, STATUSES) if isinstance(value, dict) else value


class ContractMapping(_Model):
    """API record -> order contract. Simple fields take one path or a list (first value wins)."""

    order_number: RecordPaths
    customer_number: RecordPaths | None = None
    customer_email: RecordPaths | None = None
    quantity: Quantity
    requested_date: RecordPaths
    priority: PriorityMap | None = None
    status: StatusMap
    cancelled_at: RecordPaths | None = None  # any value = cancelled
    deleted_at: RecordPaths | None = None  # any value = deleted
    delivered_date: RecordPaths | None = None
    updated_at: RecordPaths
    # strptime formats tried after ISO 8601 for every date and timestamp field.
    date_formats: tuple[str, ...] = ()


class OmsSource(_Model):
    version: Literal[1] = 1
    name: str = Field("oms", pattern=r"^[a-z][a-z0-9_]{0,40}$")
    base_url: Name | None = None
    auth: Auth
    http: Http = Field(default_factory=Http)
    # dlt unnests nested lists into child tables; 0 keeps one raw row per record (nested as JSON).
    max_table_nesting: int = Field(0, ge=0, le=3)
    orders: Endpoint
    deletions: DeletionsEndpoint | None = None
    order_lines: OrderLinesEndpoint | None = None
    realtime: Realtime | None = None
    mapping: ContractMapping

    @model_validator(mode="after")
    def _realtime_reads_orders_by_id_and_change(self) -> OmsSource:
        rt = self.realtime
        if rt is None:
            return self
        if self.orders.incremental is None:
            raise ValueError(
                "realtime: polling for changes needs orders.incremental (cursor_field and param)"
            )
        for name in (rt.ids_param, rt.fields_param):
            if name is not None and name in self.orders.params:
                raise ValueError(f"orders.params.{name} is also set by realtime: keep one")
        return self

    @model_validator(mode="after")
    def _lines_feed_the_quantity(self) -> OmsSource:
        quantity = self.mapping.quantity
        if self.order_lines is not None and (
            quantity.sum is None or not quantity.sum.text.startswith("_lines")
        ):
            raise ValueError(
                'mapping.quantity: with order_lines, sum the lines, e.g. {sum: "_lines[*].quantity"}'
            )
        return self

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


# --- parsing ----------------------------------------------------------------------------------------


def _locate(root: yaml.Node | None, loc: tuple[int | str, ...]) -> tuple[list[str], int | None]:
    """The key path to show and the 1-based line for a pydantic error location. Pydantic puts the
    tag of a discriminated union into the location (orders.paginator.page_number.page_param):
    a segment that is the node's own `type` is dropped."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    shown: list[str] = []
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pairs = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            if str(part) in pairs:
                key, node = pairs[str(part)]
                line = key.start_mark.line + 1
                shown.append(str(part))
                continue
            tag = pairs.get("type")
            if tag is not None and isinstance(tag[1], yaml.ScalarNode) and tag[1].value == str(part):
                continue
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
            shown.append(str(part))
            continue
        elif isinstance(node, yaml.ScalarNode) and isinstance(part, int):
            continue  # a one-path shorthand validated as a list
        if isinstance(part, str) and part in {"str", "int", "float", "bool"}:
            continue  # the member of a plain union pydantic tried
        shown.append(str(part))
        node = None
    return shown, line


def _message(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "union_tag_invalid":
        return f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
    if kind == "literal_error":
        return f"{err.get('input')!r} is not one of {ctx.get('expected')}"
    if kind == "extra_forbidden":
        return "unknown key (not allowed)"
    if kind in ("missing", "union_tag_not_found"):
        return "required"
    return str(err["msg"]).removeprefix("Value error, ")


def _format_errors(path: Path, text: str, exc: ValidationError) -> str:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    lines = [f"invalid OMS source {path}:"]
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "type")
        shown, line = _locate(root, loc)
        where = f"{path.name}:{line}" if line else path.name
        lines.append(f"  {where} {'.'.join(shown) or '<root>'}: {_message(err)}")
    return "\n".join(lines)


def parse_oms_source(text: str, path: Path | str = "oms_source.yml") -> OmsSource:
    """Validate the YAML `text`; OmsConfigError names the file, line and key of every problem."""
    path = Path(path)
    try:
        data = load_unique_keys(text)
    except DuplicateKeyError as exc:
        raise OmsConfigError(f"invalid OMS source {path}: {path.name}:{exc.line}: {exc}") from None
    except yaml.YAMLError as exc:
        raise OmsConfigError(f"invalid OMS source {path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise OmsConfigError(f"invalid OMS source {path}: expected a mapping at the top level")
    try:
        return OmsSource.model_validate(data)
    except ValidationError as exc:
        raise OmsConfigError(_format_errors(path, text, exc)) from None


def load_oms_source(path: Path | str) -> OmsSource:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OmsConfigError(
            f"OMS source {path} not found: set OMS_SOURCE to your file, or to one of the shipped "
            f"ones ({SHOPIFY_YML.name}, {WOOCOMMERCE_YML.name} in {SHIPPED_DIR})"
        ) from None
    return parse_oms_source(text, path)
