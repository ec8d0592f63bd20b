"""Read an iterator a few items ahead in a background thread.

A board is one sequential cursor chain, so the only overlap available is between fetching the
next page (network wait, JSON decode, parsing) and staging the current one in the warehouse.
"""

from __future__ import annotations

import enum
import queue
import threading
from collections.abc import Iterator
from typing import Final, Literal, TypeVar

T = TypeVar("T")


class _Marker(enum.Enum):
    DONE = enum.auto()  # an enum member, so `item is _DONE` narrows the queue entry's type


_DONE: Final = _Marker.DONE
_POLL_SECONDS = 0.1


def prefetched(items: Iterator[T], depth: int = 2, *, name: str = "prefetch") -> Iterator[T]:
    """Yield what `items` yields, in order, with up to `depth` items produced ahead.

    An exception in the producer is re-raised in the consumer at the point it happened. If the
    consumer stops early (it raised, or broke out of the loop), the producer stops at its next item
    and the underlying iterator is closed in its own thread, so no request keeps running behind a
    failed load.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    buffer: queue.Queue[tuple[T | Literal[_Marker.DONE], BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[T | Literal[_Marker.DONE], BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_DONE, None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put((_DONE, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name=name, daemon=True)
    producer.start()
    try:
        while True:
            item, error = buffer.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        producer.join()
