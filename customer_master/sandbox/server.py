"""HTTP front of the sandbox: stdlib ThreadingHTTPServer in a background thread.

Routes: `POST /v2` (the GraphQL API; `GET /v2` gets Monday's 400 for a request without a JSON
body), `POST /_sandbox/control` and `GET /_sandbox/health`.
The control endpoint is deliberately unauthenticated: the sandbox is a loopback test tool and
binds 127.0.0.1 by default; never expose it on a shared network.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from customer_master.sandbox.control import SandboxControl
from customer_master.sandbox.engine import SANDBOX_TOKEN, Response, SandboxEngine
from customer_master.sandbox.generator import WorkspaceSpec

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "monday-sandbox"
    sys_version = ""
    engine: SandboxEngine  # set on the subclass made per server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in one write, and no Nagle delay on keep-alive connections.
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

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        path = self.path.split("?", 1)[0].rstrip("/")
        body = self._body()
        engine = self.engine
        if path == "/v2":
            with engine.inflight_guard():
                self._send(engine.handle_graphql(self.headers, body))
            return
        if path == "/_sandbox/control":
            resp = engine.handle_control(body)
        else:
            resp = Response(404, b'{"error":"not found"}')
        self._send(resp)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/_sandbox/health":
            self._send(self.engine.health())
        elif path == "/v2":
            # Monday answers a GET like any request without a JSON body, after the token check.
            with self.engine.inflight_guard():
                self._send(self.engine.handle_graphql(self.headers, self._body(), method="GET"))
        else:
            self._send(Response(404, b'{"error":"not found"}'))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        # Clients hanging up (timeouts, shutdown) are normal for a fault-injecting test server.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class SandboxServer:
    """The Monday sandbox on a loopback port, served from a background thread.

    >>> with SandboxServer(WorkspaceSpec(orders=200)) as sb:
    ...     sb.url  # 'http://127.0.0.1:<port>/v2'
    """

    def __init__(
        self,
        spec: WorkspaceSpec | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = SANDBOX_TOKEN,
        latency_ms: float = 0,
        complexity_budget_per_minute: int = 10_000_000,
        cursor_ttl_seconds: float = 3600,
    ) -> None:
        self.spec = spec or WorkspaceSpec()
        self.host = host
        self.token = token
        self.engine = SandboxEngine(
            self.spec,
            token=token,
            latency_ms=latency_ms,
            complexity_budget_per_minute=complexity_budget_per_minute,
            cursor_ttl_seconds=cursor_ttl_seconds,
        )
        self._requested_port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int = port
        self._control: SandboxControl | None = None

    @property
    def board_ids(self) -> dict[str, str]:
        """entity -> board id of the workspace being served (follows `control.reset(account=...)`)."""
        return {b.key: b.id for b in self.engine.ws.boards.values()}

    @property
    def workspace(self):
        return self.engine.ws

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/v2"

    @property
    def control(self) -> SandboxControl:
        if self._control is None:
            self._control = SandboxControl(self.base_url)
        return self._control

    def workspace_active_item_ids(self, board_id: str) -> list[str]:
        """Ids of the board's active items (what a full items_page crawl must return), ascending."""
        with self.engine.lock:
            board = self.engine.ws.board(str(board_id))
            return [it.sid for it in board.items if it.state == 0]

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        handler = type("SandboxHandler", (_Handler,), {"engine": self.engine})
        self._httpd = _Server((self.host, self._requested_port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="monday-sandbox",
            daemon=True,
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

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
