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


def test_a_suite_that_cannot_be_evaluated_keeps_its_expectation_alerts_open(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox
) -> None:
    """Issue 12 item 2: a table renamed during an outage is not a check removed from the
    monitor file. No RESOLVED goes out, and no new episode fires when the table is back."""
    import json
    import sqlite3

    config = make_world(tmp_path, receiver, mailbox)
    (tmp_path / "suites").mkdir()
    suite = {
        "name": "erp_orders",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "total", "min_value": 0, "max_value": 5},
                "meta": {},
            }
        ],
        "meta": {},
    }
    (tmp_path / "suites" / "erp_orders.json").write_text(json.dumps(suite), encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "    schema: true\n",
            "    schema: true\n    suites: [{suite: suites/erp_orders.json, side: target}]\n",
            1,
        ),
        encoding="utf-8",
    )
    check = "suites/erp_orders.json: expect_column_values_to_be_between(total)"

    def expectation_alerts() -> list[tuple[int, str]]:
        store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
        with store.engine.connect() as connection:
            found = [
                (a.episode, str(a.state))
                for a in latest_alerts(connection, "orders")
                if a.check == check
            ]
        store.dispose()
        return found

    def events() -> list[tuple[str, str]]:
        return [
            (s.body["event"], s.body["alert"]["check"])
            for s in receiver.at("/shop")
            if s.body["alert"]["check"] == check
        ]

    assert main(["run", "-c", str(config), "orders"]) == 1
    assert expectation_alerts() == [(1, "firing")]
    with sqlite3.connect(tmp_path / "erp.db") as db:
        db.execute("ALTER TABLE orders RENAME TO orders_old")  # the outage
    assert main(["run", "-c", str(config), "orders"]) == 3
    assert expectation_alerts() == [(1, "firing")], "could not run: neither passed nor removed"
    with sqlite3.connect(tmp_path / "erp.db") as db:
        db.execute("ALTER TABLE orders_old RENAME TO orders")
    assert main(["run", "-c", str(config), "orders"]) == 1
    assert expectation_alerts() == [(1, "firing")], "the same episode, still failing"
    assert events() == [("firing", check)], "one FIRING, no false RESOLVED, no new episode"
