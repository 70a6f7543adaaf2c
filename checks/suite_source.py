"""SQL pieces of the GX adapter that need no GX: engine options, probes, error wording."""

from __future__ import annotations

import math
import weakref
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from checks.suite_result import SAMPLE_SIZE, condense
from datasources.budget import statement_timeout_s, track_checkouts
from datasources.connection import (
    install_sqlite_deadline,
    mask_url,
    single_statement_args,
    translate_error,
)
from datasources.dataset import Dataset, SqlSystem
from datasources.dialect import is_mysql
from datasources.errors import DatasetNotFound, DatasourceError, QueryFailed
from datasources.statement import query_clause

_guarded: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def engine_kwargs(url: sa.URL, system: SqlSystem) -> dict[str, Any]:
    """create_engine kwargs: fail fast on connect, time out slow statements, read only
    (on PostgreSQL; `guard_engine` covers the other engines)."""
    backend = url.get_backend_name()
    whole_seconds = max(1, math.ceil(system.connect_timeout_s))
    args: dict[str, Any] = {}
    if backend == "postgresql":
        ms = max(1, round(system.query_timeout_s * 1000))
        args["connect_timeout"] = whole_seconds
        args["options"] = f"-c statement_timeout={ms} -c default_transaction_read_only=on"
    elif is_mysql(backend) and url.get_driver_name() == "pymysql":
        args["connect_timeout"] = whole_seconds
        args["read_timeout"] = math.ceil(system.query_timeout_s) + 30  # a silent server
    elif is_mysql(backend):
        args["connect_timeout"] = whole_seconds
    elif backend == "sqlite":
        args["timeout"] = system.connect_timeout_s
    args.update(single_statement_args(url))
    return {"connect_args": args, "pool_pre_ping": True} if args else {"pool_pre_ping": True}


def guard_engine(engine: sa.Engine, system: SqlSystem) -> sa.Engine:
    """Make an engine GX created read-only and time-limited on SQLite and MySQL/MariaDB (any
    driver), once; its pooled connections are dropped so every later one is guarded. Under a
    run budget each checkout caps the statement timeout at the time left, and the budget can
    cancel what runs on the connection."""
    if engine in _guarded:
        return engine
    dialect = engine.dialect.name
    if dialect == "sqlite":
        event.listen(engine, "connect", _sqlite_query_only)
        install_sqlite_deadline(engine, system.query_timeout_s)
    elif is_mysql(dialect):
        event.listen(engine, "connect", partial(_mysql_read_only, system.query_timeout_s))
        event.listen(engine, "checkout", partial(_mysql_budget, system.query_timeout_s))
    elif dialect == "postgresql":
        event.listen(engine, "checkout", partial(_postgres_budget, system.query_timeout_s))
    track_checkouts(engine)
    _guarded.add(engine)
    engine.dispose()
    return engine


def _sqlite_query_only(dbapi_conn: Any, record: Any) -> None:
    dbapi_conn.execute("PRAGMA query_only = ON")


def _mysql_read_only(timeout_s: float, dbapi_conn: Any, record: Any) -> None:
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("SELECT VERSION()")
        (version,) = cursor.fetchone()
        record.info["dxq_mariadb"] = "mariadb" in str(version).lower()
        _mysql_timeout(cursor, record, timeout_s)
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    finally:
        cursor.close()


def _mysql_timeout(cursor: Any, record: Any, timeout_s: float) -> None:
    if record.info.get("dxq_mariadb"):
        cursor.execute(f"SET SESSION max_statement_time = {float(timeout_s)}")
    else:
        cursor.execute(f"SET SESSION max_execution_time = {max(1, round(timeout_s * 1000))}")


def _mysql_budget(timeout_s: float, dbapi_conn: Any, record: Any, proxy: Any) -> None:
    """Each checkout: the statement timeout capped at the current run's budget (or restored)."""
    cursor = dbapi_conn.cursor()
    try:
        _mysql_timeout(cursor, record, statement_timeout_s(timeout_s))
    finally:
        cursor.close()


def _postgres_budget(timeout_s: float, dbapi_conn: Any, record: Any, proxy: Any) -> None:
    """Under a run budget, a checkout caps the statement timeout at the time left; the SET is
    transaction-local, so the rollback at checkin restores the connection's own timeout."""
    capped = statement_timeout_s(timeout_s)
    if capped < timeout_s:
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"SET LOCAL statement_timeout = {max(1, round(capped * 1000))}")
        finally:
            cursor.close()


def selectable(dataset: Dataset) -> sa.FromClause:
    """The dataset as a FROM clause: its table, or its query as a subquery."""
    if dataset.query is not None:
        return query_clause(dataset.query).columns().subquery("dxq_dataset")
    schema, _, table = (dataset.table or "").rpartition(".")
    return sa.table(table, schema=schema or None)


def probe_select(dataset: Dataset) -> sa.Select[Any]:
    """A query that returns the dataset's columns and no rows."""
    return sa.select(sa.literal_column("*")).select_from(selectable(dataset)).limit(0)


def prepared_query_arguments(doc: dict[str, Any]) -> dict[str, Any]:
    """An expectation ({"type", "kwargs", ...}) whose SQL arguments (`unexpected_rows_query`,
    `base_query`, any `*_query`), which GX runs as sa.text(), are each one read statement
    (else `QueryRefused`), without a trailing `;`, colons taken literally."""
    kwargs = {
        name: query_clause(value).text
        if isinstance(value, str) and (name == "query" or name.endswith("_query"))
        else value
        for name, value in (doc.get("kwargs") or {}).items()
    }
    return {**doc, "kwargs": kwargs}


def failing_rows_select(query: str) -> sa.Select[Any]:
    """GX's failing-rows query, limited to the sample size in the dialect's own way."""
    failing = query_clause(query).columns().subquery("failing")
    return sa.select(sa.literal_column("*")).select_from(failing).limit(SAMPLE_SIZE)


def dataset_error(dataset: Dataset, exc: BaseException) -> DatasourceError:
    cause = _sqlalchemy_cause(exc)
    if isinstance(dataset.system, SqlSystem) and cause is not None:
        translated = translate_error(dataset.system, cause, dataset.label)
        shown = mask_url(dataset.system.url)
        text = str(translated)
        return type(translated)(text if shown in text else f"{text} ({shown})")
    text = condense(str(exc))
    kind = DatasetNotFound if "does not exist" in text else QueryFailed
    return kind(f"{where(dataset)}: {text}")


def system_error(system: SqlSystem, exc: BaseException) -> DatasourceError:
    cause = _sqlalchemy_cause(exc)
    if cause is not None:
        return translate_error(system, cause)
    return QueryFailed(f"system {system.name!r} ({mask_url(system.url)}): {condense(str(exc))}")


def _sqlalchemy_cause(exc: BaseException) -> sa.exc.SQLAlchemyError | None:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, sa.exc.SQLAlchemyError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def where(dataset: Dataset) -> str:
    system = dataset.system
    if isinstance(system, SqlSystem):
        return f"dataset {dataset.label} on {mask_url(system.url)}"
    return f"dataset {dataset.label} ({system.pattern})"
