"""A stream read ahead in a worker thread, so that both databases work at the same time.

The worker starts when the `Prefetch` is made, not when it is first iterated: two prefetched
streams started together run their queries together (a lazy start would run the second query
only after the first had produced a row). Use it as a context manager: leaving the block stops
the worker and closes the underlying stream, whether or not it was read to the end.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from datasources.budget import carried

T = TypeVar("T")
_DONE = object()


class Prefetch(Generic[T]):
    """`items` read in a worker thread, `chunk` items at a time, at most `depth` chunks ahead."""

    def __init__(self, items: Iterator[T], depth: int = 2, chunk: int = 500) -> None:
        self._items, self._chunk = items, chunk
        self._chunks: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        # the stream's queries run in the worker, within the run's budget (datasources/budget.py)
        self._worker = threading.Thread(target=carried(self._work), daemon=True)
        self._worker.start()

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        while True:
            got = self._chunks.get()
            if got is _DONE:
                return
            if isinstance(got, BaseException):
                raise got
            yield from got

    def close(self) -> None:
        """Stop the worker (it closes the stream) and wait for it."""
        self._stop.set()
        self._worker.join(timeout=60)

    def _work(self) -> None:
        batch: list[T] = []
        try:
            for item in self._items:
                batch.append(item)
                if len(batch) >= self._chunk:
                    if not self._put(batch):
                        return
                    batch = []
            if self._put(batch):
                self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def _put(self, item: Any) -> bool:
        """Hand `item` to the consumer; False once the consumer has gone."""
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
