"""Serving pieces shared by the Monday sandbox and the OMS emulator (oms/): the HTTP handler and
server, the background-thread lifecycle, the control-op runner, the control client, the CLI's
`serve` loop and the subprocess launcher that waits for the "listening on" line.

Only stdlib, orjson and httpx: both emulators' packages import this module.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar

import httpx
import orjson

START_TIMEOUT_SECONDS = 60
REASONS = {
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


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json; charset=utf-8"
    is_error: bool = True  # read by the Monday engine's errors_returned counter only


# ----------------------------------------------------------------------- engine side


def run_control_op(target: object, body: bytes) -> tuple[int, bytes]:
    """Runs `{"op": name, **args}` as `target.op_<name>(**args)`: (HTTP status, JSON body). A refused
    op (bad JSON, unknown op, bad arguments: ValueError, KeyError, TypeError) is a 400."""
    try:
        payload = orjson.loads(body or b"{}")
        if not isinstance(payload, dict) or "op" not in payload:
            raise ValueError('expected a JSON object with an "op"')
        op = payload.pop("op")
        handler = getattr(target, f"op_{op}", None)
        if handler is None:
            raise ValueError(f"unknown op {op!r}")
        result = handler(**payload)
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        return 400, orjson.dumps({"ok": False, "error": msg})
    return 200, orjson.dumps({"ok": True, "result": result}, default=str)


def parse_clock(now: object) -> dt.datetime | None:
    """A `set_clock` value (ISO 8601, `Z` allowed, naive = UTC) as aware UTC; None stays None."""
    if now is None:
        return None
    parsed = dt.datetime.fromisoformat(str(now).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


# ----------------------------------------------------------------------- HTTP


def path_of(target: str) -> str:
    """The request target without its query string or trailing slash."""
    return target.split("?", 1)[0].rstrip("/")


class EngineHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 handler; subclasses route to `engine` (set on a per-server subclass)."""

    protocol_version = "HTTP/1.1"
    sys_version = ""
    engine: Any

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
        lines = [f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Status')}"]
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


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        # Clients hanging up (timeouts, shutdown) are normal for a fault-injecting test server.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


# ----------------------------------------------------------------------- control client


class ControlClient:
    """Client of an emulator's control endpoint (`POST /_sandbox/control`, `GET /_sandbox/health`)."""

    error: type[RuntimeError] = RuntimeError  # raised when the endpoint refuses an op
    api_suffixes: tuple[str, ...] = ()  # stripped from a given API URL to reach the server root

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        base = base_url.rstrip("/")
        for suffix in self.api_suffixes:
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        self.base_url = base
        self._client = httpx.Client(base_url=base, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _op(self, op: str, **params: Any) -> Any:
        resp = self._client.post("/_sandbox/control", json={"op": op, **params})
        try:
            payload = resp.json()
        except ValueError:
            raise self.error(f"{op}: HTTP {resp.status_code}: {resp.text[:200]}") from None
        if resp.status_code != 200 or not payload.get("ok"):
            raise self.error(f"{op}: {payload.get('error') or resp.status_code}")
        return payload.get("result")

    def health(self) -> dict:
        resp = self._client.get("/_sandbox/health")
        resp.raise_for_status()
        return resp.json()


# ----------------------------------------------------------------------- lifecycle

C = TypeVar("C", bound=ControlClient)


class BackgroundServer(Generic[C]):
    """An engine served on a loopback port from a background thread; a context manager.
    Subclasses set `handler`, `control_class`, `thread_name`, `self.engine` and the `url` property."""

    handler: type[EngineHandler]
    control_class: type[C]
    thread_name: str
    engine: Any

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self._requested_port = port
        self._httpd: QuietServer | None = None
        self._thread: threading.Thread | None = None
        self.port: int = port
        self._control: C | None = None

    @property
    def base_url(self) -> str:
        """http://host:port (the control endpoint lives here)."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        raise NotImplementedError

    @property
    def control(self) -> C:
        if self._control is None:
            self._control = self.control_class(self.base_url)
        return self._control

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        handler = type(self.handler.__name__, (self.handler,), {"engine": self.engine})
        self._httpd = QuietServer((self.host, self._requested_port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=self.thread_name,
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ----------------------------------------------------------------------- CLI and subprocess


def serve_parser(
    prog: str, description: str | None, summary: str
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The CLI's parser and its `serve` subcommand (`summary` is its help); the caller adds the flags."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    return parser, sub.add_parser("serve", help=summary)


def add_host_port(serve: argparse.ArgumentParser, port: int) -> None:
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=port, help="0 picks a free port")


def serve_until_signalled(server: BackgroundServer, label: str, configure: Callable[[], object]) -> int:
    """`serve` in a dedicated process: start, `configure()` (faults from flags), print the one line
    `<label> listening on <url>`, serve until SIGTERM or SIGINT; returns the exit code 0."""
    # A dedicated process: freeze the generated data out of the cyclic GC (see the engines' _fresh).
    server.engine.freeze_gc = True
    gc.freeze()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    configure()
    print(f"{label} listening on {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


@contextmanager
def listening_process(cmd: Sequence[str]) -> Iterator[str]:
    """Run `cmd` (a `serve` CLI); yields the URL of its "listening on" line; terminates it after."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        yield wait_for_listening_line(proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for_listening_line(proc: subprocess.Popen) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox exited before it was ready (exit code {proc.poll()})")
        if "listening on" in line:
            return line.rsplit(" ", 1)[-1].strip()
    raise RuntimeError(f"the sandbox did not start within {START_TIMEOUT_SECONDS} s")
