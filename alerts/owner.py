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


@dataclass(frozen=True)
class ChannelAddress:
    """Where one channel of one owner delivers: e-mail addresses or a webhook URL."""

    kind: ChannelKind
    emails: tuple[str, ...] = ()
    url: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)

    def shown(self) -> str:
        """The address safe to print: webhook URLs keep only scheme and host."""
        if self.kind is ChannelKind.EMAIL:
            return ", ".join(self.emails)
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

    @property
    def label(self) -> str:
        """The name to show, falling back to the id."""
        return self.name or self.id

    def channels(self) -> tuple[ChannelAddress, ...]:
        """Every configured channel, in a fixed order: email, slack, teams, webhook."""
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
    parts = urlsplit(url)
    if not parts.scheme:
        return "***"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}/***"
