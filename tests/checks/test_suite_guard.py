"""GX's own engines only read, and a slow statement is cut off at the system's query timeout."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from checks.gx import adapter
from checks.gx.adapter import run_suite
from checks.result import Outcome, Severity
from checks.spec import SuiteSpec
from datasources.dataset import Dataset, SqlSystem

SLOW = (  # several seconds of work on SQLite: counts to 50 million
    "select id from (with recursive r(i) as (select 1 union all select i + 1 from r "
    "where i < 50000000) select i as id from r)"
)


def _suite(tmp_path: Path, column: str) -> Path:
    path = tmp_path / f"suite_{uuid.uuid4().hex[:8]}.json"
    expectation = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": column}}
    path.write_text(json.dumps({"name": "s", "expectations": [expectation]}), "utf-8")
    return path


def _table(url: str) -> str:
    name = f"items_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"create table {name} (id int)")
        conn.exec_driver_sql(f"insert into {name} values (1), (NULL)")
    engine.dispose()
    return name


def _gx_engines(system: SqlSystem) -> list[sa.Engine]:
    source = adapter._sql_source(system)
    return [source.get_execution_engine().engine, source.get_engine()]


@pytest.mark.parametrize("url_fixture", ["sqlite_url", "mariadb_url"])
def test_gx_engines_cannot_write(
    url_fixture: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue(url_fixture))
    system = SqlSystem(f"shop-{uuid.uuid4().hex[:6]}", url)
    name = _table(url)
    spec = SuiteSpec(
        _suite(tmp_path, "id"), "suites/s.json", Dataset(system, table=name), Severity.ERROR
    )
    (result,) = run_suite(spec)
    assert result.outcome is Outcome.FAILED  # GX ran, on the guarded engines
    for engine in _gx_engines(system):
        with engine.connect() as conn:
            with pytest.raises(sa.exc.DBAPIError, match=r"(?i)read.?only"):
                conn.exec_driver_sql(f"create table {name}_x (a int)")
            conn.rollback()
    probe = sa.create_engine(url)
    with probe.connect() as conn:
        assert name + "_x" not in sa.inspect(conn).get_table_names()
    probe.dispose()


def test_gx_sqlite_connection_is_query_only(sqlite_url: str, tmp_path: Path) -> None:
    system = SqlSystem(f"shop-{uuid.uuid4().hex[:6]}", sqlite_url)
    spec = SuiteSpec(
        _suite(tmp_path, "id"),
        "suites/s.json",
        Dataset(system, table=_table(sqlite_url)),
        Severity.ERROR,
    )
    run_suite(spec)
    for engine in _gx_engines(system):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA query_only").scalar() == 1


def test_slow_sqlite_query_is_cut_off_at_the_query_timeout(sqlite_url: str, tmp_path: Path) -> None:
    system = SqlSystem(f"slow-{uuid.uuid4().hex[:6]}", sqlite_url, query_timeout_s=0.3)
    spec = SuiteSpec(
        _suite(tmp_path, "id"), "suites/s.json", Dataset(system, query=SLOW), Severity.ERROR
    )
    started = time.monotonic()
    (result,) = run_suite(spec)
    elapsed = time.monotonic() - started
    assert result.outcome is Outcome.ERROR
    assert result.reason is not None and "interrupt" in result.reason.lower()
    assert elapsed < 10  # unguarded, the statements run for 30 s and more
