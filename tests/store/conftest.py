"""Stores for the store tests: a fresh SQLite file, or a fresh schema in the session's
PostgreSQL database (through `search_path`), so tests never see each other's rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from store.store import ResultStore
from tests.store.pg_schemas import fresh_schema_url

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema of the session's PostgreSQL database."""
    yield from fresh_schema_url(pg_url, "store")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """The URL of an empty results database, once per supported engine."""
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[ResultStore]:
    """A migrated, empty results store."""
    opened = ResultStore.open(store_url)
    yield opened
    opened.dispose()
