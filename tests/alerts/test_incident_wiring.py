"""PagerDuty, Opsgenie and Jira wired end to end: a failing run, the person's acknowledgement,
the tick and a passing run, through the real outbox and dispatcher (SQLite and PostgreSQL
stores), against the loopback stand-in that checks the documented request shapes; faults take
the outbox's backoff or become dead letters; `dxq alerts test` reaches each tool."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.alerts.incident_setup import WRONG_ROUTING_KEY, Wired, wire
from tests.alerts.outbox_support import outbox
from tests.alerts.receivers import HttpReceiver
from tests.support.incident_tools import IncidentTools, incident_tools

ROOT = Path(__file__).resolve().parents[2]
REPEAT = timedelta(hours=4, seconds=1)  # past the default repeat interval: a reminder is due


@pytest.fixture
def tools() -> Iterator[IncidentTools]:
    with incident_tools() as running:
        yield running


@pytest.fixture
def wired(
    store_url: str, tmp_path: Path, tools: IncidentTools, receiver: HttpReceiver
) -> Iterator[Wired]:
    """On SQLite and on PostgreSQL."""
    yield from wire(store_url, tmp_path, tools, receiver)


@pytest.fixture
def lite(tmp_path: Path, tools: IncidentTools, receiver: HttpReceiver) -> Iterator[Wired]:
    """On SQLite only."""
    yield from wire(f"sqlite:///{tmp_path}/results.db", tmp_path, tools, receiver)


def _sent(w: Wired, now: datetime) -> list[tuple[str, str]]:
    """One dispatcher pass at `now`: (receiver, status) of each attempt, in claim order."""
    return sorted((a.receiver, str(a.status)) for a in w.dispatch(now).attempts)


def _pd_actions(tools: IncidentTools) -> list[str]:
    return [c.body["event_action"] for c in tools.calls if c.path == "/v2/enqueue"]


def test_firing_acknowledge_and_resolve_reach_each_incident_tool(wired: Wired) -> None:
    w, tools, t0 = wired, wired.tools, datetime.now(UTC)
    w.outcome(t0)
    assert _sent(w, t0) == [(r, "sent") for r in ("genie", "pager", "shop", "tracker")]
    ((key, [incident]),) = tools.incidents.items()
    assert (incident.status, incident.severity) == ("triggered", "critical")
    assert incident.summary.startswith("[FIRING] orders: data check failed (volume)")
    ((alias, [ops]),) = tools.alerts.items()
    assert alias == key and (ops.status, ops.acknowledged) == ("open", False)
    (issue,) = tools.issues.values()
    assert key in issue.labels and issue.status == "To Do"

    said = w.acknowledge("ann", "looking at the ERP import")
    assert said.startswith("Acknowledged by ann")
    queued = [(r.receiver, r.payload["notification"]["kind"]) for r in outbox(w.store)]
    acked = sorted(r for r, kind in queued if kind == "acknowledged")
    # the incident tools that were sent the firing; not the webhook owner, nor `wrong` (a
    # PagerDuty owner of another integration)
    assert acked == ["genie", "pager", "tracker"]
    now = datetime.now(UTC)
    assert _sent(w, now) == [("genie", "sent"), ("pager", "sent"), ("tracker", "sent")]
    assert incident.status == "acknowledged" and ops.acknowledged and ops.status == "open"
    assert issue.comments[-1].startswith("[ACKNOWLEDGED by ann] orders: data check failed")
    assert "Acknowledged in dxq by ann at" in issue.comments[-1]

    w.outcome(now + timedelta(minutes=5), "passed")
    later = now + timedelta(minutes=5)
    assert _sent(w, later) == [(r, "sent") for r in ("genie", "pager", "shop", "tracker")]
    assert incident.status == "resolved" and ops.status == "closed"
    assert issue.status == "Done" and issue.comments[-1].startswith("[RESOLVED]")
    assert _pd_actions(tools) == ["trigger", "acknowledge", "resolve"]
    assert [len(h) for h in tools.incidents.values()] == [1]
    assert len(tools.issues) == 1 and [len(h) for h in tools.alerts.values()] == [1]
    events = [m.body["event"] for m in w.receiver.at("/shop")]
    assert events == ["firing", "resolved"]
    assert {r.status for r in outbox(w.store)} == {"sent"}


def test_a_reminder_retriggers_the_same_incident(lite: Wired) -> None:
    w, tools, t0 = lite, lite.tools, datetime.now(UTC)
    w.outcome(t0)
    w.dispatch(t0)
    reminded = w.tick(t0 + REPEAT)
    assert {str(n.kind) for n in reminded.notifications} == {"reminder"}
    assert _sent(w, t0 + REPEAT) == [(r, "sent") for r in ("genie", "pager", "shop", "tracker")]
    assert _pd_actions(tools) == ["trigger", "trigger"]
    ((_, [incident]),) = tools.incidents.items()  # one incident, not a second one
    assert (incident.status, incident.events) == ("triggered", 2)
    ((_, [ops]),) = tools.alerts.items()
    assert ops.count == 1 and ops.notes and ops.notes[0].startswith("[STILL FAILING]")
    (issue,) = tools.issues.values()
    assert issue.comments and issue.comments[0].startswith("[STILL FAILING]")


def test_429_and_5xx_are_retried_with_the_outbox_backoff_then_delivered(wired: Wired) -> None:
    w, tools, t0 = wired, wired.tools, datetime.now(UTC)
    tools.fail("/v2/enqueue", (429, {"Retry-After": "7"}), (503, {}))
    tools.fail("/rest/api/3/search", (502, {}))
    w.outcome(t0)
    first = {a.receiver: a for a in w.dispatch(t0).attempts}
    assert str(first["pager"].status) == "retry" and "HTTP 429" in (first["pager"].error or "")
    assert str(first["tracker"].status) == "retry" and "HTTP 502" in (first["tracker"].error or "")
    retry_at = first["pager"].next_attempt_at
    assert retry_at is not None and retry_at >= t0 + timedelta(seconds=7)
    assert "pager" not in {a.receiver for a in w.dispatch(t0 + timedelta(seconds=6.9)).attempts}
    second = {a.receiver: a for a in w.dispatch(retry_at).attempts}
    assert str(second["pager"].status) == "retry" and "HTTP 503" in (second["pager"].error or "")
    jira_at, later = first["tracker"].next_attempt_at, second["pager"].next_attempt_at
    assert jira_at is not None and later is not None
    last = max(jira_at, later)
    assert _sent(w, last) == [("pager", "sent"), ("tracker", "sent")]
    assert [len(h) for h in tools.incidents.values()] == [1]
    assert len(tools.issues) == 1
    rows = {r.receiver: r for r in outbox(w.store)}
    assert (rows["pager"].status, rows["pager"].attempts) == ("sent", 3)
    assert (rows["tracker"].status, rows["tracker"].attempts) == ("sent", 2)
    keys = {c.body["dedup_key"] for c in tools.calls if c.path == "/v2/enqueue"}
    assert len(keys) == 1  # every retry carries the episode's one dedup_key


def test_wrong_keys_are_dead_letters_that_alert_maintenance(wired: Wired) -> None:
    w, t0 = wired, datetime.now(UTC)
    w.outcome(t0, integration="refunds")
    attempts = {(a.receiver, a.channel): a for a in w.dispatch(t0).attempts}
    assert sorted((r, str(a.status)) for (r, _), a in attempts.items()) == [
        ("badgenie", "dead"),
        ("badjira", "dead"),
        ("maint", "sent"),
        ("wrong", "dead"),
    ]
    pd = attempts[("wrong", "pagerduty")].error or ""
    assert "permanent" in pd and "HTTP 400" in pd and "Invalid routing key" in pd
    assert WRONG_ROUTING_KEY not in pd
    assert "HTTP 401" in (attempts[("badgenie", "opsgenie")].error or "")
    assert "valid project is required" in (attempts[("badjira", "jira")].error or "")
    assert w.tools.incidents == {} and w.tools.alerts == {} and w.tools.issues == {}
    told = w.receiver.at("/maint")
    assert {m.body["alert"]["kind"] for m in told} == {"dead_letter"}
    summaries = " ".join(m.body["summary"] for m in told)
    for channel in ("pagerduty", "opsgenie", "jira"):
        assert channel in summaries
    statuses = [(r.receiver, r.status) for r in outbox(w.store)]
    assert sorted(statuses)[:3] == [("badgenie", "dead"), ("badjira", "dead"), ("maint", "sent")]
    assert len([c for c in w.tools.calls if c.path == "/v2/enqueue"]) == 1  # never retried


def _dxq_alerts_test(w: Wired, owner: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "alerts", "test", "-c", str(w.config_path), owner],
        capture_output=True,
        text=True,
        env={**os.environ, **w.env},
        cwd=ROOT,
        timeout=120,
    )


def test_dxq_alerts_test_reaches_each_incident_tool(lite: Wired) -> None:
    tools = lite.tools
    pager = _dxq_alerts_test(lite, "pager")
    assert pager.returncode == 0, pager.stderr
    assert pager.stdout.strip() == (
        f"pagerduty {tools.url}: delivered: triggered and resolved a test incident"
    )
    ((_, [incident]),) = tools.incidents.items()
    assert incident.status == "resolved" and incident.summary.startswith("[TEST]")
    assert _pd_actions(tools) == ["trigger", "resolve"]

    genie = _dxq_alerts_test(lite, "genie")
    assert genie.returncode == 0, genie.stderr
    assert (
        genie.stdout.strip() == f"opsgenie {tools.url}: delivered: created and closed a test alert"
    )
    ((_, [ops]),) = tools.alerts.items()
    assert ops.status == "closed" and ops.message.startswith("[TEST]")

    for _ in range(2):  # each test files its own issue
        jira = _dxq_alerts_test(lite, "tracker")
        assert jira.returncode == 0, jira.stderr
        assert jira.stdout.strip() == (
            f"jira {tools.url} project {tools.jira_project} as {tools.jira_email}: delivered: "
            "filed a test issue (labelled dxq; close it in Jira)"
        )
    assert [i.summary.startswith("[TEST]") for i in tools.issues.values()] == [True, True]

    wrong = _dxq_alerts_test(lite, "wrong")
    assert wrong.returncode == 1
    assert "FAILED" in wrong.stdout and "HTTP 400" in wrong.stdout
    everything = pager.stdout + genie.stdout + jira.stdout + wrong.stdout
    for secret in (tools.routing_key, tools.genie_key, tools.jira_token, WRONG_ROUTING_KEY):
        assert secret not in everything
