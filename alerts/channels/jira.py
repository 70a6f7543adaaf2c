"""Jira Cloud (REST API v3, basic auth with an account e-mail and API token): one issue per
alert episode, found again by its label (`incident.incident_key`), so a retry after a crash
never files a second issue and no issue key has to be remembered.

A firing files the issue (unless one with the label exists); reminders, escalations and an
acknowledgement comment on it; a resolve comments and moves it through a transition whose
target is in the "done" category, when the workflow offers one."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from alerts.channels.http import DEFAULT_TIMEOUT_S
from alerts.channels.incident import Action, action_of, incident_key, one_line
from alerts.channels.rest import Reply, call
from alerts.delivery import DeliveryResult
from alerts.message import Message
from alerts.owner import JiraSite

__all__ = ["JiraSite", "document", "issue_fields", "send"]


def document(*paragraphs: str) -> dict[str, Any]:
    """An Atlassian Document Format body of plain paragraphs."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": text}]}
            for text in paragraphs
            if text
        ],
    }


def issue_fields(site: JiraSite, message: Message) -> dict[str, Any]:
    """The fields of the issue that stands for one alert episode."""
    facts = "; ".join(f"{name}: {value}" for name, value in message.facts)
    return {
        "project": {"key": site.project},
        "issuetype": {"name": site.issue_type},
        "summary": one_line(message.title, 255),
        "description": document(message.headline, facts, f"In dxq: {message.link}"),
        "labels": ["dxq", incident_key(message)],
    }


def send(
    site: JiraSite,
    message: Message,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> DeliveryResult:
    """Hand one message to Jira."""
    api = f"{site.url.rstrip('/')}/rest/api/3"
    auth = (site.email, site.api_token)

    def request(method: str, path: str, body: dict[str, Any] | None = None) -> Reply:
        return call(method, f"{api}{path}", body, {}, timeout_s=timeout_s, now=now, auth=auth)

    label = incident_key(message)
    found = request("GET", "/search/jql?" + urlencode({"jql": f'labels = "{label}"'}))
    if not found.result.delivered:
        return found.result
    issues = (found.body or {}).get("issues") or []
    if not issues:
        created = request("POST", "/issue", {"fields": issue_fields(site, message)})
        if not created.result.delivered or action_of(message) is Action.OPEN:
            return created.result
        key = str((created.body or {}).get("key", ""))
    else:
        key = str(issues[0]["key"])
        if action_of(message) is Action.OPEN:
            return DeliveryResult.ok()  # filed by an earlier attempt of this firing
    path = f"/issue/{quote(key, safe='')}"
    commented = request(
        "POST", f"{path}/comment", {"body": document(message.title, message.headline)}
    )
    if not commented.result.delivered or action_of(message) is not Action.RESOLVE:
        return commented.result
    transitions = request("GET", f"{path}/transitions")
    if not transitions.result.delivered:
        return transitions.result
    done = [
        t
        for t in (transitions.body or {}).get("transitions", [])
        if t.get("to", {}).get("statusCategory", {}).get("key") == "done"
    ]
    if not done:
        return DeliveryResult.ok()  # the workflow offers no way to done: the comment says it
    return request("POST", f"{path}/transitions", {"transition": {"id": done[0]["id"]}}).result
