"""A real HTTP transport that can act between two requests of a pull (tests only).

The Monday client accepts any httpx transport; this one is httpx's own, sending every request over
real HTTP, and runs an action just before the n-th request of a named GraphQL operation: e.g. add
a column to the sandbox board, or make the next requests fail, in the middle of a cursor chain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx


class BeforeRequest(httpx.HTTPTransport):
    def __init__(self, operation: str, nth: int, action: Callable[[], object]) -> None:
        super().__init__()
        self.marker = f"query {operation}(".encode()
        self.nth = nth
        self.action = action
        self.seen = 0
        self.fired = False
        self._lock = threading.Lock()  # the client sends the next page from a worker thread

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fire = False
        if self.marker in request.content:
            with self._lock:
                self.seen += 1
                fire = self.seen == self.nth
        if fire:
            self.action()
            self.fired = True
        return super().handle_request(request)
