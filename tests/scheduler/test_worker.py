"""A guarded run in-process: connection retries, permanent errors, the time budget, and the
scheduler's own alerts (timeouts, missed runs)."""

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

from alerts.watchdog import missed_alert
from monitor.config.loading import load_config
from monitor.daemon import daemon_alerts
from monitor.daemon.liveness import recover
from monitor.run.alert_context import alert_context
from monitor.run.guarded import RunJob, RunStatus, Worker
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.retry import is_transient, probe
from monitor.run.runner import record_integration
from store import scheduling
from store.store import ResultStore
from tests.scheduler.test_budget import SLOW, _active
from tests.scheduler.world import integration, make_source, write_monitor_file


def _plans(
    tmp_path: Path, store_url: str, url: str, name: str, timeout: str
) -> list[IntegrationPlan]:
    systems = {"db": {"url": url, "connect_timeout": "2s"}, "shop": {"url": make_source(tmp_path)}}
    body = integration(None, timeout, source="db.products")
    config_path = write_monitor_file(tmp_path / "dxq.yml", store_url, systems, {name: body})
    return plan_integrations(load_config(config_path, {}))


def _request(store: ResultStore, plan: IntegrationPlan) -> RunJob:
    """A run-now job with its request queued, as `dxq run --queue` leaves it."""
    scheduling.enqueue_run(store, plan.name, "test", datetime.now(UTC))
    return RunJob(plan, "request")


def _worker(store: ResultStore, record=None, tag: str = "test") -> Worker:  # type: ignore[no-untyped-def]
    context = None
    return Worker(
        store,
        f"{socket.gethostname()}:{os.getpid()}:{tag}",
        host=socket.gethostname(),
        pid=os.getpid(),
        record=record
        or (
            lambda plan, trigger: (
                record_integration(
                    plan, store, trigger=trigger, clock=lambda: datetime.now(UTC), alerting=context
                ).run_id
            )
        ),
        clock=lambda: datetime.now(UTC),
        abort=threading.Event(),
    )


def test_a_refused_connection_is_retried_within_half_the_budget(
    store: ResultStore,
    store_url: str,
    tmp_path: Path,
    unique: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "dxq.schedule")
    plan = _plans(tmp_path, store_url, "postgresql+psycopg://u@127.0.0.1:1/x", unique, "6s")[0]
    error = probe(plan.source.system)  # type: ignore[arg-type]
    assert error is not None and is_transient(error)
    started = time.monotonic()
    report = _worker(store).execute(_request(store, plan))
    assert 1.5 <= time.monotonic() - started < 6, "backed off 0.5 s, then 1 s"
    assert caplog.text.count("waiting for system") == 2, caplog.text
    assert "no budget left to wait" in caplog.text
    assert report.status is RunStatus.RAN and report.run_id is not None
    status = _status(store, report.run_id)
    assert status == "error", "still down: the run records the error"


def test_a_permanent_error_is_not_retried(
    store: ResultStore, store_url: str, tmp_path: Path, pg_url: str, unique: str
) -> None:
    missing = sa.make_url(pg_url).set(username="no_such_role_here").render_as_string(False)
    plan = _plans(tmp_path, store_url, missing, unique, "20s")[0]
    error = probe(plan.source.system)  # type: ignore[arg-type]
    assert error is not None and not is_transient(error)
    started = time.monotonic()
    report = _worker(store).execute(_request(store, plan))
    assert time.monotonic() - started < 3
    assert report.run_id is not None and _status(store, report.run_id) == "error"


def test_a_run_over_budget_is_an_error_and_frees_its_lease(
    store: ResultStore, store_url: str, tmp_path: Path, unique: str
) -> None:
    plan = _plans(tmp_path, store_url, make_source(tmp_path), unique, "1.5s")[0]

    def hang(plan: IntegrationPlan, trigger: str) -> int:
        store.begin_run(plan.name, datetime.now(UTC), trigger)
        time.sleep(3)  # the worker holds the lease until this ends
        return -1

    report = _worker(store, hang).execute(RunJob(plan, "schedule", datetime.now(UTC)))
    assert report.status is RunStatus.TIMED_OUT and report.detail == "timed out after 1.5 s"
    assert report.run_id is not None and _status(store, report.run_id) == "error"
    again = _worker(store).execute(_request(store, plan))
    assert again.status == "ran", "the lease was released"
    late = _worker(store).execute(RunJob(plan, "schedule", datetime.now(UTC) - timedelta(hours=1)))
    assert late.status == "skipped", "an older firing than the last claimed one does not run"


