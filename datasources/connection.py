"""Connections to SQL systems: cached engines, read-only transactions, masked URLs, and the
translation of driver errors into the `datasources` exception tree. Every engine is tracked by
the current run budget (datasources/budget.py)."""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from datasources.budget import statement_timeout_s, track_checkouts
from datasources.credentials import mask_url as mask_url  # re-exported for its callers
from datasources.dataset import SqlSystem
from datasources.dialect import is_mysql
from datasources.errors import (
    AuthenticationFailed,
    DatasetNotFound,
    DatasourceError,
    QueryFailed,
    QueryTimeout,
    SystemUnreachable,
)
from datasources.idle_ping import ping_when_idle

log = logging.getLogger("dxq.datasources")
_engines: dict[tuple[str, float, float], sa.Engine] = {}
_engines_lock = threading.Lock()


# Driver error codes, by what they mean for dxq.
_PG_UNREACHABLE = ("08", "3D000", "53300", "57P01", "57P02", "57P03")
_PG_AUTH = ("28",)
# libpq reports a refused login without a SQLSTATE; these are the server's FATAL messages.
_PG_AUTH_MESSAGE = re.compile(
    r"password authentication failed|authentication failed for user|role .* does not exist"
    r"|no pg_hba\.conf entry|permission denied for database|password must be|no password supplied",
    re.IGNORECASE,
)
_PG_NOT_FOUND = ("42P01", "3F000")
_PG_TIMEOUT = ("57014",)
_MYSQL_UNREACHABLE = {1049, 2002, 2003, 2005, 2006, 2013, 2055}
_MYSQL_AUTH = {1044, 1045, 1130, 1698, 1251}
_MYSQL_NOT_FOUND = {1146, 1051}
_MYSQL_TIMEOUT = {1317, 1969, 3024}
# MySQL client capability flags (as SQLAlchemy sets FOUND_ROWS itself by default).
_CLIENT_FOUND_ROWS = 1 << 1
_CLIENT_MULTI_STATEMENTS = 1 << 16


def engine_for(system: SqlSystem) -> sa.Engine:
    """The engine of a SQL system, created once per (url, timeouts) and then reused."""
    key = (system.url, system.connect_timeout_s, system.query_timeout_s)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create_engine(system)
            _engines[key] = engine
        return engine


def forget_engine(system: SqlSystem) -> None:
    """Dispose of a system's cached engine, e.g. once a run's temporary SQLite file is gone."""
    key = (system.url, system.connect_timeout_s, system.query_timeout_s)
    with _engines_lock:
        engine = _engines.pop(key, None)
    if engine is not None:
        engine.dispose()


