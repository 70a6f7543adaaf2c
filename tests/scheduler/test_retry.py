"""The one run path waits for systems that cannot be reached, a bounded number of quick retries
within its budget (shown on the running run), then records what it finds: an `error` result
and a `run_error` alert well before the budget ends; other errors are never waited for."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from datasources.budget import RunBudget, within
from datasources.budget import current as current_budget
from datasources.dataset import SqlSystem
from datasources.errors import DatasourceError, SystemUnreachable
from monitor.config.loading import load_config
from monitor.daemon.scheduler import utcnow
from monitor.run import retry
from monitor.run.alert_context import alert_context
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.retry import RETRY, RetryPolicy
from monitor.run.runner import IntegrationRun, record_integration
from store.store import ResultStore
from tests.scheduler.world import integration, make_source, runs_of, write_monitor_file


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class LateProxy:
    """Refuses connections on `port` until `delay` has passed, then forwards them to `target`."""

    def __init__(self, port: int, target: tuple[str, int], delay: float) -> None:
        self.port, self.target, self.delay = port, target, delay
        self.stopping = threading.Event()
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        if self.stopping.wait(self.delay):
            return
        with socket.create_server(("127.0.0.1", self.port)) as server:
            server.settimeout(0.1)
            while not self.stopping.is_set():
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                self.accepted += 1
                upstream = socket.create_connection(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


@pytest.fixture
def late_proxy(pg_url: str) -> Iterator[LateProxy]:
    url = sa.make_url(pg_url)
    proxy = LateProxy(_free_port(), (url.host or "127.0.0.1", url.port or 5432), delay=1.5)
    proxy.thread.start()
    yield proxy
    proxy.stopping.set()
    proxy.thread.join(5)


def _plan(tmp_path: Path, store_url: str, db_url: str, table: str, name: str) -> IntegrationPlan:
    systems = {
        "db": {"url": db_url, "connect_timeout": "1s"},
        "shop": {"url": make_source(tmp_path)},
    }
    body = integration(None, "30s", source=f"db.{table}")
    path = write_monitor_file(tmp_path / "dxq.yml", store_url, systems, {name: body})
    return plan_integrations(load_config(path, {}))[0]


def _products(pg_url: str, table: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (sku TEXT PRIMARY KEY, qty INTEGER)"))
        conn.execute(sa.text(f"INSERT INTO {table} VALUES ('A-1', 1), ('B-2', 2)"))
    engine.dispose()


def _record(store: ResultStore, plan: IntegrationPlan, budget_s: float) -> IntegrationRun:
    budget = RunBudget(time.monotonic() + budget_s)
    return record_integration(plan, store, trigger="request", clock=utcnow, budget=budget)


def test_a_system_back_during_the_backoff_is_run_once_and_passes(
    pg_url: str,
    late_proxy: LateProxy,
    store: ResultStore,
    store_url: str,
    tmp_path: Path,
    unique: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "dxq.schedule")
    _products(pg_url, f"p_{unique}")
    proxied = sa.make_url(pg_url).set(host="127.0.0.1", port=late_proxy.port)
    plan = _plan(tmp_path, store_url, proxied.render_as_string(False), f"p_{unique}", unique)
    started = time.monotonic()
    run = _record(store, plan, 30)
    took = time.monotonic() - started
    runs = runs_of(store_url, unique)
    assert [(r.id, r.status, r.reason) for r in runs] == [(run.run_id, "passed", None)]
    assert 1.5 <= took < 15, "it waited for the proxy, within its budget"
    assert caplog.text.count("waiting for system 'db'") >= 1
    assert "rerun" not in caplog.text, "waited before the checks: nothing to run again"
    assert late_proxy.accepted >= 1


def test_a_system_that_stays_down_is_bounded_by_half_the_budget(
    store: ResultStore,
    store_url: str,
    tmp_path: Path,
    unique: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "dxq.schedule")
    down = f"postgresql+psycopg://u@127.0.0.1:{_free_port()}/x"
    plan = _plan(tmp_path, store_url, down, "products", unique)
    started = time.monotonic()
    _record(store, plan, 4)
    assert time.monotonic() - started < 4, "gave up waiting at half the budget left"
    assert [r.status for r in runs_of(store_url, unique)] == ["error"]
    assert "no budget left to wait" in caplog.text and "rerun" not in caplog.text


def test_a_system_that_stays_down_gives_an_error_and_an_alert_well_before_the_budget(
    store: ResultStore, store_url: str, tmp_path: Path, unique: str
) -> None:
    """Issue 11 item 4: with the default 10-minute budget, the run used to wait for minutes."""
    down = f"postgresql+psycopg://u@127.0.0.1:{_free_port()}/x"
    plan = _plan(tmp_path, store_url, down, "products", unique)
    context = alert_context(load_config(tmp_path / "dxq.yml", {}))
    seen: list[str] = []
    done = threading.Event()

    def run() -> None:
        budget = RunBudget(time.monotonic() + 600)
        record_integration(
            plan, store, trigger="schedule", clock=utcnow, alerting=context, budget=budget
        )
        done.set()

    started = time.monotonic()
    threading.Thread(target=run, daemon=True).start()
    while not done.wait(0.1):
        seen += [r.reason for r in runs_of(store_url, unique) if r.status == "running" and r.reason]
    took = time.monotonic() - started
    assert took < sum(RETRY.waits()) + 10 < 30, f"took {took:.1f} s"
    assert seen and "waiting for system 'db'" in seen[-1], "the wait shows on the running run"
    assert f"retry {RETRY.attempts} of {RETRY.attempts}" in seen[-1]
    (row,) = runs_of(store_url, unique)
    assert row.status == "error" and row.reason is None
    with store.engine.connect() as conn:
        alerts = conn.execute(
            sa.text("SELECT kind, state FROM alerts WHERE integration = :i"), {"i": unique}
        ).all()
    assert [tuple(a) for a in alerts] == [("run_error", "firing")]


def test_a_missing_table_is_not_waited_for(
    pg_url: str,
    store: ResultStore,
    store_url: str,
    tmp_path: Path,
    unique: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "dxq.schedule")
    plan = _plan(tmp_path, store_url, pg_url, f"missing_{unique}", unique)
    started = time.monotonic()
    _record(store, plan, 30)
    assert time.monotonic() - started < 3
    assert [r.status for r in runs_of(store_url, unique)] == ["error"]
    assert "waiting" not in caplog.text and "rerun" not in caplog.text


def _two_system_plan(tmp_path: Path) -> IntegrationPlan:
    other = tmp_path / "other"
    other.mkdir()
    return _plan(tmp_path, f"sqlite:///{tmp_path}/results.db", make_source(other), "products", "o")


def test_the_first_probes_run_at_once_in_the_runs_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _two_system_plan(tmp_path)
    seen: list[tuple[str, str, RunBudget | None]] = []

    def slow_probe(system: SqlSystem) -> DatasourceError | None:
        seen.append((system.name, threading.current_thread().name, current_budget()))
        time.sleep(0.4)
        return None

    monkeypatch.setattr(retry, "probe", slow_probe)
    budget = RunBudget(time.monotonic() + 60)
    started = time.monotonic()
    with within(budget):
        assert retry.await_systems(plan) is retry.Systems.ANSWERED
    assert time.monotonic() - started < 0.75  # one after the other: 0.8 s
    assert sorted(name for name, _, _ in seen) == ["db", "shop"]
    assert all(thread.startswith("dxq-probe") and got is budget for _, thread, got in seen)


def test_after_waiting_for_one_system_the_others_are_probed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`db` is down at first and answers on the retry; `shop` answered the first (parallel)
    probe, but that was before the wait, so it is asked again before the run goes on."""
    plan = _two_system_plan(tmp_path)
    probes: list[str] = []

    def flaky_probe(system: SqlSystem) -> DatasourceError | None:
        probes.append(system.name)
        if system.name == "db" and probes.count("db") == 1:
            return SystemUnreachable("db is restarting")
        return None

    monkeypatch.setattr(retry, "probe", flaky_probe)
    policy = RetryPolicy(attempts=2, first_wait_s=0.01, max_wait_s=0.01)
    assert retry.await_systems(plan, policy) is retry.Systems.RECOVERED
    assert sorted(probes[:2]) == ["db", "shop"]  # the first probes, at once
    assert probes[2:] == ["db", "shop"]  # db's retry, then shop again after the wait
