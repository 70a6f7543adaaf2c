"""Opsgenie Alert API: `Authorization: GenieKey KEY` against {base}/v2/alerts.

A firing creates an alert whose `alias` is the alert episode's identity
(`incident.incident_key`): Opsgenie deduplicates an open alert with the same alias, so a retry
never opens a second one. Reminders and escalations add a note; acknowledging in dxq
acknowledges it; a resolve closes it. A test notification creates and closes an alert."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from alerts.channels.http import DEFAULT_TIMEOUT_S
from alerts.channels.incident import SEVERITY_PRIORITY, Action, action_of, incident_key, one_line
from alerts.channels.rest import Reply, call
from alerts.delivery import DeliveryResult
from alerts.message import Message
from alerts.owner import OPSGENIE_URL

DEFAULT_URL = OPSGENIE_URL


def create_body(message: Message) -> dict[str, Any]:
    """The body that opens the alert of this episode."""
    facts = "\n".join(f"{name}: {value}" for name, value in message.facts)
    return {
        "message": one_line(message.title, 130),
        "alias": incident_key(message),
        "description": f"{message.headline}\n\n{facts}\n\n{message.link}"[:15000],
        "priority": SEVERITY_PRIORITY.get(message.severity, "P3"),
        "source": "dxq",
        "entity": message.integration,
        "tags": ["dxq", message.alert_kind, message.severity],
        "details": {
            "integration": message.integration,
            "check": message.check,
            "link": message.link,
        },
    }


def send(
    api_key: str,
    message: Message,
    *,
    base_url: str = DEFAULT_URL,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> DeliveryResult:
    """Hand one message to Opsgenie."""
    if not api_key:
        return DeliveryResult.permanent("opsgenie: no API key")
    base = f"{base_url.rstrip('/')}/v2/alerts"
    headers = {"Authorization": f"GenieKey {api_key}"}
    alias = quote(incident_key(message), safe="")

    def post(path: str, body: dict[str, Any]) -> Reply:
        return call("POST", f"{base}{path}", body, headers, timeout_s=timeout_s, now=now)

    def on_alert(verb: str, note: str) -> Reply:
        body = {"user": "dxq", "source": "dxq", "note": one_line(note, 25000)}
        return post(f"/{alias}/{verb}?identifierType=alias", body)

    action = action_of(message)
    if action is Action.OPEN:
        reply = post("", create_body(message))
        if reply.result.delivered and message.kind == "test":
            reply = on_alert("close", "dxq test notification: closed at once")
    elif action is Action.UPDATE:
        reply = on_alert("notes", f"{message.title}: {message.headline}")
    elif action is Action.ACKNOWLEDGE:
        reply = on_alert("acknowledge", message.headline)
    else:
        reply = on_alert("close", message.headline)
    return reply.result
