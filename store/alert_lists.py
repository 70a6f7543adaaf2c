"""Alerts as people list them: alerts by state with time to acknowledge and resolve, their
averages, open labels (for silences), an alert's audit trail, silences, and deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from store.frames import count_where, read_frame, seconds_between
from store.outbox import shown_status
from store.schema import (
    alert_events,
    alerts,
    notifications,
    silences,
)
from store.store import ResultStore


def alert_list(
    store: ResultStore,
    states: Sequence[str] | None = None,
    *,
    integration: str | None = None,
    integrations: Sequence[str] | None = None,
    check: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Alerts, newest first, optionally only in `states`, of one integration (or any of
    `integrations`) or check, or opened after `since`."""
    a = alerts.c
    stmt = (
        sa.select(
            a.id,
            a.kind,
            a.integration,
            a.check,
            a.severity,
            a.state,
            a.summary,
            a.opened_at,
            a.acknowledged_at,
            a.acknowledged_by,
            a.resolved_at,
            a.last_notified_at,
            a.escalation_step,
            a.episode,
            a.labels,
        )
        .order_by(a.opened_at.desc(), a.id.desc())
        .limit(limit)
    )
    if states:
        stmt = stmt.where(a.state.in_(list(states)))
    if integration is not None:
        stmt = stmt.where(a.integration == integration)
    if integrations is not None:
        stmt = stmt.where(a.integration.in_(list(integrations)))
    if check is not None:
        stmt = stmt.where(a.check == check)
    if since is not None:
        stmt = stmt.where(a.opened_at >= since)
    frame = read_frame(store, stmt)
    frame["to_acknowledge_s"] = (frame["acknowledged_at"] - frame["opened_at"]).dt.total_seconds()
    frame["to_resolve_s"] = (frame["resolved_at"] - frame["opened_at"]).dt.total_seconds()
    return frame


def alert_stats(store: ResultStore) -> dict[str, float | None]:
    """Over ALL alerts, in SQL: how many are firing, acknowledged and pending, and the mean
    seconds to acknowledge and to resolve (None when no alert was ever acknowledged/resolved)."""
    a = alerts.c
    dialect = store.engine.dialect.name
    stmt = sa.select(
        count_where(a.state == "firing").label("firing"),
        count_where(a.state == "acknowledged").label("acknowledged"),
        count_where(a.state == "pending").label("pending"),
        sa.func.avg(seconds_between(dialect, a.opened_at, a.acknowledged_at)).label("to_ack"),
        sa.func.avg(seconds_between(dialect, a.opened_at, a.resolved_at)).label("to_resolve"),
    )
    with store.reading() as connection:
        row = connection.execute(stmt).mappings().one()
    return {name: None if value is None else float(value) for name, value in row.items()}


def open_alert_labels(store: ResultStore) -> list[dict[str, str]]:
    """The labels of every alert not resolved (to count the silenced ones)."""
    stmt = sa.select(alerts.c.labels).where(alerts.c.state != "resolved")
    with store.reading() as connection:
        return [
            {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
            for labels in connection.execute(stmt).scalars()
        ]


def alert_history(store: ResultStore, alert_id: int) -> pd.DataFrame:
    """The audit trail of one alert, oldest first: when, who, what."""
    e = alert_events.c
    stmt = (
        sa.select(e.at, e.actor, e.event, e.detail)
        .where(e.alert_id == alert_id)
        .order_by(e.at, e.id)
    )
    return read_frame(store, stmt)


def silence_list(store: ResultStore, *, active_at: datetime | None = None) -> pd.DataFrame:
    """Silences, newest first; only those in force at `active_at` when given."""
    s = silences.c
    stmt = sa.select(
        s.id, s.matchers, s.starts_at, s.ends_at, s.author, s.comment, s.created_at
    ).order_by(s.ends_at.desc(), s.id.desc())
    if active_at is not None:
        stmt = stmt.where(
            s.starts_at <= active_at,
            s.ends_at > active_at,
            sa.or_(s.expired_at.is_(None), s.expired_at > active_at),
        )
    return read_frame(store, stmt.limit(500))


def delivery_counts(store: ResultStore) -> dict[str, int]:
    """How many notifications are pending, sending, sent (really delivered), dead and recorded
    (the demo's simulated history, never sent: `outbox.shown_status`)."""
    status = shown_status()
    stmt = sa.select(status, sa.func.count()).group_by(status)
    with store.reading() as connection:
        counts = {str(status): int(count) for status, count in connection.execute(stmt)}
    shown = ("pending", "sending", "sent", "dead", "recorded")
    return {status: counts.get(status, 0) for status in shown}


def delivery_list(
    store: ResultStore, statuses: Sequence[str] | None = None, limit: int = 200
) -> pd.DataFrame:
    """Notifications, newest first, with their alert's integration and check."""
    n = notifications.c
    stmt = (
        sa.select(
            n.id,
            n.alert_id,
            alerts.c.integration,
            alerts.c.check,
            n.receiver,
            n.channel,
            shown_status().label("status"),
            n.attempts,
            n.last_error,
            n.created_at,
            n.next_attempt_at,
            n.sent_at,
        )
        .select_from(notifications.outerjoin(alerts, alerts.c.id == n.alert_id))
        .order_by(n.created_at.desc(), n.id.desc())
        .limit(limit)
    )
    if statuses:
        stmt = stmt.where(n.status.in_(list(statuses)))
    return read_frame(store, stmt)
