"""What one delivery attempt returned, and when to try again."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one attempt to hand a notification to a channel.

    `retryable` is meaningful only when not delivered: connection errors, timeouts, 5xx, 429 and
    SMTP 4xx are retryable; other 4xx and SMTP 5xx are permanent. `retry_after_s` is the delay the
    receiver asked for (HTTP 429 `Retry-After`), if any.
    """

    delivered: bool
    retryable: bool = False
    retry_after_s: float | None = None
    error: str | None = None

    @classmethod
    def ok(cls) -> DeliveryResult:
        """A delivered notification."""
        return cls(delivered=True)

    @classmethod
    def retry(cls, error: str, retry_after_s: float | None = None) -> DeliveryResult:
        """A failure worth trying again."""
        return cls(delivered=False, retryable=True, retry_after_s=retry_after_s, error=error)

    @classmethod
    def permanent(cls, error: str) -> DeliveryResult:
        """A failure that will not go away by retrying."""
        return cls(delivered=False, retryable=False, error=error)


@dataclass(frozen=True)
class BackoffPolicy:
    """Exponential backoff with full jitter: delay = uniform(0, min(cap, base * 2**(n-1)))."""

    base_s: float = 30.0
    cap_s: float = 3600.0
    max_attempts: int = 10
    max_retry_after_s: float = 86400.0


DEFAULT_BACKOFF = BackoffPolicy()


def next_attempt(
    attempts: int,
    now: datetime,
    retry_after_s: float | None,
    rng: random.Random,
    policy: BackoffPolicy = DEFAULT_BACKOFF,
) -> datetime | None:
    """When to try again after `attempts` failed attempts; None means give up (dead letter).

    A `Retry-After` from the receiver is a floor: the next attempt is never earlier.
    """
    if attempts >= policy.max_attempts:
        return None
    ceiling = min(policy.cap_s, policy.base_s * 2 ** max(attempts - 1, 0))
    delay = rng.uniform(0.0, ceiling)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, policy.max_retry_after_s))
    return now + timedelta(seconds=delay)
