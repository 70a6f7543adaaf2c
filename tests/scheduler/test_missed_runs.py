"""One rule for "overdue": the dashboard's "not reporting" and the daemon's `missed` alert agree,
and both read the deadline from the cron itself (a weekday schedule expects nothing at the
weekend)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboard.staleness import is_stale
from monitor.config.loading import load_config
from monitor.daemon.cron import build_trigger, due_by, weekdays
from monitor.daemon.liveness import missed_outcomes
from monitor.errors import ConfigError
from store.store import ResultStore
from tests.scheduler.world import integration, make_source, write_monitor_file

FRIDAY_RUN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday 09:00, done at 09:05


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (datetime(2026, 11, 21, 12, 0, tzinfo=UTC), False),  # Saturday noon
        (datetime(2026, 11, 22, 23, 0, tzinfo=UTC), False),  # Sunday night
        (datetime(2026, 11, 23, 21, 9, tzinfo=UTC), False),  # Monday, before 09:00 + 10m + 12h
        (datetime(2026, 11, 23, 21, 11, tzinfo=UTC), True),  # Monday's run never reported
        (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), True),  # ... and still not on Tuesday
    ],
)
def test_weekday_schedule_dashboard_and_missed_alert_agree(
    store: ResultStore, store_url: str, tmp_path: Path, unique: str, now: datetime, overdue: bool
) -> None:
    systems = {"shop": {"url": make_source(tmp_path)}}
    body = integration(schedule="0 9 * * 1-5", timeout="10m")
    path = write_monitor_file(tmp_path / "dxq.yml", store_url, systems, {unique: body})
    configured = load_config(path, {}).integrations[unique]
    run_id = store.begin_run(unique, FRIDAY_RUN)
    store.complete_run(run_id, FRIDAY_RUN + timedelta(minutes=5), [])

    dashboard = is_stale(configured, FRIDAY_RUN, now)
    trigger = build_trigger(configured.schedule or "", configured.timezone)
    schedules = {unique: (trigger, configured.timeout)}
    since = FRIDAY_RUN - timedelta(days=1)  # the scheduler was up before the run
    daemon = missed_outcomes(store, schedules, since=since, now=now)[unique]

    assert dashboard is overdue
    assert (daemon.outcome == "failed") is overdue
    assert daemon.metrics["due_at"] == "2026-11-23T21:10:00+00:00"


def test_the_deadline_is_the_next_firing_plus_the_timeout_and_half_the_next_gap() -> None:
    every_30 = build_trigger("*/30 * * * *", "UTC")
    done = datetime(2026, 11, 23, 10, 2, tzinfo=UTC)
    assert due_by(every_30, done, 600.0) == datetime(2026, 11, 23, 10, 55, tzinfo=UTC)
    at_the_firing = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)  # counts as that run's report
    assert due_by(every_30, at_the_firing, 0.0) == datetime(2026, 11, 23, 11, 15, tzinfo=UTC)
    berlin = build_trigger("0 9 * * 1-5", "Europe/Berlin")  # 08:00 UTC in winter
    assert due_by(berlin, datetime(2026, 11, 20, 8, 5, tzinfo=UTC), 0.0) == datetime(
        2026, 11, 23, 20, 0, tzinfo=UTC
    )


def _fires(cron: str, start: datetime, count: int) -> list[str]:
    trigger = build_trigger(cron, "UTC")
    found: list[str] = []
    previous = None
    at = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, at)
        found.append(f"{fire:%a %H:%M}")
        previous, at = fire, fire + timedelta(microseconds=1)
    return found


def test_day_of_week_numbers_follow_standard_cron() -> None:
    """APScheduler 3 counts 0 as Monday; cron counts 0 and 7 as Sunday. `1-5` is Mon-Fri."""
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
    assert _fires("0 9 * * 1-5", monday, 6) == [f"{d} 09:00" for d in days]
    assert _fires("0 9 * * 0", monday, 1) == ["Sun 09:00"]
    assert _fires("0 9 * * 7", monday, 1) == ["Sun 09:00"]
    assert _fires("0 9 * * 6,0", monday, 2) == ["Sat 09:00", "Sun 09:00"]
    assert _fires("0 9 * * */2", monday, 4) == ["Tue 09:00", "Thu 09:00", "Sat 09:00", "Sun 09:00"]
    assert weekdays("mon-fri") == weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert weekdays("5-7") == "sun,fri,sat"


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("0 9 * * 5-1", "day-of-week range '5-1' runs backwards"),
        ("0 9 * * 8", "unknown day of week '8'"),
        ("0 9 * * */0", "day-of-week step '0' must be a positive number"),
    ],
)
def test_a_bad_day_of_week_is_a_clear_monitor_file_error(
    tmp_path: Path, cron: str, words: str
) -> None:
    systems = {"shop": {"url": make_source(tmp_path)}}
    body = integration(schedule=cron)
    path = write_monitor_file(tmp_path / "dxq.yml", "sqlite:///r.db", systems, {"orders": body})
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert "integrations.orders.schedule" in str(caught.value)
    assert words in str(caught.value)


def test_the_scheduler_raises_the_missed_alert_only_when_the_weekday_run_is_overdue(
    store: ResultStore, store_url: str, tmp_path: Path, unique: str
) -> None:
    """The daemon's own housekeeping (Scheduler._check_missed) on its cron triggers."""
    from monitor.daemon.scheduler import Options, Scheduler
    from store import scheduling

    systems = {"shop": {"url": make_source(tmp_path)}}
    body = integration(schedule="0 9 * * 1-5", timeout="10m")
    path = write_monitor_file(tmp_path / "dxq.yml", store_url, systems, {unique: body})
    now = [FRIDAY_RUN - timedelta(hours=1)]  # the scheduler starts on Friday morning
    scheduler = Scheduler(Options(path), load_config(path, {}), env={}, clock=lambda: now[0])
    try:
        run_id = store.begin_run(unique, FRIDAY_RUN)
        store.complete_run(run_id, FRIDAY_RUN + timedelta(minutes=5), [])
        verdicts = []
        for moment in (
            datetime(2026, 11, 21, 12, 0, tzinfo=UTC),  # Saturday
            datetime(2026, 11, 22, 23, 0, tzinfo=UTC),  # Sunday
            datetime(2026, 11, 23, 21, 11, tzinfo=UTC),  # Monday's run is overdue
        ):
            now[0] = moment
            scheduler._check_missed()
            verdicts.append(
                (unique in scheduler.missed, unique in scheduling.open_missed(scheduler.store))
            )
        assert verdicts == [(False, False), (False, False), (True, True)]
    finally:
        scheduler.store.dispose()
