"""Owners, their channel addresses, and the SMTP settings used to reach them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit


class Role(StrEnum):
    """What an owner answers for."""

    BUSINESS = "business"
    ONCALL = "oncall"
    MAINTENANCE = "maintenance"


class ChannelKind(StrEnum):
    """The ways dxq reaches an owner."""

    EMAIL = "email"
    SLACK = "slack"
    TEAMS = "teams"
    WEBHOOK = "webhook"
    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    JIRA = "jira"


INCIDENT_TOOLS = frozenset({ChannelKind.PAGERDUTY, ChannelKind.OPSGENIE, ChannelKind.JIRA})
"""The channels that keep an incident per alert episode: they also hear acknowledgements."""

PAGERDUTY_URL = "https://events.pagerduty.com"  # Events API v2 base (events at /v2/enqueue)
OPSGENIE_URL = "https://api.opsgenie.com"  # Alert API base (alerts at /v2/alerts)


@dataclass(frozen=True)
class JiraSite:
    """Where and as whom dxq files issues."""

    url: str
    project: str
    email: str
    api_token: str = field(repr=False)
    issue_type: str = "Task"


@dataclass(frozen=True)
class ChannelAddress:
    """Where one channel of one owner delivers: e-mail addresses, a webhook URL, or an incident
    tool's base URL with its key (`secret`; Jira's site in `jira`)."""

    kind: ChannelKind
    emails: tuple[str, ...] = ()
    url: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    jira: JiraSite | None = field(default=None, repr=False)

    def shown(self) -> str:
        """The address safe to print: webhook URLs keep only scheme and host; incident tools
        show their host (and Jira its project and account), never a key or token."""
        if self.kind is ChannelKind.EMAIL:
            return ", ".join(self.emails)
        if self.kind is ChannelKind.JIRA and self.jira is not None:
            return f"{origin(self.jira.url)} project {self.jira.project} as {self.jira.email}"
        if self.kind in INCIDENT_TOOLS:
            return origin(self.url or "")
        return hide_url(self.url or "")


@dataclass(frozen=True)
class Owner:
    """A named person or team with a role and channels."""

    id: str
    name: str = ""
    role: Role = Role.BUSINESS
    emails: tuple[str, ...] = ()
    slack_webhook: str | None = field(default=None, repr=False)
    teams_webhook: str | None = field(default=None, repr=False)
    webhook: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    pagerduty_routing_key: str | None = field(default=None, repr=False)
    pagerduty_url: str = PAGERDUTY_URL
    opsgenie_api_key: str | None = field(default=None, repr=False)
    opsgenie_url: str = OPSGENIE_URL
    jira: JiraSite | None = None

    @property
    def label(self) -> str:
        """The name to show, falling back to the id."""
        return self.name or self.id

    def channels(self) -> tuple[ChannelAddress, ...]:
        """Every configured channel, in a fixed order: email, slack, teams, webhook,
        pagerduty, opsgenie, jira."""
        found: list[ChannelAddress] = []
        if self.emails:
            found.append(ChannelAddress(ChannelKind.EMAIL, emails=self.emails))
        if self.slack_webhook:
            found.append(ChannelAddress(ChannelKind.SLACK, url=self.slack_webhook))
        if self.teams_webhook:
            found.append(ChannelAddress(ChannelKind.TEAMS, url=self.teams_webhook))
        if self.webhook:
            found.append(
                ChannelAddress(ChannelKind.WEBHOOK, url=self.webhook, secret=self.webhook_secret)
            )
        if self.pagerduty_routing_key:
            found.append(
                ChannelAddress(
                    ChannelKind.PAGERDUTY, url=self.pagerduty_url, secret=self.pagerduty_routing_key
                )
            )
        if self.opsgenie_api_key:
            found.append(
                ChannelAddress(
                    ChannelKind.OPSGENIE, url=self.opsgenie_url, secret=self.opsgenie_api_key
                )
            )
        if self.jira is not None:
            found.append(
                ChannelAddress(
                    ChannelKind.JIRA, url=self.jira.url, secret=self.jira.api_token, jira=self.jira
                )
            )
        return tuple(found)

    def channel(self, kind: ChannelKind | str) -> ChannelAddress | None:
        """The address of one channel kind, if the owner has it."""
        return next((c for c in self.channels() if c.kind == kind), None)


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server."""

    host: str = "localhost"
    port: int = 587
    starttls: bool = True
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "dxq@localhost"
    timeout: float = 10.0
    verify: bool = True  # verify the server's TLS certificate
    ca_file: str | None = None  # CA certificates (PEM) to verify against instead of the system's


def hide_url(url: str) -> str:
    """Scheme and host only: webhook URLs carry their secret in the path."""
    shown = origin(url)
    return shown if shown == "***" else f"{shown}/***"


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, without user, path or query; `***` when it has none."""
    parts = urlsplit(url)
    if not parts.scheme:
        return "***"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}"
