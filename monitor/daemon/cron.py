"""Cron schedules: APScheduler triggers, and when a scheduled integration is overdue. The
clock that fires them for the daemon is monitor/daemon/cron_clock.py; this module loads only
APScheduler's cron trigger, so `dxq validate` and the dashboard read schedules without the
scheduler itself (about 60 ms of their start).

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

from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

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