def test_timeout_and_missed_alerts_fire_and_resolve(
    store: ResultStore, store_url: str, tmp_path: Path, unique: str
) -> None:
    systems = {"shop": {"url": make_source(tmp_path)}}
    path = write_monitor_file(tmp_path / "dxq.yml", store_url, systems, {unique: integration()})
    context = alert_context(load_config(path, {}))
    now = datetime.now(UTC)
    daemon_alerts.record_timeout(store, context, unique, "timed out after 2 s", now)
    missed = missed_alert(unique, now - timedelta(hours=1), now - timedelta(minutes=58), now)
    daemon_alerts.record_missed(store, context, {unique: missed}, now)
    assert _alerts(store, unique) == [("run_error", "firing"), ("missed", "firing")]
    later = now + timedelta(seconds=5)
    (plan,) = plan_integrations(load_config(path, {}))
    passed = record_integration(
        plan, store, trigger="schedule", clock=lambda: later, now=later, alerting=context
    )
    assert passed.outcome == "passed", "a real run that passed resolves the run_error alert"
    back = missed_alert(unique, later, later + timedelta(minutes=2), later)
    daemon_alerts.record_missed(store, context, {unique: back}, later)
    assert _alerts(store, unique) == [("run_error", "resolved"), ("missed", "resolved")]
    before = _events(store, unique)
    daemon_alerts.tick_alerts(store, later)  # the store is shared: other tests' alerts may tick
    assert _events(store, unique) == before, "resolved alerts have nothing due"


def _events(store: ResultStore, integration: str) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id"
                    " WHERE a.integration = :i"
                ),
                {"i": integration},
            ).scalar_one()
        )


def _status(store: ResultStore, run_id: int) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(sa.text("SELECT status FROM runs WHERE id = :i"), {"i": run_id}).scalar()
        )


def _alerts(store: ResultStore, integration: str) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT kind, state FROM alerts WHERE integration = :i ORDER BY id"),
            {"i": integration},
        )
        return [(str(k), str(s)) for k, s in rows]


def test_a_timed_out_run_cancels_its_query_and_holds_the_lease_until_it_ends(
    store: ResultStore, store_url: str, tmp_path: Path, pg_url: str, unique: str
) -> None:
    systems = {"pg": {"url": pg_url, "query_timeout": "60s"}}
    body = integration(None, "1s", source={"system": "pg", "query": SLOW["postgresql"]})
    body["source"]["query"] = SLOW["postgresql"].format(tag=unique)
    body["target"] = {"system": "pg", "query": "SELECT 1 AS x"}
    path = write_monitor_file(tmp_path / "dxq.yml", store_url, systems, {unique: body})
    plan = plan_integrations(load_config(path, {}))[0]
    first = _worker(store, tag="one")
    reports = []
    runner = threading.Thread(target=lambda: reports.append(first.execute(_request(store, plan))))
    started = time.monotonic()
    runner.start()
    deadline = time.monotonic() + 10
    while not _active(pg_url, unique) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _active(pg_url, unique) == 1
    second = _worker(store, tag="two").execute(RunJob(plan, "schedule", datetime.now(UTC)))
    assert second.status == "skipped" and "in progress" in second.detail
    runner.join(15)
    assert not runner.is_alive() and time.monotonic() - started < 6
    (report,) = reports
    assert report.status == "timed_out" and report.detail == "timed out after 1 s"
    assert _active(pg_url, unique) == 0, "no pg_sleep left on the server"
    assert not [t for t in threading.enumerate() if t.name == f"run {unique}"]
    assert report.run_id is not None and _status(store, report.run_id) == "error"
    assert scheduling.run_lease(unique) not in scheduling.lease_holders(store, datetime.now(UTC))


def test_one_request_served_by_two_workers_runs_once(
    store: ResultStore, store_url: str, tmp_path: Path, unique: str
) -> None:
    plan = _plans(tmp_path, store_url, make_source(tmp_path), unique, "20s")[0]
    job = _request(store, plan)
    first = _worker(store, tag="one").execute(job)
    second = _worker(store, tag="two").execute(job)
    assert first.status == "ran" and len(first.requests) == 1
    assert second.status == "skipped" and second.run_id is None
    assert second.detail == "another scheduler took the request"
    with store.engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM runs WHERE integration = :i"), {"i": unique}
        ).scalar()
    assert count == 1


def test_a_run_of_an_earlier_process_with_the_same_pid_is_failed(
    store: ResultStore, unique: str
) -> None:
    host, me, now = socket.gethostname(), os.getpid(), datetime.now(UTC)
    old = store.begin_run(unique, now - timedelta(minutes=5), "schedule")
    earlier = f"{host}:{me}:before"
    scheduling.acquire_lease(
        store, scheduling.run_lease(unique), earlier, now + timedelta(hours=1), now
    )
    mine = f"{host}:{me}:now"
    kept = recover(store, host=host, now=now, timeouts={}, process_id=mine, started_at=now)
    assert old in kept, "the same pid, started before this process: a dead scheduler's run"
    assert _status(store, old) == "error"
    assert scheduling.run_lease(unique) not in scheduling.lease_holders(store, now)
    current = store.begin_run(unique, now + timedelta(seconds=1), "schedule")
    again = recover(store, host=host, now=now, timeouts={}, process_id=mine, started_at=now)
    assert current not in again and _status(store, current) == "running"
