"""`dxq run` raises and delivers alerts: a failing run fires alerts routed to the integration's
owners and delivers them (webhook and e-mail on loopback); a passing run resolves them and
sends the resolved message to the same channels; a check that cannot run alerts maintenance."""

from __future__ import annotations

import sqlite3
from email import message_from_bytes
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.cli import main
from store.alert_state import latest_alerts
from store.schema import alert_events, notifications
from store.store import ResultStore
from tests.alerts.receivers import HttpReceiver, Mailbox


def make_world(tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox) -> Path:
    for name, rows in (("crm", 10), ("erp", 6)):
        with sqlite3.connect(tmp_path / f"{name}.db") as db:
            db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
            db.executemany("INSERT INTO orders VALUES (?, ?)", [(i, i * 1.5) for i in range(rows)])
    config = tmp_path / "dxq.yml"
    config.write_text(
        f"""version: 1
store: sqlite:///results.db
dashboard_url: http://127.0.0.1:8501
smtp: {{host: 127.0.0.1, port: {mailbox.port}, starttls: false, timeout: 5s}}
owners:
  shop: {{name: Shop owner, role: business, email: shop@example.com,
          webhook: "{receiver.url}/shop"}}
  maint: {{name: Maintenance, role: maintenance, webhook: "{receiver.url}/maint"}}
systems:
  crm: {{url: "sqlite:///crm.db"}}
  erp: {{url: "sqlite:///erp.db"}}
integrations:
  orders:
    source: crm.orders
    target: erp.orders
    owners: [shop, maint]
    volume: {{tolerance: 0%}}
    schema: true
  broken:
    source: crm.orders
    target: erp.no_such_table
    owners: [shop]
    volume: {{tolerance: 0%}}
""",
        encoding="utf-8",
    )
    return config


def message_ids(mailbox: Mailbox) -> list[str]:
    return [str(message_from_bytes(content)["Message-ID"]) for _, _, content in mailbox.messages]


def test_a_failing_run_fires_and_a_passing_run_resolves(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_world(tmp_path, receiver, mailbox)
    assert main(["run", "-c", str(config), "orders"]) == 1
    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    with store.engine.connect() as connection:
        (volume,) = [a for a in latest_alerts(connection, "orders") if a.check == "volume"]
        states = connection.execute(sa.select(notifications.c.status)).scalars().all()
        email_key = connection.execute(
            sa.select(notifications.c.idempotency_key).where(notifications.c.channel == "email")
        ).scalar_one()
    assert (str(volume.kind), str(volume.state), volume.episode) == ("data_quality", "firing", 1)
    assert {(t.receiver, t.channel) for t in volume.targets} == {
        ("shop", "email"),
        ("shop", "webhook"),
        ("maint", "webhook"),
    }
    assert states == ["sent", "sent", "sent"]
    (shop_hook,) = receiver.at("/shop")
    assert shop_hook.body["event"] == "firing"
    assert shop_hook.body["alert"]["check"] == "volume"
    assert "6 rows" in shop_hook.body["summary"] and "10" in shop_hook.body["summary"]
    assert [s.body["event"] for s in receiver.at("/maint")] == ["firing"]
    assert len(mailbox.messages) == 1 and message_ids(mailbox)[0] == f"<{email_key}@dxq>"
    assert shop_hook.key != email_key  # one key per channel
    assert store.last_schema_snapshot("orders") is not None  # saved with the run

    with sqlite3.connect(tmp_path / "erp.db") as db:
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(i, 0.0) for i in range(6, 10)])
    capsys.readouterr()
    assert main(["run", "-c", str(config), "orders"]) == 0
    with store.engine.connect() as connection:
        (volume,) = [a for a in latest_alerts(connection, "orders") if a.check == "volume"]
        events = connection.execute(sa.select(alert_events.c.event)).scalars().all()
    assert str(volume.state) == "resolved" and volume.resolved_at is not None
    assert "resolved" in events
    assert [s.body["event"] for s in receiver.at("/shop")] == ["firing", "resolved"]
    assert [s.body["event"] for s in receiver.at("/maint")] == ["firing", "resolved"]
    assert len(mailbox.messages) == 2
    assert "RESOLVED" in str(message_from_bytes(mailbox.messages[1][2])["Subject"])
    assert len(set(message_ids(mailbox))) == 2
    assert "not delivered" not in capsys.readouterr().err
    store.dispose()


def test_a_check_that_cannot_run_alerts_maintenance_not_the_business_owner(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox
) -> None:
    config = make_world(tmp_path, receiver, mailbox)
    assert main(["run", "-c", str(config), "broken"]) == 3
    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    with store.engine.connect() as connection:
        (alert,) = latest_alerts(connection, "broken")
    assert (str(alert.kind), str(alert.state)) == ("run_error", "firing")
    assert {t.receiver for t in alert.targets} == {"maint"}
    assert receiver.at("/shop") == [] and mailbox.messages == []
    assert [s.body["alert"]["kind"] for s in receiver.at("/maint")] == ["run_error"]
    store.dispose()


def test_undeliverable_alerts_stay_in_the_outbox_and_are_reported(
    tmp_path: Path,
    receiver: HttpReceiver,
    mailbox: Mailbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_world(tmp_path, receiver, mailbox)
    receiver.script("/shop", *[(503, {})] * 5)
    assert main(["run", "-c", str(config), "orders"]) == 1
    assert "not delivered yet" in capsys.readouterr().err
    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(notifications.c.receiver, notifications.c.channel, notifications.c.status)
        ).all()
    assert ("shop", "webhook", "pending") in rows
    assert ("shop", "email", "sent") in rows
    store.dispose()
