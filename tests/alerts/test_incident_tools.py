"""PagerDuty, Opsgenie and Jira channels against loopback stand-ins that check the documented
request shapes: one incident per alert episode through firing, repeats, acknowledgement and
resolve; a new episode is a new incident; faults are classified for the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from alerts.channels import jira, opsgenie, pagerduty
from alerts.channels.incident import incident_key
from alerts.message import Message
from tests.support.incident_tools import IncidentTools, incident_tools

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _message(kind: str, episode: int = 1, check: str = "reconcile") -> Message:
    return Message(
        kind=kind,
        alert_kind="data_quality",
        integration="orders",
        check=check,
        severity="critical",
        title=f"[{kind.upper()}] orders: 11 of 1,305 orders differ ({check})",
        headline="11 of 1,305 records (0.84%) differ: 10 missing in erp, 1 changed.",
        facts=(("mismatch rate", "0.84%"), ("limit", "0.50%")),
        since=NOW,
        owners=("Finance",),
        link="http://localhost:8501/check?integration=orders&check=reconcile",
        key=f"dxq-key-{kind}-{episode}",
        fingerprint=f"data_quality|orders|{check}",
        episode=episode,
    )


@pytest.fixture
def tools() -> Iterator[IncidentTools]:
    with incident_tools() as running:
        yield running


def test_pagerduty_one_incident_per_episode(tools: IncidentTools) -> None:
    def send(kind: str, episode: int = 1) -> bool:
        result = pagerduty.send(
            tools.routing_key, _message(kind, episode), base_url=tools.url, now=NOW
        )
        return result.delivered

    assert send("firing") and send("reminder") and send("escalation")
    [incident] = tools.incidents[incident_key(_message("firing"))]
    assert (incident.status, incident.events, incident.severity) == ("triggered", 3, "critical")
    assert send("acknowledged")
    assert incident.status == "acknowledged"
    assert send("resolved")
    assert incident.status == "resolved" and tools.open_incidents() == []
    assert send("firing", episode=2)  # a new episode after the resolve is a new incident
    assert [i.status for i in tools.open_incidents()] == ["triggered"]
    bodies = [c.body for c in tools.calls if c.path == "/v2/enqueue"]
    assert {b["event_action"] for b in bodies} == {"trigger", "acknowledge", "resolve"}
    assert bodies[0]["payload"]["component"] == "orders"
    assert bodies[0]["links"][0]["href"].endswith("check=reconcile")


def test_pagerduty_faults(tools: IncidentTools) -> None:
    message = _message("firing")
    wrong = pagerduty.send("x" * 31, message, base_url=tools.url, now=NOW)
    assert not wrong.delivered and not wrong.retryable and "HTTP 400" in (wrong.error or "")
    tools.fail("/v2/enqueue", (429, {"Retry-After": "30"}), (502, {}))
    limited = pagerduty.send(tools.routing_key, message, base_url=tools.url, now=NOW)
    assert limited.retryable and limited.retry_after_s == 30
    busy = pagerduty.send(tools.routing_key, message, base_url=tools.url, now=NOW)
    assert busy.retryable and "HTTP 502" in (busy.error or "")
    assert pagerduty.send(tools.routing_key, message, base_url=tools.url, now=NOW).delivered
    assert len(tools.open_incidents()) == 1
    down = pagerduty.send(tools.routing_key, message, base_url="http://127.0.0.1:9", now=NOW)
    assert down.retryable and not down.delivered


def test_pagerduty_test_notification_leaves_no_open_incident(tools: IncidentTools) -> None:
    assert pagerduty.send(
        tools.routing_key, _message("test"), base_url=tools.url, now=NOW
    ).delivered
    assert tools.open_incidents() == []
    assert [c.body["event_action"] for c in tools.calls] == ["trigger", "resolve"]


def test_opsgenie_one_alert_per_episode(tools: IncidentTools) -> None:
    def send(kind: str, episode: int = 1, key: str | None = None) -> bool:
        message = _message(kind, episode)
        result = opsgenie.send(key or tools.genie_key, message, base_url=tools.url, now=NOW)
        return result.delivered

    assert send("firing") and send("firing")  # a retried firing is deduplicated by alias
    assert send("reminder") and send("acknowledged")
    [alert] = tools.alerts[incident_key(_message("firing"))]
    assert (alert.status, alert.count, alert.acknowledged) == ("open", 2, True)
    assert len(alert.notes) == 1 and "REMINDER" in alert.notes[0]
    assert send("resolved") and alert.status == "closed"
    create = next(c for c in tools.calls if c.path == "/v2/alerts")
    assert create.headers["authorization"] == f"GenieKey {tools.genie_key}"
    assert create.body["priority"] == "P1" and len(create.body["message"]) <= 130
    assert not send("firing", 2, key="wrong-key-0000000000")
    refused = opsgenie.send("wrong-key-0000000", _message("firing"), base_url=tools.url)
    assert not refused.retryable and "HTTP 401" in (refused.error or "")


def test_opsgenie_long_titles_fit(tools: IncidentTools) -> None:
    long = replace(_message("firing"), title="x" * 500)
    assert opsgenie.send(tools.genie_key, long, base_url=tools.url).delivered


def _site(tools: IncidentTools) -> jira.JiraSite:
    return jira.JiraSite(tools.url, tools.jira_project, tools.jira_email, tools.jira_token)


def test_jira_one_issue_per_episode(tools: IncidentTools) -> None:
    site = _site(tools)
    assert jira.send(site, _message("firing"), now=NOW).delivered
    assert jira.send(site, _message("firing"), now=NOW).delivered  # a retry files nothing new
    assert jira.send(site, _message("escalation"), now=NOW).delivered
    assert jira.send(site, _message("acknowledged"), now=NOW).delivered
    [issue] = tools.issues.values()
    assert issue.labels == ["dxq", incident_key(_message("firing"))]
    assert len(issue.comments) == 2 and issue.status == "To Do"
    assert jira.send(site, _message("resolved"), now=NOW).delivered
    assert issue.status == "Done" and len(issue.comments) == 3
    assert jira.send(site, _message("firing", episode=2), now=NOW).delivered
    assert len(tools.issues) == 2  # a new episode is a new issue


def test_jira_faults(tools: IncidentTools) -> None:
    site = _site(tools)
    wrong = jira.send(replace(site, api_token="nope"), _message("firing"), now=NOW)
    assert not wrong.delivered and not wrong.retryable and "HTTP 401" in (wrong.error or "")
    bad_project = jira.send(replace(site, project="NOPE"), _message("firing"), now=NOW)
    assert not bad_project.retryable and "valid project is required" in (bad_project.error or "")
    tools.fail("/rest/api/3/issue", (503, {}))
    busy = jira.send(site, _message("firing"), now=NOW)
    assert busy.retryable and tools.issues == {}
    assert jira.send(site, _message("firing"), now=NOW).delivered
    assert len(tools.issues) == 1
