"""Pooled connections are tested before use only when they sat idle in the pool.

SQLAlchemy's `pool_pre_ping` sends a `SELECT 1` on every checkout: a celery run checks out
about ten connections, so ten round trips and as many statements for PostgreSQL to parse,
although a connection used a moment ago is almost surely alive. What the ping is for is a
connection that outlived its server (restarted, failed over, a proxy that dropped it) while it
waited in the pool. So a connection is pinged when it has been idle for `IDLE_PING_AFTER_S`
or longer; a failed ping invalidates the pool and the checkout goes on with a new connection,
as with `pool_pre_ping` (SQLAlchemy's documented checkout-event form of the pessimistic
disconnect handling: raising `DisconnectionError` from a `checkout` listener).

A server that goes away within that second after a connection's last use is found by the
statement instead, which then fails with a disconnect error as any statement in flight at the
moment of an outage does; SQLAlchemy invalidates the pool on it, and the callers' own handling
of an unreachable database applies (the store's `StoreUnavailable`, a system's `unreachable`
cause).

The same check-ins tell when an engine's server last answered (`answered_within`): the run
path does not probe a system that answered a moment ago (monitor/run/retry.py)."""

from __future__ import annotations

import time
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

IDLE_PING_AFTER_S = 1.0
_CHECKED_IN = "dxq_checked_in"
_answered: weakref.WeakKeyDictionary[sa.Engine, float] = weakref.WeakKeyDictionary()


def ping_when_idle(engine: sa.Engine, idle_s: float = IDLE_PING_AFTER_S) -> None:
    """Ping `engine`'s pooled connections on checkout when idle for `idle_s` or longer."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        if record is not None and dbapi_conn is not None:  # None: invalidated (disconnected)
            record.info[_CHECKED_IN] = _answered[engine] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_CHECKED_IN)
        if last is None or time.monotonic() - last < idle_s:
            return  # new (just connected), or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the driver's own error kinds; any means: reconnect
            raise sa.exc.InvalidatePoolError(f"idle connection failed its ping: {exc}") from exc


def answered_within(engine: sa.Engine, seconds: float = IDLE_PING_AFTER_S) -> bool:
    """Whether a connection of `engine` (with `ping_when_idle`) came back from use, not
    invalidated by a disconnect, within the last `seconds`: its server answered then."""
    last = _answered.get(engine)
    return last is not None and time.monotonic() - last < seconds
