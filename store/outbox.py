"""The notification outbox: rows written with the run, claimed by dispatchers under a lease.

A row is `pending` until a dispatcher claims it (`sending`, with `lease_owner` and
`lease_until`), then `sent`, back to `pending` with a later `next_attempt_at`, or `dead`.
A claim whose lease ran out (the dispatcher crashed) is due again; the idempotency key never
changes, so a re-send carries the same key. Claiming takes `SELECT … FOR UPDATE SKIP LOCKED`
on PostgreSQL and an immediate (write-locked) transaction on SQLite: call `claim_due` as the
first statement of its own transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from alerts.alert import Alert, Notification, NotificationKind
from store.errors import StoreError
from store.schema import alert_events, notifications
from store.types import require_utc


@dataclass(frozen=True)
class Claimed:
    """A notification this dispatcher holds the lease of."""

    id: int
    notification: Notification
    alert: Alert
    attempts: int  # including this one
    lease_until: datetime


def payload(notification: Notification, alert: Alert) -> dict[str, Any]:
    """What the dispatcher needs to build the message later: the notification and the alert
    as they were when it was decided."""
    return {
        "notification": {
            "kind": str(notification.kind),
            "step": notification.step,
            "fingerprint": notification.fingerprint,
            "episode": notification.episode,
            "created_at": notification.created_at.isoformat(),
        },
        "alert": alert.to_json(),
    }


def enqueue(
    connection: sa.Connection,
    pending: Sequence[Notification],
    alerts: Mapping[tuple[str, int], Alert],
    alert_ids: Mapping[tuple[str, int], int],
    now: datetime,
) -> int:
    """Insert notifications (ON CONFLICT DO NOTHING on the idempotency key); returns how many
    were new. `alerts` gives each notification's alert by (fingerprint, episode)."""
    at = require_utc(now, "now")
    inserted = 0
    for n in pending:
        key = (n.fingerprint, n.episode)
        row = {
            "alert_id": alert_ids.get(key),
            "receiver": n.receiver,
            "channel": n.channel,
            "payload": payload(n, alerts[key]),
            "idempotency_key": n.key,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": require_utc(n.created_at, "created_at"),
        }
        inserted += connection.execute(_insert_new(connection), row).rowcount
    return inserted


def _insert_new(connection: sa.Connection) -> sa.Executable:
    name = connection.dialect.name
    if name == "postgresql":
        return postgresql.insert(notifications).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
    if name == "sqlite":
        return sqlite.insert(notifications).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
    raise StoreError(f"the outbox supports sqlite and postgresql, not {name}")


