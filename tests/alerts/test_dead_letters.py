"""Dead letters: the alert resolves when the channel works again (also after a manual retry),
it lists only the targets really told, falls back to another maintenance or on-call owner,
and says so visibly when nobody else can be told."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.alert import Alert
from monitor.config.loading import load_config
from monitor.daemon.dispatcher import dispatch_once
from monitor.run.alert_context import alert_context
from store.alert_state import latest_alerts
from store.outbox import retry_dead
from store.schema import alert_events, alerts
from tests.alerts.outbox_support import T0, Setup, fail, outbox
from tests.alerts.receivers import HttpReceiver


def dead_letter(setup: Setup) -> Alert:
    with setup.store.engine.connect() as connection:
        found = [a for a in latest_alerts(connection, "orders") if str(a.kind) == "dead_letter"]
    (alert,) = found
    return alert


def events(setup: Setup, name: str) -> list[str]:
    with setup.store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(alert_events.c.detail).where(alert_events.c.event == name)
        ).scalars()
        return [row["text"] for row in rows]


def test_a_dead_letter_resolves_when_a_retried_send_succeeds(setup: Setup) -> None:
    setup.receiver.script("/shop", (400, {}))
    fail(setup)
    dispatch_once(setup.store, setup.config, now=T0, worker="w1")
    assert dead_letter(setup).state.value == "firing"
    (dead,) = [r for r in outbox(setup.store) if r.status == "dead"]
    later = T0 + timedelta(minutes=5)
    with setup.store.transaction() as tx:
        assert retry_dead(tx.connection, dead.id, "alice", later)
    report = dispatch_once(setup.store, setup.config, now=later, worker="w2")
    assert ("shop", "sent") in [(a.receiver, a.status) for a in report.attempts]
    alert = dead_letter(setup)
    assert (alert.state.value, alert.resolved_at) == ("resolved", later)
    told = [(s.body["event"], s.body["alert"]["kind"]) for s in setup.receiver.at("/maint")]
    assert told == [("firing", "dead_letter"), ("resolved", "dead_letter")]


def test_a_send_that_fails_again_keeps_the_dead_letter_open(setup: Setup) -> None:
    setup.receiver.script("/shop", (400, {}), (400, {}))
    fail(setup)
    dispatch_once(setup.store, setup.config, now=T0, worker="w1")
    (dead,) = [r for r in outbox(setup.store) if r.status == "dead"]
    with setup.store.transaction() as tx:
        retry_dead(tx.connection, dead.id, "alice", T0)
    dispatch_once(setup.store, setup.config, now=T0, worker="w2")
    assert dead_letter(setup).state.value == "firing"


def test_nobody_left_to_tell_is_recorded_on_the_alert(setup: Setup) -> None:
    setup.receiver.script("/maint", (404, {}))
    fail(setup, outcome="error")  # a run_error: it goes to maintenance only
    report = dispatch_once(setup.store, setup.config, now=T0, worker="w1")
    assert [(a.receiver, a.status) for a in report.attempts] == [("maint", "dead")]
    alert = dead_letter(setup)
    assert alert.notified == () and alert.targets == ()
    assert "nobody else could be told" in (alert.reason or "")
    assert events(setup, "undeliverable")
    with setup.store.engine.connect() as connection:
        summary = connection.execute(
            sa.select(alerts.c.summary).where(alerts.c.kind == "dead_letter")
        ).scalar_one()
    assert "nobody else could be told" in summary
    assert len(setup.receiver.at("/maint")) == 1  # never re-sent to the channel that failed


@pytest.fixture
def with_ops(setup: Setup, tmp_path: Path) -> Iterator[Setup]:
    """The setup with a second maintenance owner, `ops`."""
    text = setup.config_path.read_text(encoding="utf-8")
    hook = f"{setup.receiver.url}/ops"
    text = text.replace(
        "owners:\n", f'owners:\n  ops: {{name: Ops, role: oncall, webhook: "{hook}"}}\n', 1
    )
    setup.config_path.write_text(text, encoding="utf-8")
    config = load_config(setup.config_path, {})
    yield Setup(setup.store, config, alert_context(config), setup.receiver, setup.config_path,
                setup.url)  # fmt: skip


def test_a_dead_letter_falls_back_to_another_owner(with_ops: Setup, receiver: HttpReceiver) -> None:
    receiver.script("/maint", (404, {}))
    fail(with_ops, outcome="error")
    report = dispatch_once(with_ops.store, with_ops.config, now=T0, worker="w1")
    assert sorted((a.receiver, a.status) for a in report.attempts) == [
        ("maint", "dead"),
        ("ops", "sent"),
    ]
    alert = dead_letter(with_ops)
    assert [(t.receiver, t.channel) for t in alert.notified] == [("ops", "webhook")]
    assert events(with_ops, "fallback") == ["ops (webhook)"]
    (message,) = receiver.at("/ops")
    assert message.body["alert"]["kind"] == "dead_letter"
