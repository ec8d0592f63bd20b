"""HTTP front of the OMS emulator: stdlib ThreadingHTTPServer in a background thread.

Routes: `GET` on the shape's API paths (see README.md), `POST /_sandbox/control` and
`GET /_sandbox/health`. The control endpoint is deliberately unauthenticated: the emulator is a
loopback test tool and binds 127.0.0.1 by default; never expose it on a shared network.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from customer_master.sandbox.oms.control import OmsControl
from customer_master.sandbox.oms.data import OmsSpec
from customer_master.sandbox.oms.engine import (
    SHOPIFY_TOKEN,
    WOO_CONSUMER_KEY,
    WOO_CONSUMER_SECRET,
    OmsEngine,
    Response,
)
from customer_master.sandbox.oms.shopify import API_PREFIX as SHOPIFY_PREFIX
from customer_master.sandbox.oms.woocommerce import API_PREFIX as WOO_PREFIX

API_PREFIXES = {"shopify": SHOPIFY_PREFIX, "woocommerce": WOO_PREFIX}
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oms-sandbox"
    sys_version = ""
    engine: OmsEngine  # set on the subclass made per server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args) -> None:  # noqa: A002 - stdlib signature
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, resp: Response) -> None:
        if resp.delay > 0:
            time.sleep(resp.delay)  # outside the engine lock: concurrent requests do not queue here
        lines = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Status')}"]
        lines.append(f"Content-Type: {resp.content_type}")
        lines.append(f"Content-Length: {len(resp.body)}")
        for k, v in resp.headers.items():
            lines.append(f"{k}: {v}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + resp.body)
        except OSError:  # the client gave up (e.g. its timeout fired during an injected slow request)
            self.close_connection = True

    def _api(self, method: str) -> None:
        self._body()  # drain a request body; the emulated endpoints read only the URL
        self._send(self.engine.handle_api(method, self.path, self.headers))

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path.split("?", 1)[0].rstrip("/") == "/_sandbox/health":
            self._send(self.engine.health())
        else:
            self._api("GET")

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?", 1)[0].rstrip("/") == "/_sandbox/control":
            self._send(self.engine.handle_control(self._body()))
        else:
            self._api("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._api("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._api("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class OmsServer:
    """The OMS emulator on a loopback port, served from a background thread.

    >>> with OmsServer(OmsSpec(orders=200), shape="woocommerce") as oms:
    ...     oms.url  # 'http://127.0.0.1:<port>/wp-json/wc/v3'
    """

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
        self.spec = spec or OmsSpec()
        self.shape = shape
        self.host = host
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
        self._requested_port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int = port
        self._control: OmsControl | None = None

    @property
    def base_url(self) -> str:
        """http://host:port (the control endpoint lives here)."""
        return f"http://{self.host}:{self.port}"

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
    def control(self) -> OmsControl:
        if self._control is None:
            self._control = OmsControl(self.base_url)
        return self._control

    @property
    def store(self):
        return self.engine.store

    def start(self) -> OmsServer:
        if self._httpd is not None:
            return self
        handler = type("OmsHandler", (_Handler,), {"engine": self.engine})
        self._httpd = _Server((self.host, self._requested_port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="oms-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OmsServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
