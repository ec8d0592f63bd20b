"""The OMS YAML as dlt's rest_api config: resources merged on their primary key, incremental cursor
and its query parameter, paginators, auth from OMS_API_TOKEN (never printed), bounded HTTP; the OMS
settings; dlt's mssql destination over the loader's DSN. No HTTP here (see test_oms_dlt_load.py)."""

from __future__ import annotations

import pytest
import requests
import yaml
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth, HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import (
    HeaderLinkPaginator,
    JSONResponseCursorPaginator,
    OffsetPaginator,
)

from customer_master.oms.config import SHOPIFY_YML, WOOCOMMERCE_YML, load_oms_source, parse_oms_source
from customer_master.oms.pipeline import dlt_runtime_values
from customer_master.oms.source import (
    HeaderTotalPagesPaginator,
    OmsConnection,
    OmsCredentialsError,
    build_session,
    rest_api_config,
)
from customer_master.settings import PROJECT_ROOT, Settings
from customer_master.warehouse.sqlserver import bundled_driver_path

SHOPIFY = load_oms_source(SHOPIFY_YML)
WOO = load_oms_source(WOOCOMMERCE_YML)
TOKEN = "shpat_0123456789abcdef"


def _connection(source, **kw) -> OmsConnection:
    return OmsConnection.resolve(
        source,
        api_url=kw.get("api_url", "http://127.0.0.1:9"),
        token=kw.get("token", TOKEN),
        username=kw.get("username"),
    )


def _resource(config: dict, name: str) -> dict:
    return next(r for r in config["resources"] if r["name"] == name)


def test_shopify_config_merges_orders_and_deletions_incrementally_with_link_paging():
    config = rest_api_config(SHOPIFY, _connection(SHOPIFY))
    assert config["client"]["base_url"] == "http://127.0.0.1:9"
    auth = config["client"]["auth"]
    assert isinstance(auth, APIKeyAuth) and auth.__is_resolved__
    assert (auth.name, auth.location, auth.api_key) == ("X-Shopify-Access-Token", "header", TOKEN)
    orders = _resource(config, "orders")
    assert (orders["primary_key"], orders["write_disposition"], orders["max_table_nesting"]) == (
        "id",
        "merge",
        0,
    )
    endpoint = orders["endpoint"]
    assert endpoint["path"] == "/admin/api/2024-10/orders.json"
    assert endpoint["params"] == {"status": "any", "order": "updated_at asc", "limit": 250}
    assert endpoint["data_selector"] == "orders"
    assert isinstance(endpoint["paginator"], HeaderLinkPaginator)
    assert endpoint["incremental"] == {
        "cursor_path": "updated_at",
        "start_param": "updated_at_min",
        "initial_value": None,
    }
    deletions = _resource(config, "deletions")
    assert deletions["endpoint"]["params"] == {"filter": "Order", "verb": "destroy", "limit": 250}
    assert deletions["endpoint"]["incremental"]["start_param"] == "created_at_min"


def test_woocommerce_config_pages_by_number_until_the_total_pages_header():
    config = rest_api_config(WOO, _connection(WOO, username="ck_user"))
    auth = config["client"]["auth"]
    assert isinstance(auth, HttpBasicAuth) and (auth.username, auth.password) == ("ck_user", TOKEN)
    endpoint = _resource(config, "orders")["endpoint"]
    assert endpoint["data_selector"] == "$"
    assert endpoint["params"]["per_page"] == 100 and endpoint["params"]["dates_are_gmt"] == "true"
    assert endpoint["incremental"]["lag"] == 3600
    paginator = endpoint["paginator"]
    assert isinstance(paginator, HeaderTotalPagesPaginator) and paginator.header == "X-WP-TotalPages"
    assert [r["name"] for r in config["resources"]] == ["orders"]


def _response(total_pages: str | None) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    if total_pages is not None:
        response.headers["X-WP-TotalPages"] = total_pages
    return response


def test_the_total_pages_header_ends_the_paging_and_an_empty_page_does_too():
    paginator = HeaderTotalPagesPaginator("X-WP-TotalPages", base_page=1)
    paginator.update_state(_response("2"), [{"id": 1}])
    assert paginator.has_next_page and paginator.current_value == 2
    paginator.update_state(_response("2"), [{"id": 2}])
    assert not paginator.has_next_page
    no_header = HeaderTotalPagesPaginator("X-WP-TotalPages", base_page=1)
    no_header.update_state(_response(None), [{"id": 1}])
    assert no_header.has_next_page
    no_header.update_state(_response(None), [])
    assert not no_header.has_next_page


