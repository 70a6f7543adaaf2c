"""Fixtures of the scheduler tests: a results store on PostgreSQL and on SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from store.store import ResultStore
from tests.scheduler.world import Outage, migrated


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a migrated results store, on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/results.db"
    else:
        url = str(request.getfixturevalue("pg_url"))
    ResultStore.open(url).dispose()
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[ResultStore]:
    opened = ResultStore.open(store_url)
    yield opened
    opened.dispose()


@pytest.fixture
def unique() -> str:
    """A name no other test uses (the PostgreSQL store is shared by the session)."""
    return f"i{uuid.uuid4().hex[:10]}"


@pytest.fixture
def outage(pg_url: str) -> Iterator[Outage]:
    """A TCP proxy in front of the session's PostgreSQL database (migrated as a store)."""
    url = sa.make_url(migrated(pg_url))
    proxy = Outage((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.cut()
