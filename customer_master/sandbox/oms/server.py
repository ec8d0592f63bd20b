"""HTTP front of the OMS emulator: stdlib ThreadingHTTPServer in a background thread.

Routes: `GET` on the shape's API paths (see README.md), `POST /_sandbox/control` and
`GET /_sandbox/health`. The control endpoint is deliberately unauthenticated: the emulator is a
loopback test tool and binds 127.0.0.1 by default; never expose it on a shared network.
"""

from __future__ import annotations

from customer_master.sandbox.oms.control import OmsControl
from customer_master.sandbox.oms.data import OmsSpec
from customer_master.sandbox.oms.engine import SHOPIFY_TOKEN, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET, OmsEngine
from customer_master.sandbox.oms.shopify import API_PREFIX as SHOPIFY_PREFIX
from customer_master.sandbox.oms.woocommerce import API_PREFIX as WOO_PREFIX
from customer_master.sandbox.serving import BackgroundServer, EngineHandler, path_of

API_PREFIXES = {"shopify": SHOPIFY_PREFIX, "woocommerce": WOO_PREFIX}


class OmsHandler(EngineHandler):
    server_version = "oms-sandbox"
    engine: OmsEngine

    def _api(self, method: str) -> None:
        self._body()  # drain a request body; the emulated endpoints read only the URL
        self._send(self.engine.handle_api(method, self.path, self.headers))

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if path_of(self.path) == "/_sandbox/health":
            self._send(self.engine.health())
        else:
            self._api("GET")

    def do_POST(self) -> None:  # noqa: N802
        if path_of(self.path) == "/_sandbox/control":
            self._send(self.engine.handle_control(self._body()))
        else:
            self._api("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._api("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._api("DELETE")


class OmsServer(BackgroundServer[OmsControl]):
    """The OMS emulator on a loopback port, served from a background thread.

    >>> with OmsServer(OmsSpec(orders=200), shape="woocommerce") as oms:
    ...     oms.url  # 'http://127.0.0.1:<port>/wp-json/wc/v3'
    """

    handler = OmsHandler
    control_class = OmsControl
    thread_name = "oms-sandbox"

    def __init__(
        self,
        spec: OmsSpec | None = None,
        *,
        shape: str = "shopify",
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = SHOPIFY_TOKEN,
        consumer_key: str = WOO_CONSUMER_KEY,
        consumer_secret: str = WOO_CONSUMER_SECRET,
        latency_ms: float = 0.0,
    ) -> None:
        super().__init__(host, port)
        self.spec = spec or OmsSpec()
        self.shape = shape
        self.token = token
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.engine = OmsEngine(
            self.spec,
            shape=shape,
            token=token,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            latency_ms=latency_ms,
        )

    @property
    def url(self) -> str:
        """The API root: .../admin/api/2024-10 (shopify) or .../wp-json/wc/v3 (woocommerce)."""
        return f"{self.base_url}{API_PREFIXES[self.shape]}"

    @property
    def orders_url(self) -> str:
        return f"{self.url}/orders.json" if self.shape == "shopify" else f"{self.url}/orders"

    @property
    def auth_headers(self) -> dict[str, str]:
        """The headers an authorised client sends (Shopify's token, or WooCommerce basic auth)."""
        if self.shape == "shopify":
            return {"X-Shopify-Access-Token": self.token}
        import base64

        raw = f"{self.consumer_key}:{self.consumer_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    @property
    def store(self):
        return self.engine.store
