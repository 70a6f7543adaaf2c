"""The one retry policy of dxq's reads: a bounded number of waits with backoff, never past half
of the run's budget left. A run waits this way for SQL systems that cannot be reached
(`monitor.run.retry`), and the HTTP reader waits this way after a 5xx answer
(`datasources.api_pages`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from datasources import budget as budgets


@dataclass(frozen=True)
class RetryPolicy:
    """How long a run waits for systems that cannot be reached: `attempts` probes after the
    first, waiting `first_wait_s`, doubling up to `max_wait_s`; never past half the run's
    budget left."""

    attempts: int = 4
    first_wait_s: float = 0.5
    max_wait_s: float = 4.0

    def waits(self) -> list[float]:
        """The waits before each retry (0.5, 1, 2, 4 s by default: 7.5 s in all)."""
        return [min(self.first_wait_s * 2**i, self.max_wait_s) for i in range(self.attempts)]


RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=0)


def give_up_at() -> float:
    """The time.monotonic() past which no wait may end: half of the current run's budget left,
    or never outside a run."""
    budget = budgets.current()
    now = time.monotonic()
    return now + (budget.deadline - now) / 2 if budget is not None else float("inf")


def may_wait(wait_s: float, give_up: float) -> bool:
    """Whether a wait of `wait_s` fits: the run is not cancelled and it ends before `give_up`."""
    budget = budgets.current()
    if budget is not None and budget.cancelled:
        return False
    return time.monotonic() + wait_s <= give_up


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """The seconds an HTTP `Retry-After` header asks for (delta-seconds or an HTTP date), or
    None when there is none or it cannot be read. One rule for the alert channels and the HTTP
    API reader."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
