"""What the incident tools share: one identity per alert episode, so that repeats, escalations,
acknowledgements and the resolve land on the same incident, and the action each message
kind means to an incident."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from alerts.message import Message


class Action(StrEnum):
    """What a message does to the incident of its alert episode."""

    OPEN = "open"  # firing: open the incident (a repeat of an open one adds nothing new)
    UPDATE = "update"  # reminder, escalation: add to the open incident
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


_ACTIONS = {
    "firing": Action.OPEN,
    "test": Action.OPEN,
    "reminder": Action.UPDATE,
    "escalation": Action.UPDATE,
    "acknowledged": Action.ACKNOWLEDGE,
    "resolved": Action.RESOLVE,
}

SEVERITY_PRIORITY = {"critical": "P1", "error": "P2", "warning": "P3"}


def action_of(message: Message) -> Action:
    """The incident action of a message kind."""
    return _ACTIONS.get(message.kind, Action.UPDATE)


def incident_key(message: Message) -> str:
    """The alert episode's identity: PagerDuty's dedup_key, Opsgenie's alias, Jira's label.
    Short, without blanks, the same for every message of one episode of one alert."""
    digest = hashlib.sha256(message.fingerprint.encode()).hexdigest()[:24]
    return f"dxq-{digest}-{message.episode}"


def one_line(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
