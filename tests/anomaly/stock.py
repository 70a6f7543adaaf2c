"""A stock feed for the anomaly tests: one SQLite system whose export and shop tables hold as
many rows as a test says, watched by `anomalies:` on the target's row count, run through the
one run path (record_integration) at simulated times 6 hours apart."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from checks.anomaly.watch import SeriesKey
from monitor.config.loading import load_config
from monitor.config.model import Config
from monitor.run.alert_context import AlertContext, alert_context
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.runner import IntegrationRun, record_integration
from store.store import ResultStore

T0 = datetime(2026, 10, 5, 0, 0, tzinfo=UTC)
EVERY = timedelta(hours=6)
NORMAL = 3000  # rows a run usually sees
TARGET_ROWS = SeriesKey("volume", "target_rows")


def noise(i: int) -> int:
    """-30..30, deterministic per run."""
    return (i * 37) % 61 - 30


def monitor_file(tmp_path: Path, store_url: str, smtp_port: int = 9) -> Path:
    """The monitor file (no fixed rule catches a drop on both sides; anomalies route by kind
    to the analysts, besides the integration's owner)."""
    db = tmp_path / "stock.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE export (sku INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE shop (sku INTEGER PRIMARY KEY)")
    doc: dict[str, Any] = {
        "version": 1,
        "store": store_url,
        "owners": {
            "stock-po": {"role": "business", "email": "po@example.com"},
            "analysts": {"role": "maintenance", "email": "analysts@example.com"},
        },
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "sender": "dxq@example.com"},
        "systems": {"wms": {"url": f"sqlite:///{db}"}},
        "integrations": {
            "stock": {
                "source": "wms.export",
                "target": "wms.shop",
                "volume": {"tolerance": "100%"},
                "owners": ["stock-po"],
                "anomalies": {
                    "seasonality": "none",
                    "training": "14d",
                    "metrics": [TARGET_ROWS.name],
                },
            }
        },
        "routes": {
            "receiver": "stock-po",
            "routes": [{"match": {"kind": "anomaly"}, "receiver": "analysts"}],
        },
    }
    path = tmp_path / "dxq.yml"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@dataclass
class StockFeed:
    """The loaded monitor file, its store and plan, and runs at T0 + i x EVERY."""

    tmp_path: Path
    config: Config
    store: ResultStore
    plan: IntegrationPlan
    alerting: AlertContext | None

    @classmethod
    def open(
        cls, tmp_path: Path, store_url: str, *, alerting: bool = True, smtp_port: int = 9
    ) -> StockFeed:
        config = load_config(monitor_file(tmp_path, store_url, smtp_port))
        (plan,) = plan_integrations(config)
        context = alert_context(config) if alerting else None
        return cls(tmp_path, config, ResultStore.open(config.store), plan, context)

    def run_at(self, i: int, rows: int) -> IntegrationRun:
        """Both tables hold `rows` rows; run at T0 + i x EVERY."""
        with sqlite3.connect(self.tmp_path / "stock.db") as conn:
            for table in ("export", "shop"):
                conn.execute(f"DELETE FROM {table}")
                conn.executemany(f"INSERT INTO {table} VALUES (?)", [(n,) for n in range(rows)])
        at = T0 + i * EVERY
        return record_integration(
            self.plan, self.store, trigger="schedule", clock=lambda: at, now=at,
            alerting=self.alerting,
        )  # fmt: skip
