"""Engines, read-only transactions, statement timeouts and error translation, on real engines."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa

from datasources.connection import engine_for, mask_url, read_only, translate_error
from datasources.dataset import SqlSystem
from datasources.errors import (
    DatasetNotFound,
    QueryFailed,
    QueryTimeout,
    SystemUnreachable,
)
from datasources.idle_ping import answered_within

ENGINES = ["sqlite", "postgresql", "mariadb"]


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest) -> str:
    """A fresh database URL on each engine."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "pg_url", "mariadb": "mariadb_url"}
    return str(request.getfixturevalue(fixture[request.param]))


def _table(url: str) -> str:
    name = f"t_{uuid.uuid4().hex[:10]}"
    setup = sa.create_engine(url)
    with setup.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, v VARCHAR(10))")
        conn.exec_driver_sql(f"INSERT INTO {name} VALUES (1, 'a'), (2, 'b')")
    setup.dispose()
    return name


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+psycopg://app:s3cr%40t@db:5432/pim",
            "postgresql+psycopg://app:***@db:5432/pim",
        ),
        ("mysql+pymysql://root@h/db", "mysql+pymysql://root@h/db"),
        ("mssql+pyodbc://u@h/db?pwd=hunter2&driver=x", "mssql+pyodbc://u@h/db?driver=x&pwd=***"),
        (
            "mssql+pyodbc:///?odbc_connect=DRIVER%3Dx%3BPWD%3Dhunter2%3BDB%3Dd",
            "mssql+pyodbc:///?odbc_connect=DRIVER%3Dx%3BPWD%3D***%3BDB%3Dd",
        ),
        ("postgresql://h/db?password=hunter2", "postgresql://h/db?password=***"),
        ("not a url://user:hunter2@host", "not a url://user:***@host"),
        ("sqlite:///demo/shop.db", "sqlite:///demo/shop.db"),
    ],
)
def test_mask_url_hides_passwords(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert "hunter2" not in mask_url(url) and "s3cr" not in mask_url(url)


def test_engine_is_cached_per_url_and_timeouts(sqlite_url: str) -> None:
    a = SqlSystem("a", sqlite_url)
    assert engine_for(a) is engine_for(SqlSystem("b", sqlite_url))
    assert engine_for(a) is not engine_for(SqlSystem("a", sqlite_url, query_timeout_s=5))
    with read_only(a) as conn:  # pinged when idle, not on every checkout (idle_ping.py)
        conn.exec_driver_sql("SELECT 1")
    assert answered_within(engine_for(a)) and not engine_for(a).pool._pre_ping


def test_read_only_reads(url: str) -> None:
    name = _table(url)
    with read_only(SqlSystem("shop", url)) as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one() == 2


def test_write_inside_read_only_fails_on_every_engine(url: str) -> None:
    name = _table(url)
    system = SqlSystem("shop", url)
    with pytest.raises(QueryFailed, match="shop"), read_only(system) as conn:
        conn.exec_driver_sql(f"INSERT INTO {name} VALUES (3, 'c')")
    with pytest.raises(QueryFailed), read_only(system) as conn:
        conn.exec_driver_sql(f"DELETE FROM {name}")
    check = sa.create_engine(url)
    with check.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one() == 2
    check.dispose()
    # The pooled connection is usable again for reads (and, for SQLite, writable elsewhere).
    with read_only(system) as conn:
        assert conn.exec_driver_sql(f"SELECT max(id) FROM {name}").scalar_one() == 2


@pytest.mark.parametrize(
    ("fixture", "sleep_sql"),
    [("pg_url", "SELECT pg_sleep(5)"), ("mariadb_url", "SELECT SLEEP(5)")],
)
def test_long_query_becomes_query_timeout(
    request: pytest.FixtureRequest, fixture: str, sleep_sql: str
) -> None:
    system = SqlSystem("slow", str(request.getfixturevalue(fixture)), query_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="1 s timeout"), read_only(system) as conn:
        result = conn.exec_driver_sql(sleep_sql).scalar_one()
        # MariaDB's SLEEP returns 1 when interrupted instead of raising; treat as a miss.
        assert result != 1, "SLEEP was interrupted without an error"
    assert time.monotonic() - started < 3.5


def test_long_sqlite_query_is_interrupted(sqlite_url: str) -> None:
    system = SqlSystem("slow", sqlite_url, query_timeout_s=0.5)
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    )
    started = time.monotonic()
    with pytest.raises(QueryTimeout), read_only(system) as conn:
        conn.exec_driver_sql(endless).scalar_one()
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://dxq:topsecret@127.0.0.1:1/nothing",
        "mysql+pymysql://dxq:topsecret@127.0.0.1:1/nothing",
    ],
)
def test_closed_port_is_unreachable_fast(url: str) -> None:
    system = SqlSystem("crm", url, connect_timeout_s=2)
    started = time.monotonic()
    with pytest.raises(SystemUnreachable) as info, read_only(system):
        pass
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "'crm'" in message and "127.0.0.1:1" in message
    assert "topsecret" not in message and "***" in message


def test_unknown_database_and_bad_url_are_unreachable(pg_url: str, mariadb_url: str) -> None:
    for base in (pg_url, mariadb_url):
        missing = sa.make_url(base).set(database="no_such_db_dxq")
        system = SqlSystem("erp", missing.render_as_string(hide_password=False))
        with pytest.raises(SystemUnreachable, match="erp"), read_only(system):
            pass
    with pytest.raises(SystemUnreachable, match="not a SQLAlchemy URL"):
        engine_for(SqlSystem("bad", "nonsense"))
    with pytest.raises(SystemUnreachable, match="cannot use"):
        engine_for(SqlSystem("bad", "nosuchdialect://h/db"))


def test_missing_table_and_bad_sql(url: str) -> None:
    system = SqlSystem("shop", url)
    with pytest.raises(DatasetNotFound, match="shop"), read_only(system) as conn:
        conn.exec_driver_sql("SELECT * FROM no_such_table_dxq")
    with pytest.raises(QueryFailed), read_only(system) as conn:
        conn.exec_driver_sql("SELEC nonsense")


def test_translate_error_names_dataset_and_passes_through_own_errors(sqlite_url: str) -> None:
    system = SqlSystem("shop", sqlite_url)
    own = QueryFailed("x")
    assert translate_error(system, own) is own
    with engine_for(system).connect() as conn:
        try:
            conn.exec_driver_sql("SELECT * FROM missing_t")
        except sa.exc.DBAPIError as exc:
            error = translate_error(system, exc, dataset="shop.missing_t")
    assert isinstance(error, DatasetNotFound)
    assert "shop.missing_t" in str(error)
    assert isinstance(translate_error(system, ValueError("odd")), QueryFailed)
