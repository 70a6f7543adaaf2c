"""Issue 11 item 7: the results store going away mid-run (a real PostgreSQL store behind a proxy
that drops every connection). The worker retries giving its lease back, housekeeping closes
this process's own orphaned runs and leases, and a dispatcher thread logs one line instead of
dying."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.config.loading import load_config
from monitor.daemon.dispatcher import dispatch_once
from monitor.daemon.liveness import recover
from monitor.run.alert_context import alert_context
from monitor.run.guarded import RunJob, RunStatus, Worker
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.runner import record_integration
from store import scheduling
from store.store import ResultStore
from tests.scheduler.world import Outage, integration, make_source, migrated, write_monitor_file

HOST, ME = socket.gethostname(), os.getpid()


def _plan(tmp_path: Path, store_url: str, name: str) -> IntegrationPlan:
    systems = {"shop": {"url": make_source(tmp_path)}}
    path = write_monitor_file(tmp_path / "dxq.yml", store_url, systems, {name: integration(None)})
    (plan,) = plan_integrations(load_config(path, {}))
    return plan


def _leases(pg_url: str, name: str) -> list[str]:
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT owner FROM leases WHERE name = :n"), {"n": name})
            return [str(owner) for (owner,) in rows]
    finally:
        engine.dispose()


def test_the_lease_is_given_back_when_the_store_returns_within_the_retries(
    outage: Outage, pg_url: str, tmp_path: Path, unique: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "dxq.schedule")
    store = ResultStore.open(outage.url(pg_url), migrate=False)
    plan = _plan(tmp_path, outage.url(pg_url), unique)

    def record_then_lose_the_store(plan: IntegrationPlan, trigger: str) -> int | None:
        run = record_integration(plan, store, trigger=trigger, clock=lambda: datetime.now(UTC))
        outage.cut()  # the store goes away as the run ends, and is back 1.2 s later
        threading.Timer(1.2, outage.restore).start()
        return run.run_id

    worker = Worker(
        store,
        scheduling.process_id(HOST, ME),
        host=HOST,
        pid=ME,
        record=record_then_lose_the_store,
        clock=lambda: datetime.now(UTC),
        abort=threading.Event(),
    )
    try:
        report = worker.execute(RunJob(plan, "schedule", datetime.now(UTC)))
    finally:
        store.dispose()
    assert report.status is RunStatus.RAN
    assert _leases(pg_url, scheduling.run_lease(unique)) == [], "given back after the outage"
    assert "the lease could not be given back yet" in caplog.text


def test_housekeeping_closes_this_processs_own_orphaned_run_and_lease(
    pg_url: str, unique: str
) -> None:
    store = ResultStore.open(migrated(pg_url))
    now = datetime.now(UTC)
    me = scheduling.process_id(HOST, ME)
    try:
        started = now - timedelta(minutes=5)  # this process started before the run
        orphan = store.begin_run(unique, now, "schedule")
        lease = scheduling.run_lease(unique)
        assert scheduling.acquire_lease(store, lease, me, now + timedelta(hours=1), now)
        kept = recover(
            store,
            host=HOST,
            now=now,
            timeouts={},
            process_id=me,
            started_at=started,
            busy=lambda: {unique},
        )
        assert orphan not in kept, "a run this process is still running is left alone"
        assert _leases(pg_url, lease) == [me]
        closed = recover(
            store, host=HOST, now=now, timeouts={}, process_id=me, started_at=started, busy=set
        )
        assert orphan in closed
        assert _leases(pg_url, lease) == []
        with store.engine.connect() as conn:
            status, reason = conn.execute(
                sa.text("SELECT status, reason FROM runs WHERE id = :i"), {"i": orphan}
            ).one()
        assert status == "error" and "results store was unavailable" in reason
        # a lease taken again after housekeeping read it is not given back on the old reading
        first = now + timedelta(hours=1)
        assert scheduling.acquire_lease(store, lease, me, first, now)
        assert scheduling.leases_of(store, me) == {lease: first}
        again = now + timedelta(hours=2)
        assert scheduling.renew_lease(store, lease, me, again)
        assert not scheduling.release_lease(store, lease, me, first)
        assert _leases(pg_url, lease) == [me]
        assert scheduling.release_lease(store, lease, me, again)
    finally:
        store.dispose()


def test_a_dispatcher_thread_that_loses_the_store_logs_one_line(
    outage: Outage,
    pg_url: str,
    tmp_path: Path,
    unique: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    died: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))
    caplog.set_level(logging.ERROR, "dxq.dispatch")
    path = write_monitor_file(tmp_path / "dxq.yml", outage.url(pg_url), {}, {})
    context = alert_context(load_config(path, {}))
    store = ResultStore.open(outage.url(pg_url), migrate=False)
    outage.cut()
    started = time.monotonic()
    try:
        report = dispatch_once(store, context, worker=unique, concurrency=2, budget_s=10)
    finally:
        store.dispose()
    assert time.monotonic() - started < 10
    assert report.attempts == ()
    assert died == [], "no dispatcher thread died with an uncaught exception"
    lines = [r for r in caplog.records if r.name == "dxq.dispatch"]
    assert len(lines) == 2 and all("results store" in r.getMessage() for r in lines)
    assert all("\n" not in r.getMessage() and r.exc_info is None for r in lines)


def test_a_run_that_times_out_while_the_store_is_away_keeps_its_lease_until_it_ends(
    outage: Outage, pg_url: str, tmp_path: Path, unique: str
) -> None:
    store = ResultStore.open(outage.url(pg_url), migrate=False)
    systems = {"shop": {"url": make_source(tmp_path)}}
    body = integration(None, "1.5s")
    path = write_monitor_file(tmp_path / "dxq.yml", outage.url(pg_url), systems, {unique: body})
    (plan,) = plan_integrations(load_config(path, {}))
    ended: list[float] = []

    def hang_without_the_store(plan: IntegrationPlan, trigger: str) -> int | None:
        outage.cut()
        threading.Timer(2.5, outage.restore).start()
        time.sleep(3.0)  # past the 1.5 s budget
        ended.append(time.monotonic())
        return None

    worker = Worker(
        store,
        scheduling.process_id(HOST, ME),
        host=HOST,
        pid=ME,
        record=hang_without_the_store,
        clock=lambda: datetime.now(UTC),
        abort=threading.Event(),
    )
    try:
        report = worker.execute(RunJob(plan, "schedule", datetime.now(UTC)))
        returned = time.monotonic()
    finally:
        store.dispose()
    assert report.status is RunStatus.TIMED_OUT, report
    assert ended and ended[0] <= returned, "the worker (and its lease) waited for the run's end"
    assert _leases(pg_url, scheduling.run_lease(unique)) == []
