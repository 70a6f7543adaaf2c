"""Fixtures for the integration checks: run setup SQL on a real database, unique table names."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

RunSql = Callable[..., None]


@pytest.fixture
def run_sql() -> Iterator[RunSql]:
    """`run_sql(url, "create table …", "insert …")`: each statement in one committed transaction."""
    engines: dict[str, sa.Engine] = {}

    def run(url: str, *statements: str) -> None:
        engine = engines.setdefault(url, sa.create_engine(url, poolclass=NullPool))
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)

    yield run
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def table() -> Callable[[str], str]:
    """`table("orders")` -> a name no other test uses, e.g. "orders_1a2b3c4d"."""
    suffix = uuid.uuid4().hex[:8]
    return lambda stem: f"{stem}_{suffix}"