def claim_due(
    connection: sa.Connection,
    worker: str,
    now: datetime,
    lease_s: float,
    limit: int = 50,
    exclude: Collection[str] = (),
) -> list[Claimed]:
    """Take the lease of up to `limit` due notifications: pending ones whose time has come,
    and claims whose lease ran out; receivers in `exclude` are left for later. Must open its
    transaction (see the module docstring)."""
    at = require_utc(now, "now")
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    n = notifications.c
    query = (
        sa.select(n.id, n.receiver, n.channel, n.idempotency_key, n.payload, n.attempts)
        .where(_due(at), n.receiver.not_in(list(exclude)))
        .order_by(n.next_attempt_at, n.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = connection.execute(query).all()
    if not rows:
        return []
    until = at + timedelta(seconds=lease_s)
    connection.execute(
        notifications.update()
        .where(n.id.in_([r.id for r in rows]))
        .values(status="sending", lease_owner=worker, lease_until=until, attempts=n.attempts + 1)
    )
    return [_claimed(r, until) for r in rows]


def any_due(connection: sa.Connection, now: datetime) -> bool:
    """Whether a notification is due (what `claim_due` would take), without claiming it: one
    read, so a pass with nothing to send ends without a claim transaction."""
    found = connection.execute(sa.select(notifications.c.id).where(_due(now)).limit(1))
    return found.first() is not None


def _due(now: datetime) -> sa.ColumnElement[bool]:
    """Pending notifications whose time has come, and claims whose lease ran out."""
    at = require_utc(now, "now")
    n = notifications.c
    return sa.or_(
        sa.and_(n.status == "pending", n.next_attempt_at <= at),
        sa.and_(n.status == "sending", n.lease_until <= at),
    )


def _claimed(row: Any, until: datetime) -> Claimed:
    doc = row.payload["notification"]
    notification = Notification(
        key=row.idempotency_key,
        kind=NotificationKind(doc["kind"]),
        step=int(doc["step"]),
        receiver=row.receiver,
        channel=row.channel,
        fingerprint=doc["fingerprint"],
        episode=int(doc["episode"]),
        created_at=datetime.fromisoformat(doc["created_at"]),
    )
    alert = Alert.from_json(row.payload["alert"])
    return Claimed(int(row.id), notification, alert, int(row.attempts) + 1, until)


def mark_sent(connection: sa.Connection, notification_id: int, now: datetime) -> bool:
    """Delivered: `sent` (also when the lease ran out meanwhile; the key makes it one)."""
    done = connection.execute(
        notifications.update()
        .where(notifications.c.id == notification_id, notifications.c.status != "sent")
        .values(
            status="sent",
            sent_at=require_utc(now, "now"),
            lease_owner=None,
            lease_until=None,
            last_error=None,
        )
    )
    return done.rowcount > 0


def schedule_retry(
    connection: sa.Connection, notification_id: int, worker: str, at: datetime, error: str
) -> bool:
    """Not delivered yet: pending again from `at`; False if this worker lost the lease."""
    done = connection.execute(
        _still_mine(notification_id, worker).values(
            status="pending",
            next_attempt_at=require_utc(at, "at"),
            lease_owner=None,
            lease_until=None,
            last_error=error,
        )
    )
    return done.rowcount > 0


def mark_dead(connection: sa.Connection, notification_id: int, worker: str, error: str) -> bool:
    """Given up: `dead`, kept for the dashboard; False if this worker lost the lease."""
    done = connection.execute(
        _still_mine(notification_id, worker).values(
            status="dead", lease_owner=None, lease_until=None, last_error=error
        )
    )
    return done.rowcount > 0


def retry_dead(connection: sa.Connection, notification_id: int, actor: str, now: datetime) -> bool:
    """Send a dead letter again (after someone fixed the channel): pending and due now, with a
    fresh attempt budget and the same idempotency key; the retry is an audit event of its alert.
    False if the notification is not dead."""
    n = notifications.c
    row = connection.execute(
        sa.select(n.alert_id, n.receiver, n.channel).where(
            n.id == notification_id, n.status == "dead"
        )
    ).first()
    if row is None:
        return False
    connection.execute(
        notifications.update()
        .where(n.id == notification_id, n.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=require_utc(now, "now"))
    )
    if row.alert_id is not None:
        connection.execute(
            alert_events.insert().values(
                alert_id=row.alert_id,
                at=now,
                actor=actor,
                event="delivery_retried",
                detail={
                    "notification": notification_id,
                    "receiver": row.receiver,
                    "channel": row.channel,
                },
            )
        )
    return True


def _still_mine(notification_id: int, worker: str) -> sa.Update:
    n = notifications.c
    return notifications.update().where(
        n.id == notification_id, n.status == "sending", n.lease_owner == worker
    )


def settle_pending(connection: sa.Connection, now: datetime, note: str) -> int:
    """Settle every pending notification without sending it (the demo's simulated history):
    it is `sent` with no attempt, which `shown_status` reads as `recorded`; `note` is kept in
    `last_error` to say so. Returns how many."""
    require_utc(now, "now")
    done = connection.execute(
        notifications.update()
        .where(notifications.c.status == "pending")
        .values(status="sent", attempts=0, sent_at=None, last_error=note)
    )
    return done.rowcount


def shown_status() -> sa.ColumnElement[str]:
    """A notification's status as people read it: `recorded` for one settled without ever
    being attempted (the demo's simulated history, `settle_pending`), else its stored status
    (pending, sending, sent: really delivered, dead)."""
    n = notifications.c
    return sa.case((sa.and_(n.status == "sent", n.attempts == 0), "recorded"), else_=n.status)
