"""The dashboard's writes, each one store transaction: acknowledge, silence, expire a silence,
queue a run. They return a plain-words message; problems come back as `ActionFailed`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.errors import AlertsError
from alerts.matcher import Matcher
from alerts.silence import Silence
from monitor.run import alerting
from store import alert_state, outbox, scheduling
from store.errors import StoreError
from store.store import ResultStore


class ActionFailed(Exception):
    """A dashboard action could not be carried out; the message says why."""


def acknowledge(store: ResultStore, alert_id: int, actor: str, comment: str = "") -> str:
    """Acknowledge a firing alert as `actor`."""
    if not actor.strip():
        raise ActionFailed("Say who you are before acknowledging (your name or sign in).")
    try:
        with store.transaction() as tx:
            done = alerting.acknowledge_alert(
                tx.connection, alert_id, actor.strip(), datetime.now(UTC), comment
            )
    except (StoreError, AlertsError) as exc:
        raise ActionFailed(str(exc)) from exc
    if done is None:
        raise ActionFailed("This alert is not firing any more (already acknowledged or resolved).")
    return f"Acknowledged by {actor.strip()}. Reminders and escalation stop."


def silence(
    store: ResultStore, labels: dict[str, str], hours: float, author: str, comment: str
) -> str:
    """Silence alerts whose labels equal all of `labels` for `hours` from now."""
    if not author.strip():
        raise ActionFailed("Say who you are before silencing (your name or sign in).")
    now = datetime.now(UTC)
    try:
        matchers = tuple(Matcher(label, "=", value) for label, value in labels.items() if value)
        rule = Silence(matchers, now, now + timedelta(hours=hours), author.strip(), comment.strip())
        with store.transaction() as tx:
            silence_id = alert_state.create_silence(tx.connection, rule, now)
    except (StoreError, AlertsError) as exc:
        raise ActionFailed(str(exc)) from exc
    shown = ", ".join(f"{m.label}={m.value}" for m in matchers)
    return f"Silence #{silence_id} ({shown}) until {rule.ends_at:%Y-%m-%d %H:%M} UTC."


def expire(store: ResultStore, silence_id: int, actor: str) -> str:
    """End a silence now, recording who ended it."""
    if not actor.strip():
        raise ActionFailed("Say who you are before ending a silence (your name or sign in).")
    try:
        with store.transaction() as tx:
            ended = alert_state.expire_silence(
                tx.connection, silence_id, datetime.now(UTC), actor=actor.strip()
            )
    except StoreError as exc:
        raise ActionFailed(str(exc)) from exc
    if not ended:
        raise ActionFailed(f"Silence #{silence_id} had already ended.")
    return f"Silence #{silence_id} ended by {actor.strip()}."


def run_now(store: ResultStore, integration: str, actor: str) -> int:
    """Queue a run of `integration` for the scheduler as `actor`; returns the request id."""
    if not actor.strip():
        raise ActionFailed("Say who you are before running (your name or sign in).")
    try:
        return scheduling.enqueue_run(store, integration, actor.strip(), datetime.now(UTC))
    except StoreError as exc:
        raise ActionFailed(str(exc)) from exc


def retry_delivery(store: ResultStore, notification_id: int, actor: str) -> str:
    """Send a dead-lettered notification again, recording who asked."""
    if not actor.strip():
        raise ActionFailed("Say who you are before retrying (your name or sign in).")
    try:
        with store.transaction() as tx:
            done = outbox.retry_dead(
                tx.connection, notification_id, actor.strip(), datetime.now(UTC)
            )
    except StoreError as exc:
        raise ActionFailed(str(exc)) from exc
    if not done:
        raise ActionFailed(f"Notification #{notification_id} is not a dead letter any more.")
    return f"Notification #{notification_id} queued again; the scheduler delivers it shortly."
