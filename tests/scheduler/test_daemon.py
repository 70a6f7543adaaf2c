"""`dxq schedule` as real processes: two schedulers on one store, crashes, hung sources,
monitor-file edits and SIGTERM. Schedules run in seconds mode (`--cron-seconds`)."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.scheduler.world import (
    ROOT,
    integration,
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

SLOT = re.compile(r"schedule (\S+): (\w+) slot=(\S+) run_id=\S+ ?(.*)")
TICKS = 20
OVERRUN = ("a run is already in progress", "still running here")  # a skip a long run explains


def _heartbeat(store_url: str, config: Path) -> dict[str, Any] | None:
    rows = [
        dict(r._mapping)
        for r in query(store_url, "SELECT * FROM heartbeats ORDER BY last_tick_at DESC")
    ]
    mine = [r for r in rows if _info(r)["config"] == str(config)]
    return {**mine[0], "info": _info(mine[0])} if mine else None


def _info(row: dict[str, Any]) -> dict[str, Any]:
    info = row["info"]
    return dict(json.loads(info) if isinstance(info, str) else info)


def _queue(config: Path, name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "run", "--queue", "-c", str(config), name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"queued {name}" in done.stdout


def _firings(logs: list[Path]) -> dict[tuple[str, datetime], list[tuple[str, str]]]:
    """(integration, fire time) -> the (status, detail) each scheduler logged for it."""
    found: dict[tuple[str, datetime], list[tuple[str, str]]] = defaultdict(list)
    for path in logs:
        for name, status, slot, detail in SLOT.findall(path.read_text()):
            found[(name, datetime.fromisoformat(slot))].append((status, detail))
    return found


def _slots(logs: list[Path], name: str) -> list[datetime]:
    return sorted(at for n, at in _firings(logs) if n == name)


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_two_schedulers_on_one_store_run_each_firing_exactly_once(
    pg_url: str, tmp_path: Path, unique: str, store_kind: str
) -> None:
    store = migrated(pg_url if store_kind == "postgresql" else f"sqlite:///{tmp_path}/results.db")
    names = [f"{unique}-a", f"{unique}-b"]
    systems = {"shop": {"url": make_source(tmp_path)}}
    config = write_monitor_file(
        tmp_path / "dxq.yml", store, systems, {n: integration("* * * * *") for n in names}
    )
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    procs = [start_scheduler(config, log) for log in logs]
    with running(*procs):
        for name in names:  # 2 firings to warm up, TICKS measured, 2 more so all have ended
            wait_for(lambda n=name: len(_slots(logs, n)) >= TICKS + 4, 120, f"{name}'s firings")  # type: ignore[misc]
        assert [stop(p) for p in procs] == [0, 0]
    firings = _firings(logs)
    ran = 0
    for name in names:
        window = _slots(logs, name)[2 : TICKS + 2]
        steps = {(b - a).total_seconds() for a, b in itertools.pairwise(window)}
        assert steps == {1.0}, f"{name}: a firing left no trace (fire times {window})"
        for slot in window:
            seen = firings[(name, slot)]
            statuses = Counter(status for status, _ in seen)
            assert statuses["ran"] <= 1, f"{name} at {slot} ran twice: {seen}"
            assert set(statuses) <= {"ran", "skipped"}, f"{name} at {slot}: {seen}"
            winners = [s for s in seen if s[1] != "another scheduler took this firing"]
            assert len(winners) == 1 or all(d in OVERRUN for _, d in seen), (name, slot, seen)
            explained = statuses["ran"] == 1 or any(d in OVERRUN for _, d in seen)
            assert explained, f"{name} at {slot} neither ran nor overlapped a run: {seen}"
            ran += statuses["ran"]
        stored = runs_of(store, name)
        assert {r.status for r in stored} == {"passed"}
        assert len(stored) == sum(
            1 for (n, _), seen in firings.items() if n == name for s, _ in seen if s == "ran"
        ), "every run in the store is a logged firing"
    assert ran >= TICKS, "most firings ran (the rest only skipped past an overrunning run)"
    by_process = Counter(log.name for log in logs for _ in SLOT.finditer(log.read_text()))
    assert len(by_process) == 2, "both schedulers took firings"


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_a_killed_scheduler_leaves_an_error_run_and_the_next_run_happens(
    pg_url: str, tmp_path: Path, unique: str, store_kind: str
) -> None:
    store = migrated(pg_url if store_kind == "postgresql" else f"sqlite:///{tmp_path}/results.db")
    systems = {"pg": {"url": pg_url}}
    slow = integration(None, "60s", source={"system": "pg", "query": "SELECT pg_sleep(2) AS x"})
    slow["target"] = {"system": "pg", "query": "SELECT 1 AS x"}
    config = write_monitor_file(tmp_path / "dxq.yml", store, systems, {unique: slow})
    first = start_scheduler(config, tmp_path / "first.log")
    with running(first):
        _queue(config, unique)
        wait_for(lambda: runs_of(store, unique), 30, "the run to start")
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert runs_of(store, unique)[0].status == "running"
    second = start_scheduler(config, tmp_path / "second.log")
    with running(second):
        crashed = wait_for(
            lambda: [r for r in runs_of(store, unique) if r.status == "error"], 30, "recovery"
        )
        assert crashed[0].reason == f"scheduler on {_host()} pid {first.pid} stopped during the run"
        rerun = wait_for(
            lambda: [r for r in runs_of(store, unique) if r.status == "passed"], 30, "the rerun"
        )
        assert rerun[0].trigger == "request"
        assert stop(second) == 0
    assert len(runs_of(store, unique)) == 2


def _host() -> str:
    import socket

    return socket.gethostname()


def test_a_hung_source_times_out_while_others_run_on_time(
    pg_url: str, tmp_path: Path, unique: str
) -> None:
    store = migrated(f"sqlite:///{tmp_path}/results.db")
    systems = {
        "pg": {"url": pg_url, "query_timeout": "20s"},
        "shop": {"url": make_source(tmp_path)},
    }
    hang = integration(None, "4s", source={"system": "pg", "query": "SELECT pg_sleep(30) AS x"})
    hang["target"] = {"system": "pg", "query": "SELECT 1 AS x"}
    quick = f"{unique}-quick"
    config = write_monitor_file(
        tmp_path / "dxq.yml", store, systems, {unique: hang, quick: integration("* * * * *")}
    )
    proc = start_scheduler(config, tmp_path / "s.log")
    with running(proc):
        wait_for(lambda: runs_of(store, quick), 30, "the quick integration")
        _queue(config, unique)
        failed = wait_for(
            lambda: [r for r in runs_of(store, unique) if r.status == "error"], 15, "the timeout"
        )
        time.sleep(1.5)
        assert stop(proc) == 0
    assert failed[0].reason == "timed out after 4 s"
    took = (failed[0].finished_at - failed[0].started_at).total_seconds()
    assert 3.0 <= took < 8  # the budget also covers the connection probe before the run
    during = [
        r.started_at
        for r in runs_of(store, quick)
        if failed[0].started_at <= r.started_at <= failed[0].finished_at
    ]
    assert len(during) >= 2, "the quick integration kept running (~4 firings in the window)"
    alerts = query(store, "SELECT kind, state FROM alerts WHERE integration = :i", i=unique)
    assert [tuple(a) for a in alerts] == [("run_error", "firing")]


def test_a_broken_monitor_file_edit_keeps_the_old_configuration(
    tmp_path: Path, unique: str
) -> None:
    store = migrated(f"sqlite:///{tmp_path}/results.db")
    systems = {"shop": {"url": make_source(tmp_path)}}
    config = write_monitor_file(
        tmp_path / "dxq.yml", store, systems, {unique: integration("* * * * *")}
    )
    proc = start_scheduler(config, tmp_path / "s.log")
    with running(proc):
        wait_for(lambda: runs_of(store, unique), 30, "the first run")
        config.write_text(config.read_text().replace('"volume"', '"volumes"'), encoding="utf-8")
        beat = wait_for(
            lambda: (b := _heartbeat(store, config)) and b["info"]["config_error"] and b,
            15,
            "the heartbeat to report the problem",
        )
        assert "volumes" in beat["info"]["config_error"]
        before = len(runs_of(store, unique))
        time.sleep(2.5)
        assert len(runs_of(store, unique)) >= before + 2, "the old configuration still runs"
        added = f"{unique}-new"
        write_monitor_file(
            config,
            store,
            systems,
            {unique: integration("* * * * *"), added: integration("*/2 * * * *")},
        )
        wait_for(lambda: runs_of(store, added), 15, "the added integration")
        assert _heartbeat(store, config)["info"]["config_error"] is None  # type: ignore[index]
        assert stop(proc) == 0
    assert "invalid; keeping the old one" in (tmp_path / "s.log").read_text()


def test_sigterm_stops_within_the_grace_and_fails_the_unfinished_run(
    pg_url: str, tmp_path: Path, unique: str
) -> None:
    store = migrated(f"sqlite:///{tmp_path}/results.db")
    systems = {"pg": {"url": pg_url}}
    slow = integration(None, "60s", source={"system": "pg", "query": "SELECT pg_sleep(20) AS x"})
    slow["target"] = {"system": "pg", "query": "SELECT 1 AS x"}
    config = write_monitor_file(tmp_path / "dxq.yml", store, systems, {unique: slow})
    proc = start_scheduler(config, tmp_path / "s.log", "--grace", "1")
    with running(proc):
        _queue(config, unique)
        wait_for(lambda: runs_of(store, unique), 30, "the run to start")
        started = time.monotonic()
        assert stop(proc, timeout=10) == 0
        assert time.monotonic() - started < 5
    run = runs_of(store, unique)[0]
    assert run.status == "error" and "stopped during the run" in run.reason
    assert not query(store, "SELECT name FROM leases WHERE name = :n", n=f"run:{unique}")
    assert _heartbeat(store, config)["info"]["state"] == "stopped"  # type: ignore[index]


def test_two_quick_sigterms_always_stop_the_daemon(tmp_path: Path, unique: str) -> None:
    procs, configs = [], []
    for index in range(10):
        home = tmp_path / str(index)
        home.mkdir()
        store = migrated(f"sqlite:///{home}/results.db")
        systems = {"shop": {"url": make_source(home)}}
        config = write_monitor_file(home / "dxq.yml", store, systems, {unique: integration()})
        configs.append((store, config))
        procs.append(start_scheduler(config, home / "s.log", "--grace", "1"))
    with running(*procs):
        for store, config in configs:
            wait_for(lambda s=store, c=config: _heartbeat(s, c), 60, "the daemon to start")  # type: ignore[misc]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        codes = [proc.wait(timeout=max(1.0, 20 - (time.monotonic() - started))) for proc in procs]
    assert codes == [0] * 10


def test_a_mysql_results_store_is_refused_in_one_line(
    tmp_path: Path, mariadb_url: str, unique: str
) -> None:
    systems = {"shop": {"url": make_source(tmp_path)}}
    config = write_monitor_file(tmp_path / "dxq.yml", mariadb_url, systems, {unique: integration()})
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "schedule", "-c", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "dxq: the scheduler needs a PostgreSQL or SQLite results store, not mysql"
    )
