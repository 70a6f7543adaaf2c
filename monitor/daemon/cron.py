"""Cron schedules for the scheduler daemon: APScheduler triggers, when a scheduled integration
is overdue, and the cron clock that hands each firing (with its scheduled time) to the daemon.

Day-of-week numbers follow standard cron (0 and 7 are Sunday, 1 is Monday), not APScheduler
3's own numbering (0 is Monday): `build_trigger` translates them, so `0 9 * * 1-5` fires Monday
to Friday.

When a run is overdue (`due_by`) is decided here, once, from the cron itself: the dashboard's
"not reporting" and the daemon's `missed` alert both ask it (docs/architecture.md).

Seconds mode (`dxq schedule --cron-seconds`, for tests and demos): the minute field of each
schedule counts seconds instead and the other fields are ignored, so `*/2 * * * *` fires every
two seconds. Everything derived from a schedule (missed-run deadlines) follows the same clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger("dxq.schedule")

Firing = Callable[[str, datetime], None]  # (integration, scheduled fire time)


# A run may report this fraction of the schedule's next gap late (after its time budget).
MISSED_GRACE = 0.5
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # standard cron: 0 (and 7) is Sunday


def build_trigger(schedule: str, timezone: str, *, seconds: bool = False) -> Any:
    """The APScheduler trigger of a 5-field cron schedule (see seconds mode above); a
    ValueError names what is wrong with it."""
    fields = schedule.split()
    if not seconds:
        if len(fields) != 5:
            raise ValueError(f"expected 5 fields, got {len(fields)}")
        return CronTrigger.from_crontab(
            " ".join([*fields[:4], weekdays(fields[4])]), timezone=timezone
        )
    return CronTrigger(second=fields[0], timezone=timezone)


def weekdays(field: str) -> str:
    """A standard cron day-of-week field as the day names APScheduler reads the same way."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, slash, step = part.partition("/")
        if slash and not (step.isdigit() and int(step) > 0):
            raise ValueError(f"day-of-week step '{step}' must be a positive number")
        first, dash, last = span.partition("-")
        if span == "*":
            low, high = 0, 6
        else:
            low = _day(first)
            high = _day(last) if dash else (6 if slash else low)
        if high < low:
            raise ValueError(f"day-of-week range '{span}' runs backwards; write it as a list")
        days.update(day % 7 for day in range(low, high + 1, int(step) if slash else 1))
    return ",".join(_DAYS[day] for day in sorted(days))


def _day(token: str) -> int:
    """A day of week as standard cron numbers it (0-7, 7 is Sunday again), or its name."""
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _DAYS:
        return _DAYS.index(token)
    raise ValueError(f"unknown day of week '{token}'; use 0-7 (0 and 7 are Sunday) or sun-sat")


def due_by(trigger: Any, last_report: datetime, timeout_s: float) -> datetime | None:
    """When a scheduled integration that last reported at `last_report` is overdue: the first
    firing after that report, plus the run's time budget `timeout_s`, plus MISSED_GRACE of the
    gap from that firing to the one after it. None when the trigger never fires again.

    The one rule for missed runs: a schedule that skips weekends expects no report on Sunday.
    """
    expected: datetime | None = trigger.get_next_fire_time(
        None, last_report + timedelta(microseconds=1)
    )
    if expected is None:
        return None
    following = trigger.get_next_fire_time(expected, expected + timedelta(microseconds=1))
    gap = (following - expected).total_seconds() if following is not None else 0.0
    return expected + timedelta(seconds=timeout_s + MISSED_GRACE * gap)


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
