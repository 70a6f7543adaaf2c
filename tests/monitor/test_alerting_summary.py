"""`dxq run` ends its summary with what it did to alerts: opened and resolved episodes, and
notifications delivered or still waiting."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from monitor.cli import main
from tests.alerts.receivers import HttpReceiver, Mailbox
from tests.monitor.test_alerting_run import make_world


def test_table_and_json_summaries_count_alerts_and_notifications(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_world(tmp_path, receiver, mailbox)
    assert main(["run", "-c", str(config), "orders"]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "alerts: 1 opened, 0 resolved; notifications: 3 delivered, 0 still pending"

    with sqlite3.connect(tmp_path / "erp.db") as db:
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(i, 0.0) for i in range(6, 10)])
    receiver.script("/maint", (503, {}), (503, {}), (503, {}))  # stays pending, to retry
    assert main(["run", "-c", str(config), "--format", "json", "orders"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"run_started_at", "integrations"} <= set(doc)
    assert doc["alerts"] == {
        "opened": 0,
        "resolved": 1,
        "notifications_delivered": 2,
        "notifications_pending": 1,
    }
