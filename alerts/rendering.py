"""A `Message` rendered for each channel: e-mail, Slack, Teams and the generic webhook.

The generic webhook body is a stable, versioned schema (`WEBHOOK_SCHEMA_VERSION`):

    {"version": 1, "idempotency_key": str, "event": firing|reminder|escalation|resolved|test,
     "alert": {"fingerprint", "episode", "kind", "integration", "check", "severity", "since"},
     "title": str, "summary": str, "facts": {name: value}, "owners": [str], "link": str}
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from alerts.message import Message

WEBHOOK_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Email:
    """An e-mail's subject and both bodies."""

    subject: str
    text: str
    html: str


def render_email(message: Message) -> Email:
    """Plain text first, a simple HTML alternative second."""
    owners = ", ".join(message.owners) or "nobody"
    lines = [message.headline, ""]
    lines += [f"{name}: {value}" for name, value in message.facts]
    lines += ["", f"Owners: {owners}", f"Details: {message.link}"]
    rows = "".join(
        f"<tr><th align='left'>{escape(n)}</th><td>{escape(v)}</td></tr>" for n, v in message.facts
    )
    html = (
        f"<html><body><h2>{escape(message.title)}</h2><p>{escape(message.headline)}</p>"
        f"<table>{rows}</table><p>Owners: {escape(owners)}</p>"
        f'<p><a href="{escape(message.link)}">Open the check in dxq</a></p></body></html>'
    )
    return Email(subject=message.title, text="\n".join(lines) + "\n", html=html)


def render_slack(message: Message) -> dict[str, Any]:
    """An incoming-webhook payload: a text fallback and Block Kit blocks."""
    fields = [{"type": "mrkdwn", "text": f"*{n}*\n{v}"} for n, v in message.facts[:10]]
    return {
        "text": f"{message.title}: {message.headline}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": message.headline}},
            {"type": "section", "fields": fields},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"Owners: {', '.join(message.owners) or 'nobody'}"}
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in dxq"},
                        "url": message.link,
                    }
                ],
            },
        ],
    }


def render_teams(message: Message) -> dict[str, Any]:
    """A Teams workflow webhook payload carrying one Adaptive Card."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": message.title,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": message.headline, "wrap": True},
            {"type": "FactSet", "facts": [{"title": n, "value": v} for n, v in message.facts]},
            {
                "type": "TextBlock",
                "text": f"Owners: {', '.join(message.owners) or 'nobody'}",
                "wrap": True,
                "isSubtle": True,
            },
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open in dxq", "url": message.link}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def render_webhook(message: Message) -> dict[str, Any]:
    """The generic webhook body (schema in the module docstring)."""
    return {
        "version": WEBHOOK_SCHEMA_VERSION,
        "idempotency_key": message.key,
        "event": message.kind,
        "alert": {
            "fingerprint": message.fingerprint,
            "episode": message.episode,
            "kind": message.alert_kind,
            "integration": message.integration,
            "check": message.check,
            "severity": message.severity,
            "since": message.since.isoformat(),
        },
        "title": message.title,
        "summary": message.headline,
        "facts": dict(message.facts),
        "owners": list(message.owners),
        "link": message.link,
    }