def _create_engine(system: SqlSystem) -> sa.Engine:
    try:
        url = sa.make_url(system.url)
    except sa.exc.ArgumentError as exc:
        raise SystemUnreachable(
            f"system {system.name!r}: {mask_url(system.url)!r} is not a SQLAlchemy URL"
        ) from exc
    backend, _, driver = url.drivername.partition("+")
    connect_args: dict[str, Any] = {}
    whole_seconds = max(1, math.ceil(system.connect_timeout_s))
    if backend == "postgresql":
        connect_args["connect_timeout"] = whole_seconds
    elif is_mysql(backend) and driver == "pymysql":
        connect_args["connect_timeout"] = system.connect_timeout_s
        # The server-side statement timeout fires first; this catches a silent server.
        connect_args["read_timeout"] = system.query_timeout_s + 30
        connect_args["write_timeout"] = system.query_timeout_s + 30
    elif is_mysql(backend):
        connect_args["connect_timeout"] = whole_seconds
    elif backend == "sqlite":
        connect_args["timeout"] = system.connect_timeout_s
    if is_mysql(backend):
        # Text is hashed and compared as UTF-8 on every engine (datasources/canonical.py): a
        # URL's ?charset=latin1 made MariaDB hash non-ASCII keys as latin1 bytes, so matching
        # records were reported missing on both sides. Values arrive as the same text anyway.
        connect_args["charset"] = "utf8mb4"
    connect_args.update(single_statement_args(url))
    try:
        engine = sa.create_engine(url, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise SystemUnreachable(
            f"system {system.name!r} ({mask_url(system.url)}): cannot use this URL: {exc}"
        ) from exc
    if backend == "sqlite":
        install_sqlite_deadline(engine, system.query_timeout_s)
    if is_mysql(backend) and driver == "pymysql":
        event.listen(engine, "do_connect", _pymysql_connect)
    ping_when_idle(engine)  # not on every checkout: datasources/idle_ping.py
    track_checkouts(engine)
    return engine


def single_statement_args(url: sa.URL) -> dict[str, Any]:
    """connect_args with which the driver runs at most one statement per query text, so text
    that slipped past `datasources.statement` still cannot run a second (writing) statement.

    - psycopg 3 sends a text without parameters with the simple query protocol, which runs
      every statement in it; preparing every query (`prepare_threshold=0`) sends it with the
      extended protocol, where PostgreSQL refuses "multiple commands".
    - PyMySQL and mysqlclient run several statements only with the MULTI_STATEMENTS client
      flag, which a URL's `client_flag` could set: it is cleared.
    - SQLite's driver runs one statement per `execute` already (psycopg2 cannot be told to).
    """
    backend, _, driver = url.drivername.partition("+")  # no dialect is loaded here
    if backend == "postgresql" and driver == "psycopg":
        return {"prepare_threshold": 0}
    if is_mysql(backend) and driver in ("pymysql", "mysqldb", ""):
        flag = int(url.query.get("client_flag", 0) or 0)  # type: ignore[arg-type]
        return {"client_flag": (flag | _CLIENT_FOUND_ROWS) & ~_CLIENT_MULTI_STATEMENTS}
    return {}


def _pymysql_connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """SQLAlchemy's `do_connect` hook for PyMySQL engines: the same connection, made by
    `_preferred_tls_connection()`."""
    return _preferred_tls_connection()(*cargs, **cparams)


@functools.cache
def _preferred_tls_connection() -> type:
    """PyMySQL's connection class, except that without TLS options ("preferred" TLS: used
    when the server offers it, plain otherwise) it uses one shared context that verifies
    nothing, as PyMySQL's own does then, instead of a new one per connection.

    PyMySQL builds that context with `ssl.create_default_context()`, which loads the system's
    CA store (about 20 ms of CPU for every new connection) only for PyMySQL to set
    `verify_mode = CERT_NONE`: with no CA given it checks neither certificate nor host name.
    The shared context is the same one without the unused CA store. Every explicit TLS
    option (a URL's `ssl_ca` etc., an `ssl` in `connect_args`, a `read_default_file`'s) is
    PyMySQL's own context as before, and `ssl_disabled` still means plain."""
    import pymysql.connections

    base: Any = pymysql.connections.Connection

    class PreferredTls(base):  # type: ignore[misc]
        def _create_ssl_ctx(self, sslp: Any) -> Any:
            if isinstance(sslp, dict) and not sslp:  # PyMySQL's call for preferred TLS
                return _no_verify_context()
            return super()._create_ssl_ctx(sslp)

    return PreferredTls


@functools.cache
def _no_verify_context() -> ssl.SSLContext:
    """What PyMySQL's `_create_ssl_ctx({})` returns, without loading the CA store that
    `ssl.create_default_context()` loads and PyMySQL's settings leave unused."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # as create_default_context() starts
    ctx.check_hostname = False  # then PyMySQL, having no CA
    ctx.verify_mode = ssl.CERT_NONE
    ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT
    ctx.options |= ssl.OP_NO_SSLv2 | ssl.OP_NO_SSLv3
    keylog = os.environ.get("SSLKEYLOGFILE")  # as create_default_context() honours it
    if keylog and not sys.flags.ignore_environment:
        ctx.keylog_filename = keylog
    return ctx


def install_sqlite_deadline(engine: sa.Engine, timeout_s: float) -> None:
    """SQLite has no statement timeout: interrupt statements that run past their deadline."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        deadline = [math.inf]
        record.info["dxq_deadline"] = deadline
        dbapi_conn.set_progress_handler(lambda: int(time.monotonic() > deadline[0]), 1000)

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn: sa.Connection, *args: Any) -> None:
        deadline = conn.connection.info.get("dxq_deadline")
        if deadline is not None:
            deadline[0] = time.monotonic() + statement_timeout_s(timeout_s)


