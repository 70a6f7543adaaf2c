"""When an integration counts as stale: no run within 1.5x its schedule interval plus its
timeout, the interval read from its cron through APScheduler's CronTrigger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger

from monitor.config.integration import Integration


@lru_cache(maxsize=256)
def schedule_interval(cron: str, timezone: str = "UTC") -> float:
    """Seconds between two consecutive fire times of `cron` (the shortest of a few)."""
    trigger = CronTrigger.from_crontab(cron, timezone=timezone)
    moment = datetime(2026, 1, 5, tzinfo=UTC)  # a fixed Monday keeps the answer stable
    previous = trigger.get_next_fire_time(None, moment)
    gaps: list[float] = []
    for _ in range(6):
        if previous is None:
            break
        following = trigger.get_next_fire_time(previous, previous + timedelta(microseconds=1))
        if following is None:
            break
        gaps.append((following - previous).total_seconds())
        previous = following
    return min(gaps) if gaps else 0.0


def stale_after(integration: Integration) -> float | None:
    """Seconds without a run after which the integration is stale; None without a schedule."""
    if not integration.schedule:
        return None
    interval = schedule_interval(integration.schedule, integration.timezone)
    return 1.5 * interval + integration.timeout


def is_stale(integration: Integration, last_run_at: datetime | None, now: datetime) -> bool:
    """Whether a scheduled integration has not reported in time (never ran counts too)."""
    limit = stale_after(integration)
    if limit is None:
        return False
    if last_run_at is None:
        return True
    return (now - last_run_at).total_seconds() > limit
