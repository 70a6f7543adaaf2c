"""When an integration counts as not reporting: `monitor.daemon.cron.due_by` of its last run
has passed — the same rule that raises the daemon's `missed` alert."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from monitor.config.integration import Integration
from monitor.daemon.cron import build_trigger, due_by


@lru_cache(maxsize=256)
def _trigger(cron: str, timezone: str) -> Any:
    return build_trigger(cron, timezone)


def stale_at(integration: Integration, last_run_at: datetime) -> datetime | None:
    """When the integration becomes stale after a run at `last_run_at`; None without a
    schedule (or one that never fires again)."""
    if not integration.schedule:
        return None
    trigger = _trigger(integration.schedule, integration.timezone)
    return due_by(trigger, last_run_at, integration.timeout)


def is_stale(integration: Integration, last_run_at: datetime | None, now: datetime) -> bool:
    """Whether a scheduled integration has not reported in time (never ran counts too)."""
    if not integration.schedule:
        return False
    if last_run_at is None:
        return True
    limit = stale_at(integration, last_run_at)
    return limit is not None and now > limit
