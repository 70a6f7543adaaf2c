"""The alert lifecycle: pure functions over plain data with an injected `now`.

- failed, or warned (severity `warning`), opens or keeps a `data_quality` alert; passed resolves
  it; an `error` leaves it as it is. An integration has one `run_error` alert (check `*`),
  listing every check that could not be evaluated and why; a run with no error resolves it.
- An alert fires after `after_failures` consecutive failures; before that it is `pending`. An
  anomaly's alert (check kind `anomaly`) fires at once: the detector's sensitivity is its
  threshold, and a daily series would otherwise wait a day.
- Silences are applied when deciding: a silenced alert fires without notifications, and the first
  `tick` after the silence ends sends the firing message. Resolved messages go to every target
  that was sent a firing, reminder or escalation, silenced or not.
- Acknowledgement and active silences stop reminders and escalation. An acknowledgement is
  sent only to the incident tools (PagerDuty, Opsgenie, Jira) that were sent the firing, so
  their incident is acknowledged too; e-mail, chat and webhooks hear nothing new.
- An open alert that fails again is routed again on its current labels and settings: new
  receivers get the firing message (at once, or when a silence ends), removed ones hear nothing
  more but the resolved message, and escalation follows the new steps without replaying the
  ones already passed (only the latest of those fires).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from alerts.alert import (
    ALL_CHECKS,
    PASSED_AGAIN,
    Alert,
    AlertEvent,
    AlertKind,
    AlertSettings,
    AlertState,
    CheckOutcome,
    Decision,
    Notification,
    NotificationKind,
    Outcome,
    Severity,
    Target,
    Transition,
    TransitionKind,
    fingerprint,
    notification_key,
)
from alerts.owner import INCIDENT_TOOLS
from alerts.rerouting import recipients, reminded, reroute, targets_text
from alerts.routing import ANOMALY
from alerts.silence import Silence, silencing

_FAILING = {Outcome.FAILED, Outcome.WARNED}
_TICKED = (AlertState.FIRING, AlertState.ACKNOWLEDGED)  # acknowledged: late firings only
RUN_ERROR_KIND = "run_error"  # the check_kind of the outcome that alert is decided on


def evaluate(
    alerts: Sequence[Alert],
    outcomes: Sequence[CheckOutcome],
    settings: AlertSettings,
    silences: Iterable[Silence],
    now: datetime,
) -> Decision:
    """Transitions and notifications for one run of one integration.

    `alerts` holds the latest episode of every fingerprint of the integration (open or resolved);
    fingerprints not named by `outcomes` are left alone.
    """
    latest: dict[str, Alert] = {}
    for alert in alerts:
        known = latest.get(alert.fingerprint)
        if known is None or alert.episode > known.episode:
            latest[alert.fingerprint] = alert
    silences = tuple(silences)
    transitions: list[Transition] = []
    notifications: list[Notification] = []
    run_error = _run_error(outcomes)
    for outcome in [*outcomes, *run_error]:
        for kind, failing in _verdicts(outcome):
            current = latest.get(fingerprint(kind, settings.integration, outcome.check))
            change: tuple[Transition, list[Notification]] | None
            if failing:
                change = _fail(current, kind, outcome, settings, silences, now)
            else:
                change = _pass(current, now)
            if change is not None:
                transitions.append(change[0])
                notifications.extend(change[1])
    return Decision(tuple(transitions), tuple(notifications))


def _verdicts(outcome: CheckOutcome) -> list[tuple[AlertKind, bool]]:
    failing = outcome.outcome in _FAILING or outcome.outcome is Outcome.ERROR
    if outcome.check_kind == "missed":
        return [(AlertKind.MISSED, failing)]
    if outcome.check_kind == "dead_letter":
        return [(AlertKind.DEAD_LETTER, failing)]
    if outcome.check_kind == RUN_ERROR_KIND:
        return [(AlertKind.RUN_ERROR, failing)]
    if outcome.outcome is Outcome.ERROR:
        return []  # folded into the integration's one run_error alert
    return [
        (AlertKind.DATA_QUALITY, outcome.outcome in _FAILING),
        (AlertKind.RUN_ERROR, False),  # an alert of one check from before ALL_CHECKS
    ]


def _run_error(outcomes: Sequence[CheckOutcome]) -> list[CheckOutcome]:
    """One outcome for the integration's run_error alert (check `*`): failed, listing every
    check that could not be evaluated and why; passed when checks ran and none erred."""
    checked = [o for o in outcomes if o.check_kind not in ("missed", "dead_letter")]
    if not checked:
        return []
    errors = [o for o in checked if o.outcome is Outcome.ERROR]
    if not errors:
        return [CheckOutcome(ALL_CHECKS, RUN_ERROR_KIND, Outcome.PASSED)]
    reason = "; ".join(f"{o.check}: {o.reason or 'unknown error'}" for o in errors)
    severities = [o.severity for o in errors]
    severity = next((s for s in Severity if s in severities), Severity.ERROR)
    return [
        CheckOutcome(
            ALL_CHECKS,
            RUN_ERROR_KIND,
            Outcome.ERROR,
            severity,
            metrics={"checks": [o.check for o in errors]},
            reason=reason,
        )
    ]


def _fail(
    current: Alert | None,
    kind: AlertKind,
    outcome: CheckOutcome,
    settings: AlertSettings,
    silences: tuple[Silence, ...],
    now: datetime,
) -> tuple[Transition, list[Notification]]:
    severity = Severity.WARNING if outcome.outcome is Outcome.WARNED else outcome.severity
    labels = {
        "integration": settings.integration,
        "source_system": settings.source_system,
        "target_system": outcome.target_system or settings.target_system,
        "check": outcome.check,
        "kind": ANOMALY if outcome.check_kind == ANOMALY else str(kind),
        "severity": severity,
    }
    events: list[AlertEvent] = []
    if current is None or not current.is_open:
        episode = current.episode + 1 if current is not None else 1
        opening = TransitionKind.NEW_EPISODE if current is not None else TransitionKind.OPEN
        alert = Alert(
            kind=kind,
            integration=settings.integration,
            check=outcome.check,
            episode=episode,
            state=AlertState.PENDING,
            severity=severity,
            check_kind=outcome.check_kind,
            opened_at=now,
            last_seen_at=now,
        )
        alert = _observe(alert, severity, labels, outcome, now)
        events.append(AlertEvent("opened", now, detail=f"episode {episode}: {outcome.outcome}"))
    else:
        opening = None
        alert = replace(current, consecutive_failures=current.consecutive_failures + 1)
        alert = _observe(alert, severity, labels, outcome, now)
        if current.severity != severity:
            events.append(
                AlertEvent("severity_changed", now, detail=f"{current.severity} -> {severity}")
            )
    if alert.state is not AlertState.PENDING:
        events.append(AlertEvent("still_firing", now, detail=outcome.outcome))
        alert, added, rerouted = reroute(alert, settings, silences, now)
        sent = notifications_for(alert, NotificationKind.FIRING, 0, added, now) if added else []
        events.extend(rerouted)
        return Transition(TransitionKind.STILL_FIRING, alert, tuple(events)), sent
    needed = 1 if outcome.check_kind == ANOMALY else max(settings.after_failures, 1)
    if alert.consecutive_failures < needed:
        detail = f"{alert.consecutive_failures} of {needed} failures"
        events.append(AlertEvent("pending", now, detail=detail))
        return Transition(opening or TransitionKind.PENDING, alert, tuple(events)), []
    alert = _route(alert, settings, now)
    events.append(AlertEvent("fired", now, detail=targets_text(alert.targets)))
    silence = silencing(alert.labels, silences, now)
    if silence is not None:
        events.append(AlertEvent("silenced", now, detail=str(silence)))
        return Transition(opening or TransitionKind.FIRE, alert, tuple(events)), []
    alert = replace(alert, notified=alert.targets)
    sent = notifications_for(alert, NotificationKind.FIRING, 0, alert.targets, now)
    return Transition(opening or TransitionKind.FIRE, alert, tuple(events)), sent


def _observe(
    alert: Alert, severity: Severity, labels: dict[str, str], outcome: CheckOutcome, now: datetime
) -> Alert:
    return replace(
        alert,
        severity=severity,
        labels=labels,
        metrics=dict(outcome.metrics),
        reason=outcome.reason,
        observed=outcome.observed,
        expected=outcome.expected,
        last_seen_at=now,
        check_kind=outcome.check_kind,
        side=outcome.side,
        subject=outcome.subject,
        limit=outcome.limit,
        keys=outcome.keys,
    )


def _route(alert: Alert, settings: AlertSettings, now: datetime) -> Alert:
    targets, repeat_interval_s, escalate = recipients(alert, settings)
    return replace(
        alert,
        state=AlertState.FIRING,
        fired_at=now,
        targets=targets,
        repeat_interval_s=repeat_interval_s,
        escalate=escalate,
    )


def _pass(current: Alert | None, now: datetime) -> tuple[Transition, list[Notification]] | None:
    if current is None or not current.is_open:
        return None
    return _resolve(current, now, PASSED_AGAIN)


def _resolve(current: Alert, now: datetime, why: str) -> tuple[Transition, list[Notification]]:
    alert = replace(
        current,
        state=AlertState.RESOLVED,
        resolved_at=now,
        consecutive_failures=0,
        resolution=why,
    )
    if current.state is AlertState.PENDING:
        event = AlertEvent("cleared", now, detail=f"{why} before it fired")
        return Transition(TransitionKind.CLEAR, alert, (event,)), []
    event = AlertEvent("resolved", now, detail=why)
    sent = notifications_for(alert, NotificationKind.RESOLVED, 0, current.notified, now)
    return Transition(TransitionKind.RESOLVE, alert, (event,)), sent


def retire(alerts: Sequence[Alert], reason: str, now: datetime) -> Decision:
    """Resolve open alerts whose check is gone (e.g. removed from the monitor file), telling
    every target that was notified; `reason` becomes the alert's reason and the event's."""
    transitions: list[Transition] = []
    notifications: list[Notification] = []
    for alert in alerts:
        if alert.is_open:
            transition, sent = _resolve(replace(alert, reason=reason), now, reason)
            transitions.append(transition)
            notifications.extend(sent)
    return Decision(tuple(transitions), tuple(notifications))


def tick(alerts: Sequence[Alert], silences: Iterable[Silence], now: datetime) -> Decision:
    """Late firings after a silence, repeat reminders and escalation steps that are due."""
    silences = tuple(silences)
    transitions: list[Transition] = []
    notifications: list[Notification] = []
    for alert in alerts:
        if alert.state not in _TICKED or alert.fired_at is None:
            continue
        if silencing(alert.labels, silences, now) is not None:
            continue
        elapsed = (now - alert.fired_at).total_seconds()
        slot = int(elapsed // alert.repeat_interval_s) if alert.repeat_interval_s else 0
        kind: TransitionKind | None = None
        events: list[AlertEvent] = []
        sent: list[Notification] = []
        still_named = reminded(alert)
        late = tuple(t for t in alert.targets if t not in alert.notified)
        if late:  # fired, or rerouted to them, while silenced
            kind = TransitionKind.NOTIFY
            first = not alert.notified
            alert = replace(
                alert,
                notified=(*alert.notified, *late),
                reminder_slot=slot if first else alert.reminder_slot,
            )
            sent += notifications_for(alert, NotificationKind.FIRING, 0, late, now)
            detail = "silence ended" if first else f"silence ended: {targets_text(late)}"
            events.append(AlertEvent("notified", now, detail=detail))
        firing = alert.state is AlertState.FIRING  # acknowledged: no reminders, no escalation
        if firing and slot > alert.reminder_slot:
            kind = kind or TransitionKind.REMIND
            alert = replace(alert, reminder_slot=slot)
            sent += notifications_for(alert, NotificationKind.REMINDER, slot, still_named, now)
            events.append(AlertEvent("reminded", now, detail=f"reminder {slot}"))
        for number, step in enumerate(alert.escalate if firing else (), start=1):
            if number <= alert.escalation_step or elapsed < step.after_s:
                continue
            kind = TransitionKind.ESCALATE
            notified = tuple(dict.fromkeys((*alert.notified, *step.targets)))
            alert = replace(alert, escalation_step=number, notified=notified)
            sent += notifications_for(alert, NotificationKind.ESCALATION, number, step.targets, now)
            detail = f"step {number}: {targets_text(step.targets)}"
            events.append(AlertEvent("escalated", now, detail=detail))
        if kind is not None:
            transitions.append(Transition(kind, alert, tuple(events)))
            notifications.extend(sent)
    return Decision(tuple(transitions), tuple(notifications))


def acknowledge(alert: Alert, actor: str, now: datetime, comment: str = "") -> Transition:
    """Someone has taken the alert: reminders and escalation stop until it resolves."""
    acked = replace(
        alert, state=AlertState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=actor
    )
    return Transition(
        TransitionKind.ACKNOWLEDGE, acked, (AlertEvent("acknowledged", now, actor, comment),)
    )


def acknowledgement(alert: Alert, actor: str, now: datetime, comment: str = "") -> Decision:
    """`acknowledge`, with an `acknowledged` notification for each incident-tool channel that
    was sent the firing (a reminder or an escalation), so its incident is acknowledged too."""
    transition = acknowledge(alert, actor, now, comment)
    told = [t for t in transition.alert.notified if t.channel in INCIDENT_TOOLS]
    sent = notifications_for(transition.alert, NotificationKind.ACKNOWLEDGED, 0, told, now)
    return Decision((transition,), tuple(sent))


def notifications_for(
    alert: Alert,
    kind: NotificationKind,
    step: int,
    targets: Iterable[Target],
    now: datetime,
) -> list[Notification]:
    """The `kind` notification (escalation or reminder `step`) of `alert` for each target."""
    return [
        Notification(
            key=notification_key(alert, kind, step, t.receiver, t.channel),
            kind=kind,
            step=step,
            receiver=t.receiver,
            channel=t.channel,
            fingerprint=alert.fingerprint,
            episode=alert.episode,
            created_at=now,
        )
        for t in targets
    ]
