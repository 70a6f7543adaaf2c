"""Issue 11 item 1 on the real scheduler: a `dxq schedule` process, a system that cannot be
reached, and a real webhook receiver on 127.0.0.1. The integration's `run_error` alert fires
once, stays firing across the runs that keep failing, and resolves once when the system comes
back; it never resolves because a run merely finished within its budget."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.receivers import HttpReceiver, http_receiver
from tests.scheduler.world import (
    make_source,
    migrated,
    query,
    running,
    runs_of,
    start_scheduler,
    stop,
    wait_for,
    write_monitor_file,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def webhook() -> Iterator[HttpReceiver]:
    yield from http_receiver()


def _events(receiver: HttpReceiver, integration: str) -> list[tuple[str, str, int]]:
    """(event, alert kind, episode) of every message the receiver accepted about the
    integration, in arrival order."""
    found = []
    for request in receiver.accepted("/hook"):
        body: dict[str, Any] = request.body
        alert = body["alert"]
        if alert["integration"] == integration:
            found.append((str(body["event"]), str(alert["kind"]), int(alert["episode"])))
    return found


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_a_run_error_alert_stays_firing_while_the_system_is_down_and_resolves_once(
    pg_url: str, tmp_path: Path, unique: str, store_kind: str, webhook: HttpReceiver
) -> None:
    store = migrated(pg_url if store_kind == "postgresql" else f"sqlite:///{tmp_path}/results.db")
    later = tmp_path / "later"  # no such directory yet: SQLite cannot open the database
    systems = {
        "shop": {"url": make_source(tmp_path)},
        "erp": {"url": f"sqlite:///{later}/shop.db", "connect_timeout": "1s"},
    }
    body = {
        "source": "erp.products",
        "target": "shop.products",
        "volume": {"tolerance": "0%"},
        "schedule": "*/2 * * * *",  # every 2 s in --cron-seconds mode
        "timeout": "3s",
        "owners": ["ops"],
    }
    config = write_monitor_file(tmp_path / "dxq.yml", store, systems, {unique: body})
    text = config.read_text(encoding="utf-8")
    owners = f'"owners": {{"ops": {{"role": "maintenance", "webhook": "{webhook.url}/hook"}}}}'
    config.write_text(text.replace('"version": 1,', f'"version": 1, {owners},', 1), "utf-8")
    log = tmp_path / "schedule.log"
    proc = start_scheduler(config, log)
    with running(proc):
        wait_for(
            lambda: len([r for r in runs_of(store, unique) if r.status == "error"]) >= 4,
            90,
            "four runs that could not reach the system",
        )
        wait_for(lambda: _events(webhook, unique), 30, "the firing message")
        down = _events(webhook, unique)
        states = query(store, "SELECT kind, state FROM alerts WHERE integration = :i", i=unique)
        later.mkdir()
        make_source(later)  # the system comes back
        wait_for(lambda: [r for r in runs_of(store, unique) if r.status == "passed"], 60, "a run")
        wait_for(lambda: ("resolved", "run_error", 1) in _events(webhook, unique), 30, "resolved")
        more = len([r for r in runs_of(store, unique) if r.status == "passed"])
        wait_for(
            lambda: len([r for r in runs_of(store, unique) if r.status == "passed"]) >= more + 2,
            30,
            "two more runs that pass",
        )
        assert stop(proc) == 0
    assert down == [("firing", "run_error", 1)], "one FIRING while it stayed down, no RESOLVED"
    assert [tuple(s) for s in states] == [("run_error", "firing")]
    assert _events(webhook, unique) == [("firing", "run_error", 1), ("resolved", "run_error", 1)]
    rows = query(store, "SELECT kind, episode, state FROM alerts WHERE integration = :i", i=unique)
    assert [tuple(r) for r in rows] == [("run_error", 1, "resolved")]
