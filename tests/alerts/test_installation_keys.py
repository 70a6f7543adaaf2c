"""Idempotency keys include the installation (the results store's id, made once by its
migration): two stores never send the same `Idempotency-Key` for their own firings, and one
store keeps giving the same key for the same firing."""

from __future__ import annotations

from pathlib import Path

from alerts.alert import installation_key, notification_key
from store.installation import installation_id
from store.store import ResultStore
from tests.alerts.outbox_support import T0, Setup, fail, outbox


def test_two_stores_never_share_a_key(setup: Setup, tmp_path: Path) -> None:
    other = ResultStore.open(f"sqlite:///{tmp_path}/other.db")
    mine = fail(setup)
    theirs_setup = Setup(other, setup.config, setup.context, setup.receiver, setup.config_path, "")
    theirs = fail(theirs_setup)
    assert len(mine.notifications) == len(theirs.notifications) == 1
    assert mine.notifications[0].key != theirs.notifications[0].key  # same firing, two stores
    assert [r.idempotency_key for r in outbox(setup.store)] == [mine.notifications[0].key]
    assert [r.idempotency_key for r in outbox(other)] == [theirs.notifications[0].key]
    with setup.store.engine.connect() as a, other.engine.connect() as b:
        assert installation_id(a) != installation_id(b)
    other.dispose()


def test_one_store_keeps_its_id_and_its_keys(setup: Setup) -> None:
    with setup.store.engine.connect() as connection:
        first = installation_id(connection)
    again = ResultStore.open(setup.url)  # reopening (and upgrading) keeps the id
    with again.engine.connect() as connection:
        assert installation_id(connection) == first
    again.dispose()
    decision = fail(setup)
    transition = decision.transitions[0]
    n = decision.notifications[0]
    plain = notification_key(transition.alert, n.kind, n.step, n.receiver, n.channel)
    assert n.key == installation_key(plain, first) != plain
    assert n.key.startswith("dxq-") and len(n.key) == 44
    assert fail(setup, T0).notifications == ()  # the same run again: nothing new to send
