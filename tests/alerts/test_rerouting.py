"""Open alerts are routed again when they fail again: on a raised severity or a changed monitor
file, new receivers get the firing message once, removed ones hear only the resolved message,
and escalation follows the new route without a burst of passed steps."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.alert import (
    Alert,
    AlertSettings,
    AlertState,
    CheckOutcome,
    Decision,
    NotificationKind,
    TransitionKind,
)
from alerts.lifecycle import acknowledge, evaluate, tick
from alerts.matcher import Matcher
from alerts.owner import Owner, Role
from alerts.routing import EscalationStep, Route
from alerts.silence import Silence
from alerts.watchdog import dead_letter
from monitor.daemon.dispatcher import dispatch_once
from monitor.run.alerting import record_alerts, tick_integration
from store.schema import alert_events
from tests.alerts.outbox_support import Setup, make_setup, outbox
from tests.alerts.receivers import HttpReceiver

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
CRITICAL = (Matcher("severity", "=", "critical"),)
OWNERS = {
    "po": Owner("po", role=Role.BUSINESS, emails=("po@example.com",)),
    "maint": Owner("maint", role=Role.MAINTENANCE, emails=("m@example.com",)),
    "oncall": Owner("oncall", role=Role.ONCALL, slack_webhook="http://127.0.0.1:9/s"),
    "lead": Owner("lead", role=Role.ONCALL, teams_webhook="http://127.0.0.1:9/t"),
    "boss": Owner("boss", role=Role.MAINTENANCE, webhook="http://127.0.0.1:9/w"),
}
# warnings reach the owner and maintenance; critical failures the owner, on-call and, after
# 30 minutes unacknowledged, the lead
TREE = Route(
    receiver="maint",
    routes=(Route(receiver="oncall", matchers=CRITICAL, escalate=(EscalationStep(1800, "lead"),)),),
)
SETTINGS = AlertSettings(
    integration="orders",
    owners=OWNERS,
    integration_owners=("po",),
    tree=TREE,
    repeat_interval_s=3600,
)
WARNED = CheckOutcome("reconcile", "reconcile", "warned", "critical")
CRIT = CheckOutcome("reconcile", "reconcile", "failed", "critical")
PASS = CheckOutcome("reconcile", "reconcile", "passed", "critical")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def apply(alerts: Sequence[Alert], decision: Decision) -> list[Alert]:
    """What the monitor stores: the latest alert per fingerprint."""
    by = {a.fingerprint: a for a in alerts}
    by.update({t.alert.fingerprint: t.alert for t in decision.transitions})
    return list(by.values())


def sent(decision: Decision) -> set[tuple[str, str]]:
    return {(str(n.kind), n.receiver) for n in decision.notifications}


def events(decision: Decision) -> list[str]:
    return [e.name for t in decision.transitions for e in t.events]


def warned_at_t0(settings: AlertSettings = SETTINGS) -> list[Alert]:
    first = evaluate([], [WARNED], settings, [], T0)
    assert sent(first) == {("firing", "po"), ("firing", "maint")}
    return apply([], first)


@pytest.mark.parametrize(
    ("critical_at", "tick_at", "escalated"),
    [
        (5, 29, set()),  # the 30-minute step is not due yet
        (5, 31, {("escalation", "lead")}),
        (45, 45, {("escalation", "lead")}),  # already due: sent once, at the next tick
    ],
)
def test_a_warning_that_turns_critical_reaches_oncall_and_escalates(
    critical_at: int, tick_at: int, escalated: set[tuple[str, str]]
) -> None:
    alerts = warned_at_t0()
    d = evaluate(alerts, [CRIT], SETTINGS, [], at(critical_at))
    (t,) = d.transitions
    assert t.kind is TransitionKind.STILL_FIRING
    assert events(d) == ["severity_changed", "still_firing", "rerouted"]
    assert "added: oncall (slack)" in t.events[-1].detail
    assert "removed: maint (email)" in t.events[-1].detail
    assert sent(d) == {("firing", "oncall")}
    alerts = apply(alerts, d)
    assert sent(tick(alerts, [], at(tick_at))) == escalated


def test_recording_the_same_run_twice_sends_the_new_firing_once() -> None:
    alerts = warned_at_t0()
    first = evaluate(alerts, [CRIT], SETTINGS, [], at(5))
    again = evaluate(alerts, [CRIT], SETTINGS, [], at(5))
    assert [n.key for n in first.notifications] == [n.key for n in again.notifications]
    stored = apply(alerts, first)
    later = evaluate(stored, [CRIT], SETTINGS, [], at(5))
    assert later.notifications == () and "rerouted" not in events(later)


def test_keys_of_added_receivers_differ_per_receiver_and_from_the_first_firing() -> None:
    settings = replace(SETTINGS, owners={**OWNERS, "oncall": replace(OWNERS["lead"], id="oncall")})
    first = evaluate([], [WARNED], settings, [], T0)
    d = evaluate(apply([], first), [CRIT], settings, [], at(5))
    keys = [n.key for n in (*first.notifications, *d.notifications)]
    assert len(keys) == 3 and len(set(keys)) == 3  # po, maint, then oncall: all distinct


def test_removed_receivers_get_no_reminder_but_the_resolved_message() -> None:
    alerts = apply(warned_at_t0(), evaluate(warned_at_t0(), [CRIT], SETTINGS, [], at(5)))
    reminder = tick(alerts, [], at(61))
    assert {r for k, r in sent(reminder) if k == "reminder"} == {"po", "oncall"}
    alerts = apply(alerts, reminder)
    resolved = evaluate(alerts, [PASS], SETTINGS, [], at(70))
    assert sent(resolved) == {
        ("resolved", "po"),
        ("resolved", "maint"),  # it got the firing message
        ("resolved", "oncall"),
        ("resolved", "lead"),  # escalated at minute 61
    }


def test_passed_steps_are_not_replayed_in_a_burst() -> None:
    steps = (
        EscalationStep(600, "lead"),
        EscalationStep(1200, "boss"),
        EscalationStep(3000, "maint"),
    )
    tree = replace(TREE, routes=(replace(TREE.routes[0], escalate=steps),))
    settings = replace(SETTINGS, tree=tree)
    alerts = apply(
        warned_at_t0(settings), evaluate(warned_at_t0(settings), [CRIT], settings, [], at(25))
    )
    (alert,) = alerts
    assert alert.escalation_step == 1  # the 10-minute step counts as passed
    burst = tick(alerts, [], at(25))
    assert [(str(n.kind), n.step, n.receiver) for n in burst.notifications] == [
        ("escalation", 2, "boss")
    ]
    alerts = apply(alerts, burst)
    assert tick(alerts, [], at(49)).notifications == ()
    assert sent(tick(alerts, [], at(50))) == {("escalation", "maint")}


@pytest.mark.parametrize(
    ("old_steps", "new_steps", "fires"),
    [
        # the old route already escalated to the lead at 30 minutes: not again
        (
            (EscalationStep(1800, "lead"),),
            (EscalationStep(600, "boss"), EscalationStep(1800, "lead")),
            [],
        ),
        # the lead's step moved: the new latest due step is sent
        ((EscalationStep(1800, "lead"),), (EscalationStep(2400, "lead"),), [(1, "lead")]),
    ],
)
def test_an_escalation_the_old_route_already_sent_is_not_sent_again(
    old_steps: tuple[EscalationStep, ...],
    new_steps: tuple[EscalationStep, ...],
    fires: list[tuple[int, str]],
) -> None:
    old = replace(SETTINGS, tree=None, escalate=old_steps)
    alerts = apply([], evaluate([], [CRIT], old, [], T0))
    alerts = apply(alerts, tick(alerts, [], at(31)))
    new = replace(old, escalate=new_steps)
    alerts = apply(alerts, evaluate(alerts, [CRIT], new, [], at(45)))
    found = tick(alerts, [], at(45))
    assert [
        (n.step, n.receiver) for n in found.notifications if str(n.kind) == "escalation"
    ] == fires


def test_a_new_owner_in_the_monitor_file_is_told_during_an_open_episode() -> None:
    plain = replace(SETTINGS, tree=None)
    alerts = apply([], evaluate([], [CRIT], plain, [], T0))
    changed = replace(plain, integration_owners=("boss",))
    d = evaluate(alerts, [CRIT], changed, [], at(5))
    assert sent(d) == {("firing", "boss")}
    alerts = apply(alerts, d)
    assert {r for _, r in sent(tick(alerts, [], at(61)))} == {"boss"}  # po: no reminder


def test_an_acknowledged_alert_tells_new_receivers_but_does_not_escalate() -> None:
    alerts = warned_at_t0()
    alerts = [acknowledge(alerts[0], "ann", at(2)).alert]
    d = evaluate(alerts, [CRIT], SETTINGS, [], at(5))
    assert sent(d) == {("firing", "oncall")}
    alerts = apply(alerts, d)
    assert alerts[0].state is AlertState.ACKNOWLEDGED
    assert tick(alerts, [], at(120)).transitions == ()


def test_receivers_added_while_silenced_are_told_when_the_silence_ends() -> None:
    silence = Silence((Matcher("check", "=", "reconcile"),), at(1), at(20), "ann", "deploy")
    alerts = warned_at_t0()
    d = evaluate(alerts, [CRIT], SETTINGS, [silence], at(5))
    assert d.notifications == () and "rerouted" in events(d)
    alerts = apply(alerts, d)
    assert tick(alerts, [silence], at(10)).notifications == ()
    late = tick(alerts, [], at(21))
    assert [(str(n.kind), n.receiver) for n in late.notifications] == [("firing", "oncall")]
    assert late.transitions[0].kind is TransitionKind.NOTIFY
    assert tick(apply(alerts, late), [], at(22)).notifications == ()


def test_a_longer_repeat_interval_keeps_reminding_at_its_own_pace() -> None:
    plain = replace(SETTINGS, tree=None)
    alerts = apply([], evaluate([], [CRIT], plain, [], T0))
    for minute in (61, 121, 181):
        alerts = apply(alerts, tick(alerts, [], at(minute)))
    slower = replace(plain, repeat_interval_s=2 * 3600)
    alerts = apply(alerts, evaluate(alerts, [CRIT], slower, [], at(190)))
    assert tick(alerts, [], at(239)).notifications == ()
    reminded = tick(alerts, [], at(241))
    assert {str(n.kind) for n in reminded.notifications} == {"reminder"}
    alerts = apply(alerts, reminded)
    assert tick(alerts, [], at(301)).notifications == ()  # hourly no more
    assert {str(n.kind) for n in tick(alerts, [], at(361)).notifications} == {"reminder"}


def test_dead_letter_alerts_keep_the_targets_chosen_around_the_failed_channel() -> None:
    outcome = dead_letter("maint", "email", "550 no such user")
    alerts = apply([], evaluate([], [outcome], SETTINGS, [], T0))
    alerts = [replace(alerts[0], targets=(), notified=())]  # as record_dead_letter leaves it
    d = evaluate(alerts, [outcome], SETTINGS, [], at(5))
    assert d.notifications == () and "rerouted" not in events(d)
    assert tick(apply(alerts, d), [], at(6)).transitions == ()


# end to end: record_alerts on a SQLite store, the monitor file changed between two runs


@pytest.fixture
def sqlite_setup(tmp_path: Path, receiver: HttpReceiver) -> Iterator[Setup]:
    yield from make_setup(f"sqlite:///{tmp_path}/results.db", tmp_path, receiver)


def record(setup: Setup, outcome: str, severity: str, now: datetime) -> Decision:
    result = CheckOutcome("volume", "volume", outcome, severity, {"source_rows": 9})
    with setup.store.transaction() as tx:
        return record_alerts(tx.connection, setup.context, "orders", [result], now)


def test_record_alerts_reroutes_a_critical_failure_to_maintenance(sqlite_setup: Setup) -> None:
    setup = sqlite_setup
    record(setup, "warned", "critical", T0)
    assert [r.receiver for r in outbox(setup.store)] == ["shop"]
    # the monitor file now routes critical failures to maintenance, escalating to it as well
    tree = Route(receiver="shop", routes=(Route(receiver="maint", matchers=CRITICAL),))
    setup.context = replace(setup.context, tree=tree)
    first = record(setup, "failed", "critical", at(5))
    again = record(setup, "failed", "critical", at(5))  # the same run recorded twice
    assert [(n.receiver, n.kind) for n in first.notifications] == [
        ("maint", NotificationKind.FIRING)
    ]
    assert again.notifications == ()
    rows = outbox(setup.store)
    assert [r.receiver for r in rows] == ["shop", "maint"]
    assert rows[1].idempotency_key == first.notifications[0].key
    with setup.store.engine.connect() as connection:
        trail = connection.execute(
            sa.select(alert_events.c.event, alert_events.c.detail).order_by(alert_events.c.id)
        ).all()
    rerouted = [detail["text"] for event, detail in trail if event == "rerouted"]
    assert rerouted == ["added: maint (webhook); removed: nobody"]
    report = dispatch_once(setup.store, setup.config, now=at(6), worker="w1")
    assert sorted(a.status for a in report.attempts) == ["sent", "sent"]
    assert len(setup.receiver.accepted("/maint")) == 1
    with setup.store.transaction() as tx:
        assert tick_integration(tx.connection, "orders", at(7)).notifications == ()
    resolved = record(setup, "passed", "critical", at(10))
    assert {(n.receiver, n.kind) for n in resolved.notifications} == {
        ("shop", NotificationKind.RESOLVED),
        ("maint", NotificationKind.RESOLVED),
    }
