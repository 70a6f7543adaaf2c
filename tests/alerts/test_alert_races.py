"""Alert writes racing each other: a run resolving an alert while the scheduler's tick or a
dashboard acknowledgement is deciding on the same alert. The run's transaction is held open
until the other writer is seen waiting, then committed; the other writer must decide on what
the run wrote (no resolved alert resurrected, no reminder after "resolved")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from alerts.alert import Alert, CheckOutcome
from monitor.daemon import daemon_alerts
from monitor.run.alerting import acknowledge_alert, record_alerts
from store.alert_state import latest_alerts
from store.schema import alerts
from tests.alerts.outbox_support import T0, Setup, fail, outbox

RESOLVED_AT = T0 + timedelta(hours=4)
LATER = T0 + timedelta(hours=4, minutes=1)  # a reminder is due (every 4 h) unless resolved


@contextmanager
def resolving_run(setup: Setup) -> Iterator[None]:
    """A run that resolves the `volume` alert, committed when the block ends."""
    with setup.store.transaction() as tx:
        passed = CheckOutcome("volume", "volume", "passed", "error")
        record_alerts(tx.connection, setup.context, "orders", [passed], RESOLVED_AT)
        yield


def wait_until_blocked(setup: Setup) -> None:
    """Until another session waits for a lock (PostgreSQL); SQLite: a moment."""
    if setup.store.engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND datname = current_database() AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 10
    with setup.store.engine.connect() as connection:
        while connection.execute(query).scalar_one() == 0:
            connection.rollback()  # the activity view is a snapshot per transaction
            assert time.monotonic() < deadline, "the other writer never waited for the run"
            time.sleep(0.02)


def race(setup: Setup, writer: Callable[[], object]) -> list[object]:
    """Run `writer` on a thread while the resolving run holds its transaction."""
    box: list[object] = []

    def work() -> None:
        try:
            box.append(writer())
        except BaseException as exc:  # asserted by the caller
            box.append(exc)

    thread = threading.Thread(target=work)
    with resolving_run(setup):
        thread.start()
        wait_until_blocked(setup)
    thread.join(timeout=30)
    assert not thread.is_alive()
    return box


def stored(setup: Setup) -> Alert:
    with setup.store.engine.connect() as connection:
        (alert,) = latest_alerts(connection, "orders")
    return alert


def test_a_tick_racing_a_resolving_run_does_not_resurrect_the_alert(setup: Setup) -> None:
    fail(setup)
    (changed,) = race(setup, lambda: daemon_alerts.tick_alerts(setup.store, LATER))
    assert changed == 0
    assert stored(setup).state.value == "resolved"
    kinds = [r.payload["notification"]["kind"] for r in outbox(setup.store)]
    assert kinds == ["firing", "resolved"]


def test_an_acknowledgement_racing_a_resolving_run_is_not_applied(setup: Setup) -> None:
    fail(setup)
    with setup.store.engine.connect() as connection:
        alert_id = connection.execute(sa.select(alerts.c.id)).scalar_one()

    def acknowledge() -> Alert | None:
        with setup.store.transaction() as tx:
            return acknowledge_alert(tx.connection, alert_id, "alice", LATER)

    (acked,) = race(setup, acknowledge)
    assert acked is None
    alert = stored(setup)
    assert (alert.state.value, alert.acknowledged_by) == ("resolved", None)


def test_a_tick_without_a_race_still_reminds(setup: Setup) -> None:
    fail(setup)
    assert daemon_alerts.tick_alerts(setup.store, LATER) == 1
    kinds = [r.payload["notification"]["kind"] for r in outbox(setup.store)]
    assert kinds == ["firing", "reminder"]
