"""The read-ahead stream both sides of a reconcile are read through."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from checks.reconcile.checksum_engine import collect
from checks.reconcile.prefetch import Prefetch


def _numbers(n: int, started: threading.Event, closed: threading.Event) -> Iterator[int]:
    started.set()
    try:
        yield from range(n)
    finally:
        closed.set()


def test_the_worker_starts_before_the_stream_is_read() -> None:
    """Two prefetched queries must run together: each starts when it is made, not when the
    consumer first asks it for a row (the merge asks one side first and waits there)."""
    first, second = threading.Event(), threading.Event()
    closed = threading.Event()
    with Prefetch(_numbers(10, first, closed)), Prefetch(_numbers(10, second, closed)):
        assert first.wait(5) and second.wait(5)


def test_all_items_arrive_in_order_across_chunks() -> None:
    started, closed = threading.Event(), threading.Event()
    with Prefetch(_numbers(10_007, started, closed), depth=2, chunk=100) as stream:
        assert list(stream) == list(range(10_007))
    assert closed.is_set()


def test_leaving_early_stops_the_worker_and_closes_the_stream() -> None:
    started, closed = threading.Event(), threading.Event()
    stream = Prefetch(_numbers(1_000_000, started, closed), depth=1, chunk=10)
    with stream:
        assert next(iter(stream)) == 0
    assert closed.wait(5), "the underlying stream (a database cursor) was left open"
    assert not stream._worker.is_alive()


def test_an_error_in_the_stream_reaches_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("connection lost")

    with Prefetch(failing(), chunk=1) as stream, pytest.raises(RuntimeError, match="lost"):
        list(stream)


def test_bucket_sums_are_indexed_by_bucket_and_keep_the_low_64_bits() -> None:
    big = (1 << 64) + 5  # 32 rows of 60-bit hashes can pass 2**64
    source = collect(iter([(3, 32, big, 0), (1, 1, 12, 1)]), 4)  # in no particular order
    assert list(source.rows) == [0, 1, 0, 32]
    assert list(source.sums) == [0, 12, 0, 5]
    target = collect(iter([(3, 32, 5, 0), (1, 1, 12, 1), (2, 1, 9, 0)]), 4)
    assert source.agrees(target, 0)  # empty on both sides
    assert not source.agrees(target, 1)  # equal, but in flight: compared row by row
    assert not source.agrees(target, 2)  # a row only in the target
    assert source.agrees(target, 3)  # sums equal modulo 2**64
