"""A run whose only errors are transient connection errors runs again once, within its budget,
when its systems answer again; otherwise the errors are recorded."""

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
from monitor.config.loading import load_config
from monitor.daemon.scheduler import utcnow
from monitor.run.guarded import record_retrying
from monitor.run.plan import IntegrationPlan, plan_integrations
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


def test_a_system_back_during_the_backoff_gets_one_rerun_recorded_as_one_run(
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
    with within(RunBudget(time.monotonic() + 30)):
        run_id = record_retrying(store, plan, "request", None, utcnow)
    took = time.monotonic() - started
    runs = runs_of(store_url, unique)
    assert [(r.id, r.status) for r in runs] == [(run_id, "passed")], "one run, the rerun's result"
    assert 1.5 <= took < 15, "it waited for the proxy, within its budget"
    assert caplog.text.count("the systems answer again: rerun") == 1
    assert late_proxy.accepted >= 1


def test_a_system_that_stays_down_is_rerun_never_and_bounded_by_the_budget(
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
    with within(RunBudget(time.monotonic() + 4)):
        record_retrying(store, plan, "request", None, utcnow)
    assert time.monotonic() - started < 4, "gave up waiting at half the budget left"
    assert [r.status for r in runs_of(store_url, unique)] == ["error"]
    assert "not rerunning" in caplog.text and "rerun\n" not in caplog.text


def test_a_missing_table_is_not_a_transient_error_and_is_not_rerun(
    pg_url: str,
    store: ResultStore,
    store_url: str,
    tmp_path: Path,
    unique: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "dxq.schedule")
    plan = _plan(tmp_path, store_url, pg_url, f"missing_{unique}", unique)
    with within(RunBudget(time.monotonic() + 30)):
        record_retrying(store, plan, "request", None, utcnow)
    assert [r.status for r in runs_of(store_url, unique)] == ["error"]
    assert "rerun" not in caplog.text
