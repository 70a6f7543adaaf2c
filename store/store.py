"""The results store: opening the database, migrating it, and the write API.

Each write method runs in its own transaction. To add more writes to the same transaction
(alert changes and outbox rows with a run's results), use `transaction()` and call the same
methods on the `Transaction` it yields; see store/transaction.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from checks.result import CheckResult
from datasources.credentials import mask_url
from datasources.idle_ping import ping_when_idle
from store.errors import MigrationFailed, StoreError, StoreUnavailable
from store.migration import is_current, upgrade_to_head
from store.origin import RunOrigin
from store.transaction import Transaction
from store.types import storable_text
from store.upserts import SUPPORTED_DIALECTS


class ResultStore:
    """The results database of one dxq installation."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, existing: bool = False) -> ResultStore:
        """Connect to the store at `url` (creating a SQLite file's directory) and bring it to
        the current schema unless `migrate` is false. With `existing` (commands that only list
        what was recorded), a SQLite file that is not there is an error, not made empty."""
        masked = mask_url(url)
        try:
            parsed = sa.make_url(url)
        except (sa.exc.ArgumentError, ValueError) as exc:  # ValueError: a port that is no number
            raise StoreError(
                f"not a database URL: {masked}; expected one like sqlite:///results.db or "
                "postgresql://user@host:5432/database"
            ) from exc
        if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
            raise StoreError(
                f"{masked}: the results store must be "
                f"{' or '.join(SUPPORTED_DIALECTS)}, not {parsed.get_backend_name()}"
            )
        if existing and _missing_sqlite_file(parsed):
            raise StoreError(
                f"{parsed.database} does not exist: nothing was recorded there (is this the "
                "monitor file whose runs you want? `dxq run` records runs)"
            )
        try:
            store = cls(_create_engine(parsed))
        except (sa.exc.NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"{masked}: cannot load its database driver: {exc}") from exc
        if migrate:
            try:
                if not store._is_current():
                    store.upgrade()
            except StoreError:
                store.dispose()
                raise
        return store

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    @property
    def masked_url(self) -> str:
        """The URL with its password hidden, for messages and logs."""
        return mask_url(self._engine.url.render_as_string(hide_password=False))

    def upgrade(self) -> None:
        """Bring the database to the current schema (idempotent)."""
        try:
            upgrade_to_head(self._engine)
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc
        except Exception as exc:
            raise MigrationFailed(f"{self.masked_url}: migration failed: {exc}") from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One database transaction: committed when the block ends, rolled back on error."""
        try:
            with self._engine.begin() as connection:
                yield Transaction(connection)
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"{self.masked_url}: {exc.orig}") from exc
        except sa.exc.StatementError as exc:  # a value a column's type refused
            raise StoreError(f"{self.masked_url}: {exc.orig}") from exc

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A connection for reads; a database that cannot be reached is `StoreUnavailable`."""
        try:
            with self._engine.connect() as connection:
                yield connection
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"{self.masked_url}: {exc.orig}") from exc

    def begin_run(
        self,
        integration: str,
        started_at: datetime,
        trigger: str = "manual",
        *,
        origin: RunOrigin | None = None,
    ) -> int:
        """Record a run as `running`; returns its id."""
        with self.transaction() as tx:
            return tx.begin_run(integration, started_at, trigger, origin=origin)

    def complete_run(
        self,
        run_id: int,
        finished_at: datetime,
        results: Sequence[CheckResult],
        reason: str | None = None,
    ) -> str:
        """Store a run's results and return its status (see `Transaction.complete_run`)."""
        with self.transaction() as tx:
            return tx.complete_run(run_id, finished_at, results, reason)

    def fail_stale_runs(
        self, reason: str, older_than: datetime | None = None, *, now: datetime | None = None
    ) -> int:
        """Turn runs left `running` into `error` runs with `reason`; returns how many."""
        with self.transaction() as tx:
            return tx.fail_stale_runs(reason, older_than, now=now)

    def save_schema_snapshot(
        self, integration: str, snapshot: Mapping[str, Mapping[str, str]], taken_at: datetime
    ) -> int:
        """Store each side's columns when they changed; returns how many sides were stored."""
        with self.transaction() as tx:
            return tx.save_schema_snapshot(integration, snapshot, taken_at)

    def last_schema_snapshot(self, integration: str) -> dict[str, dict[str, str]] | None:
        """The newest stored columns of each side ({"source": {col: type}, …}), or None."""
        with self.transaction() as tx:
            return tx.last_schema_snapshot(integration)

    def _is_current(self) -> bool:
        try:
            return is_current(self._engine)
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: sa.exc.DBAPIError) -> StoreUnavailable:
        return StoreUnavailable(f"cannot use the results database {self.masked_url}: {exc.orig}")


