"""The dispatcher against real loopback receivers, on SQLite and PostgreSQL stores: retries,
Retry-After, dead letters, the hard timeout and idempotency of recording."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from alerts.delivery import BackoffPolicy
from alerts.message import describe
from monitor.daemon.dispatcher import deliver_due, dispatch_once
from store.alert_state import apply_decision, latest_alerts, open_alerts
from store.outbox import any_due
from store.schema import alert_events, alerts
from store.store import ResultStore
from tests.alerts.outbox_support import (
    T0,
    Setup,
    fail,
    outbox,
)


def test_a_failing_check_queues_one_firing_per_owner_channel(setup: Setup) -> None:
    decision = fail(setup)
    assert [(n.receiver, n.channel, str(n.kind)) for n in decision.notifications] == [
        ("shop", "webhook", "firing")
    ]
    rows = outbox(setup.store)
    assert [(r.receiver, r.channel, r.status) for r in rows] == [("shop", "webhook", "pending")]
    assert rows[0].idempotency_key == decision.notifications[0].key
    with setup.store.engine.connect() as connection:
        stored = latest_alerts(connection, "orders")
        events = connection.execute(sa.select(alert_events.c.event)).scalars().all()
    assert [(str(a.state), a.episode) for a in stored] == [("firing", 1)]
    assert {"opened", "fired"} <= set(events)


def test_503_three_times_then_200_delivers_once_with_one_key(setup: Setup) -> None:
    setup.receiver.script("/shop", (503, {}), (503, {}), (503, {}))
    fail(setup)
    now, rng = T0, random.Random(7)
    statuses = []
    for _ in range(6):
        report = dispatch_once(setup.store, setup.config, now=now, worker="w1", rng=rng)
        statuses += [a.status for a in report.attempts]
        if report.count("retry"):
            retry_at = report.attempts[0].next_attempt_at
            assert retry_at is not None and retry_at >= now
            early = dispatch_once(setup.store, setup.config, now=now, worker="w1")
            assert early.attempts == () or retry_at == now  # not due before its time
            now = retry_at + timedelta(milliseconds=1)
    assert statuses == ["retry", "retry", "retry", "sent"]
    seen = setup.receiver.at("/shop")
    assert [s.status for s in seen] == [503, 503, 503, 200]
    assert len({s.key for s in seen}) == 1 and seen[0].key.startswith("dxq-")
    assert len(setup.receiver.accepted("/shop")) == 1
    (row,) = outbox(setup.store)
    assert (row.status, row.attempts, row.last_error) == ("sent", 4, None)


def test_429_is_not_retried_before_retry_after(setup: Setup) -> None:
    setup.receiver.script("/shop", (429, {"Retry-After": "7"}))
    fail(setup)
    first = dispatch_once(setup.store, setup.config, now=T0, worker="w1", rng=random.Random(1))
    (attempt,) = first.attempts
    assert attempt.status == "retry" and "429" in (attempt.error or "")
    assert attempt.next_attempt_at is not None
    assert attempt.next_attempt_at >= T0 + timedelta(seconds=7)
    too_early = T0 + timedelta(seconds=6.9)
    assert dispatch_once(setup.store, setup.config, now=too_early, worker="w1").attempts == ()
    assert len(setup.receiver.at("/shop")) == 1
    later = dispatch_once(setup.store, setup.config, now=attempt.next_attempt_at, worker="w1")
    assert [a.status for a in later.attempts] == ["sent"]
    assert [s.status for s in setup.receiver.at("/shop")] == [429, 200]


def test_400_is_a_dead_letter_that_alerts_maintenance_elsewhere(setup: Setup) -> None:
    setup.receiver.script("/shop", (400, {}))
    fail(setup)
    report = dispatch_once(setup.store, setup.config, now=T0, worker="w1", concurrency=1)
    # the dead letter's own notification to maintenance goes out in the same pass
    assert [(a.receiver, a.status) for a in report.attempts] == [
        ("shop", "dead"),
        ("maint", "sent"),
    ]
    assert "HTTP 400" in (report.attempts[0].error or "")
    rows = outbox(setup.store)
    assert [(r.receiver, r.status) for r in rows] == [("shop", "dead"), ("maint", "sent")]
    assert "permanent" in rows[0].last_error
    with setup.store.engine.connect() as connection:
        kinds = {(str(a.kind), str(a.state)) for a in open_alerts(connection, "orders")}
    assert kinds == {("data_quality", "firing"), ("dead_letter", "firing")}
    (message,) = setup.receiver.at("/maint")
    assert message.body["alert"]["kind"] == "dead_letter"
    assert message.body["alert"]["integration"] == "orders"
    assert "HTTP 400" in message.body["summary"]
    assert len(setup.receiver.at("/shop")) == 1  # never retried


def test_a_dead_letter_about_a_dead_letter_raises_nothing_more(setup: Setup) -> None:
    setup.receiver.script("/shop", (400, {}))
    setup.receiver.script("/maint", (404, {}))
    fail(setup)
    report = dispatch_once(setup.store, setup.config, now=T0, worker="w1")
    assert [(a.receiver, a.status) for a in report.attempts] == [
        ("shop", "dead"),
        ("maint", "dead"),
    ]
    assert dispatch_once(setup.store, setup.config, now=T0, worker="w1").attempts == ()
    assert [r.status for r in outbox(setup.store)] == ["dead", "dead"]


def test_retries_give_up_into_a_dead_letter(setup: Setup) -> None:
    setup.receiver.script("/shop", *[(503, {})] * 5)
    fail(setup)
    policy = BackoffPolicy(base_s=1.0, cap_s=1.0, max_attempts=2)
    now = T0
    statuses = []
    for _ in range(3):
        report = dispatch_once(setup.store, setup.config, now=now, worker="w", policy=policy)
        statuses += [a.status for a in report.attempts if a.receiver == "shop"]
        now += timedelta(seconds=2)
    assert statuses == ["retry", "dead"]
    assert "gave up after 2 attempts" in outbox(setup.store)[0].last_error


def test_the_hard_timeout_cuts_a_hanging_receiver(setup: Setup) -> None:
    setup.receiver.script("/shop", (0, {}))
    fail(setup)
    report = dispatch_once(setup.store, setup.config, now=T0, worker="w1", hard_timeout_s=0.5)
    (attempt,) = report.attempts
    assert attempt.status == "retry" and "hard timeout" in (attempt.error or "")
    assert outbox(setup.store)[0].status == "pending"


def test_recording_the_same_run_twice_sends_nothing_twice(setup: Setup) -> None:
    first = fail(setup)
    again = fail(setup)
    assert len(first.notifications) == 1 and again.notifications == ()
    assert len(outbox(setup.store)) == 1
    with setup.store.transaction() as tx:  # the very same decision written again
        apply_decision(tx.connection, first, T0, describe)
    assert len(outbox(setup.store)) == 1
    dispatch_once(setup.store, setup.config, now=T0, worker="w1")
    assert dispatch_once(setup.store, setup.config, now=T0, worker="w1").attempts == ()
    assert len(setup.receiver.at("/shop")) == 1
    with setup.store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(alerts)).scalar() == 1


def test_resolve_then_fail_again_is_a_new_episode_with_new_keys(setup: Setup) -> None:
    fired = fail(setup).notifications[0]
    resolved = fail(setup, T0 + timedelta(hours=1), outcome="passed").notifications
    refired = fail(setup, T0 + timedelta(hours=2)).notifications
    assert [str(n.kind) for n in resolved] == ["resolved"]
    assert refired[0].episode == 2
    assert len({fired.key, resolved[0].key, refired[0].key}) == 3
    report = dispatch_once(setup.store, setup.config, now=T0 + timedelta(hours=2), worker="w")
    assert report.count("sent") == 3
    seen = [(s.body["event"], s.body["alert"]["episode"]) for s in setup.receiver.at("/shop")]
    assert seen == [("firing", 1), ("resolved", 1), ("firing", 2)]


def test_a_retried_dead_letter_is_delivered_with_the_same_key(setup: Setup) -> None:
    from store.outbox import retry_dead

    setup.receiver.script("/shop", (400, {}))
    fail(setup)
    dispatch_once(setup.store, setup.config, now=T0, worker="w1")
    dead = next(r for r in outbox(setup.store) if r.status == "dead")
    with setup.store.transaction() as tx:
        assert retry_dead(tx.connection, dead.id, "alice", T0 + timedelta(minutes=5))
        assert not retry_dead(tx.connection, dead.id, "alice", T0)  # no longer dead
    setup.receiver.script("/shop", (200, {}))
    report = dispatch_once(setup.store, setup.config, now=T0 + timedelta(minutes=5), worker="w2")
    assert "sent" in [a.status for a in report.attempts]
    first, second = setup.receiver.at("/shop")
    assert (first.status, second.status) == (400, 200)
    assert first.key == second.key
    with setup.store.engine.connect() as connection:
        events = (
            connection.execute(
                sa.select(alert_events.c.actor).where(alert_events.c.event == "delivery_retried")
            )
            .scalars()
            .all()
        )
    assert events == ["alice"]


def test_retry_after_and_sent_at_count_from_the_answer_not_the_claim(setup: Setup) -> None:
    setup.receiver.script("/shop", (429, {"Retry-After": "60"}))
    fail(setup)
    answered = T0 + timedelta(seconds=30)  # the send took 30 s of the clock

    def clock() -> datetime:
        return answered if setup.receiver.at("/shop") else T0

    (retry,) = dispatch_once(setup.store, setup.config, clock=clock, worker="w1").attempts
    assert retry.status == "retry" and retry.next_attempt_at is not None
    assert retry.next_attempt_at >= answered + timedelta(seconds=60)
    later = retry.next_attempt_at
    sent_clock = [later]

    def clock2() -> datetime:
        return (
            sent_clock[0] + timedelta(seconds=5) if len(setup.receiver.at("/shop")) > 1 else later
        )

    (sent,) = dispatch_once(setup.store, setup.config, clock=clock2, worker="w1").attempts
    assert sent.status == "sent"
    (row,) = outbox(setup.store)
    stored = row.sent_at if row.sent_at.tzinfo else row.sent_at.replace(tzinfo=UTC)
    assert stored == later + timedelta(seconds=5)


def test_deliver_due_sends_what_is_due_and_only_reads_when_nothing_is(setup: Setup) -> None:
    """`dxq run`'s delivery: a 429 leaves the firing pending 7 s (not due, so a pass before
    then claims nothing: `any_due` says no); after Retry-After it is due and sent."""
    setup.receiver.script("/shop", (429, {"Retry-After": "7"}))
    with setup.store.reading() as connection:
        assert not any_due(connection, T0)  # an empty outbox
    fail(setup)
    with setup.store.reading() as connection:
        assert any_due(connection, T0)
    first = deliver_due(setup.store, setup.context, clock=lambda: T0)
    (retry_at,) = [a.next_attempt_at for a in first.attempts if a.status == "retry"]
    assert retry_at is not None
    too_early = retry_at - timedelta(seconds=0.1)
    with setup.store.reading() as connection:
        assert not any_due(connection, too_early)
    assert deliver_due(setup.store, setup.context, clock=lambda: too_early).attempts == ()
    (row,) = outbox(setup.store)
    assert (row.status, row.attempts) == ("pending", 1)  # not claimed by the early pass
    later = deliver_due(setup.store, setup.context, clock=lambda: retry_at)
    assert [a.status for a in later.attempts] == ["sent"]


def test_deliver_due_with_the_store_gone_reports_nothing_sent(setup: Setup) -> None:
    fail(setup)
    gone = ResultStore.open("postgresql+psycopg://dxq@127.0.0.1:1/none", migrate=False)  # refused
    assert deliver_due(gone, setup.context, clock=lambda: T0).attempts == ()
    assert [r.status for r in outbox(setup.store)] == ["pending"]  # left for dxq schedule
