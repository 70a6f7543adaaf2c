"""The scheduler's rows in the results store: leases, run-now requests, heartbeats, stale runs.

Leases are rows of `leases` keyed by name, held by an owner until a time. Taking one is a
single `INSERT … ON CONFLICT DO UPDATE … WHERE until < now` statement, atomic on PostgreSQL and
SQLite, so two schedulers on one store never both hold it. A cron slot is claimed the same way
(a row named `slot:<integration>` whose `until` is the last claimed fire time), so each firing
runs once even when two schedulers fire it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from store.errors import StoreError
from store.schema import alerts, heartbeats, leases, run_requests, runs
from store.store import ResultStore
from store.types import require_utc

RUN_LEASE = "run:"  # the lease an integration's run holds: `run:<integration>`
SLOT_LEASE = "slot:"  # the last claimed cron firing of an integration: `slot:<integration>`


def process_id(host: str | None = None, pid: int | None = None) -> str:
    """A new id for one scheduler or dispatcher, `host:pid:tag`, as leases name their owner."""
    host = host if host is not None else socket.gethostname()
    pid = pid if pid is not None else os.getpid()
    return f"{host}:{pid}:{uuid.uuid4().hex[:8]}"


def owner_pid(owner: str, host: str) -> int | None:
    """The pid in a process id (`process_id`) when it is on `host`."""
    parts = owner.split(":")
    if len(parts) >= 3 and ":".join(parts[:-2]) == host and parts[-2].isdigit():
        return int(parts[-2])
    return None


def run_lease(integration: str) -> str:
    """The name of the lease an integration's run holds."""
    return f"{RUN_LEASE}{integration}"


def leased_integration(name: str) -> str | None:
    """The integration a run lease is about; None for any other lease."""
    return name.removeprefix(RUN_LEASE) if name.startswith(RUN_LEASE) else None


@dataclass(frozen=True)
class RunRequest:
    """A queued request to run one integration now."""

    id: int
    integration: str
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True)
class RunningRun:
    """A run still marked `running`, with the process that started it."""

    id: int
    integration: str
    started_at: datetime
    host: str | None
    pid: int | None
    worker: str | None = None  # the `dxq worker` executing it (executor: celery)


def dialect_insert(connection: sa.Connection, table: sa.Table) -> Any:
    """An INSERT with ON CONFLICT (PostgreSQL and SQLite, the scheduler's stores)."""
    name = connection.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"the scheduler needs a PostgreSQL or SQLite results store, not {name}")


def _take(
    connection: sa.Connection, name: str, owner: str, until: datetime, free_before: datetime
) -> bool:
    """Insert or take over the row `name` when its `until` is before `free_before`."""
    stmt = dialect_insert(connection, leases)
    stmt = stmt.on_conflict_do_update(
        index_elements=[leases.c.name],
        set_={"owner": stmt.excluded.owner, "until": stmt.excluded.until},
        where=leases.c.until < free_before,
    ).returning(leases.c.owner)
    row = {"name": name, "owner": owner, "until": require_utc(until, "until")}
    return connection.execute(stmt, row).scalar_one_or_none() is not None


def acquire_lease(
    store: ResultStore, name: str, owner: str, until: datetime, now: datetime
) -> bool:
    """Take the lease `name` until `until` if nobody holds it at `now`; True when taken."""
    with store.transaction() as tx:
        return _take(tx.connection, name, owner, until, require_utc(now, "now"))


def renew_lease(store: ResultStore, name: str, owner: str, until: datetime) -> bool:
    """Extend a lease `owner` holds; False when it is no longer theirs."""
    with store.transaction() as tx:
        stmt = (
            leases.update()
            .where(leases.c.name == name, leases.c.owner == owner)
            .values(until=require_utc(until, "until"))
        )
        return tx.connection.execute(stmt).rowcount == 1


