"""A receiver that accepts connections and never answers (a black hole) holds up only itself:
a healthy receiver is delivered to within the hard timeout, and a pass with a budget (what
`dxq run` does) returns within it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.alert import CheckOutcome
from monitor.config.loading import load_config
from monitor.daemon.dispatcher import deliver_due, dispatch_once
from monitor.run.alert_context import alert_context
from monitor.run.alerting import record_alerts
from store.store import ResultStore
from tests.alerts.outbox_support import T0, outbox
from tests.alerts.receivers import HttpReceiver

HARD_TIMEOUT_S = 1.0


@pytest.fixture
def black_hole() -> Iterator[str]:
    """The URL of a server that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    server.close()


def make_store(tmp_path: Path, hole: str, healthy: str) -> tuple[ResultStore, Path]:
    path = tmp_path / "dxq.yml"
    path.write_text(
        f"""version: 1
store: "sqlite:///{tmp_path}/results.db"
smtp: {{host: 127.0.0.1, port: 1, timeout: 30s}}
owners:
  hole: {{role: business, webhook: "{hole}/hook"}}
  shop: {{role: business, webhook: "{healthy}/shop"}}
  maint: {{role: maintenance, webhook: "{healthy}/maint"}}
systems:
  crm: {{url: "sqlite:///crm.db"}}
  erp: {{url: "sqlite:///erp.db"}}
integrations:
  lost: {{source: crm.a, target: erp.a, owners: [hole], volume: {{tolerance: 0%}}}}
  orders: {{source: crm.b, target: erp.b, owners: [shop], volume: {{tolerance: 0%}}}}
""",
        encoding="utf-8",
    )
    return ResultStore.open(f"sqlite:///{tmp_path}/results.db"), path


def raise_alerts(store: ResultStore, path: Path) -> None:
    """Three alerts for the black hole first, then one for the healthy receiver."""
    context = alert_context(load_config(path, {}))
    lost = [CheckOutcome(f"check {i}", "volume", "failed") for i in range(3)]
    with store.transaction() as tx:
        record_alerts(tx.connection, context, "lost", lost, T0)
    with store.transaction() as tx:
        record_alerts(tx.connection, context, "orders", [lost[0]], T0)


def test_a_black_hole_does_not_delay_a_healthy_receiver(
    tmp_path: Path, black_hole: str, http: HttpReceiver
) -> None:
    store, path = make_store(tmp_path, black_hole, http.url)
    raise_alerts(store, path)
    config = load_config(path, {})
    before = len(http.at("/shop"))
    started = time.monotonic()
    arrived: list[float] = []

    def watch() -> None:
        while time.monotonic() - started < 10 and len(http.at("/shop")) == before:
            time.sleep(0.01)
        arrived.append(time.monotonic() - started)

    watcher = threading.Thread(target=watch)
    watcher.start()
    report = dispatch_once(store, config, now=T0, worker="w", hard_timeout_s=HARD_TIMEOUT_S)
    watcher.join()
    assert arrived[0] < HARD_TIMEOUT_S
    statuses = sorted((a.receiver, a.status) for a in report.attempts)
    assert ("shop", "sent") in statuses
    assert [s for r, s in statuses if r == "hole"] == ["retry"] * 3
    store.dispose()


def test_a_budgeted_pass_returns_within_its_budget(
    tmp_path: Path, black_hole: str, http: HttpReceiver
) -> None:
    store, path = make_store(tmp_path, black_hole, http.url)
    raise_alerts(store, path)
    context = alert_context(load_config(path, {}))
    started = time.monotonic()
    report = deliver_due(store, context, clock=lambda: T0, budget_s=1.5)
    took = time.monotonic() - started
    assert took < 1.5 + 1.0, took  # the budget plus the shortest send and the bookkeeping
    assert ("shop", "sent") in [(a.receiver, a.status) for a in report.attempts]
    holes = [r for r in outbox(store) if r.receiver == "hole"]
    assert {r.status for r in holes} <= {"pending", "sending"} and len(holes) == 3
    store.dispose()
