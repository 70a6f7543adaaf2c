"""Silences are audited: who created one and when, who ended it early and when; ending early
keeps the planned end. On SQLite and PostgreSQL (the `store_url` fixture)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import command

from alerts.matcher import Matcher
from alerts.silence import Silence
from store.alert_state import active_silences, create_silence, expire_silence
from store.migration import alembic_config
from store.schema import silences
from store.store import ResultStore
from tests.alerts.outbox_support import T0

HOUR = timedelta(hours=1)


def _silence() -> Silence:
    return Silence((Matcher("integration", "=", "orders"),), T0, T0 + 4 * HOUR, "ann", "deploy")


def test_creating_and_expiring_record_who_and_when(store_url: str) -> None:
    store = ResultStore.open(store_url)
    with store.transaction() as tx:
        mine = create_silence(tx.connection, _silence(), T0, actor="ann@example.com")
        theirs = create_silence(tx.connection, _silence(), T0)
    with store.transaction() as tx:
        assert {s.id for s in active_silences(tx.connection, T0 + HOUR)} == {mine, theirs}
        assert expire_silence(tx.connection, mine, T0 + HOUR, actor="bob")
        assert not expire_silence(tx.connection, mine, T0 + 2 * HOUR, actor="carl")
        assert not expire_silence(tx.connection, theirs, T0 + 5 * HOUR)  # already over
        assert not expire_silence(tx.connection, 9999, T0)
    with store.engine.connect() as connection:
        s = silences.c
        rows = connection.execute(
            sa.select(
                s.id, s.ends_at, s.created_by, s.created_at, s.expired_at, s.expired_by
            ).order_by(s.id)
        ).all()
        active = active_silences(connection, T0 + HOUR + timedelta(seconds=1))
    store.dispose()
    assert [tuple(r) for r in rows] == [
        (mine, T0 + 4 * HOUR, "ann@example.com", T0, T0 + HOUR, "bob"),
        (theirs, T0 + 4 * HOUR, "ann", T0, None, None),
    ]
    assert [x.id for x in active] == [theirs]


def test_an_expired_silence_stops_covering_at_its_expiry() -> None:
    early = Silence(
        (Matcher("integration", "=", "orders"),), T0, T0 + 4 * HOUR, "ann", "x", 1, T0 + HOUR
    )
    labels = {"integration": "orders"}
    assert early.covers(labels, T0 + HOUR - timedelta(seconds=1))
    assert not early.covers(labels, T0 + HOUR)
    assert not early.is_active(T0 + 2 * HOUR)


def test_migration_0002_adds_the_audit_columns_to_existing_silences(store_url: str) -> None:
    store = ResultStore.open(store_url, migrate=False)
    with store.engine.connect() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.execute(  # only the columns 0001 has
            silences.insert().values(
                matchers=["integration=orders"],
                starts_at=T0,
                ends_at=T0 + HOUR,
                author="ann",
                comment="old",
                created_at=T0,
            )
        )
        connection.commit()
        command.upgrade(alembic_config(connection), "head")
        connection.commit()
        row = connection.execute(sa.select(silences.c.author, silences.c.created_by)).one()
        (old,) = active_silences(connection, T0)
        command.downgrade(alembic_config(connection), "0001")
        connection.commit()
        columns = {c["name"] for c in sa.inspect(connection).get_columns("silences")}
    store.dispose()
    assert tuple(row) == ("ann", None) and old.comment == "old"
    assert "expired_at" not in columns and "author" in columns
