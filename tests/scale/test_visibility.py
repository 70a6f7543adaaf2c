"""Who executes runs, seen by people: the Runs page (AppTest) and `dxq workers` show each
worker's name, host, queues, concurrency, last heartbeat and runs in flight, and the queue
lengths on the broker; a worker that stops heart-beating (killed with -9) is shown dead, red on
the page. Ground truth is injected: heartbeats, claimed firings and messages on a private
Redis queue."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st

from dashboard.workers import DEAD_ROW
from monitor.config.loading import load_config
from monitor.executor.app import TASK, celery_app
from monitor.executor.fleet import STALE_S, worker_states
from store import firings, scheduling
from store.store import ResultStore
from tests.dashboard.support import open_page
from tests.scale.world import REDIS, firing_runs, monitor_file, queue_name, worker
from tests.scale.world import slow_integration as slow
from tests.scheduler.world import ROOT, running, wait_for


def _purge(config: Path, *queues: str) -> None:
    app = celery_app(load_config(config, {}))
    with app.connection_for_write() as connection:
        for queue in queues:
            connection.default_channel.client.delete(queue)


def _workers_cli(config: Path) -> tuple[dict[str, list[str]], dict[str, int]]:
    """`dxq workers`: rows by worker name (host, queues, concurrency, heartbeat, in flight,
    state), and waiting messages by queue."""
    out = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "workers", "-c", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    workers, _, queues = out.partition("\n\n")
    rows = [line.split() for line in workers.splitlines()[1:]]
    waiting = [line.split() for line in queues.splitlines()[1:]]
    return {r[0]: r[1:] for r in rows}, {q: int(n) for q, n in waiting}


@pytest.fixture
def fleet(pg_store: str, tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A monitor file on a celery executor whose integrations use two private queues; yields
    (file, served queue, unserved queue) and empties both queues after."""
    served, unserved = queue_name(), queue_name()
    config = monitor_file(
        tmp_path / "dxq.yml",
        pg_store,
        REDIS,
        {"orders": slow(10.0, served), "stock": slow(0, unserved)},
    )
    yield config, served, unserved
    _purge(config, served, unserved)


def test_the_runs_page_shows_workers_and_queues_and_a_silent_worker_in_red(
    fleet: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, served, unserved = fleet
    loaded = load_config(config, {})
    store = ResultStore.open(loaded.store)
    now = datetime.now(UTC)
    beats = {"alive-1": now, "silent-1": now - timedelta(seconds=STALE_S + 50)}
    ids = {}
    for name, moment in beats.items():
        ids[name] = scheduling.process_id("box-" + name, 4242)
        info = {"kind": "worker", "name": name, "queues": [served], "concurrency": 3}
        scheduling.beat(
            store, ids[name], host="box-" + name, pid=4242, started_at=moment, now=moment, info=info
        )
    for k in range(2):  # two firings the live worker runs now
        slot = datetime(2026, 12, 6, 8, k, tzinfo=UTC)
        key = firings.firing_key("orders", slot)
        firing = firings.Firing(key, "orders", "schedule", slot, served, "pending")
        assert firings.record(store, firing, now)
        assert firings.claim(store, key, ids["alive-1"], now + timedelta(minutes=1), now)
    app = celery_app(loaded)
    for _ in range(3):  # nobody serves this queue: the three wait
        app.send_task(TASK, args=["stock@nowhere"], queue=unserved)
    monkeypatch.setenv("DXQ_CONFIG", str(config))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = open_page("runs")
    finally:
        st.cache_resource.clear()
    assert "Workers" in [s.value for s in at.subheader]
    shown = at.dataframe[0].value.set_index("worker")
    assert list(shown.index) == ["alive-1", "silent-1"]
    assert shown.loc["alive-1", "state"] == "alive"
    assert shown.loc["silent-1", "state"] == "not heart-beating"
    assert shown.loc["alive-1", "runs in flight"] == 2
    assert shown.loc["silent-1", "runs in flight"] == 0
    assert shown.loc["alive-1", "host"] == "box-alive-1"
    assert shown.loc["alive-1", "queues"] == served
    assert shown.loc["alive-1", "concurrency"] == 3
    css = at.dataframe[0].proto.arrow_data.styler.styles  # the styled cells: row_col
    assert DEAD_ROW in css, css
    cells = {(int(r), int(c)) for r, c in re.findall(r"_row(\d+)_col(\d+)", css)}
    assert cells == {(1, c) for c in range(len(shown.columns) + 1)}, css  # the silent one
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "silent-1" in errors[0] and "stopped heart-beating" in errors[0]
    queues = at.dataframe[1].value.set_index("queue")["waiting"].to_dict()
    assert queues == {"dxq": 0, served: 0, unserved: 3}
    store.dispose()


@pytest.mark.slow
def test_a_worker_killed_with_9_stops_heart_beating_and_is_shown_dead(
    fleet: tuple[Path, str, str], tmp_path: Path
) -> None:
    config, served, unserved = fleet
    loaded = load_config(config, {})
    store = ResultStore.open(loaded.store)
    slot = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    key = firings.firing_key("orders", slot)
    assert firings.record(
        store, firings.Firing(key, "orders", "schedule", slot, served, "pending"), slot
    )
    app = celery_app(loaded)
    app.send_task(TASK, args=["stock@nowhere"], queue=unserved)
    proc = worker(config, tmp_path / "w.log", "w-vis", served)
    with running(proc):
        wait_for(lambda: "ready" in (tmp_path / "w.log").read_text(), 30, "the worker")
        app.send_task(TASK, args=[key], queue=served)
        wait_for(lambda: firing_runs(loaded.store, key), 20, "the run to begin")
        rows, queues = _workers_cli(config)
        host, queues_of, concurrency, _, in_flight, state = rows["w-vis"]
        assert (queues_of, concurrency, in_flight, state) == (served, "4", "1", "alive")
        assert queues == {"dxq": 0, served: 0, unserved: 1}
        os.kill(proc.pid, signal.SIGKILL)  # mid-run: the source query sleeps 10 s
        proc.wait(10)
        killed_at = datetime.now(UTC)
        (last,) = [w.last_heartbeat for w in worker_states(store, killed_at)]
        assert last <= killed_at
        rows = wait_for(
            lambda: (r := _workers_cli(config)[0])["w-vis"][-1] == "dead" and r,
            STALE_S + 15,
            "dxq workers to show the killed worker dead",
        )
    assert rows["w-vis"][-2] == "1", "its run is still held (until a live worker takes it)"
    (after,) = worker_states(store, datetime.now(UTC))
    assert after.last_heartbeat == last, "no heartbeat after kill -9"
    assert after.state == "dead" and after.name == "w-vis" and after.host == host
    store.dispose()
