"""PagerDuty Events API v2: POST {base}/v2/enqueue with the owner's integration routing key.

A firing triggers an incident whose `dedup_key` is the alert episode's identity
(`incident.incident_key`), so reminders and escalations re-trigger the same incident instead of
opening a second one; acknowledging in dxq acknowledges it and a resolve resolves it. A test
notification triggers and then resolves an incident of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.channels.http import DEFAULT_TIMEOUT_S
from alerts.channels.incident import Action, action_of, incident_key, one_line
from alerts.channels.rest import call
from alerts.delivery import DeliveryResult
from alerts.message import Message
from alerts.owner import PAGERDUTY_URL

DEFAULT_URL = PAGERDUTY_URL
_SEVERITY = {"critical": "critical", "error": "error", "warning": "warning"}


def event(message: Message, routing_key: str, action: str) -> dict[str, Any]:
    """The Events API v2 body for one action (trigger, acknowledge, resolve)."""
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": incident_key(message),
    }
    if action == "trigger":
        body["payload"] = {
            "summary": one_line(message.title, 1024),
            "source": "dxq",
            "severity": _SEVERITY.get(
                message.severity, "info" if message.kind == "test" else "error"
            ),
            "timestamp": message.since.isoformat(),
            "component": message.integration,
            "group": message.alert_kind,
            "class": one_line(message.check, 255),
            "custom_details": {"summary": message.headline, **dict(message.facts)},
        }
        body["links"] = [{"href": message.link, "text": "The check in dxq"}]
        body["client"] = "dxq"
        body["client_url"] = message.link
    return body


def send(
    routing_key: str,
    message: Message,
    *,
    base_url: str = DEFAULT_URL,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> DeliveryResult:
    """Hand one message to PagerDuty."""
    if not routing_key:
        return DeliveryResult.permanent("pagerduty: no routing key")
    url = f"{base_url.rstrip('/')}/v2/enqueue"
    action = action_of(message)
    pd_actions = {
        Action.OPEN: ["trigger"],
        Action.UPDATE: ["trigger"],
        Action.ACKNOWLEDGE: ["acknowledge"],
        Action.RESOLVE: ["resolve"],
    }[action]
    if message.kind == "test":
        pd_actions = ["trigger", "resolve"]
    for pd_action in pd_actions:
        reply = call(
            "POST", url, event(message, routing_key, pd_action), {}, timeout_s=timeout_s, now=now
        )
        if not reply.result.delivered:
            return reply.result
    return DeliveryResult.ok()
