"""Which family of SQL engine a SQLAlchemy dialect or URL backend belongs to, decided once.

SQLAlchemy names the dialect of `mariadb://` URLs "mariadb" and that of `mysql://` URLs "mysql",
whichever server they meet (its `is_mariadb` tells the servers apart); dxq writes the same SQL
for both, so both are the family "mysql". PostgreSQL and SQLite are families of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

MYSQL_NAMES = frozenset({"mysql", "mariadb"})


def family(name: str) -> str:
    """postgresql, mysql (MySQL and MariaDB), sqlite, or another engine's own name."""
    return "mysql" if name in MYSQL_NAMES else name


def is_mysql(name: str) -> bool:
    """Whether a dialect or URL backend name is MySQL's or MariaDB's."""
    return name in MYSQL_NAMES


def dialect_of(conn: sa.Connection) -> str:
    """The family of a connection's dialect."""
    return family(conn.dialect.name)
