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