def release_lease(store: ResultStore, name: str, owner: str, until: datetime | None = None) -> bool:
    """Give a lease back; False when `owner` did not hold it (or, given `until`, holds it no
    longer as read then: taken again since)."""
    with store.transaction() as tx:
        stmt = leases.delete().where(leases.c.name == name, leases.c.owner == owner)
        if until is not None:
            stmt = stmt.where(leases.c.until == require_utc(until, "until"))
        return tx.connection.execute(stmt).rowcount == 1


def leases_of(store: ResultStore, owner: str) -> dict[str, datetime]:
    """The leases `owner` holds: name -> until."""
    with store.transaction() as tx:
        found = tx.connection.execute(
            sa.select(leases.c.name, leases.c.until).where(leases.c.owner == owner)
        ).all()
    return {str(name): _aware(until) for name, until in found}


def lease_holders(store: ResultStore, now: datetime) -> dict[str, str]:
    """The leases held at `now`: name -> owner."""
    with store.transaction() as tx:
        found = tx.connection.execute(
            sa.select(leases.c.name, leases.c.owner).where(leases.c.until >= require_utc(now))
        ).all()
    return {str(name): str(owner) for name, owner in found}


def drop_leases_of(store: ResultStore, owners: Sequence[str]) -> int:
    """Delete every lease of the given (dead) owners; returns how many."""
    if not owners:
        return 0
    with store.transaction() as tx:
        return tx.connection.execute(leases.delete().where(leases.c.owner.in_(owners))).rowcount


def claim_slot(store: ResultStore, integration: str, fire_time: datetime, owner: str) -> bool:
    """Claim the cron firing of `integration` at `fire_time`; only the first claimer wins."""
    with store.transaction() as tx:
        return take_slot(tx.connection, integration, fire_time, owner)


def take_slot(connection: sa.Connection, integration: str, fire_time: datetime, owner: str) -> bool:
    """`claim_slot` inside the caller's transaction."""
    at = require_utc(fire_time, "fire_time")
    return _take(connection, f"{SLOT_LEASE}{integration}", owner, at, at)


def enqueue_run(store: ResultStore, integration: str, requested_by: str, now: datetime) -> int:
    """Queue a request to run `integration` now; returns its id."""
    row = {
        "integration": integration,
        "requested_by": requested_by,
        "requested_at": require_utc(now, "now"),
        "status": "queued",
    }
    with store.transaction() as tx:
        stmt = run_requests.insert().returning(run_requests.c.id)
        return int(tx.connection.execute(stmt, row).scalar_one())


def queued_requests(store: ResultStore, limit: int = 100) -> list[RunRequest]:
    """The oldest queued run requests."""
    rr = run_requests.c
    stmt = (
        sa.select(rr.id, rr.integration, rr.requested_by, rr.requested_at)
        .where(rr.status == "queued")
        .order_by(rr.requested_at, rr.id)
        .limit(limit)
    )
    with store.transaction() as tx:
        return [RunRequest(*row) for row in tx.connection.execute(stmt).all()]


def claim_requests(store: ResultStore, integration: str) -> list[int]:
    """Mark every queued request of `integration` as running; returns the ids claimed here."""
    rr = run_requests.c
    with store.transaction() as tx:
        ids = tx.connection.execute(
            sa.select(rr.id).where(rr.integration == integration, rr.status == "queued")
        ).scalars()
        claimed = []
        for request_id in ids.all():
            stmt = run_requests.update().where(rr.id == request_id, rr.status == "queued")
            if tx.connection.execute(stmt.values(status="running")).rowcount == 1:
                claimed.append(int(request_id))
        return claimed


def finish_requests(store: ResultStore, ids: Sequence[int], run_id: int | None) -> None:
    """Mark claimed requests as done, pointing at the run that served them."""
    if ids:
        with store.transaction() as tx:
            stmt = run_requests.update().where(run_requests.c.id.in_(list(ids)))
            tx.connection.execute(stmt.values(status="done", run_id=run_id))


