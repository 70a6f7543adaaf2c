"""The plain data that crosses the boundary between `alerts` and the monitor.

The monitor loads `Alert`s from the store, passes them with the run's `CheckOutcome`s to
`alerts.lifecycle`, and writes back what comes out (`Transition`s, `AlertEvent`s and
`Notification`s) in the same transaction as the run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from alerts.owner import Owner
from alerts.routing import EscalationStep, Route


class AlertKind(StrEnum):
    """What an alert is about."""

    DATA_QUALITY = "data_quality"  # a check failed (or warned)
    RUN_ERROR = "run_error"  # a check could not be evaluated
    MISSED = "missed"  # a scheduled run did not report in time
    DEAD_LETTER = "dead_letter"  # a notification could not be delivered


class Severity(StrEnum):
    """How bad a failing check is, worst first (the values are the monitor file's words)."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"


class Outcome(StrEnum):
    """A check's verdict as `alerts` reads it (the values `checks` records)."""

    PASSED = "passed"
    WARNED = "warned"
    FAILED = "failed"
    ERROR = "error"  # could not be evaluated


class AlertState(StrEnum):
    """Where an alert is in its life; `pending` waits for `after_failures`."""

    PENDING = "pending"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


PASSED_AGAIN = "passed again"  # the resolution of an alert whose check really passed again
ALL_CHECKS = "*"  # the check of an integration's one run_error alert: the whole run
ALL_CHECKS_WORDS = "the whole run"  # how messages and pages name that check


class NotificationKind(StrEnum):
    """Why a notification is sent."""

    FIRING = "firing"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    ACKNOWLEDGED = "acknowledged"  # only to the incident tools that were sent the firing
    RESOLVED = "resolved"


class TransitionKind(StrEnum):
    """What happened to an alert; OPEN and NEW_EPISODE insert a row, the others update it."""

    OPEN = "open"
    NEW_EPISODE = "new_episode"
    PENDING = "pending"
    FIRE = "fire"
    STILL_FIRING = "still_firing"
    RESOLVE = "resolve"
    CLEAR = "clear"  # a pending alert passed before it ever fired
    NOTIFY = "notify"  # firing sent late because a silence ended
    REMIND = "remind"
    ESCALATE = "escalate"
    ACKNOWLEDGE = "acknowledge"


@dataclass(frozen=True)
class Target:
    """One channel of one receiver."""

    receiver: str
    channel: str


@dataclass(frozen=True)
class Step:
    """An escalation step expanded to channels."""

    after_s: float
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result as `alerts` needs it.

    `check_kind` is the check family (reconcile, freshness, volume, references, schema,
    expectation) or `missed` / `dead_letter` for the alerts dxq raises about itself.
    `outcome` is passed | warned | failed | error.
    """

    check: str
    check_kind: str
    outcome: Outcome
    severity: Severity = Severity.ERROR
    metrics: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None
    observed: str | None = None
    expected: str | None = None
    side: str | None = None  # source | target | None (both sides)
    subject: str = ""  # what was measured, e.g. "erp.sales_orders" (set by the monitor)
    limit: float | None = None  # the check's limit from the monitor file (reconcile: a rate)
    keys: tuple[str, ...] = ()  # a few failing records' keys, as text (`message.failing_keys`)
    target_system: str = ""  # the target it measured, when an integration has several

    def __post_init__(self) -> None:
        # the words `checks` records read as the enums (ValueError for a word that is neither)
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "severity", Severity(self.severity))


@dataclass(frozen=True)
class AlertSettings:
    """How one integration is alerted: its owners, the routes tree and the timers."""

    integration: str
    owners: Mapping[str, Owner]
    integration_owners: tuple[str, ...] = ()
    tree: Route | None = None
    source_system: str = ""
    target_system: str = ""
    after_failures: int = 1
    repeat_interval_s: float | None = 4 * 3600.0
    escalate: tuple[EscalationStep, ...] = ()


@dataclass(frozen=True)
class Alert:
    """One episode of one fingerprint (kind, integration, check)."""

    kind: AlertKind
    integration: str
    check: str
    episode: int
    state: AlertState
    severity: Severity
    check_kind: str
    opened_at: datetime
    last_seen_at: datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    consecutive_failures: int = 1
    metrics: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None
    observed: str | None = None
    expected: str | None = None
    fired_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    targets: tuple[Target, ...] = ()  # routed at firing time (a snapshot)
    repeat_interval_s: float | None = None
    escalate: tuple[Step, ...] = ()
    escalation_step: int = 0  # escalation steps already notified
    reminder_slot: int = 0  # repeat intervals already reminded
    notified: tuple[Target, ...] = ()  # every target that was sent firing/reminder/escalation
    side: str | None = None  # the side the check measured (source | target | None: both)
    subject: str = ""  # what the check measured, e.g. "erp.sales_orders"
    limit: float | None = None  # the check's limit from the monitor file
    resolution: str | None = None  # why it resolved: PASSED_AGAIN, or another reason
    keys: tuple[str, ...] = ()  # a few keys of failing records, from the latest run

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AlertKind(self.kind))
        object.__setattr__(self, "state", AlertState(self.state))
        object.__setattr__(self, "severity", Severity(self.severity))

    @property
    def fingerprint(self) -> str:
        """`kind|integration|check`: at most one open alert per fingerprint."""
        return fingerprint(self.kind, self.integration, self.check)

    @property
    def is_open(self) -> bool:
        """Not resolved."""
        return self.state is not AlertState.RESOLVED

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO strings), read back by `from_json`."""
        doc: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif name in ("targets", "notified"):
                value = [[t.receiver, t.channel] for t in value]
            elif name == "escalate":
                value = [[s.after_s, [[t.receiver, t.channel] for t in s.targets]] for s in value]
            elif isinstance(value, Mapping):
                value = dict(value)
            doc[name] = value
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Alert:
        """The alert `to_json` wrote."""
        values = dict(doc)
        for name in ("opened_at", "last_seen_at", "fired_at", "acknowledged_at", "resolved_at"):
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(values[name])
        values["kind"] = AlertKind(values["kind"])
        values["state"] = AlertState(values["state"])
        for name in ("targets", "notified"):
            values[name] = tuple(Target(r, c) for r, c in values.get(name, ()))
        values["keys"] = tuple(values.get("keys", ()))
        values["escalate"] = tuple(
            Step(after, tuple(Target(r, c) for r, c in targets))
            for after, targets in values.get("escalate", ())
        )
        return cls(**values)


@dataclass(frozen=True)
class AlertEvent:
    """One line of the audit trail (the `alert_events` table)."""

    name: str
    at: datetime
    actor: str = "dxq"
    detail: str = ""


@dataclass(frozen=True)
class Transition:
    """An alert's new state and why it changed."""

    kind: TransitionKind
    alert: Alert
    events: tuple[AlertEvent, ...]


@dataclass(frozen=True)
class Notification:
    """One message to enqueue in the outbox for one receiver's channel."""

    key: str
    kind: NotificationKind
    step: int
    receiver: str
    channel: str
    fingerprint: str
    episode: int
    created_at: datetime


@dataclass(frozen=True)
class Decision:
    """Everything the monitor writes after one evaluation or tick."""

    transitions: tuple[Transition, ...] = ()
    notifications: tuple[Notification, ...] = ()

    def in_installation(self, installation: str) -> Decision:
        """The decision with each notification's key made unique to one installation (one
        results store, `installation_key`)."""
        notifications = tuple(
            replace(n, key=installation_key(n.key, installation)) for n in self.notifications
        )
        return replace(self, notifications=notifications)


def fingerprint(kind: AlertKind | str, integration: str, check: str) -> str:
    """The identity of an alert across runs."""
    return f"{kind}|{integration}|{check}"


def notification_key(
    alert: Alert, kind: NotificationKind, step: int, receiver: str, channel: str
) -> str:
    """The idempotency key: the same episode, kind, step, receiver and channel give the same key.

    It is safe in an HTTP header and a Message-ID (`dxq-` and 40 hex digits).
    """
    text = "|".join(
        [alert.fingerprint, str(alert.episode), str(kind), str(step), receiver, channel]
    )
    return "dxq-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def installation_key(key: str, installation: str) -> str:
    """`key` (a `notification_key`) within one installation: the same firing gives the same key
    in one results store, and two stores never give the same key for their own firings (their
    episodes, kinds and receivers may coincide). Same form: `dxq-` and 40 hex digits."""
    if not installation:
        return key
    return "dxq-" + hashlib.sha256(f"{installation}|{key}".encode()).hexdigest()[:40]
