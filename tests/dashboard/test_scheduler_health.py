"""The scheduler's heartbeat on the Overview and Runs pages: silent when healthy, loud when it
stopped, never ran, or keeps an old configuration because the monitor file broke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store import scheduling
from store.store import ResultStore
from tests.dashboard.support import open_page, text_of


def _beat(url: str, *, age: timedelta, **info: object) -> None:
    store = ResultStore.open(url)
    now = datetime.now(UTC)
    scheduling.beat(
        store, "proc-1", host="ops-1", pid=42, started_at=now - age, now=now - age, info=info
    )
    store.dispose()


@pytest.mark.parametrize("page", [None, "runs"])
def test_no_scheduler_is_a_warning(demo_dashboard: str, page: str | None) -> None:
    at = open_page(page)
    assert any("No scheduler has reported" in w.value for w in at.warning)


def test_a_live_scheduler_is_one_quiet_line(demo_dashboard: str) -> None:
    _beat(demo_dashboard, age=timedelta(seconds=5), state="running", running=["orders"])
    at = open_page("runs")
    assert not [w.value for w in at.warning if "scheduler" in w.value.lower()]
    assert "Scheduler on ops-1 last ticked" in text_of(at)
    assert "running now: orders" in text_of(at)


def test_a_stopped_or_silent_scheduler_is_a_warning(demo_dashboard: str) -> None:
    _beat(demo_dashboard, age=timedelta(minutes=10), state="running")
    at = open_page()
    assert any("scheduler is not running" in w.value for w in at.warning)


def test_a_broken_monitor_file_seen_by_the_scheduler_is_an_error(demo_dashboard: str) -> None:
    problem = "dxq.yml:12: integrations.orders.schedule: invalid cron expression 'hourly'"
    _beat(demo_dashboard, age=timedelta(seconds=3), state="running", config_error=problem)
    at = open_page()
    assert any(problem in e.value and "previous configuration" in e.value for e in at.error)
