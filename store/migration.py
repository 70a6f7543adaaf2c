"""Bringing the results database to the current schema with Alembic, configured in code so it
works from any working directory and from an installed package."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x647871  # "dxq": serialises concurrent upgrades on one PostgreSQL database


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration pointing into this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this version of dxq."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    """The migration the database is at (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: sa.Engine) -> bool:
    """Whether the database is already at the head revision."""
    with engine.connect() as connection:
        return current_revision(connection) == head_revision()


def upgrade_to_head(engine: sa.Engine) -> None:
    """Apply every missing migration; idempotent, and safe for concurrent callers on
    PostgreSQL (an advisory lock) and SQLite (the write lock is taken before reading)."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_lock(_PG_LOCK_KEY)))
            connection.commit()
            try:
                _upgrade(connection)
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(_PG_LOCK_KEY)))
                connection.commit()
        else:
            _upgrade(connection)


def _upgrade(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    command.upgrade(alembic_config(connection), "head")
    connection.commit()