SQLITE_BUSY_TIMEOUT_S = 30.0  # how long a write waits for another writer's lock
WAL_RETRY_S = 0.02  # between tries to switch a new SQLite store to WAL mode (_write_ahead_log)


def _missing_sqlite_file(url: sa.URL) -> bool:
    """Whether `url` names a SQLite file that does not exist."""
    return _sqlite_file(url) and not Path(str(url.database)).expanduser().exists()


def _sqlite_file(url: sa.URL) -> bool:
    """Whether `url` is SQLite's and names a file path (not memory, not a `file:` URI)."""
    return (
        url.get_backend_name() == "sqlite"
        and bool(url.database)
        and url.database != ":memory:"
        and not str(url.database).startswith("file:")
    )


def _create_engine(url: sa.URL) -> sa.Engine:
    if url.get_backend_name() != "sqlite":
        engine = sa.create_engine(url)
        ping_when_idle(engine)  # not on every checkout: datasources/idle_ping.py
    else:
        if _sqlite_file(url):
            Path(str(url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        sa.event.listen(engine, "connect", _tune_sqlite)
    sa.event.listen(engine, "before_cursor_execute", _storable_parameters, retval=True)
    return engine


def _storable_parameters(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
) -> tuple[str, Any]:
    """Every text parameter as the store can keep it (`store.types.storable_text`): a NUL in
    a reason or an observed value would otherwise fail the whole run on PostgreSQL."""
    if executemany and isinstance(parameters, list | tuple):
        if _plain_ascii(parameters):
            return statement, parameters
        return statement, type(parameters)(_storable(p) for p in parameters)
    return statement, _storable(parameters)


def _plain_ascii(many: Sequence[Any]) -> bool:
    """Whether every text parameter of a batch is ASCII without NUL, so `storable_text` would
    keep each: one check of their joined text, not one call a value (10,000 new mismatched
    keys, 90,000 parameters: 28 ms -> 12 ms)."""
    if not all(isinstance(p, dict | list | tuple) for p in many):
        return False
    rows = (p.values() if isinstance(p, dict) else p for p in many)
    joined = "".join([v for row in rows for v in row if isinstance(v, str)])
    return joined.isascii() and "\x00" not in joined


def _storable(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {k: storable_text(v) if isinstance(v, str) else v for k, v in parameters.items()}
    if isinstance(parameters, list | tuple):
        return type(parameters)(storable_text(v) if isinstance(v, str) else v for v in parameters)
    return parameters


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        _write_ahead_log(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _write_ahead_log(cursor: Any) -> None:
    """Switch the file to WAL mode (kept in the file), waiting for other connections as a write
    does. SQLite does not wait here by itself: while another connection holds a write lock on
    a file not yet in WAL mode (a new store that several processes or threads open at once,
    such as a scheduler and workers started together), the switch answers "database is locked"
    at once, whatever the busy timeout (2 of 100 races of four connections to a new file failed
    so). It is tried again every WAL_RETRY_S until SQLITE_BUSY_TIMEOUT_S has passed."""
    import sqlite3  # loaded already with SQLite's driver; a PostgreSQL store never needs it

    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() + WAL_RETRY_S > deadline:
                raise
            time.sleep(WAL_RETRY_S)
