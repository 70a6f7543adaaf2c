"""The latency check through the one run path: `dxq run` evaluates it (registry, runner),
prints it in the JSON document, stores its metrics with the run, fires an alert to the
integration's owners when its p95 breaks the SLA and resolves it when the target catches up."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.cli import main
from store.alert_state import latest_alerts
from store.schema import check_results
from store.store import ResultStore
from tests.alerts.receivers import HttpReceiver

DELAYS_MIN = [2, 3, 4, 5, 6, 7, 8, 9, 10, 40]  # per record; p95 by nearest rank: 40 minutes


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def write_systems(tmp_path: Path, delays: list[int | None]) -> None:
    """pim.products changed an hour ago (one record each); shop.catalog receives each after
    its delay (None: not yet)."""
    changed = datetime.now(UTC) - timedelta(hours=1)
    for name, rows in (
        ("pim", [(i, _stamp(changed)) for i in range(len(delays))]),
        (
            "shop",
            [
                (i, _stamp(changed + timedelta(minutes=d)))
                for i, d in enumerate(delays)
                if d is not None
            ],
        ),
    ):
        with sqlite3.connect(tmp_path / f"{name}.db") as db:  # in place: dxq's pool keeps it
            db.execute(
                "CREATE TABLE IF NOT EXISTS items (sku INTEGER PRIMARY KEY, updated_at TIMESTAMP)"
            )
            db.execute("DELETE FROM items")
            db.executemany("INSERT INTO items VALUES (?, ?)", rows)


def write_config(tmp_path: Path, receiver: HttpReceiver) -> Path:
    config = tmp_path / "dxq.yml"
    config.write_text(
        f"""version: 1
store: sqlite:///results.db
owners:
  po: {{role: business, webhook: "{receiver.url}/po"}}
systems:
  pim: {{url: "sqlite:///pim.db"}}
  shop: {{url: "sqlite:///shop.db"}}
integrations:
  catalog:
    source: pim.items
    target: shop.items
    key: sku
    owners: [po]
    latency: {{max_p95: 15m, window: 24h, updated_column: updated_at}}
""",
        encoding="utf-8",
    )
    return config


def test_latency_runs_is_stored_and_alerts_like_any_check(
    tmp_path: Path, receiver: HttpReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, receiver)
    write_systems(tmp_path, [*DELAYS_MIN[:-1], None])  # the slowest has not arrived yet
    assert main(["run", "-c", str(config), "--format", "json"]) == 1
    [check] = json.loads(capsys.readouterr().out)["integrations"][0]["checks"]
    assert (check["kind"], check["outcome"]) == ("latency", "failed")
    m = check["metrics"]
    assert (m["waiting"], m["arrived"], m["changed"]) == (1, 9, 10)
    assert m["p50_s"] == 6 * 60 and 3600 <= m["max_s"] < 3700  # the wait so far: about 1h
    assert m["p95_s"] == m["max_s"]  # nearest rank of 10 values: the 10th
    assert check["sample"][0]["waiting"] is True and check["sample"][0]["key"] == {
        "sku": "9"
    }  # canonical text, as reconcile
    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    with store.engine.connect() as connection:
        stored = connection.execute(
            sa.select(check_results.c.headline, check_results.c.headline_value).where(
                check_results.c.kind == "latency"
            )
        ).one()
        [alert] = latest_alerts(connection, "catalog")
    assert stored.headline == "p95_s" and stored.headline_value == m["p95_s"]
    assert (alert.check, str(alert.state)) == ("latency", "firing")
    [hook] = receiver.at("/po")
    text = hook.raw.decode()
    assert "(latency)" in text and "Failing keys include 9." in text  # the one late record

    write_systems(tmp_path, [d // 4 for d in DELAYS_MIN])  # the sync caught up, and faster
    assert main(["run", "-c", str(config), "--format", "json"]) == 0
    [check] = json.loads(capsys.readouterr().out)["integrations"][0]["checks"]
    assert check["outcome"] == "passed" and check["metrics"]["p95_s"] == 10 * 60
    with store.engine.connect() as connection:
        [alert] = latest_alerts(connection, "catalog")
    assert str(alert.state) == "resolved"
    store.dispose()
