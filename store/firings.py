"""The celery executor's firings in the results store.

A firing is one cron slot of an integration (`<integration>@<slot>`) or one run-now request
(`<integration>@request:<id>`). Its row is inserted once (the key is the primary key), so a
firing is recorded at most once however many schedulers fire it. A task claims the row before
it runs; a second delivery of the same firing finds it running (under a live worker) or done
and does not run it again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from store.scheduling import dialect_insert, take_slot
from store.schema import firings, heartbeats, runs
from store.store import ResultStore
from store.types import require_utc


class State(StrEnum):
    PENDING = "pending"  # recorded, not yet on the broker (it was down)
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True)
class Firing:
    key: str
    integration: str
    trigger: str
    scheduled_for: datetime | None
    queue: str
    state: str
    owner: str | None = None
    until: datetime | None = None
    run_id: int | None = None


def firing_key(integration: str, slot: datetime | None, request: int | None = None) -> str:
    """The unique key of a cron slot or of a run-now request."""
    if slot is not None:
        return f"{integration}@{require_utc(slot, 'slot').isoformat()}"
    return f"{integration}@request:{request}"


def integration_of(key: str) -> str:
    """The integration a firing key (`firing_key`) is about."""
    return key.rpartition("@")[0]


def record(
    store: ResultStore, firing: Firing, now: datetime, slot_owner: str | None = None
) -> bool:
    """Insert the firing in its state: pending, or queued when the caller sends it to the
    broker at once; False when it was already recorded. With `slot_owner`, a cron firing's
    slot is claimed for it in the same transaction (`scheduling.claim_slot`): False when
    another scheduler claimed it first."""
    with store.transaction() as tx:
        return record_in(tx.connection, firing, now, slot_owner)


def record_in(
    connection: sa.Connection, firing: Firing, now: datetime, slot_owner: str | None = None
) -> bool:
    """`record` inside the caller's transaction (the scheduler records firings due together
    in one)."""
    if firing.state not in (State.PENDING, State.QUEUED):
        raise ValueError(f"a firing is recorded pending or queued, not {firing.state}")
    row = {
        "key": firing.key,
        "integration": firing.integration,
        "trigger": firing.trigger,
        "scheduled_for": firing.scheduled_for,
        "queue": firing.queue,
        "state": str(firing.state),
        "created_at": require_utc(now, "now"),
    }
    if slot_owner is not None and firing.scheduled_for is not None:
        slot = firing.scheduled_for
        if not take_slot(connection, firing.integration, slot, slot_owner):
            return False
    stmt = (
        dialect_insert(connection, firings)
        .on_conflict_do_nothing(index_elements=[firings.c.key])
        .returning(firings.c.key)
    )
    return connection.execute(stmt, row).scalar_one_or_none() is not None


def pending(store: ResultStore, limit: int = 500) -> list[Firing]:
    """Firings recorded but not yet handed to the broker, oldest first."""
    stmt = (
        sa.select(*_COLUMNS)
        .where(firings.c.state == State.PENDING.value)
        .order_by(firings.c.created_at, firings.c.key)
        .limit(limit)
    )
    with store.transaction() as tx:
        return [Firing(*row) for row in tx.connection.execute(stmt).all()]


def take_for_sending(store: ResultStore, key: str) -> bool:
    """Move a pending firing to queued before it is sent; False when another scheduler took
    it first (so two schedulers never send the same firing)."""
    f = firings.c
    stmt = firings.update().where(f.key == key, f.state == State.PENDING.value)
    with store.transaction() as tx:
        return tx.connection.execute(stmt.values(state=State.QUEUED.value)).rowcount == 1


def back_to_pending(store: ResultStore, key: str) -> None:
    """A firing that could not be sent waits again."""
    f = firings.c
    stmt = firings.update().where(f.key == key, f.state == State.QUEUED.value)
    with store.transaction() as tx:
        tx.connection.execute(stmt.values(state=State.PENDING.value))


def get(store: ResultStore, key: str) -> Firing | None:
    with store.transaction() as tx:
        row = tx.connection.execute(sa.select(*_COLUMNS).where(firings.c.key == key)).first()
    return None if row is None else Firing(*row)


def take(store: ResultStore, key: str, owner: str, until: datetime) -> Firing | None:
    """Take a pending or queued firing to run it (one statement, the usual case); None when
    it is not waiting (running, done or unknown)."""
    f = firings.c
    stmt = (
        firings.update()
        .where(f.key == key, f.state.in_([State.PENDING.value, State.QUEUED.value]))
        .values(state=State.RUNNING.value, owner=owner, until=require_utc(until, "until"))
        .returning(*_COLUMNS)
    )
    with store.transaction() as tx:
        row = tx.connection.execute(stmt).first()
    return None if row is None else Firing(*row)


def claim(
    store: ResultStore,
    key: str,
    owner: str,
    until: datetime,
    now: datetime,
    dead: Collection[str] = (),
) -> bool:
    """Take the firing to run it: when it is pending or queued, or running under an owner that
    is `dead` or whose hold ran out before `now`. True when taken here."""
    f = firings.c
    takeable = sa.or_(
        f.state.in_([State.PENDING.value, State.QUEUED.value]),
        sa.and_(
            f.state == State.RUNNING.value,
            sa.or_(f.until < require_utc(now, "now"), f.owner.in_(list(dead))),
        ),
    )
    stmt = (
        firings.update()
        .where(f.key == key, takeable)
        .values(state=State.RUNNING.value, owner=owner, until=require_utc(until, "until"))
    )
    with store.transaction() as tx:
        return tx.connection.execute(stmt).rowcount == 1


def finish(store: ResultStore, key: str, owner: str, run_id: int | None) -> bool:
    """Mark the firing done by `owner`; False when another owner took it meanwhile."""
    f = firings.c
    stmt = firings.update().where(f.key == key, f.owner == owner, f.state == State.RUNNING.value)
    with store.transaction() as tx:
        return (
            tx.connection.execute(stmt.values(state=State.DONE.value, run_id=run_id)).rowcount == 1
        )


def release(store: ResultStore, key: str, owner: str) -> None:
    """Give a claimed firing back (queued again) without running it."""
    f = firings.c
    stmt = firings.update().where(f.key == key, f.owner == owner, f.state == State.RUNNING.value)
    with store.transaction() as tx:
        tx.connection.execute(stmt.values(state=State.QUEUED.value, owner=None, until=None))


def close_abandoned(store: ResultStore, key: str, reason: str, now: datetime) -> list[int]:
    """Close the runs of the firing still marked `running` (their worker died) as `error`."""
    r = runs.c
    with store.transaction() as tx:
        ids = list(
            tx.connection.execute(
                sa.select(r.id).where(r.firing == key, r.status == "running")
            ).scalars()
        )
        if ids:
            tx.connection.execute(
                runs.update()
                .where(r.id.in_(ids), r.status == "running")
                .values(status="error", reason=reason, finished_at=require_utc(now, "now"))
            )
    return [int(i) for i in ids]


def in_flight(store: ResultStore) -> dict[str, int]:
    """How many firings each owner holds running."""
    f = firings.c
    stmt = (
        sa.select(f.owner, sa.func.count())
        .where(f.state == State.RUNNING.value, f.owner.is_not(None))
        .group_by(f.owner)
    )
    with store.transaction() as tx:
        return {str(o): int(n) for o, n in tx.connection.execute(stmt).all()}


def worker_beats(store: ResultStore) -> list[dict[str, Any]]:
    """The heartbeats of `dxq worker` processes (info kind `worker`), newest tick first."""
    stmt = sa.select(heartbeats).order_by(heartbeats.c.last_tick_at.desc())
    with store.transaction() as tx:
        rows = [dict(row) for row in tx.connection.execute(stmt).mappings().all()]
    return [row for row in rows if (row.get("info") or {}).get("kind") == "worker"]


_COLUMNS = (
    firings.c.key,
    firings.c.integration,
    firings.c.trigger,
    firings.c.scheduled_for,
    firings.c.queue,
    firings.c.state,
    firings.c.owner,
    firings.c.until,
    firings.c.run_id,
)