@contextmanager
def read_only(system: SqlSystem) -> Iterator[sa.Connection]:
    """A connection inside a read-only transaction with the system's statement timeout
    (capped at the current run's budget).

    Driver errors raised inside the block leave it as `DatasourceError`s; the transaction is
    always rolled back.
    """
    engine = engine_for(system)
    try:
        conn = engine.connect()
    except sa.exc.SQLAlchemyError as exc:
        raise _unreachable(system, exc) from exc
    try:
        trans = conn.begin()
        try:
            _enter_read_only(conn, statement_timeout_s(system.query_timeout_s))
            yield conn
        finally:
            if trans.is_active:
                trans.rollback()
            _leave_read_only(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise translate_error(system, exc) from exc
    finally:
        conn.close()


def _enter_read_only(conn: sa.Connection, timeout_s: float) -> None:
    dialect = conn.dialect.name
    if dialect == "postgresql":  # one round trip: SET TRANSACTION READ ONLY and the timeout
        conn.execute(
            sa.text(
                "SELECT set_config('transaction_read_only', 'on', true), "
                "set_config('statement_timeout', :ms, true)"
            ),
            {"ms": str(max(1, round(timeout_s * 1000)))},
        )
    elif is_mysql(dialect):
        if getattr(conn.dialect, "is_mariadb", False):
            conn.execute(sa.text("SET SESSION max_statement_time = :s"), {"s": timeout_s})
        else:
            conn.execute(
                sa.text("SET SESSION max_execution_time = :ms"),
                {"ms": max(1, round(timeout_s * 1000))},
            )
        conn.exec_driver_sql("START TRANSACTION READ ONLY")
    elif dialect == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")


def _leave_read_only(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite" and not conn.invalidated:
        conn.exec_driver_sql("PRAGMA query_only = OFF")


def translate_error(
    system: SqlSystem, exc: BaseException, dataset: str | None = None
) -> DatasourceError:
    """The `DatasourceError` that a driver or SQLAlchemy error means for dxq."""
    if isinstance(exc, DatasourceError):
        return exc
    where = f"system {system.name!r}" + (f", dataset {dataset!r}" if dataset else "")
    detail = _driver_message(exc)
    if isinstance(exc, sa.exc.NoSuchTableError):
        return DatasetNotFound(f"{where}: table {str(exc)!r} does not exist")
    if isinstance(exc, sa.exc.TimeoutError):
        return QueryTimeout(f"{where}: no free connection in time: {detail}")
    kind = _classify(exc)
    if kind in ("unreachable", "auth"):
        return _unreachable(system, exc)
    if kind == "not_found":
        return DatasetNotFound(f"{where}: {detail}")
    if kind == "timeout":
        return QueryTimeout(
            f"{where}: query cancelled after the {system.query_timeout_s:g} s timeout: {detail}"
        )
    return QueryFailed(f"{where}: {detail}")


def _unreachable(system: SqlSystem, exc: BaseException) -> DatasourceError:
    shown = f"system {system.name!r} ({mask_url(system.url)})"
    if _classify(exc) == "auth":
        return AuthenticationFailed(f"{shown} refused the login: {_driver_message(exc)}")
    return SystemUnreachable(f"{shown} is unreachable: {_driver_message(exc)}")


def _classify(exc: BaseException) -> str:
    orig = _original(exc)
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return "unreachable"
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    module = type(orig).__module__
    if module.startswith(("psycopg", "psycopg2")):
        if sqlstate is None:
            if type(orig).__name__ != "OperationalError":
                return "failed"
            return "auth" if _PG_AUTH_MESSAGE.search(str(orig)) else "unreachable"
        if sqlstate.startswith(_PG_AUTH):
            return "auth"
        if sqlstate.startswith(_PG_UNREACHABLE):
            return "unreachable"
        if sqlstate in _PG_NOT_FOUND:
            return "not_found"
        return "timeout" if sqlstate in _PG_TIMEOUT else "failed"
    if module.startswith(("pymysql", "MySQLdb", "mariadb")):
        code = orig.args[0] if orig.args and isinstance(orig.args[0], int) else None
        if code in _MYSQL_TIMEOUT or (code == 2013 and "timed out" in str(orig)):
            return "timeout"
        if code in _MYSQL_AUTH:
            return "auth"
        if code in _MYSQL_UNREACHABLE:
            return "unreachable"
        return "not_found" if code in _MYSQL_NOT_FOUND else "failed"
    if module.startswith("sqlite3"):
        text = str(orig).lower()
        if "no such table" in text:
            return "not_found"
        if "interrupted" in text:
            return "timeout"
        return "unreachable" if "unable to open database" in text else "failed"
    if isinstance(orig, (ConnectionError, TimeoutError, OSError)):
        return "unreachable"
    return "failed"


def _original(exc: BaseException) -> BaseException:
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        return exc.orig
    return exc


def _driver_message(exc: BaseException) -> str:
    orig = _original(exc)
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__