def test_bearer_cursor_and_offset_variants():
    data = yaml.safe_load(SHOPIFY_YML.read_text(encoding="utf-8"))
    data["auth"] = {"type": "bearer"}
    data["orders"]["paginator"] = {"type": "cursor", "cursor_path": "meta.next", "cursor_param": "after"}
    data["deletions"]["paginator"] = {"type": "offset", "total_path": "total"}
    source = parse_oms_source(yaml.safe_dump(data))
    config = rest_api_config(source, _connection(source))
    assert isinstance(config["client"]["auth"], BearerTokenAuth)
    cursor = _resource(config, "orders")["endpoint"]["paginator"]
    assert isinstance(cursor, JSONResponseCursorPaginator) and cursor.cursor_param == "after"
    offset_endpoint = _resource(config, "deletions")["endpoint"]
    assert isinstance(offset_endpoint["paginator"], OffsetPaginator)
    assert offset_endpoint["paginator"].limit == 250
    assert "limit" not in offset_endpoint["params"]  # the offset paginator sends the limit itself


def test_order_lines_are_a_child_resource_of_orders():
    data = yaml.safe_load(SHOPIFY_YML.read_text(encoding="utf-8"))
    data["order_lines"] = {"path": "/orders/{order.id}/lines", "paginator": {"type": "header_link"}}
    data["mapping"]["quantity"] = {"sum": "_lines[*].quantity"}
    source = parse_oms_source(yaml.safe_dump(data))
    lines = _resource(rest_api_config(source, _connection(source)), "order_lines")
    assert lines["endpoint"]["path"] == "/orders/{resources.orders.id}/lines"
    assert lines["include_from_parent"] == ["id"] and lines["write_disposition"] == "merge"


# --- credentials -------------------------------------------------------------------------------------


def test_the_token_is_required_and_never_printed():
    with pytest.raises(OmsCredentialsError, match="OMS_API_TOKEN is not set"):
        _connection(SHOPIFY, token="  ")
    with pytest.raises(OmsCredentialsError, match="OMS_API_TOKEN contains a control character") as info:
        _connection(SHOPIFY, token="abc\ndef")
    assert "abc" not in str(info.value)
    assert TOKEN not in repr(_connection(SHOPIFY))


def test_basic_auth_needs_a_user_and_the_url_comes_from_the_environment_first():
    with pytest.raises(OmsCredentialsError, match="set OMS_API_USER or auth.username"):
        _connection(WOO)
    assert _connection(SHOPIFY, api_url="").base_url == "https://example.myshopify.com"
    assert _connection(SHOPIFY, api_url=" http://oms.local ").base_url == "http://oms.local"


def test_http_settings_bound_dlts_client_and_switch_off_telemetry():
    session = build_session(SHOPIFY.http)
    assert session.timeout == SHOPIFY.http.timeout_seconds
    values = dlt_runtime_values(SHOPIFY.http)
    assert values["runtime.dlthub_telemetry"] is False
    assert values["runtime.request_max_attempts"] == SHOPIFY.http.max_attempts
    assert values["runtime.http_show_error_body"] is False


def test_the_oms_settings_are_read_from_their_variables(monkeypatch, settings_from_defaults):
    assert Settings().oms_source_path == SHOPIFY_YML
    monkeypatch.setenv("OMS_SOURCE", "customer_master/oms/woocommerce.yml")
    monkeypatch.setenv("OMS_API_URL", "http://127.0.0.1:8766")
    monkeypatch.setenv("OMS_API_USER", " ck_1 ")
    monkeypatch.setenv("OMS_API_TOKEN", " cs_secret ")
    settings = Settings()
    assert settings.oms_source_path == PROJECT_ROOT / "customer_master" / "oms" / "woocommerce.yml"
    assert (settings.oms_api_url, settings.oms_api_user) == ("http://127.0.0.1:8766", "ck_1")
    assert settings.secrets.oms_api_token.get_secret_value() == "cs_secret"


# --- dlt's mssql destination over the loader's DSN ---------------------------------------------------


def test_the_mssql_destination_uses_the_dsn_as_given_and_never_prints_it():
    from dlt.destinations import mssql

    from customer_master.oms.mssql import odbc_dsn_credentials

    dsn = (
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:sql.internal,14330;DATABASE=CM;"
        "UID=loader;PWD=p@ss;Encrypt=yes"
    )
    credentials = odbc_dsn_credentials(dsn)
    assert credentials.to_odbc_dsn() == dsn
    assert (credentials.host, credentials.port) == ("sql.internal", 14330)
    assert "p@ss" not in repr(credentials)
    destination = mssql(credentials=credentials)
    assert destination.destination_type.endswith("mssql")
    bundled = bundled_driver_path()
    if bundled is not None:  # without DRIVER=, the driver in the mssql-python-odbc wheel, by path
        without_driver = odbc_dsn_credentials("SERVER=sql.internal;DATABASE=CM;UID=loader;PWD=p@ss")
        assert without_driver.to_odbc_dsn().startswith(f"DRIVER={bundled};SERVER=sql.internal;")
