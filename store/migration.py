"""Bringing the results database to the current schema with Alembic, configured in code so it
works from any working directory and from an installed package.

Alembic loads only when a database is behind (or its revision cannot be told at a glance): a
run on a current store checks `alembic_version` against the newest file in migrations/versions,
whose names start with their revision ("0006_series.py" is revision "0006"; a test holds every
file to that)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x647871  # "dxq": serialises concurrent upgrades on one PostgreSQL database


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration pointing into this package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this version of dxq."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    """The migration the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: sa.Engine) -> bool:
    """Whether the database is already at the head revision."""
    with engine.connect() as connection:
        if _stored_revision(connection) == newest_file_revision():
            return True
        return current_revision(connection) == head_revision()


def newest_file_revision() -> str:
    """The revision of the newest file in migrations/versions, read from its name."""
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
    return names[-1].partition("_")[0] if names else ""


def _stored_revision(connection: sa.Connection) -> str | None:
    """`alembic_version`'s one revision, without Alembic; None when there is no such table or
    it does not hold exactly one."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    found = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    connection.rollback()  # leave no transaction open for Alembic or the caller
    return str(found[0][0]) if len(found) == 1 else None


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
    from alembic import command

    command.upgrade(alembic_config(connection), "head")
    connection.commit()
