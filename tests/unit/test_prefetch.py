"""`prefetched`: order, error propagation, and a producer that stops when the consumer does."""

from __future__ import annotations

import threading

import pytest

from customer_master.monday.prefetch import prefetched


def test_yields_every_item_in_order():
    assert list(prefetched(iter(range(1000)), depth=3)) == list(range(1000))


def test_an_empty_source_yields_nothing():
    assert list(prefetched(iter([]))) == []


def test_a_producer_error_is_raised_in_the_consumer_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise RuntimeError("cursor expired for good")

    seen = []
    with pytest.raises(RuntimeError, match="cursor expired for good"):
        for item in prefetched(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_a_consumer_that_stops_early_stops_and_closes_the_producer():
    produced = []
    closed = threading.Event()

    def source():
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    stream = prefetched(source(), depth=2)
    assert next(stream) == 0
    stream.close()  # what a `for` loop does when its body raises

    assert closed.is_set()
    assert len(produced) <= 4  # one handed out, at most `depth` buffered, one in hand


def test_the_producer_runs_ahead_in_another_thread():
    threads = set()

    def source():
        for i in range(5):
            threads.add(threading.current_thread().name)
            yield i

    assert list(prefetched(source(), name="pages-ahead")) == list(range(5))
    assert threads == {"pages-ahead"}


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        list(prefetched(iter([1]), depth=0))
