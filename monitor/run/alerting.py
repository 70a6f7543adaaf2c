"""Alerting for runs: the monitor file's owners and routes as `alerts` declarations, and the
alert decisions of a run written in the run's own transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from alerts.alert import (
    ALL_CHECKS,
    Alert,
    AlertEvent,
    AlertSettings,
    CheckOutcome,
    Decision,
    NotificationKind,
    Outcome,
    Severity,
    Target,
)
from alerts.lifecycle import (
    acknowledgement,
    evaluate,
    notifications_for,
    retire,
    tick,
)
from alerts.message import describe, failing_keys
from alerts.owner import Owner, Role
from alerts.watchdog import dead_letter, delivered
from checks.result import CheckKind, CheckResult
from monitor.run.alert_context import AlertContext, IntegrationAlerting
from store.alert_state import (
    active_silences,
    alert_by_id,
    apply_decision,
    latest_alerts,
    lock_integration,
    open_alert_integrations,
)
from store.history import in_suite_down
from store.installation import installation_id

REMOVED_REASON = "check removed from the monitor file"
_CHECK_FAMILIES = frozenset(str(k) for k in CheckKind)


def outcomes_of(
    results: Sequence[CheckResult], integration: IntegrationAlerting | None = None
) -> list[CheckOutcome]:
    """A run's results as `alerts` sees them (the schema snapshot is left out), with the side
    each check measured and, given the integration, what that side is and the check's limit."""
    outcomes = [
        CheckOutcome(
            check=r.check,
            check_kind=str(r.kind),
            outcome=Outcome(r.outcome),
            severity=Severity(r.severity),
            metrics={k: v for k, v in r.metrics.items() if k != "snapshot"},
            reason=r.reason,
            observed=r.observed,
            expected=r.expected,
            side=r.side,
            keys=failing_keys(r.sample),
        )
        for r in results
    ]
    return [with_settings(o, integration) for o in outcomes] if integration else outcomes


def with_settings(outcome: CheckOutcome, integration: IntegrationAlerting) -> CheckOutcome:
    """The outcome with what its side measured and its limit from the monitor file; a check
    of one of several targets names that target (subject, and the target_system label)."""
    label, system = integration.per_target.get(outcome.check, ("", ""))
    subject = (
        outcome.subject
        or label
        or (integration.source_label if outcome.side == "source" else integration.target_label)
    )
    limit = outcome.limit
    if limit is None and outcome.check_kind == "reconcile":
        limit = integration.max_mismatch_rate
    return replace(
        outcome, subject=subject, limit=limit, target_system=outcome.target_system or system
    )


def decide_alerts(
    connection: sa.Connection,
    integration: str,
    decide: Callable[[list[Alert]], Decision],
    now: datetime,
) -> Decision:
    """The one path every alert write takes: lock the integration until the transaction ends,
    re-read its alerts inside the lock, decide on what is stored now, and write the decision.
    Notification keys are made unique to this results store (its installation id)."""
    lock_integration(connection, integration)
    decision = decide(latest_alerts(connection, integration))
    decision = decision.in_installation(installation_id(connection))
    apply_decision(connection, decision, now, describe)
    return decision


def acknowledge_alert(
    connection: sa.Connection, alert_id: int, actor: str, now: datetime, comment: str = ""
) -> Alert | None:
    """Acknowledge a firing alert (stops reminders and escalation, and queues an `acknowledged`
    notification for each incident tool that was sent the firing); None if it is not firing.
    Takes the same locked path as runs and ticks, so neither overwrites the other."""
    integration = alert_by_id(connection, alert_id).integration

    def decide(_: list[Alert]) -> Decision:
        current = alert_by_id(connection, alert_id)  # re-read inside the lock
        if current.state.value != "firing":
            return Decision(())
        return acknowledgement(current, actor, now, comment)

    decision = decide_alerts(connection, integration, decide, now)
    return decision.transitions[0].alert if decision.transitions else None


def record_alerts(
    connection: sa.Connection,
    context: AlertContext,
    integration: str,
    outcomes: Sequence[CheckOutcome],
    now: datetime,
) -> Decision:
    """Decide the alert changes of a run and write them, with their audit events and outbox
    rows, on the run's connection (so all of it commits with the run or not at all). When the
    outcomes are a run's check results, open alerts of checks the run no longer has (removed
    from the monitor file) resolve, and whoever was told they fired is told so."""
    settings = context.settings(integration)
    silences = active_silences(connection, now)
    known = context.integrations.get(integration)
    if known is not None:
        outcomes = [with_settings(o, known) for o in outcomes]
    ran = {o.check for o in outcomes if o.check_kind in _CHECK_FAMILIES}
    suites_down = [
        o.check for o in outcomes if o.check_kind == "expectation" and o.outcome == "error"
    ]
    erred = any(o.outcome == "error" for o in outcomes)  # series may lack their new point

    def decide(current: list[Alert]) -> Decision:
        decision = evaluate(current, outcomes, settings, silences, now)
        gone = retire(
            [a for a in current if ran and _removed(a, ran, suites_down, erred)],
            REMOVED_REASON,
            now,
        )
        return Decision(
            decision.transitions + gone.transitions, decision.notifications + gone.notifications
        )

    return decide_alerts(connection, integration, decide, now)