def requeue_orphans(store: ResultStore, busy: Collection[str]) -> int:
    """Put requests left `running` back in the queue unless their integration is `busy` (its
    run lease is held), because then the process that claimed them is gone."""
    rr = run_requests.c
    with store.transaction() as tx:
        stmt = run_requests.update().where(rr.status == "running", rr.run_id.is_(None))
        if busy:
            stmt = stmt.where(rr.integration.not_in(list(busy)))
        return tx.connection.execute(stmt.values(status="queued")).rowcount


def beat(
    store: ResultStore,
    process_id: str,
    *,
    host: str,
    pid: int,
    started_at: datetime,
    now: datetime,
    info: Mapping[str, Any],
) -> None:
    """Insert or update this process's heartbeat."""
    row = {
        "process_id": process_id,
        "host": host,
        "pid": pid,
        "started_at": require_utc(started_at, "started_at"),
        "last_tick_at": require_utc(now, "now"),
        "info": dict(info),
    }
    with store.transaction() as tx:
        stmt = dialect_insert(tx.connection, heartbeats)
        stmt = stmt.on_conflict_do_update(
            index_elements=[heartbeats.c.process_id],
            set_={"last_tick_at": stmt.excluded.last_tick_at, "info": stmt.excluded.info},
        )
        tx.connection.execute(stmt, row)


def running_runs(store: ResultStore) -> list[RunningRun]:
    """Runs still marked `running`."""
    r = runs.c
    stmt = sa.select(r.id, r.integration, r.started_at, r.host, r.pid, r.worker).where(
        r.status == "running"
    )
    with store.transaction() as tx:
        return [RunningRun(*row) for row in tx.connection.execute(stmt.order_by(r.id)).all()]


def fail_run(store: ResultStore, run_id: int, reason: str, now: datetime) -> bool:
    """Turn one `running` run into an `error` run with `reason`; False if it was not running."""
    stmt = (
        runs.update()
        .where(runs.c.id == run_id, runs.c.status == "running")
        .values(status="error", reason=reason, finished_at=require_utc(now, "now"))
    )
    with store.transaction() as tx:
        return tx.connection.execute(stmt).rowcount == 1


def note_running(store: ResultStore, run_id: int, note: str) -> bool:
    """Show what a running run is doing (waiting for a system) as its reason; False when it
    is no longer running. Its completion replaces the note."""
    stmt = runs.update().where(runs.c.id == run_id, runs.c.status == "running").values(reason=note)
    with store.transaction() as tx:
        return tx.connection.execute(stmt).rowcount == 1


def last_reports(store: ResultStore) -> dict[str, datetime]:
    """When each integration last finished a run (any outcome)."""
    r = runs.c
    stmt = (
        sa.select(r.integration, sa.func.max(r.finished_at))
        .where(r.status != "running")
        .group_by(r.integration)
    )
    with store.transaction() as tx:
        found = tx.connection.execute(stmt).all()
    return {str(name): _aware(at) for name, at in found if at is not None}


def _aware(value: Any) -> datetime:
    """max() over a UTCDateTime column comes back raw on SQLite: read it as UTC."""
    if isinstance(value, datetime):
        return require_utc(value)
    return require_utc(datetime.fromisoformat(str(value)))


def open_missed(store: ResultStore) -> set[str]:
    """The integrations with a `missed` alert not yet resolved."""
    a = alerts.c
    stmt = sa.select(a.integration).where(a.kind == "missed", a.state != "resolved").distinct()
    with store.transaction() as tx:
        return {str(name) for name in tx.connection.execute(stmt).scalars()}


def drop_requests(store: ResultStore, ids: Sequence[int]) -> int:
    """Mark queued requests as done without a run (their integration left the monitor file)."""
    if not ids:
        return 0
    rr = run_requests.c
    stmt = run_requests.update().where(rr.id.in_(list(ids)), rr.status == "queued")
    with store.transaction() as tx:
        return tx.connection.execute(stmt.values(status="done")).rowcount
