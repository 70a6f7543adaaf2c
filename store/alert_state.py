"""Alert episodes, their audit trail and silences in the results store.

Each `alerts` row is one episode of one fingerprint; its `document` column holds the whole
`alerts.Alert`, so the lifecycle continues from exactly what was decided last time. Call these
functions on the connection of the run's transaction (`Transaction.connection`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from alerts.alert import Alert, Decision, TransitionKind
from alerts.errors import AlertsError
from alerts.matcher import Matcher
from alerts.silence import Silence
from store.errors import UnknownAlert
from store.outbox import enqueue
from store.schema import alert_events, alerts, silences
from store.types import require_utc

AlertKey = tuple[str, int]  # (Alert.fingerprint, episode)


def fingerprint_hash(fingerprint: str) -> str:
    """The stored form of a fingerprint: SHA-256 hex (fingerprints can be long)."""
    return hashlib.sha256(fingerprint.encode()).hexdigest()


def lock_integration(connection: sa.Connection, integration: str) -> None:
    """Serialise alert writes for one integration until the transaction ends; read the alerts
    only after it.

    PostgreSQL takes a transaction-level advisory lock (READ COMMITTED then sees every write
    committed before it). SQLite takes the database write lock now (a write that changes
    nothing), so no other writer commits between the reads that follow and the writes."""
    if connection.dialect.name == "postgresql":
        digest = hashlib.sha256(f"dxq-alerts|{integration}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    elif connection.dialect.name == "sqlite":
        connection.execute(alerts.update().where(alerts.c.id == -1).values(episode=0))


def open_alert_integrations(connection: sa.Connection, kind: str, check: str) -> list[str]:
    """The integrations with an open alert of this kind and check, sorted."""
    a = alerts.c
    query = sa.select(a.integration).where(a.state != "resolved", a.kind == kind, a.check == check)
    return sorted(set(connection.execute(query).scalars()))


def open_integrations(connection: sa.Connection) -> list[str]:
    """The integrations with at least one alert not resolved, sorted."""
    a = alerts.c
    query = sa.select(a.integration).where(a.state != "resolved").distinct()
    return sorted(connection.execute(query).scalars())


def alert_changes(
    connection: sa.Connection, integrations: Sequence[str], since: datetime
) -> tuple[int, int]:
    """How many alert episodes of these integrations opened, and how many resolved, at or
    after `since`."""
    a = alerts.c
    at = require_utc(since, "since")
    mine = a.integration.in_(list(integrations))
    opened = sa.select(sa.func.count()).where(mine, a.opened_at >= at)
    resolved = sa.select(sa.func.count()).where(mine, a.resolved_at >= at)
    return int(connection.execute(opened).scalar_one()), int(
        connection.execute(resolved).scalar_one()
    )


def latest_alerts(connection: sa.Connection, integration: str) -> list[Alert]:
    """The latest episode of every fingerprint of an integration (open or resolved)."""
    a = alerts.c
    newest = (
        sa.select(a.fingerprint, sa.func.max(a.episode).label("episode"))
        .where(a.integration == integration, a.document.is_not(None))
        .group_by(a.fingerprint)
        .subquery()
    )
    rows = connection.execute(
        sa.select(a.document)
        .join(newest, sa.and_(a.fingerprint == newest.c.fingerprint, a.episode == newest.c.episode))
        .order_by(a.id)
    ).scalars()
    return [Alert.from_json(doc) for doc in rows]


def open_alerts(connection: sa.Connection, integration: str | None = None) -> list[Alert]:
    """Every alert not resolved (of one integration, or all), oldest first."""
    a = alerts.c
    query = sa.select(a.document).where(a.state != "resolved", a.document.is_not(None))
    if integration is not None:
        query = query.where(a.integration == integration)
    return [Alert.from_json(doc) for doc in connection.execute(query.order_by(a.id)).scalars()]


def alert_by_id(connection: sa.Connection, alert_id: int) -> Alert:
    """One stored alert; raises `UnknownAlert`."""
    doc = connection.execute(
        sa.select(alerts.c.document).where(alerts.c.id == alert_id)
    ).scalar_one_or_none()
    if doc is None:
        raise UnknownAlert(f"no alert has id {alert_id}")
    return Alert.from_json(doc)


def apply_decision(
    connection: sa.Connection,
    decision: Decision,
    now: datetime,
    summary: Callable[[Alert], str],
) -> dict[AlertKey, int]:
    """Write a Decision: alert rows (with `summary(alert)` as their one-line summary), audit
    events and outbox rows. Returns the row id of each alert it touched. Notifications already
    in the outbox (same key) are left alone."""
    now = require_utc(now, "now")
    notified = {(n.fingerprint, n.episode) for n in decision.notifications}
    ids: dict[AlertKey, int] = {}
    for transition in decision.transitions:
        alert = transition.alert
        key = (alert.fingerprint, alert.episode)
        row = _row(alert, now if key in notified else None, summary(alert))
        opening = transition.kind in (TransitionKind.OPEN, TransitionKind.NEW_EPISODE)
        alert_id = _update(connection, alert, row)
        if alert_id is None:
            inserted = connection.execute(alerts.insert().returning(alerts.c.id), row)
            alert_id = int(inserted.scalar_one())
        elif opening:  # this very decision was written before: keep the first audit trail
            ids[key] = alert_id
            continue
        ids[key] = alert_id
        events = [
            {
                "alert_id": alert_id,
                "at": require_utc(e.at, "event time"),
                "actor": e.actor,
                "event": e.name[:32],
                "detail": {"text": e.detail, "transition": str(transition.kind)},
            }
            for e in transition.events
        ]
        if events:
            connection.execute(alert_events.insert(), events)
    known = {(t.alert.fingerprint, t.alert.episode): t.alert for t in decision.transitions}
    enqueue(connection, decision.notifications, known, ids, now)
    return ids


def _update(connection: sa.Connection, alert: Alert, row: dict[str, Any]) -> int | None:
    values = {k: v for k, v in row.items() if not (k == "last_notified_at" and v is None)}
    found = connection.execute(
        alerts.update()
        .where(
            alerts.c.fingerprint == fingerprint_hash(alert.fingerprint),
            alerts.c.episode == alert.episode,
        )
        .values(values)
        .returning(alerts.c.id)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _row(alert: Alert, notified_at: datetime | None, summary: str) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint_hash(alert.fingerprint),
        "episode": alert.episode,
        "kind": str(alert.kind),
        "integration": alert.integration,
        "check": alert.check,
        "severity": alert.severity,
        "state": str(alert.state),
        "labels": dict(alert.labels),
        "summary": summary,
        "opened_at": alert.opened_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by,
        "resolved_at": alert.resolved_at,
        "last_notified_at": notified_at,
        "escalation_step": alert.escalation_step,
        "consecutive_failures": alert.consecutive_failures,
        "document": alert.to_json(),
    }


def active_silences(connection: sa.Connection, now: datetime) -> list[Silence]:
    """Silences not yet ended nor expired (including future ones); unreadable rows are
    skipped."""
    s = silences.c
    at = require_utc(now, "now")
    rows = connection.execute(
        sa.select(s.id, s.matchers, s.starts_at, s.ends_at, s.author, s.comment, s.expired_at)
        .where(s.ends_at > at, sa.or_(s.expired_at.is_(None), s.expired_at > at))
        .order_by(s.id)
    ).all()
    found: list[Silence] = []
    for row in rows:
        try:
            matchers = tuple(_matcher(m) for m in row.matchers)
            found.append(
                Silence(
                    matchers,
                    row.starts_at,
                    row.ends_at,
                    row.author,
                    row.comment,
                    row.id,
                    expired_at=row.expired_at,
                )
            )
        except (AlertsError, KeyError, TypeError, ValueError):
            continue
    return found


def _matcher(stored: Any) -> Matcher:
    if isinstance(stored, str):
        return Matcher.parse(stored)
    return Matcher(stored["label"], stored["op"], stored["value"])


def create_silence(
    connection: sa.Connection, silence: Silence, now: datetime, actor: str | None = None
) -> int:
    """Store a silence, recording who created it (`actor`, else the silence's author) and
    when; returns its id."""
    row = {
        "matchers": [_matcher_doc(m) for m in silence.matchers],
        "starts_at": silence.starts_at,
        "ends_at": silence.ends_at,
        "author": silence.author,
        "comment": silence.comment,
        "created_at": require_utc(now, "now"),
        "created_by": actor or silence.author,
    }
    return int(connection.execute(silences.insert().returning(silences.c.id), row).scalar_one())


def _matcher_doc(matcher: Matcher) -> Mapping[str, str]:
    return {"label": matcher.label, "op": matcher.op, "value": matcher.value}


def expire_silence(
    connection: sa.Connection, silence_id: int, now: datetime, actor: str = "unknown"
) -> bool:
    """End a silence now, recording who and when (its planned `ends_at` is kept); False when
    it had already ended or expired (or does not exist)."""
    at = require_utc(now, "now")
    s = silences.c
    done = connection.execute(
        silences.update()
        .where(s.id == silence_id, s.ends_at > at, s.expired_at.is_(None))
        .values(expired_at=at, expired_by=actor)
    )
    return done.rowcount > 0
