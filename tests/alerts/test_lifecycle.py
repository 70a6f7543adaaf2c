"""Alert lifecycle with an injected clock: firing, reminders, escalation, silences, resolve."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alerts.alert import (
    Alert,
    AlertKind,
    AlertSettings,
    AlertState,
    CheckOutcome,
    Decision,
    NotificationKind,
    Target,
    TransitionKind,
)
from alerts.errors import InvalidSilence
from alerts.lifecycle import acknowledge, evaluate, tick
from alerts.matcher import Matcher
from alerts.owner import Owner, Role
from alerts.routing import EscalationStep
from alerts.silence import Silence, silencing
from alerts.watchdog import dead_letter, missed_alert

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
OWNERS = {
    "po": Owner("po", "Orders PO", Role.BUSINESS, emails=("po@example.com",)),
    "oncall": Owner("oncall", role=Role.ONCALL, slack_webhook="http://127.0.0.1:9/s"),
    "maint": Owner("maint", role=Role.MAINTENANCE, emails=("m@x.org",), webhook="http://h/w"),
}
SETTINGS = AlertSettings(
    integration="orders",
    owners=OWNERS,
    integration_owners=("po", "oncall"),
    source_system="shop",
    target_system="erp",
    repeat_interval_s=3600,
    escalate=(EscalationStep(1800, "maint"),),
)
FAIL = CheckOutcome("reconcile", "reconcile", "failed", "critical", {"mismatch_rate": 0.03})
PASS = CheckOutcome("reconcile", "reconcile", "passed", "critical")
ERROR = CheckOutcome("reconcile", "reconcile", "error", "critical", reason="ERP is down")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def apply(alerts: Sequence[Alert], decision: Decision) -> list[Alert]:
    """What the monitor does: store the transitions' alerts (latest per fingerprint)."""
    by = {a.fingerprint: a for a in alerts}
    by.update({t.alert.fingerprint: t.alert for t in decision.transitions})
    return list(by.values())


def sent(decision: Decision) -> set[tuple[str, str, str]]:
    return {(str(n.kind), n.receiver, n.channel) for n in decision.notifications}


def test_failure_opens_and_notifies_every_channel_of_the_owners() -> None:
    d = evaluate([], [FAIL], SETTINGS, [], T0)
    (t,) = d.transitions
    assert t.kind is TransitionKind.OPEN and t.alert.state is AlertState.FIRING
    assert t.alert.kind is AlertKind.DATA_QUALITY and t.alert.episode == 1
    assert [e.name for e in t.events] == ["opened", "fired"]
    assert sent(d) == {("firing", "po", "email"), ("firing", "oncall", "slack")}


def test_same_run_twice_gives_identical_keys() -> None:
    first = evaluate([], [FAIL], SETTINGS, [], T0)
    again = evaluate([], [FAIL], SETTINGS, [], T0)
    assert [n.key for n in first.notifications] == [n.key for n in again.notifications]
    assert len({n.key for n in first.notifications}) == 2
    # recording the run again on top of the stored state sends nothing new
    stored = apply([], first)
    assert evaluate(stored, [FAIL], SETTINGS, [], T0).notifications == ()


def test_still_firing_then_resolve_goes_to_every_channel_that_got_firing() -> None:
    alerts = apply([], evaluate([], [FAIL], SETTINGS, [], T0))
    d = evaluate(alerts, [FAIL], SETTINGS, [], at(5))
    assert d.transitions[0].kind is TransitionKind.STILL_FIRING and d.notifications == ()
    alerts = apply(alerts, d)
    alerts = apply(alerts, tick(alerts, [], at(31)))  # escalation adds maint's channels
    d = evaluate(alerts, [PASS], SETTINGS, [], at(40))
    assert d.transitions[0].kind is TransitionKind.RESOLVE
    assert sent(d) == {
        ("resolved", "po", "email"),
        ("resolved", "oncall", "slack"),
        ("resolved", "maint", "email"),
        ("resolved", "maint", "webhook"),
    }


def test_new_failure_after_resolve_is_a_new_episode_with_new_keys() -> None:
    first = evaluate([], [FAIL], SETTINGS, [], T0)
    alerts = apply([], first)
    alerts = apply(alerts, evaluate(alerts, [PASS], SETTINGS, [], at(10)))
    d = evaluate(alerts, [FAIL], SETTINGS, [], at(20))
    (t,) = d.transitions
    assert t.kind is TransitionKind.NEW_EPISODE and t.alert.episode == 2
    assert t.alert.opened_at == at(20)
    assert not {n.key for n in d.notifications} & {n.key for n in first.notifications}


@pytest.mark.parametrize(
    ("minute", "reminders"),
    [(59, 0), (60, 1), (119, 1), (121, 2)],
)
def test_repeat_after_interval(minute: int, reminders: int) -> None:
    settings = replace(SETTINGS, escalate=())
    alerts = apply([], evaluate([], [FAIL], settings, [], T0))
    count = 0
    for m in range(1, minute + 1):
        d = tick(alerts, [], at(m))
        count += sum(1 for n in d.notifications if n.receiver == "po")
        alerts = apply(alerts, d)
    assert count == reminders


