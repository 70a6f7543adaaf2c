"""Helpers for the outbox tests: a monitor file whose owners point at the loopback HTTP
receiver, the store, file and receiver together as a Setup, and a way to raise an alert."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from alerts.alert import CheckOutcome, Decision
from monitor.config.loading import load_config
from monitor.config.model import Config
from monitor.run.alert_context import AlertContext, alert_context
from monitor.run.alerting import record_alerts
from store.schema import notifications
from store.store import ResultStore
from tests.alerts.receivers import HttpReceiver

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


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


@dataclass
class Setup:
    """A store, its monitor file and the receiver its owners point at."""

    store: ResultStore
    config: Config
    context: AlertContext
    receiver: HttpReceiver
    config_path: Path
    url: str


def make_setup(url: str, directory: Path, receiver: HttpReceiver) -> Iterator[Setup]:
    """A Setup on the store at `url`, with its monitor file in `directory`."""
    path = write_config(directory, url, receiver.url)
    config = load_config(path, {})
    store = ResultStore.open(url)
    yield Setup(store, config, alert_context(config), receiver, path, url)
    store.dispose()


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
