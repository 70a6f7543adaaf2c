"""Who an alert goes to: the targets, repeat interval and escalation of its route, and routing
an open alert again when its labels or the routing settings change (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from alerts.alert import Alert, AlertEvent, AlertKind, AlertSettings, Step, Target
from alerts.owner import Owner
from alerts.routing import receivers_for
from alerts.silence import Silence, silencing


def recipients(
    alert: Alert, settings: AlertSettings
) -> tuple[tuple[Target, ...], float | None, tuple[Step, ...]]:
    """Targets, repeat interval and escalation steps for the alert's labels now."""
    found = receivers_for(alert.labels, settings.integration_owners, settings.owners, settings.tree)
    steps = found.escalate or settings.escalate
    repeat = (
        found.repeat_interval_s
        if found.repeat_interval_s is not None
        else settings.repeat_interval_s
    )
    escalate = tuple(Step(s.after_s, expand([s.receiver], settings.owners)) for s in steps)
    return expand(found.receivers, settings.owners), repeat, escalate


def reroute(
    alert: Alert, settings: AlertSettings, silences: tuple[Silence, ...], now: datetime
) -> tuple[Alert, tuple[Target, ...], list[AlertEvent]]:
    """Route an open alert again on its current labels and settings; returns the rerouted
    alert, the targets to send the firing message to now, and the audit events. Dead-letter
    alerts keep their targets: `record_dead_letter` chose them around the channel that
    failed."""
    if alert.kind is AlertKind.DEAD_LETTER or alert.fired_at is None:
        return alert, (), []
    targets, repeat, escalate = recipients(alert, settings)
    if (targets, repeat, escalate) == (alert.targets, alert.repeat_interval_s, alert.escalate):
        return alert, (), []
    elapsed = (now - alert.fired_at).total_seconds()
    rerouted = replace(
        alert,
        targets=targets,
        repeat_interval_s=repeat,
        reminder_slot=(
            int(elapsed // repeat)
            if repeat and repeat != alert.repeat_interval_s
            else alert.reminder_slot
        ),
        escalate=escalate,
        escalation_step=passed_steps(alert, escalate, elapsed),
    )
    added = tuple(t for t in targets if t not in alert.notified)
    removed = tuple(t for t in alert.targets if t not in targets)
    detail = f"added: {targets_text(added)}; removed: {targets_text(removed)}"
    events = [AlertEvent("rerouted", now, detail=detail)]
    if not added or not alert.notified or silencing(alert.labels, silences, now) is not None:
        return rerouted, (), events  # `tick` sends the firing when the silence ends
    return replace(rerouted, notified=(*alert.notified, *added)), added, events


def passed_steps(alert: Alert, escalate: tuple[Step, ...], elapsed: float) -> int:
    """How many of the new steps count as escalated: every step due by now but the latest,
    which `tick` then sends, unless the old route already escalated that very step."""
    if escalate == alert.escalate:
        return alert.escalation_step
    due = sum(1 for step in escalate if step.after_s <= elapsed)
    if due and escalate[due - 1] in alert.escalate[: alert.escalation_step]:
        return due
    return max(due - 1, 0)


def reminded(alert: Alert) -> tuple[Target, ...]:
    """Who gets reminders: those notified that the current route still names (its targets
    and the escalation steps passed)."""
    current = {
        *alert.targets,
        *(t for s in alert.escalate[: alert.escalation_step] for t in s.targets),
    }
    return tuple(t for t in alert.notified if t in current)


def expand(receivers: Iterable[str], owners: Mapping[str, Owner]) -> tuple[Target, ...]:
    """Every channel of every receiver; a receiver that is no owner keeps one `none` target."""
    found: list[Target] = []
    for receiver in receivers:
        owner = owners.get(receiver)
        channels = [str(c.kind) for c in owner.channels()] if owner is not None else []
        found.extend(Target(receiver, c) for c in channels or ["none"])
    return tuple(dict.fromkeys(found))


def targets_text(targets: Iterable[Target]) -> str:
    text = ", ".join(f"{t.receiver} ({t.channel})" for t in targets)
    return text or "nobody"
