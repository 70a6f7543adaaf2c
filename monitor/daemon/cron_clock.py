"""The cron clock of the scheduler daemon: one APScheduler job per scheduled integration,
each firing handed (with its scheduled time) to the daemon. Schedules are read by the one cron
rule, monitor/daemon/cron.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor.daemon.cron import build_trigger

log = logging.getLogger("dxq.schedule")

Firing = Callable[[str, datetime], None]  # (integration, scheduled fire time)


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
