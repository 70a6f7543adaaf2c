"""Faults of the celery executor against the real brokers: a worker killed with kill -9 in
the middle of a run (RabbitMQ, the end-to-end path on that broker), two schedulers on one
PostgreSQL store, and a private Redis stopped and started again."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor import actions
from monitor.config.loading import load_config
from monitor.executor.app import TASK, celery_app
from store import firings
from store.store import ResultStore
from tests.scale.world import (
    RABBIT,
    REDIS,
    firing_runs,
    monitor_file,
    queue_name,
    runs_json,
    scheduler,
    worker,
)
from tests.scale.world import slow_integration as slow
from tests.scheduler.world import query, running, stop, wait_for
from tests.support.ports import free_port


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_replaced_and_the_firing_recorded_once(
    pg_store: str, tmp_path: Path
) -> None:
    queue = queue_name()
    config = monitor_file(tmp_path / "dxq.yml", pg_store, RABBIT, {"orders": slow(4.0, queue)})
    loaded = load_config(config, {})
    store = ResultStore.open(pg_store)
    slot = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    key = firings.firing_key("orders", slot)
    firing = firings.Firing(key, "orders", "schedule", slot, queue, firings.State.PENDING)
    assert firings.record(store, firing, slot)
    one = worker(config, tmp_path / "one.log", "w-one", queue)
    with running(one):
        wait_for(lambda: "ready" in (tmp_path / "one.log").read_text(), 30, "worker one")
        celery_app(loaded).send_task(TASK, args=[key], queue=queue)
        started = wait_for(lambda: firing_runs(pg_store, key), 20, "the run to begin")
        assert [(r.status, r.worker) for r in started] == [("running", "w-one")]
        two = worker(config, tmp_path / "two.log", "w-two", queue)
        with running(two):
            os.kill(one.pid, signal.SIGKILL)  # mid-run: the query sleeps 4 s
            one.wait(10)

            def finished() -> list[Any]:
                rows = firing_runs(pg_store, key)
                return rows if any(r.status == "passed" for r in rows) else []

            rows = wait_for(finished, 45, "the firing to run again on worker two")
            assert stop(two) == 0
    assert [(r.status, r.worker) for r in rows] == [("error", "w-one"), ("passed", "w-two")]
    assert "w-two" in rows[0].reason and "stopped during the run" in rows[0].reason
    done = firings.get(store, key)
    assert done is not None and done.state == "done" and done.run_id == rows[1].id
    store.dispose()


@pytest.mark.slow
def test_two_schedulers_on_one_store_yield_one_task_per_firing(
    pg_store: str, tmp_path: Path
) -> None:
    """Also a "Run now" request (the dashboard's action) goes to the worker, once."""
    queue = queue_name()
    integrations = {f"i{n}": slow(0, queue, schedule="*/2 * * * *") for n in range(3)}
    integrations["asked"] = slow(0.2, queue)  # no schedule: runs only when asked
    config = monitor_file(tmp_path / "dxq.yml", pg_store, REDIS, integrations)
    log = tmp_path / "worker.log"
    procs = [
        worker(config, log, "w-one", queue),
        scheduler(config, tmp_path / "s1.log"),
        scheduler(config, tmp_path / "s2.log"),
    ]
    store = ResultStore.open(pg_store)
    with running(*procs):
        request = actions.run_now(store, "asked", "Dana On-Call")
        wait_for(lambda: len(runs_json(config)) >= 10, 40, "three firings of each integration")
        asked = "SELECT status, run_id FROM run_requests WHERE id = :id"
        done = wait_for(
            lambda: (r := query(pg_store, asked, id=request)) and r[0].status == "done" and r,
            20,
            "the request to be run by the worker",
        )
        for proc in reversed(procs):
            assert stop(proc) == 0
    listed = runs_json(config, "--limit", "500")
    scheduled = [r for r in listed if r["integration"] != "asked"]
    slots = Counter((r["integration"], r["scheduled_for"]) for r in scheduled)
    assert slots and max(slots.values()) == 1, slots
    assert {r["worker"] for r in listed} == {"w-one"}
    assert {r["trigger"] for r in scheduled} == {"schedule"}
    (ran,) = [r for r in listed if r["integration"] == "asked"]
    assert (ran["id"], ran["trigger"], ran["scheduled_for"], ran["outcome"]) == (
        done[0].run_id,
        "request",
        None,
        "passed",
    )
    fired = firings.get(store, firings.firing_key("asked", None, request))
    assert fired is not None and (fired.state, fired.run_id) == ("done", ran["id"])
    store.dispose()
    tasks = query(pg_store, "SELECT count(*) FROM firings")[0][0]
    assert "already ran" not in log.read_text(), "a firing was enqueued twice"
    assert tasks >= len(listed)


@pytest.mark.slow
def test_firings_wait_while_redis_is_down_and_go_when_it_returns(
    pg_store: str, tmp_path: Path
) -> None:
    port = free_port()
    redis_args = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    broker = subprocess.Popen(redis_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    queue = queue_name()
    config = monitor_file(
        tmp_path / "dxq.yml",
        pg_store,
        f"redis://127.0.0.1:{port}/0",
        {"orders": slow(0, queue, schedule="*/2 * * * *")},
    )
    procs = [
        worker(config, tmp_path / "w.log", "w-one", queue),
        scheduler(config, tmp_path / "s.log"),
    ]
    with running(broker, *procs):
        wait_for(lambda: runs_json(config), 30, "a first run")
        broker.terminate()
        broker.wait(10)

        def states() -> Counter[str]:
            return Counter(r[0] for r in query(pg_store, "SELECT state FROM firings"))

        wait_for(lambda: states()["pending"] >= 2, 20, "firings pending while Redis is down")
        alert_sql = "SELECT state, summary FROM alerts WHERE kind = 'run_error'"
        opened = wait_for(lambda: query(pg_store, alert_sql), 10, "the outage's run_error alert")
        assert [a.state for a in opened] == ["firing"] and "broker" in opened[0].summary, opened
        waiting = {r[0] for r in query(pg_store, "SELECT key FROM firings WHERE state = 'pending'")}
        broker = subprocess.Popen(redis_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with running(broker):

            def ran() -> bool:
                done = query(pg_store, "SELECT key FROM firings WHERE state = 'done'")
                return waiting <= {r[0] for r in done}

            wait_for(ran, 40, "the pending firings to run once Redis is back")
            resolved = "SELECT state FROM alerts WHERE kind = 'run_error' AND state = 'resolved'"
            wait_for(lambda: query(pg_store, resolved), 20, "a passing run to resolve the alert")
            for proc in reversed(procs):
                assert stop(proc) == 0
    listed = runs_json(config, "--limit", "500")
    slots = Counter(r["scheduled_for"] for r in listed)
    assert max(slots.values()) == 1, slots
