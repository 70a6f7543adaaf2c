"""Fixtures for the alerts tests: loopback HTTP and SMTP receivers, and for the outbox tests a
results store on SQLite and on PostgreSQL with a monitor file pointing at the receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts.outbox_support import Setup, make_setup
from tests.alerts.receivers import HttpReceiver, Mailbox, http_receiver, smtp_server
from tests.store.pg_schemas import fresh_schema_url


@pytest.fixture(scope="module")
def http() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    """A fresh HTTP receiver, for tests that script its answers."""
    yield from http_receiver()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from smtp_server()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty results database, once per supported engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/results.db"
    else:
        yield from fresh_schema_url(str(request.getfixturevalue("pg_url")), "outbox")


@pytest.fixture
def setup(store_url: str, tmp_path: Path, receiver: HttpReceiver) -> Iterator[Setup]:
    yield from make_setup(store_url, tmp_path, receiver)
