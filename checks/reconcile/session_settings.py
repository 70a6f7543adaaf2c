"""What a reconcile sets in its own database sessions, and nothing of the server's
(docs/operations.md lists them): per-connection set-up for the canonical queries, MariaDB
session variables restored afterwards, and PostgreSQL's work_mem for a checksum pass."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from checks.reconcile.canonical_form import install_sqlite_functions
from datasources.dialect import dialect_of

GROUP_CONCAT_LIMIT = 16 * 1024 * 1024  # room to pack MariaDB's bucket sums (packed_sums.py)
GROUP_BYTES = 256  # PostgreSQL's hash table for the bucket sums: about 235 bytes a bucket
MIN_WORK_MEM = 4 * 1024 * 1024  # PostgreSQL's default
MAX_WORK_MEM = 64 * 1024 * 1024  # the most work_mem a checksum pass asks for


@contextmanager
def prepared(conn: sa.Connection) -> Iterator[sa.Connection]:
    """Per-connection set-up: SQLite functions; PostgreSQL shortest float text and no JIT (as
    benchmarks/reconcile.py measures it) for this transaction; MariaDB session zone UTC,
    in-memory temporary tables for the bucket sums and room to pack them, restored on exit."""
    dialect = dialect_of(conn)
    if dialect == "sqlite":
        install_sqlite_functions(conn.connection.dbapi_connection)  # type: ignore[arg-type]
    elif dialect == "postgresql":  # doubles as shortest round-trip text; ends with the transaction
        conn.exec_driver_sql("SET LOCAL extra_float_digits = 1")
        conn.exec_driver_sql("SET LOCAL jit = off")
    if dialect != "mysql":
        yield conn
        return
    big = 256 * 1024 * 1024  # the bucket sums' GROUP BY stays an in-memory table
    with (
        session_variable(conn, "time_zone", "+00:00"),
        session_variable(conn, "max_heap_table_size", big),
        session_variable(conn, "tmp_table_size", big),
        session_variable(conn, "group_concat_max_len", GROUP_CONCAT_LIMIT),
    ):
        yield conn


@contextmanager
def session_variable(conn: sa.Connection, name: str, value: str | int) -> Iterator[None]:
    """A MariaDB session variable set for the block and restored after it, so pooled
    connections never keep dxq's settings; a connection that cannot restore is discarded."""
    assert name.isidentifier()
    saved = conn.exec_driver_sql(f"SELECT @@SESSION.{name}").scalar()
    conn.exec_driver_sql(f"SET SESSION {name} = %s", (value,))
    try:
        yield
    finally:
        try:
            conn.exec_driver_sql(f"SET SESSION {name} = %s", (saved,))
        except sa.exc.SQLAlchemyError:
            conn.invalidate()


def hash_memory(conn: sa.Connection, groups: int) -> None:
    """PostgreSQL: raise work_mem for this transaction (`set_config(..., true)`, as SET LOCAL)
    to hold `groups` groups in a hash table, within MIN_WORK_MEM..MAX_WORK_MEM; a server's
    larger setting is kept. One statement, compared and set inside the database."""
    wanted = min(MAX_WORK_MEM, max(MIN_WORK_MEM, groups * GROUP_BYTES))
    conn.execute(
        sa.text(
            "SELECT set_config('work_mem', :kb, true) "
            "WHERE pg_size_bytes(current_setting('work_mem')) < :wanted"
        ),
        {"kb": f"{wanted // 1024}kB", "wanted": wanted},
    )
