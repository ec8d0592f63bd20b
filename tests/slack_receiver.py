"""A stand-in for Slack's incoming webhook on 127.0.0.1 (real HTTP, for the notifier's tests).

It records every POST (path, headers, raw body, parsed JSON) and answers 200 "ok" like Slack, unless
told otherwise: `respond(status, times=N, body=..., headers=...)` scripts the next N answers
(e.g. 500), `rate_limit(retry_after, times=N)` answers 429 with a `Retry-After`, `delay(seconds,
times=N)` makes the next N requests wait before answering (a slow Slack, to run into the client's
timeout), and `trickle(interval, times=N)` sends the whole answer one byte every `interval` seconds
(a connection that never times out per read). Scripts are consumed in order.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T0TEST000/B0TEST000/sEcReTtOkEn1234567890"


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any


@dataclass
class _Script:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0  # seconds between bytes of the answer; 0: sent at once


class SlackReceiver:
    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        # How long each trickled answer kept its connection (ends when the client hangs up).
        self.trickle_seconds: list[float] = []
        self._scripts: deque[_Script] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                script = receiver._record(
                    ReceivedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body, parsed)
                )
                if script.delay and receiver._stopping.wait(script.delay):
                    return
                data = script.body.encode()
                if script.trickle:
                    receiver._trickle(self, script, data)
                    return
                try:
                    self.send_response(script.status)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in script.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (timeout): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="slack-receiver",
            daemon=True,
        )

    # --- scripting -----------------------------------------------------------------------

    def respond(self, status: int, *, times: int = 1, body: str = "", headers: dict[str, str] | None = None):
        """Answer the next `times` requests with `status` (body e.g. "invalid_payload")."""
        with self._lock:
            for _ in range(times):
                self._scripts.append(_Script(status=status, body=body, headers=dict(headers or {})))
        return self

    def rate_limit(self, retry_after: str | float, *, times: int = 1):
        """Answer the next `times` requests 429 "rate_limited" with `Retry-After: retry_after`."""
        return self.respond(429, times=times, body="rate_limited", headers={"Retry-After": str(retry_after)})

    def trickle(self, interval: float, *, times: int = 1, status: int = 200, body: str = "ok"):
        """Send the next `times` answers (status line, headers, body) one byte every `interval` s."""
        with self._lock:
            for _ in range(times):
                self._scripts.append(_Script(status=status, body=body, trickle=interval))
        return self

    def _trickle(self, handler: BaseHTTPRequestHandler, script: _Script, data: bytes) -> None:
        head = (
            f"HTTP/1.1 {script.status} OK\r\nContent-Type: text/html\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        started = time.monotonic()
        for byte in head.encode() + data:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                break  # the client hung up: what a deadline should do
            if self._stopping.wait(script.trickle):
                break
        with self._lock:
            self.trickle_seconds.append(time.monotonic() - started)
        handler.close_connection = True

    def delay(self, seconds: float, *, times: int = 1, status: int = 200):
        """Hold the next `times` requests for `seconds` before answering `status`."""
        with self._lock:
            for _ in range(times):
                self._scripts.append(_Script(status=status, delay=seconds))
        return self

    def _record(self, request: ReceivedRequest) -> _Script:
        with self._lock:
            self.requests.append(request)
            return self._scripts.popleft() if self._scripts else _Script()

    # --- what was received ---------------------------------------------------------------

    @property
    def payloads(self) -> list[Any]:
        with self._lock:
            return [r.json for r in self.requests]

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The fake webhook URL (treat it as the secret it stands for)."""
        return self.base_url + WEBHOOK_PATH

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> SlackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SlackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
