"""Two dispatchers on one store never send one notification twice while its lease holds
(SKIP LOCKED on PostgreSQL, an immediate transaction on SQLite)."""

from __future__ import annotations

import threading

from alerts.alert import CheckOutcome
from monitor.daemon.dispatcher import Attempt, dispatch_once
from monitor.run.alerting import record_alerts
from store.outbox import claim_due
from tests.alerts.outbox_support import (
    T0,
    Setup,
    outbox,
)

CHECKS = 24


def fail_many(setup: Setup) -> None:
    outcomes = [CheckOutcome(f"check {i}", "volume", "failed") for i in range(CHECKS)]
    with setup.store.transaction() as tx:
        record_alerts(tx.connection, setup.context, "orders", outcomes, T0)


def test_two_dispatchers_share_the_outbox_without_sending_twice(setup: Setup) -> None:
    fail_many(setup)
    setup.receiver.delay_s = 0.02
    start = threading.Barrier(2)
    done: dict[str, list[Attempt]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            while True:
                report = dispatch_once(setup.store, setup.config, now=T0, worker=name, limit=3)
                if not report.attempts:
                    return
                done[name].extend(report.attempts)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in done]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    keys_a = {a.key for a in done["a"]}
    keys_b = {a.key for a in done["b"]}
    assert keys_a.isdisjoint(keys_b)
    assert len(keys_a | keys_b) == CHECKS
    assert all(a.status == "sent" for a in done["a"] + done["b"])
    seen = setup.receiver.at("/shop")
    assert len(seen) == CHECKS and len({s.key for s in seen}) == CHECKS
    assert {r.status for r in outbox(setup.store)} == {"sent"}


def test_a_held_lease_keeps_the_other_dispatcher_off(setup: Setup) -> None:
    fail_many(setup)
    with setup.store.transaction() as tx:
        held = claim_due(tx.connection, "holder", T0, lease_s=300, limit=CHECKS - 1)
    assert len(held) == CHECKS - 1
    report = dispatch_once(setup.store, setup.config, now=T0, worker="other")
    assert len(report.attempts) == 1
    assert report.attempts[0].key not in {c.notification.key for c in held}
    assert len(setup.receiver.at("/shop")) == 1