def test_tick_twice_at_same_time_gives_same_keys_and_then_nothing() -> None:
    alerts = apply([], evaluate([], [FAIL], SETTINGS, [], T0))
    a, b = tick(alerts, [], at(61)), tick(alerts, [], at(61))
    assert [n.key for n in a.notifications] == [n.key for n in b.notifications]
    assert tick(apply(alerts, a), [], at(61)).notifications == ()


def test_escalation_steps_timing() -> None:
    settings = replace(
        SETTINGS,
        repeat_interval_s=None,
        escalate=(EscalationStep(1800, "maint"), EscalationStep(3600, "po")),
    )
    alerts = apply([], evaluate([], [FAIL], settings, [], T0))
    assert tick(alerts, [], at(29)).notifications == ()
    d = tick(alerts, [], at(30))
    assert sent(d) == {("escalation", "maint", "email"), ("escalation", "maint", "webhook")}
    assert d.transitions[0].alert.escalation_step == 1
    alerts = apply(alerts, d)
    assert tick(alerts, [], at(45)).notifications == ()
    d = tick(alerts, [], at(60))
    assert sent(d) == {("escalation", "po", "email")}
    alerts = apply(alerts, d)
    assert tick(alerts, [], at(600)).notifications == ()


def test_acknowledge_stops_reminders_and_escalation() -> None:
    alerts = apply([], evaluate([], [FAIL], SETTINGS, [], T0))
    t = acknowledge(alerts[0], "ann", at(5), "looking")
    assert t.alert.state is AlertState.ACKNOWLEDGED and t.events[0].actor == "ann"
    alerts = [t.alert]
    assert tick(alerts, [], at(300)).notifications == ()
    # an acknowledged alert still resolves, and the resolve reaches who got the firing
    d = evaluate(alerts, [PASS], SETTINGS, [], at(301))
    assert sent(d) == {("resolved", "po", "email"), ("resolved", "oncall", "slack")}


def silence(start: float, end: float, *matchers: str) -> Silence:
    return Silence(
        tuple(Matcher.parse(m) for m in matchers or ("integration=orders",)),
        at(start),
        at(end),
        "ann",
        "ERP maintenance",
    )


def test_silence_suppresses_then_expiry_resumes() -> None:
    quiet = silence(0, 90)
    d = evaluate([], [FAIL], SETTINGS, [quiet], T0)
    assert d.notifications == () and d.transitions[0].alert.state is AlertState.FIRING
    assert "silenced" in [e.name for e in d.transitions[0].events]
    alerts = apply([], d)
    assert tick(alerts, [quiet], at(89)).notifications == ()  # no reminder, no escalation
    d = tick(alerts, [quiet], at(90))  # silence over: firing now, escalation due too
    assert sent(d) == {
        ("firing", "po", "email"),
        ("firing", "oncall", "slack"),
        ("escalation", "maint", "email"),
        ("escalation", "maint", "webhook"),
    }
    alerts = apply(alerts, d)
    assert tick(alerts, [quiet], at(119)).notifications == ()
    assert {n.kind for n in tick(alerts, [quiet], at(120)).notifications} == {
        NotificationKind.REMINDER
    }


def test_silence_while_firing_pauses_reminders_only_while_active() -> None:
    settings = replace(SETTINGS, escalate=())
    alerts = apply([], evaluate([], [FAIL], settings, [], T0))
    quiet = silence(30, 200, "severity=~crit.*")
    assert tick(alerts, [quiet], at(150)).notifications == ()
    d = tick(alerts, [quiet], at(200))
    assert {n.kind for n in d.notifications} == {NotificationKind.REMINDER}
    assert d.notifications[0].step == 3


def test_resolve_of_never_notified_alert_sends_nothing() -> None:
    alerts = apply([], evaluate([], [FAIL], SETTINGS, [silence(0, 60)], T0))
    d = evaluate(alerts, [PASS], SETTINGS, [], at(10))
    assert d.transitions[0].kind is TransitionKind.RESOLVE and d.notifications == ()


@pytest.mark.parametrize(
    ("runs", "fired_on"),
    [
        ("FFF", 3),
        ("FFPFFF", 6),  # a pass clears the pending alert and restarts the count
        ("FPFPFP", None),  # flapping never fires
    ],
)
def test_after_failures_damps_flapping(runs: str, fired_on: int | None) -> None:
    settings = replace(SETTINGS, after_failures=3)
    alerts: list[Alert] = []
    fired = None
    for i, r in enumerate(runs, start=1):
        d = evaluate(alerts, [FAIL if r == "F" else PASS], settings, [], at(i))
        if d.notifications:
            assert fired is None
            fired = i
        alerts = apply(alerts, d)
    assert fired == fired_on


