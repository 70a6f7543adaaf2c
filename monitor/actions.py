"""The writes a person makes through the dashboard or the HTTP API, each one store transaction:
acknowledge, silence, expire a silence, queue a run, retry a delivery, mark an anomaly's point
as expected or as a real problem. They return a
plain-words message; problems come back as `ActionFailed`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.errors import AlertsError
from alerts.matcher import Matcher
from alerts.silence import Silence
from checks.anomaly.watch import SeriesKey
from monitor.config.values import printable_name
from monitor.run import alerting
from store import alert_state, anomaly_feedback, outbox, scheduling
from store.errors import StoreError
from store.store import ResultStore


class ActionFailed(Exception):
    """A dashboard action could not be carried out; the message says why."""


def actor_name(actor: str, doing: str = "acting") -> str:
    """The name recorded for an action: printable, or ActionFailed saying what to do. The one
    rule for every action (and for the Viewer's actor)."""
    name = printable_name(actor)
    if not name:
        raise ActionFailed(f"Say who you are before {doing} (your name or sign in).")
    return name


def acknowledge(store: ResultStore, alert_id: int, actor: str, comment: str = "") -> str:
    """Acknowledge a firing alert as `actor`."""
    actor = actor_name(actor, "acknowledging")
    try:
        with store.transaction() as tx:
            done = alerting.acknowledge_alert(
                tx.connection, alert_id, actor, datetime.now(UTC), comment
            )
    except (StoreError, AlertsError) as exc:
        raise ActionFailed(str(exc)) from exc
    if done is None:
        raise ActionFailed("This alert is not firing any more (already acknowledged or resolved).")
    return f"Acknowledged by {actor}. Reminders and escalation stop."


def silence(
    store: ResultStore, labels: dict[str, str], hours: float, author: str, comment: str
) -> str:
    """Silence alerts whose labels equal all of `labels` for `hours` from now."""
    author = actor_name(author, "silencing")
    now = datetime.now(UTC)
    try:
        matchers = tuple(Matcher(label, "=", value) for label, value in labels.items() if value)
        rule = Silence(matchers, now, now + timedelta(hours=hours), author, comment.strip())
        with store.transaction() as tx:
            silence_id = alert_state.create_silence(tx.connection, rule, now)
    except (StoreError, AlertsError) as exc:
        raise ActionFailed(str(exc)) from exc
    shown = ", ".join(f"{m.label}={m.value}" for m in matchers)
    return f"Silence #{silence_id} ({shown}) until {rule.ends_at:%Y-%m-%d %H:%M} UTC."


def expire(store: ResultStore, silence_id: int, actor: str) -> str:
    """End a silence now, recording who ended it."""
    actor = actor_name(actor, "ending a silence")
    try:
        with store.transaction() as tx:
            ended = alert_state.expire_silence(
                tx.connection, silence_id, datetime.now(UTC), actor=actor
            )
    except StoreError as exc:
        raise ActionFailed(str(exc)) from exc
    if not ended:
        raise ActionFailed(f"Silence #{silence_id} had already ended.")
    return f"Silence #{silence_id} ended by {actor}."


def run_now(store: ResultStore, integration: str, actor: str) -> int:
    """Queue a run of `integration` for the scheduler as `actor`; returns the request id."""
    actor = actor_name(actor, "running")
    try:
        return scheduling.enqueue_run(store, integration, actor, datetime.now(UTC))
    except StoreError as exc:
        raise ActionFailed(str(exc)) from exc


def retry_delivery(store: ResultStore, notification_id: int, actor: str) -> str:
    """Send a dead-lettered notification again, recording who asked."""
    actor = actor_name(actor, "retrying")
    try:
        with store.transaction() as tx:
            done = outbox.retry_dead(tx.connection, notification_id, actor, datetime.now(UTC))
    except StoreError as exc:
        raise ActionFailed(str(exc)) from exc
    if not done:
        raise ActionFailed(f"Notification #{notification_id} is not a dead letter any more.")
    return f"Notification #{notification_id} queued again; the scheduler delivers it shortly."


def mark_point(
    store: ResultStore,
    integration: str,
    key: SeriesKey,
    at: datetime,
    verdict: str,
    actor: str,
    comment: str,
) -> str:
    """Record `actor`'s word on the point of series `key` measured at `at`: `expected` (the
    detector leaves it out of the baseline from the next run on) or `real` (a real problem);
    who, why and when are kept. The newest word on a point counts."""
    actor = actor_name(actor, "marking a point")
    why = comment.strip()
    if not why:
        raise ActionFailed("Say why (a few words), so others know what was decided.")
    feedback = anomaly_feedback.Feedback(key, at, verdict, actor, why, datetime.now(UTC))
    try:
        with store.transaction() as tx:
            anomaly_feedback.add_feedback(tx.connection, integration, feedback)
    except (StoreError, ValueError) as exc:
        raise ActionFailed(str(exc)) from exc
    when = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if verdict == anomaly_feedback.EXPECTED:
        return f"{key.name} at {when} marked as expected by {actor}; it leaves the baseline."
    return f"{key.name} at {when} marked as a real problem by {actor}."
