"""Run budgets: the deadline of one run, made current with `within`, caps every statement
timeout at the time the run has left (a system's `query_timeout` larger than an integration's
`timeout` is clamped at run time, since systems are shared) and can cancel the statements in
flight: psycopg's cancel, MySQL/MariaDB `KILL QUERY` from a second connection, SQLite's
interrupt. Work a run hands to another thread takes the budget along (`each_within`,
`carried`): a thread starts with an empty context, where no budget is current."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from datasources.dialect import is_mysql
from datasources.errors import QueryTimeout

log = logging.getLogger("dxq.datasources")
T = TypeVar("T")
R = TypeVar("R")
MIN_TIMEOUT_S = 0.01  # 0 would mean "no timeout" on PostgreSQL and MariaDB


class RunBudget:
    """The deadline (time.monotonic) of one run and the connections it has checked out."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self._checked_out: dict[int, tuple[sa.Engine, Any]] = {}
        self._lock = threading.Lock()
        self.cancelled = False

    def spent(self) -> bool:
        """Whether the run is over: cancelled, or past its deadline."""
        return self.cancelled or time.monotonic() >= self.deadline

    def expired(self) -> bool:
        """Whether the deadline has passed (whether or not the run was cancelled)."""
        return time.monotonic() >= self.deadline

    def timeout_s(self, timeout_s: float) -> float:
        """`timeout_s` capped at the time left (never below MIN_TIMEOUT_S)."""
        return max(MIN_TIMEOUT_S, min(timeout_s, self.deadline - time.monotonic()))

    def add(self, engine: sa.Engine, dbapi_conn: Any) -> None:
        with self._lock:
            self._checked_out[id(dbapi_conn)] = (engine, dbapi_conn)

    def discard(self, dbapi_conn: Any) -> None:
        with self._lock:
            self._checked_out.pop(id(dbapi_conn), None)

    def cancel(self) -> int:
        """Cancel what runs on the connections still checked out, and refuse any later
        statement of the run; returns how many connections were cancelled."""
        self.cancelled = True
        with self._lock:
            held = list(self._checked_out.values())
        for engine, dbapi_conn in held:
            try:
                _cancel(engine, dbapi_conn)
            except Exception as exc:  # the run is over anyway; the statement timeout remains
                shown = _masked(str(engine.url))
                log.warning("could not cancel a statement on %s: %s", shown, exc)
        return len(held)


_budget: ContextVar[RunBudget | None] = ContextVar("dxq_run_budget", default=None)


@contextmanager
def within(budget: RunBudget) -> Iterator[RunBudget]:
    """Make `budget` the current run's budget in this thread (and its copied contexts)."""
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def each_within(pool: Executor, call: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """call(item) for every item on `pool` at once, each in its own copy of this thread's
    context, so the current run budget caps, tracks and cancels their statements too."""
    runs = [(contextvars.copy_context(), item) for item in items]
    return list(pool.map(lambda run: run[0].run(call, run[1]), runs))


def carried(call: Callable[[], None]) -> Callable[[], None]:
    """`call` bound to a copy of this thread's context (its run budget), as a thread's target."""
    context = contextvars.copy_context()
    return lambda: context.run(call)


def statement_timeout_s(timeout_s: float) -> float:
    """A system's statement timeout, capped at the current run's remaining budget."""
    budget = _budget.get()
    return timeout_s if budget is None else budget.timeout_s(timeout_s)


def track_checkouts(engine: sa.Engine) -> None:
    """Register the connections checked out under a run budget with it, so it can cancel;
    once the budget is spent, statements of the run fail before they start."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        budget = _budget.get()
        record.info["dxq_budget"] = budget
        if budget is not None:
            budget.add(engine, dbapi_conn)

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn: sa.Connection, *args: Any) -> None:
        budget = _budget.get()
        if budget is not None and budget.spent():
            raise QueryTimeout(f"{_masked(str(engine.url))}: the run's time budget is spent")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        budget = record.info.pop("dxq_budget", None)
        if budget is not None and dbapi_conn is not None:
            budget.discard(dbapi_conn)


def _cancel(engine: sa.Engine, dbapi_conn: Any) -> None:
    dialect = engine.dialect.name
    if dialect == "postgresql":
        cancel = getattr(dbapi_conn, "cancel_safe", None) or dbapi_conn.cancel
        cancel()
    elif dialect == "sqlite":
        dbapi_conn.interrupt()
    elif is_mysql(dialect):
        thread_id = dbapi_conn.thread_id
        thread_id = thread_id() if callable(thread_id) else thread_id
        killer = engine.pool.recreate()  # a fresh connection, outside the (maybe full) pool
        try:
            other = killer.connect()
            try:
                cursor = other.cursor()
                cursor.execute(f"KILL QUERY {int(thread_id)}")
                cursor.close()
            finally:
                other.close()
        finally:
            killer.dispose()


def current() -> RunBudget | None:
    """The budget of the run this thread is in, if any."""
    return _budget.get()


def _masked(url: str) -> str:
    from datasources.connection import mask_url

    return mask_url(url)
