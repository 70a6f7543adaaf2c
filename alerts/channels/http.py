"""One JSON POST with a hard timeout, its response classified for the outbox."""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from alerts.delivery import DeliveryResult
from alerts.owner import hide_url
from datasources.retry_policy import parse_retry_after

DEFAULT_TIMEOUT_S = 10.0


def encode(body: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def post(
    url: str,
    content: bytes,
    headers: Mapping[str, str],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> DeliveryResult:
    """POST `content`; 2xx delivered; 5xx, 429, timeouts and connection errors retryable."""
    import httpx  # when sending: a `dxq run` that sends nothing does not load it

    where = hide_url(url)
    try:
        response = httpx.post(
            url,
            content=content,
            headers={"Content-Type": "application/json", **headers},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
        )
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        return DeliveryResult.permanent(f"{where}: not a usable http(s) URL ({exc})")
    except httpx.TimeoutException:
        return DeliveryResult.retry(f"{where}: timed out after {timeout_s:g}s")
    except httpx.ConnectError as exc:
        if is_certificate_error(exc):
            return DeliveryResult.permanent(f"{where}: TLS certificate not trusted ({exc})")
        return DeliveryResult.retry(f"{where}: {type(exc).__name__}")
    except httpx.TransportError as exc:
        return DeliveryResult.retry(f"{where}: {type(exc).__name__}")
    return classify(response.status_code, response.headers.get("Retry-After"), where, now)


def is_certificate_error(exc: BaseException) -> bool:
    """A TLS certificate verification failure: a configuration problem, not worth retrying."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def classify(
    status: int, retry_after: str | None, where: str, now: datetime | None = None
) -> DeliveryResult:
    """An HTTP status as a delivery result."""
    if 200 <= status < 300:
        return DeliveryResult.ok()
    if status == 429:
        delay = parse_retry_after(retry_after, now or datetime.now(UTC))
        return DeliveryResult.retry(f"{where}: HTTP 429 too many requests", delay)
    if status >= 500:
        return DeliveryResult.retry(f"{where}: HTTP {status}")
    return DeliveryResult.permanent(f"{where}: HTTP {status}")
