"""A small world for scheduler tests: a SQLite source system, a monitor file, and `dxq
schedule` processes started, signalled and read back like an operator would."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


def make_source(directory: Path) -> str:
    """A SQLite system with a `products` table; returns its URL."""
    path = directory / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS products (sku TEXT PRIMARY KEY, qty INTEGER)")
        conn.executemany("INSERT OR REPLACE INTO products VALUES (?, ?)", [("A-1", 1), ("B-2", 2)])
    return f"sqlite:///{path}"


def integration(
    schedule: str | None = "* * * * *", timeout: str = "30s", source: str = "shop.products"
) -> dict[str, Any]:
    """One light integration: row counts of a table against itself."""
    body: dict[str, Any] = {
        "source": source,
        "target": "shop.products",
        "volume": {"tolerance": "0%"},
        "timeout": timeout,
    }
    if schedule is not None:
        body["schedule"] = schedule
    return body


def write_monitor_file(
    path: Path,
    store: str,
    systems: Mapping[str, Mapping[str, Any]],
    integrations: Mapping[str, Mapping[str, Any]],
) -> Path:
    """Write a monitor file (JSON is YAML) and bump its mtime so a reload sees it."""
    import json

    doc = {"version": 1, "store": store, "systems": systems, "integrations": integrations}
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def start_scheduler(
    config: Path, log: Path, *extra: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`python -m monitor.cli schedule --cron-seconds -c CONFIG`, logging to `log`."""
    handle = log.open("ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "schedule",
            "--cron-seconds",
            "-c",
            str(config),
            *extra,
        ],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )


def stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    """SIGTERM and wait; kill if it does not stop in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


@contextmanager
def running(*procs: subprocess.Popen[bytes]) -> Iterator[None]:
    """Make sure the processes end with the test, whatever happens."""
    try:
        yield
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `predicate` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def query(store_url: str, sql: str, **params: Any) -> list[sa.Row[Any]]:
    """Rows of a read-only query against the results store."""
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params).all())
    finally:
        engine.dispose()


def runs_of(store_url: str, integration: str) -> list[sa.Row[Any]]:
    """The runs of one integration, oldest first (timestamps as aware datetimes)."""
    from store.schema import runs

    c = runs.c
    stmt = sa.select(c.id, c.status, c.reason, c.trigger, c.started_at, c.finished_at)
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(stmt.where(c.integration == integration).order_by(c.id)))
    finally:
        engine.dispose()


def migrated(store_url: str) -> str:
    """Bring a results store to the current schema first, as `dxq db upgrade` does."""
    from store.store import ResultStore

    ResultStore.open(store_url).dispose()
    return store_url


class Outage:
    """A TCP proxy on 127.0.0.1 in front of a database: `cut()` drops every connection and
    refuses new ones (the store goes away), `restore()` serves again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        import socket
        import threading

        self.target = target
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._server: socket.socket | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.restore()

    def url(self, database_url: str) -> str:
        """`database_url` pointed at this proxy."""
        return (
            sa.make_url(database_url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    def restore(self) -> None:
        import socket
        import threading

        server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        server.settimeout(0.1)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def cut(self) -> None:
        import contextlib
        import socket

        server, self._server = self._server, None
        if server is not None:
            server.close()
        with self._lock:
            held, self._open = self._open, []
        for sock in held:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, server: Any) -> None:
        import socket
        import threading

        while self._server is server:
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(src: Any, dst: Any) -> None:
    import contextlib
    import socket

    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