def _removed(
    alert: Alert, ran: set[str], suites_down: Sequence[str] = (), erred: bool = False
) -> bool:
    """An open alert about a check of the monitor file that this run no longer has. An
    expectation of a suite that could not be evaluated (`suites_down`: one error result named
    after the suite) is neither passed nor removed: its alert stays open; so is an anomaly
    alert when checks of the run erred (its series may have no new point to judge)."""
    return (
        alert.is_open
        and str(alert.kind) in ("data_quality", "run_error")
        and alert.check != ALL_CHECKS
        and alert.check_kind in _CHECK_FAMILIES
        and alert.check not in ran
        and not in_suite_down(alert.check, suites_down)
        and not (alert.check_kind == "anomaly" and erred)
    )


def record_dead_letter(
    connection: sa.Connection,
    context: AlertContext,
    undelivered: Alert,
    receiver: str,
    channel: str,
    error: str,
    now: datetime,
) -> Decision:
    """Raise the alert that a notification about `undelivered` could not be delivered. It never
    goes back through the channel that failed: to the routed receivers' other channels, else to
    any other maintenance or on-call owner's channel; when nobody is left, the alert says so
    (an `undeliverable` event and its summary). A dead letter about a dead letter alert raises
    nothing (no loops); it stays visible in the outbox."""
    if str(undelivered.kind) == "dead_letter":
        return Decision()
    outcome = dead_letter(receiver, channel, error)
    settings = context.settings(undelivered.integration)
    silences = active_silences(connection, now)
    failed = Target(receiver, channel)

    def decide(current: list[Alert]) -> Decision:
        decision = evaluate(current, [outcome], settings, silences, now)
        kept = [n for n in decision.notifications if Target(n.receiver, n.channel) != failed]
        transitions = []
        for transition in decision.transitions:
            alert, events = transition.alert, list(transition.events)
            alert = replace(
                alert,
                targets=tuple(t for t in alert.targets if t != failed),
                notified=tuple(t for t in alert.notified if t != failed),
            )
            wanted = any(n.fingerprint == alert.fingerprint for n in decision.notifications)
            if wanted and not any(n.fingerprint == alert.fingerprint for n in kept):
                fallback = fallback_targets(context.owners, failed)
                if fallback:
                    alert = replace(alert, targets=fallback, notified=fallback)
                    kept += notifications_for(alert, NotificationKind.FIRING, 0, fallback, now)
                    events.append(AlertEvent("fallback", now, detail=_listed(fallback)))
                else:
                    note = (
                        f"nobody else could be told: no other channel than {channel} of {receiver}"
                    )
                    alert = replace(alert, reason=f"{error} ({note})")
                    events.append(AlertEvent("undeliverable", now, detail=note))
            transitions.append(replace(transition, alert=alert, events=tuple(events)))
        return Decision(tuple(transitions), tuple(kept))

    return decide_alerts(connection, undelivered.integration, decide, now)


def record_delivered(connection: sa.Connection, receiver: str, channel: str, now: datetime) -> int:
    """A send to `receiver` by `channel` succeeded: resolve the open dead-letter alerts about
    that channel (of any integration); returns how many."""
    outcome = delivered(receiver, channel)
    resolved = 0
    for integration in open_alert_integrations(connection, "dead_letter", outcome.check):
        settings = AlertSettings(integration=integration, owners={})

        def decide(current: list[Alert], settings: AlertSettings = settings) -> Decision:
            return evaluate(current, [outcome], settings, (), now)

        resolved += len(decide_alerts(connection, integration, decide, now).transitions)
    return resolved


def fallback_targets(owners: Mapping[str, Owner], failed: Target) -> tuple[Target, ...]:
    """Every channel of every maintenance, then on-call, owner except the one that failed."""
    found = [
        Target(owner.id, str(address.kind))
        for role in (Role.MAINTENANCE, Role.ONCALL)
        for owner in owners.values()
        if owner.role is role
        for address in owner.channels()
    ]
    return tuple(t for t in dict.fromkeys(found) if t != failed)


def _listed(targets: Sequence[Target]) -> str:
    return ", ".join(f"{t.receiver} ({t.channel})" for t in targets)


def tick_integration(connection: sa.Connection, integration: str, now: datetime) -> Decision:
    """Reminders, escalation steps and firings delayed by a silence that are due now for one
    integration, decided on its open alerts as stored inside the lock."""
    silences = active_silences(connection, now)
    return decide_alerts(
        connection,
        integration,
        lambda current: tick([a for a in current if a.is_open], silences, now),
        now,
    )
