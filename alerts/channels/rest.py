"""JSON requests to the incident tools' REST APIs (PagerDuty, Opsgenie, Jira): one request with
a hard timeout, its status classified like every HTTP channel (`http.classify`), and the JSON
answer for the calls that read one (Jira's search and transitions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.channels.http import DEFAULT_TIMEOUT_S, classify, encode, is_certificate_error
from alerts.delivery import DeliveryResult
from datasources.credentials import mask_url


@dataclass(frozen=True)
class Reply:
    """What one request returned: its delivery verdict and the JSON body, if any."""

    result: DeliveryResult
    body: Any = None


def call(
    method: str,
    url: str,
    body: Mapping[str, Any] | None,
    headers: Mapping[str, str],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
    auth: tuple[str, str] | None = None,
) -> Reply:
    """Send one request; never raises. 2xx delivered; 5xx, 429, timeouts and connection errors
    retryable; other statuses permanent."""
    import httpx  # when sending: a `dxq run` that sends nothing does not load it

    where = mask_url(url.split("?")[0])
    try:
        response = httpx.request(
            method,
            url,
            content=None if body is None else encode(body),
            headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            auth=auth,
        )
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        return Reply(DeliveryResult.permanent(f"{where}: not a usable http(s) URL ({exc})"))
    except httpx.TimeoutException:
        return Reply(DeliveryResult.retry(f"{where}: timed out after {timeout_s:g}s"))
    except httpx.ConnectError as exc:
        if is_certificate_error(exc):
            return Reply(DeliveryResult.permanent(f"{where}: TLS certificate not trusted ({exc})"))
        return Reply(DeliveryResult.retry(f"{where}: {type(exc).__name__}"))
    except httpx.TransportError as exc:
        return Reply(DeliveryResult.retry(f"{where}: {type(exc).__name__}"))
    result = classify(response.status_code, response.headers.get("Retry-After"), where, now)
    if not result.delivered and response.content:
        detail = response.text.strip().replace("\n", " ")[:300]
        result = DeliveryResult(
            result.delivered, result.retryable, result.retry_after_s, f"{result.error}: {detail}"
        )
    try:
        parsed = response.json() if response.content else None
    except ValueError:
        parsed = None
    return Reply(result, parsed)
