"""Microsoft Teams workflow webhooks (an Adaptive Card)."""

from __future__ import annotations

from datetime import datetime

from alerts.channels.http import DEFAULT_TIMEOUT_S, encode, post
from alerts.delivery import DeliveryResult
from alerts.message import Message
from alerts.owner import ChannelAddress
from alerts.rendering import render_teams


def send(
    address: ChannelAddress,
    message: Message,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> DeliveryResult:
    """Post the card to the owner's Teams workflow URL."""
    if not address.url:
        return DeliveryResult.permanent("teams: no webhook URL")
    headers = {"Idempotency-Key": message.key}
    return post(address.url, encode(render_teams(message)), headers, timeout_s, now)
