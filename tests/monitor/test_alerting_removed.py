"""A check removed from the monitor file: its open alert resolves with the next run, and whoever
was told it fired is told it resolved."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from monitor.cli import main
from store.alert_state import latest_alerts
from store.schema import alert_events
from store.store import ResultStore
from tests.alerts.receivers import HttpReceiver, Mailbox
from tests.monitor.test_alerting_run import make_world


def test_removing_a_failing_check_resolves_its_alert_and_tells_the_owners(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox
) -> None:
    config = make_world(tmp_path, receiver, mailbox)
    assert main(["run", "-c", str(config), "orders"]) == 1
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("    volume: {tolerance: 0%}\n    schema", "    schema"))
    assert main(["run", "-c", str(config), "orders"]) == 0
    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    with store.engine.connect() as connection:
        (volume,) = [a for a in latest_alerts(connection, "orders") if a.check == "volume"]
        details = (
            connection.execute(
                sa.select(alert_events.c.detail).where(alert_events.c.event == "resolved")
            )
            .scalars()
            .all()
        )
    store.dispose()
    assert str(volume.state) == "resolved"
    assert volume.reason == "check removed from the monitor file"
    assert [d["text"] for d in details] == ["check removed from the monitor file"]
    assert [s.body["event"] for s in receiver.at("/shop")] == ["firing", "resolved"]
    assert [s.body["event"] for s in receiver.at("/maint")] == ["firing", "resolved"]
    assert len(mailbox.messages) == 2


def test_alerts_the_scheduler_raises_itself_are_not_removed_checks(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox
) -> None:
    config = make_world(tmp_path, receiver, mailbox)
    assert main(["run", "-c", str(config), "broken"]) == 3  # run_error "*" stays open
    assert main(["run", "-c", str(config), "orders"]) == 1
    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    with store.engine.connect() as connection:
        broken = latest_alerts(connection, "broken")
        orders = latest_alerts(connection, "orders")
    store.dispose()
    assert [str(a.state) for a in broken] == ["firing"]
    assert {a.check for a in orders if a.is_open} == {"volume"}
