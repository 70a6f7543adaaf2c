"""Hand one message to one channel, and the test notification of `dxq alerts test OWNER`."""

from __future__ import annotations

import re
from datetime import datetime

from alerts.channels import email, jira, opsgenie, pagerduty, slack, teams, webhook
from alerts.delivery import DeliveryResult
from alerts.message import Message, check_link
from alerts.owner import ChannelAddress, ChannelKind, Owner, SmtpSettings

_SAFE = re.compile(r"[^A-Za-z0-9.-]")

TEST_DONE = {
    ChannelKind.PAGERDUTY: "triggered and resolved a test incident",
    ChannelKind.OPSGENIE: "created and closed a test alert",
    ChannelKind.JIRA: "filed a test issue (labelled dxq; close it in Jira)",
}
"""What a delivered test did in an incident tool (`dxq alerts test` says so)."""


def deliver(
    address: ChannelAddress, message: Message, smtp: SmtpSettings, now: datetime
) -> DeliveryResult:
    """One attempt on the address's channel, never raising."""
    timeout = smtp.timeout
    if address.kind is ChannelKind.EMAIL:
        return email.send(address, message, smtp)
    if address.kind is ChannelKind.SLACK:
        return slack.send(address, message, timeout, now)
    if address.kind is ChannelKind.TEAMS:
        return teams.send(address, message, timeout, now)
    if address.kind is ChannelKind.PAGERDUTY:
        base = address.url or pagerduty.DEFAULT_URL
        return pagerduty.send(
            address.secret or "", message, base_url=base, timeout_s=timeout, now=now
        )
    if address.kind is ChannelKind.OPSGENIE:
        base = address.url or opsgenie.DEFAULT_URL
        return opsgenie.send(
            address.secret or "", message, base_url=base, timeout_s=timeout, now=now
        )
    if address.kind is ChannelKind.JIRA:
        if address.jira is None:
            return DeliveryResult.permanent("jira: no site configured")
        return jira.send(address.jira, message, timeout_s=timeout, now=now)
    return webhook.send(address, message, timeout, now)


def test_message(owner: Owner, now: datetime, dashboard_url: str = "") -> Message:
    """A harmless message that says who asked for it and when."""
    stamp = f"{now:%Y%m%dT%H%M%S%f}"  # to the microsecond: two tests within a second are two
    return Message(
        kind="test",
        alert_kind="test",
        integration="dxq",
        check="test notification",
        severity="warning",
        title=f"[TEST] dxq test notification for {owner.label}",
        headline=(
            f"This is a test from dxq for {owner.label} ({owner.role}). "
            "If you can read it, this channel works; nothing is wrong."
        ),
        facts=(("owner", owner.id), ("sent at", f"{now:%Y-%m-%d %H:%M:%S} UTC")),
        since=now,
        owners=(owner.label,),
        link=check_link(dashboard_url or "http://localhost:8501", "dxq", "test notification"),
        key=f"dxq-test-{_SAFE.sub('-', owner.id)}-{stamp}",
        fingerprint=f"test|{owner.id}|{stamp}",  # each test its own incident in the tools
        episode=0,
    )


def send_test(
    owner: Owner, smtp: SmtpSettings, now: datetime, dashboard_url: str = ""
) -> list[tuple[ChannelKind, DeliveryResult]]:
    """Send a test notification to every channel of the owner (empty when it has none)."""
    message = test_message(owner, now, dashboard_url)
    return [(a.kind, deliver(a, message, smtp, now)) for a in owner.channels()]
