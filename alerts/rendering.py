"""A `Message` rendered for each channel: e-mail, Slack, Teams and the generic webhook.

The generic webhook body is a stable, versioned schema (`WEBHOOK_SCHEMA_VERSION`):

    {"version": 1, "idempotency_key": str, "event": firing|reminder|escalation|resolved|test,
     "alert": {"fingerprint", "episode", "kind", "integration", "check", "severity", "since"},
     "title": str, "summary": str, "facts": {name: value}, "owners": [str], "link": str}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.escaping import for_html, for_slack, for_teams
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
        f"<tr><th align='left'>{for_html(n)}</th><td>{for_html(v)}</td></tr>"
        for n, v in message.facts
    )
    html = (
        f"<html><body><h2>{for_html(message.title)}</h2><p>{for_html(message.headline)}</p>"
        f"<table>{rows}</table><p>Owners: {for_html(owners)}</p>"
        f'<p><a href="{for_html(message.link)}">Open the check in dxq</a></p></body></html>'
    )
    return Email(subject=message.title, text="\n".join(lines) + "\n", html=html)


def render_slack(message: Message) -> dict[str, Any]:
    """An incoming-webhook payload: a text fallback and Block Kit blocks (mrkdwn text escaped
    by `for_slack`; plain_text is never formatted by Slack)."""
    fields = [
        {"type": "mrkdwn", "text": f"*{for_slack(n)}*\n{for_slack(v)}"}
        for n, v in message.facts[:10]
    ]
    owners = for_slack(", ".join(message.owners) or "nobody")
    return {
        "text": for_slack(f"{message.title}: {message.headline}"),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": for_slack(message.headline)}},
            {"type": "section", "fields": fields},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Owners: {owners}"}],
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
    """A Teams workflow webhook payload carrying one Adaptive Card (its markdown text escaped
    by `for_teams`)."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": for_teams(message.title),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": for_teams(message.headline), "wrap": True},
            {
                "type": "FactSet",
                "facts": [{"title": for_teams(n), "value": for_teams(v)} for n, v in message.facts],
            },
            {
                "type": "TextBlock",
                "text": f"Owners: {for_teams(', '.join(message.owners) or 'nobody')}",
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
