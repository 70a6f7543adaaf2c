"""Slack incoming webhooks (Slack does not deduplicate: the key is only logged by us)."""

from __future__ import annotations

from datetime import datetime

from alerts.channels.http import DEFAULT_TIMEOUT_S, encode, post
from alerts.delivery import DeliveryResult
from alerts.message import Message
from alerts.owner import ChannelAddress
from alerts.rendering import render_slack


def send(
    address: ChannelAddress,
    message: Message,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> DeliveryResult:
    """Post the message to the owner's Slack webhook."""
    if not address.url:
        return DeliveryResult.permanent("slack: no webhook URL")
    headers = {"Idempotency-Key": message.key}
    return post(address.url, encode(render_slack(message)), headers, timeout_s, now)
