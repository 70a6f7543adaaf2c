"""Cron schedules for the scheduler daemon: APScheduler triggers, their interval, and the cron
clock that hands each firing (with its scheduled time) to the daemon.

Seconds mode (`dxq schedule --cron-seconds`, for tests and demos): the minute field of each
schedule counts seconds instead and the other fields are ignored, so `*/2 * * * *` fires every
two seconds. Everything derived from a schedule (missed-run intervals) follows the same clock.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger("dxq.schedule")

Firing = Callable[[str, datetime], None]  # (integration, scheduled fire time)


def build_trigger(schedule: str, timezone: str, *, seconds: bool = False) -> Any:
    """The APScheduler trigger of a 5-field cron schedule (see seconds mode above)."""
    if not seconds:
        return CronTrigger.from_crontab(schedule, timezone=timezone)
    return CronTrigger(second=schedule.split()[0], timezone=timezone)


def interval_s(trigger: Any, now: datetime, samples: int = 6) -> float:
    """The longest gap between the next few firings: the schedule's expected interval."""
    times: list[datetime] = []
    previous: datetime | None = None
    at = now
    for _ in range(samples):
        fire = trigger.get_next_fire_time(previous, at)
        if fire is None:
            break
        times.append(fire)
        previous, at = fire, fire + timedelta(microseconds=1)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    return max(gaps) if gaps else 0.0


class _FiringExecutor(BaseExecutor):  # type: ignore[misc]
    """An APScheduler executor that only hands the firing to the daemon; never blocks."""

    def __init__(self, on_fire: Firing) -> None:
        super().__init__()
        self._on_fire = on_fire

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        try:
            self._on_fire(str(job.id), run_times[-1])
        finally:
            self._run_job_success(job.id, [])


def _never_called() -> None:
    """The job function APScheduler requires; the firing executor does not call it."""


class CronClock:
    """One APScheduler cron job per scheduled integration, kept in step with the config."""

    def __init__(self, on_fire: Firing, *, seconds: bool = False) -> None:
        self._seconds = seconds
        self._jobs: dict[str, tuple[str, str]] = {}
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._scheduler.add_executor(_FiringExecutor(on_fire), alias="firing")
        self.triggers: dict[str, Any] = {}
        self.since: dict[str, datetime] = {}  # when each integration got its current schedule

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def trigger(self, schedule: str, timezone: str) -> Any:
        """A trigger on this clock (seconds mode or not)."""
        return build_trigger(schedule, timezone, seconds=self._seconds)

    def sync(self, schedules: dict[str, tuple[str, str]], now: datetime | None = None) -> None:
        """Make the jobs match `schedules` (integration -> (cron, timezone)); `now` is when."""
        now = now or datetime.now(UTC)
        for name in set(self._jobs) - set(schedules):
            self._scheduler.remove_job(name)
            del self._jobs[name]
            self.triggers.pop(name, None)
            self.since.pop(name, None)
            log.info("unscheduled %s", name)
        for name, (cron, zone) in schedules.items():
            if self._jobs.get(name) == (cron, zone):
                continue
            trigger = self.trigger(cron, zone)
            self._scheduler.add_job(
                _never_called,
                trigger,
                id=name,
                name=name,
                executor="firing",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
                replace_existing=True,
            )
            self._jobs[name] = (cron, zone)
            self.triggers[name] = trigger
            self.since[name] = now
            log.info("scheduled %s: %s (%s)", name, cron, zone)
