"""Helpers for the outbox tests: a scripted loopback HTTP receiver, a monitor file whose owners
point at it, results stores on SQLite and PostgreSQL, and a way to raise an alert."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerts.alert import CheckOutcome, Decision
from monitor.alerting import AlertContext, alert_context, record_alerts
from monitor.config import Config
from monitor.loading import load_config
from store.schema import notifications
from store.store import ResultStore

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@dataclass
class Seen:
    """One POST the receiver answered."""

    path: str
    key: str
    status: int
    body: dict[str, Any]


@dataclass
class ScriptedReceiver:
    """Answers each path from a script of (status, headers), then 200; records every POST."""

    url: str = ""
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, path: str, *answers: tuple[int, dict[str, str]]) -> None:
        self.scripts[path] = list(answers)

    def at(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def accepted(self, path: str) -> list[Seen]:
        return [s for s in self.at(path) if 200 <= s.status < 300]


def scripted_receiver() -> Iterator[ScriptedReceiver]:
    receiver = ScriptedReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            with receiver.lock:
                script = receiver.scripts.get(self.path, [])
                status, headers = script.pop(0) if script else (200, {})
                key = self.headers.get("Idempotency-Key", "")
                receiver.seen.append(Seen(self.path, key, status, json.loads(body or b"{}")))
            if status == 0:  # hang past any sensible timeout
                time.sleep(3.0)
                status = 200
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


def write_config(directory: Path, store_url: str, hook: str, smtp_port: int = 1) -> Path:
    """A monitor file: integration `orders` owned by `shop` (business, webhook /shop), and a
    maintenance team (webhook /maint); the store is `store_url`."""
    path = directory / "dxq.yml"
    path.write_text(
        f"""version: 1
store: "{store_url}"
dashboard_url: http://127.0.0.1:8501
smtp: {{host: 127.0.0.1, port: {smtp_port}, starttls: false, timeout: 5s}}
owners:
  shop: {{name: Shop owner, role: business, webhook: "{hook}/shop"}}
  maint: {{name: Maintenance, role: maintenance, webhook: "{hook}/maint"}}
systems:
  crm: {{url: "sqlite:///crm.db"}}
  erp: {{url: "sqlite:///erp.db"}}
integrations:
  orders:
    source: crm.orders
    target: erp.orders
    owners: [shop]
    volume: {{tolerance: 0%}}
""",
        encoding="utf-8",
    )
    return path


def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema of the session's PostgreSQL database."""
    schema = f"outbox_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@dataclass
class Setup:
    """A store, its monitor file and the receiver its owners point at."""

    store: ResultStore
    config: Config
    context: AlertContext
    receiver: ScriptedReceiver
    config_path: Path
    url: str


def make_setup(url: str, directory: Path, receiver: ScriptedReceiver) -> Iterator[Setup]:
    path = write_config(directory, url, receiver.url)
    config = load_config(path, {})
    store = ResultStore.open(url)
    yield Setup(store, config, alert_context(config), receiver, path, url)
    store.dispose()


def store_url_for(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/results.db"
    else:
        yield from pg_schema_url(str(request.getfixturevalue("pg_url")))


def fail(
    setup: Setup, now: datetime = T0, check: str = "volume", outcome: str = "failed"
) -> Decision:
    """Record one outcome of `check` for integration `orders` at `now`."""
    result = CheckOutcome(check, "volume", outcome, "error", {"source_rows": 10, "target_rows": 5})
    with setup.store.transaction() as tx:
        return record_alerts(tx.connection, setup.context, "orders", [result], now)


def outbox(store: ResultStore) -> list[Any]:
    """Every outbox row, oldest first."""
    with store.engine.connect() as connection:
        return list(connection.execute(sa.select(notifications).order_by(notifications.c.id)))