def test_pending_pass_is_cleared_without_messages() -> None:
    settings = replace(SETTINGS, after_failures=2)
    alerts = apply([], evaluate([], [FAIL], settings, [], T0))
    assert alerts[0].state is AlertState.PENDING
    d = evaluate(alerts, [PASS], settings, [], at(1))
    assert d.transitions[0].kind is TransitionKind.CLEAR and d.notifications == ()


def test_error_opens_run_error_for_oncall_and_keeps_data_quality() -> None:
    alerts = apply([], evaluate([], [FAIL], SETTINGS, [], T0))
    d = evaluate(alerts, [ERROR], SETTINGS, [], at(5))
    (t,) = d.transitions
    assert t.alert.kind is AlertKind.RUN_ERROR and t.alert.reason == "reconcile: ERP is down"
    assert t.alert.check == "*"
    assert {n.receiver for n in d.notifications} == {"oncall"}  # the integration's on-call
    alerts = apply(alerts, d)
    assert len(alerts) == 2
    d = evaluate(alerts, [FAIL], SETTINGS, [], at(10))  # evaluable again: run_error resolves
    kinds = {(t.alert.kind, t.kind) for t in d.transitions}
    assert kinds == {
        (AlertKind.DATA_QUALITY, TransitionKind.STILL_FIRING),
        (AlertKind.RUN_ERROR, TransitionKind.RESOLVE),
    }
    assert sent(d) == {("resolved", "oncall", "slack")}


def test_warned_opens_alert_with_warning_severity() -> None:
    warned = replace(FAIL, outcome="warned")
    d = evaluate([], [warned], SETTINGS, [], T0)
    assert d.transitions[0].alert.severity == "warning"
    assert d.transitions[0].alert.labels["severity"] == "warning"


def test_missed_run_opens_and_resolves() -> None:
    late = missed_alert("orders", at(0), at(40), at(41))
    assert late.outcome == "failed" and late.metrics["overdue_s"] == 60
    assert missed_alert("orders", at(0), at(40), at(40)).outcome == "passed"
    d = evaluate([], [late], SETTINGS, [], at(41))
    assert d.transitions[0].alert.kind is AlertKind.MISSED
    assert {n.receiver for n in d.notifications} == {"oncall"}  # never the business owner
    alerts = apply([], d)
    back = missed_alert("orders", at(45), at(85), at(46))
    assert evaluate(alerts, [back], SETTINGS, [], at(46)).transitions[0].kind is (
        TransitionKind.RESOLVE
    )


def test_dead_letter_goes_to_maintenance() -> None:
    d = evaluate([], [dead_letter("po", "email", "550 no such user")], SETTINGS, [], T0)
    assert d.transitions[0].alert.kind is AlertKind.DEAD_LETTER
    assert {n.receiver for n in d.notifications} == {"maint"}


def test_alert_json_round_trip() -> None:
    alerts = apply([], evaluate([], [FAIL], SETTINGS, [], T0))
    alerts = apply(alerts, tick(alerts, [], at(31)))
    (alert,) = alerts
    assert Alert.from_json(alert.to_json()) == alert
    assert Target("maint", "webhook") in alert.notified


@pytest.mark.parametrize(
    ("author", "comment", "end"),
    [("", "why", 10), ("ann", " ", 10), ("ann", "why", 0)],
)
def test_silence_requires_author_comment_and_window(author: str, comment: str, end: int) -> None:
    with pytest.raises(InvalidSilence):
        Silence((Matcher.parse("check=x"),), at(0), at(end), author, comment)


def test_silencing_window_edges() -> None:
    s = silence(10, 20, "check=reconcile")
    labels = {"check": "reconcile"}
    assert silencing(labels, [s], at(9)) is None
    assert silencing(labels, [s], at(10)) is s
    assert silencing(labels, [s], at(20)) is None
    assert silencing({"check": "volume"}, [s], at(15)) is None


def test_an_outage_is_one_run_error_alert_listing_its_checks() -> None:
    down = [
        replace(ERROR, check=name, reason=f"{name}: connection refused")
        for name in ("reconcile", "volume", "freshness")
    ]
    d = evaluate([], down, SETTINGS, [], T0)
    (t,) = d.transitions
    assert (t.alert.kind, t.alert.check) == (AlertKind.RUN_ERROR, "*")
    assert t.alert.metrics["checks"] == ["reconcile", "volume", "freshness"]
    assert "volume: volume: connection refused" in (t.alert.reason or "")
    assert len({n.key for n in d.notifications}) == len(d.notifications) == 1  # on-call: slack
    alerts = apply([], d)
    again = evaluate(alerts, [replace(d_, outcome="error") for d_ in down[:1]], SETTINGS, [], at(5))
    assert [x.kind for x in again.transitions] == [TransitionKind.STILL_FIRING]
    assert again.transitions[0].alert.metrics["checks"] == ["reconcile"]
    fine = [replace(FAIL, check=name, outcome="passed") for name in ("reconcile", "volume")]
    done = evaluate(alerts, fine, SETTINGS, [], at(10))
    assert [(x.alert.check, x.kind) for x in done.transitions] == [("*", TransitionKind.RESOLVE)]
