"""HTTP front of the sandbox: stdlib ThreadingHTTPServer in a background thread.

Routes: `POST /v2` (the GraphQL API; `GET /v2` gets Monday's 400 for a request without a JSON
body), `POST /_sandbox/control` and `GET /_sandbox/health`.
The control endpoint is deliberately unauthenticated: the sandbox is a loopback test tool and
binds 127.0.0.1 by default; never expose it on a shared network.
"""

from __future__ import annotations

from customer_master.sandbox.control import SandboxControl
from customer_master.sandbox.engine import SANDBOX_TOKEN, SandboxEngine
from customer_master.sandbox.generator import WorkspaceSpec
from customer_master.sandbox.serving import BackgroundServer, EngineHandler, Response, path_of


class SandboxHandler(EngineHandler):
    server_version = "monday-sandbox"
    engine: SandboxEngine

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        path = path_of(self.path)
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
        path = path_of(self.path)
        if path == "/_sandbox/health":
            self._send(self.engine.health())
        elif path == "/v2":
            # Monday answers a GET like any request without a JSON body, after the token check.
            with self.engine.inflight_guard():
                self._send(self.engine.handle_graphql(self.headers, self._body(), method="GET"))
        else:
            self._send(Response(404, b'{"error":"not found"}'))


class SandboxServer(BackgroundServer[SandboxControl]):
    """The Monday sandbox on a loopback port, served from a background thread.

    >>> with SandboxServer(WorkspaceSpec(orders=200)) as sb:
    ...     sb.url  # 'http://127.0.0.1:<port>/v2'
    """

    handler = SandboxHandler
    control_class = SandboxControl
    thread_name = "monday-sandbox"

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
        webhook_retry_seconds: float | None = None,
        webhook_signing_secret: str | None = None,
    ) -> None:
        super().__init__(host, port)
        self.spec = spec or WorkspaceSpec()
        self.token = token
        self.engine = SandboxEngine(
            self.spec,
            token=token,
            latency_ms=latency_ms,
            complexity_budget_per_minute=complexity_budget_per_minute,
            cursor_ttl_seconds=cursor_ttl_seconds,
            webhook_retry_seconds=webhook_retry_seconds,
            webhook_signing_secret=webhook_signing_secret,
        )

    def stop(self) -> None:
        super().stop()
        self.engine.webhooks.close()  # pending deliveries and retries end with the server

    @property
    def board_ids(self) -> dict[str, str]:
        """entity -> board id of the workspace being served (follows `control.reset(account=...)`)."""
        return {b.key: b.id for b in self.engine.ws.boards.values()}

    @property
    def workspace(self):
        return self.engine.ws

    @property
    def url(self) -> str:
        return f"{self.base_url}/v2"

    def workspace_active_item_ids(self, board_id: str) -> list[str]:
        """Ids of the board's active items (what a full items_page crawl must return), ascending."""
        with self.engine.lock:
            board = self.engine.ws.board(str(board_id))
            return [it.sid for it in board.items if it.state == 0]
