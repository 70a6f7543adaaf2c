"""The generic JSON webhook, signed with HMAC-SHA256 over the timestamp and the body.

Headers: `Idempotency-Key: <key>`, `X-Dxq-Timestamp: <unix seconds>` and, when the owner has a
secret, `X-Dxq-Signature: sha256=<hex>` where hex = HMAC-SHA256(secret, timestamp + "." + body).

To verify a request, a receiver:

1. reads the raw body bytes exactly as received (before any JSON parsing) and the
   `X-Dxq-Timestamp` header (ASCII digits);
2. computes `hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()`;
3. compares `"sha256=" + hex` with `X-Dxq-Signature` using `hmac.compare_digest`;
4. rejects the request when the timestamp is more than a few minutes from its own clock (the
   signature covers the timestamp, so an old request cannot be replayed with a new one), and
   uses `Idempotency-Key` to ignore a notification it has already processed.
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


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of `timestamp + "." + body` under the secret."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


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
    timestamp = str(int(when.timestamp()))
    headers = {"Idempotency-Key": message.key, "X-Dxq-Timestamp": timestamp}
    if address.secret:
        headers["X-Dxq-Signature"] = sign(address.secret, timestamp, body)
    return post(address.url, body, headers, timeout_s, when)
