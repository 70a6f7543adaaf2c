"""The weekly digest e-mails in the results store: one row per owner and week (its primary
key), so a digest is sent at most once however many schedulers share the store.

A sender claims the row before it sends (`claim`: inserted as `sending`, or taken over when
the last attempt failed or its holder's hold ran out) and marks it `sent` after; a failed send
is marked `failed` with its error and claimed again on the next pass (a permanent failure,
such as a refused recipient, after a wait given by the sender). A sender that dies while
sending holds the row until `until`: after that another one sends it (at least once, never
twice while the holder lives)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from store.scheduling import dialect_insert
from store.schema import digests
from store.store import ResultStore
from store.types import require_utc


class State(StrEnum):
    SENDING = "sending"
    FAILED = "failed"
    SENT = "sent"


@dataclass(frozen=True)
class DigestRow:
    owner: str
    week_start: datetime
    state: str
    attempts: int
    error: str | None
    sent_at: datetime | None


def claim(
    store: ResultStore,
    owner: str,
    week_start: datetime,
    holder: str,
    until: datetime,
    now: datetime,
) -> bool:
    """Take the owner's digest of the week to send it; False when it was sent or another
    sender holds it."""
    d = digests.c
    row = {
        "owner": owner,
        "week_start": require_utc(week_start, "week_start"),
        "state": State.SENDING.value,
        "holder": holder,
        "until": require_utc(until, "until"),
        "attempts": 1,
    }
    waited = sa.or_(d.until.is_(None), d.until < require_utc(now, "now"))
    free = sa.or_(
        sa.and_(d.state == State.FAILED.value, waited),
        sa.and_(d.state == State.SENDING.value, d.until < require_utc(now, "now")),
    )
    with store.transaction() as tx:
        stmt = dialect_insert(tx.connection, digests)
        stmt = stmt.on_conflict_do_update(
            index_elements=[d.owner, d.week_start],
            set_={
                "state": State.SENDING.value,
                "holder": stmt.excluded.holder,
                "until": stmt.excluded.until,
                "attempts": d.attempts + 1,
            },
            where=free,
        ).returning(d.owner)
        return tx.connection.execute(stmt, row).scalar_one_or_none() is not None


def mark_sent(
    store: ResultStore, owner: str, week_start: datetime, holder: str, now: datetime
) -> bool:
    """The claimed digest went out; False when `holder` no longer held it."""
    values = {"state": State.SENT.value, "sent_at": require_utc(now, "now"), "error": None}
    return _update(store, owner, week_start, holder, values)


def mark_failed(
    store: ResultStore,
    owner: str,
    week_start: datetime,
    holder: str,
    error: str,
    retry_at: datetime | None = None,
) -> bool:
    """The claimed digest could not be sent: claimed again on the next pass (or, given
    `retry_at`, on the first pass after it)."""
    until = None if retry_at is None else require_utc(retry_at, "retry_at")
    values = {"state": State.FAILED.value, "error": error, "until": until}
    return _update(store, owner, week_start, holder, values)


def _update(
    store: ResultStore, owner: str, week_start: datetime, holder: str, values: Mapping[str, object]
) -> bool:
    d = digests.c
    stmt = (
        digests.update()
        .where(
            d.owner == owner,
            d.week_start == require_utc(week_start, "week_start"),
            d.holder == holder,
            d.state == State.SENDING.value,
        )
        .values(**values)
    )
    with store.transaction() as tx:
        return tx.connection.execute(stmt).rowcount == 1


def rows(store: ResultStore) -> list[DigestRow]:
    """Every recorded digest, oldest week first."""
    d = digests.c
    stmt = sa.select(d.owner, d.week_start, d.state, d.attempts, d.error, d.sent_at).order_by(
        d.week_start, d.owner
    )
    with store.reading() as connection:
        return [DigestRow(*row) for row in connection.execute(stmt).all()]


def sent_owners(store: ResultStore, week_start: datetime) -> set[str]:
    """The owners whose digest of the week went out."""
    d = digests.c
    stmt = sa.select(d.owner).where(
        d.week_start == require_utc(week_start, "week_start"), d.state == State.SENT.value
    )
    with store.reading() as connection:
        return set(connection.execute(stmt).scalars())
