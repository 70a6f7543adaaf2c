"""The generic JSON webhook, signed with HMAC-SHA256.

Headers: `Idempotency-Key: <key>`, `X-Dxq-Timestamp: <unix seconds>` and, when the owner has a
secret, `X-Dxq-Signature: sha256=<hex>` where hex = HMAC-SHA256(secret, raw body). Receivers
verify the signature over the exact bytes received and may reject stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from alerts.channels.http import DEFAULT_TIMEOUT_S, encode, post
from alerts.delivery import DeliveryResult
from alerts.message import Message
from alerts.owner import ChannelAddress
from alerts.rendering import render_webhook


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of the body under the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(
    address: ChannelAddress,
    message: Message,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> DeliveryResult:
    """Post the versioned JSON body to the owner's webhook."""
    if not address.url:
        return DeliveryResult.permanent("webhook: no URL")
    when = now or datetime.now(UTC)
    body = encode(render_webhook(message))
    headers = {"Idempotency-Key": message.key, "X-Dxq-Timestamp": str(int(when.timestamp()))}
    if address.secret:
        headers["X-Dxq-Signature"] = sign(address.secret, body)
    return post(address.url, body, headers, timeout_s, when)
