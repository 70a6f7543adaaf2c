"""New records per interval (`freshness.new_rows`): the rows whose freshness column is newer
than the previous run's start, counted in the database in the column's own terms (naive
values in the system's zone, instants, ISO text, Unix seconds) and in exported files; and
through the run path, where the previous run's start comes from the store."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from checks.freshness import check_freshness
from checks.result import Severity
from checks.spec import FreshnessSpec
from datasources.dataset import Dataset, FileSystem, SqlSystem
from monitor.config.loading import load_config
from monitor.run.plan import plan_integrations
from monitor.run.runner import record_integration
from store.store import ResultStore

NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=3)
# minutes before NOW of each row's change; those under 180 are new since SINCE
AGES = [5, 30, 179, 181, 240, 600]
NEW = sum(age < 180 for age in AGES)
BERLIN = "Europe/Berlin"  # naive values are Berlin time (a DST change on 29 March at 01:00Z)


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _spec(url: str, table: str, zone: str = BERLIN) -> FreshnessSpec:
    system = SqlSystem(name="shop", url=url, timezone=zone, connect_timeout_s=5)
    return FreshnessSpec(Dataset(system, table=table), "ts", 86400.0, Severity.ERROR, since=SINCE)


def _berlin(age: int, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return (NOW - timedelta(minutes=age)).astimezone(ZoneInfo(BERLIN)).strftime(fmt)


def _utc(age: int) -> str:
    return (NOW - timedelta(minutes=age)).strftime("%Y-%m-%d %H:%M:%S+00")


@pytest.fixture
def name() -> str:
    return f"changes_{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("layout", ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"])
def test_sqlite_text_in_the_systems_zone(tmp_path: Path, name: str, layout: str) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    rows = ", ".join(f"({i}, '{_berlin(age, layout)}')" for i, age in enumerate(AGES))
    _execute(url, f"create table {name} (id int, ts text)", f"insert into {name} values {rows}")
    result = check_freshness(_spec(url, name), NOW)
    assert result.metrics["new_rows"] == NEW


def test_sqlite_unix_seconds(tmp_path: Path, name: str) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    rows = ", ".join(
        f"({i}, {(NOW - timedelta(minutes=age)).timestamp()})" for i, age in enumerate(AGES)
    )
    _execute(url, f"create table {name} (id int, ts real)", f"insert into {name} values {rows}")
    assert check_freshness(_spec(url, name), NOW).metrics["new_rows"] == NEW


@pytest.mark.parametrize("kind", ["timestamp", "timestamptz"])
def test_postgresql_naive_and_instants(pg_url: str, name: str, kind: str) -> None:
    stamp = _berlin if kind == "timestamp" else _utc
    rows = ", ".join(f"({i}, '{stamp(age)}')" for i, age in enumerate(AGES))
    try:
        _execute(
            pg_url, f"create table {name} (id int, ts {kind})", f"insert into {name} values {rows}"
        )
        assert check_freshness(_spec(pg_url, name), NOW).metrics["new_rows"] == NEW
    finally:
        _execute(pg_url, f"drop table if exists {name}")


@pytest.mark.parametrize("kind", ["datetime", "timestamp"])
def test_mariadb_datetime_and_timestamp(mariadb_url: str, name: str, kind: str) -> None:
    if kind == "datetime":
        values = [_berlin(age) for age in AGES]
    else:  # TIMESTAMP literals are read in the session zone: give them in UTC
        values = [(NOW - timedelta(minutes=a)).strftime("%Y-%m-%d %H:%M:%S") for a in AGES]
    rows = ", ".join(f"({i}, '{v}')" for i, v in enumerate(values))
    try:
        _execute(mariadb_url, f"create table {name} (id int, ts {kind} null)")
        _execute(mariadb_url, "set time_zone = '+00:00'", f"insert into {name} values {rows}")
        assert check_freshness(_spec(mariadb_url, name), NOW).metrics["new_rows"] == NEW
    finally:
        _execute(mariadb_url, f"drop table if exists {name}")


def test_exported_files(tmp_path: Path) -> None:
    stamps = [_berlin(age) for age in AGES]
    pd.DataFrame({"id": range(len(AGES)), "ts": stamps}).to_csv(tmp_path / "a.csv", index=False)
    system = FileSystem(name="wms", pattern=str(tmp_path / "*.csv"), format="csv", timezone=BERLIN)
    spec = FreshnessSpec(Dataset(system), "ts", 86400.0, Severity.ERROR, since=SINCE)
    assert check_freshness(spec, NOW).metrics["new_rows"] == NEW


def test_the_run_path_counts_since_the_previous_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    _execute(url, "create table changes (id int, ts text)")
    doc = {
        "version": 1,
        "store": f"sqlite:///{tmp_path}/results.db",
        "systems": {"s": {"url": url}},
        "integrations": {
            "feed": {"source": "s.changes", "target": "s.changes",
                     "freshness": {"column": "ts", "max_age": "1d"}}
        },
    }  # fmt: skip
    (tmp_path / "dxq.yml").write_text(json.dumps(doc), encoding="utf-8")
    config = load_config(tmp_path / "dxq.yml")
    (plan,) = plan_integrations(config)
    store = ResultStore.open(config.store)
    found = []
    try:
        for hour, added in enumerate([4, 7, 0, 2]):
            at = NOW + timedelta(hours=hour)
            rows = [(f"{hour}{n}", at - timedelta(minutes=n + 1)) for n in range(added)]
            if rows:
                values = ", ".join(f"({i}, '{t:%Y-%m-%d %H:%M:%S}')" for i, t in rows)
                _execute(url, f"insert into changes values {values}")
            clock = functools.partial(lambda moment: moment, at)
            run = record_integration(plan, store, trigger="test", clock=clock, now=at)
            (fresh,) = run.results
            found.append(fresh.metrics.get("new_rows"))
    finally:
        store.dispose()
    assert found == [None, 7, 0, 2]  # the first run has no interval yet


def test_reconcile_counts_new_records_on_each_side(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    _execute(
        url, "create table src (id int, ts timestamp)", "create table dst (id int, ts timestamp)"
    )
    doc = {
        "version": 1,
        "store": f"sqlite:///{tmp_path}/results.db",
        "systems": {"s": {"url": url}},
        "integrations": {
            "feed": {"source": "s.src", "target": "s.dst", "key": "id",
                     "reconcile": {"grace": "1m", "updated_column": "ts",
                                   "max_mismatch_rate": "100%"}}
        },
    }  # fmt: skip
    (tmp_path / "dxq.yml").write_text(json.dumps(doc), encoding="utf-8")
    config = load_config(tmp_path / "dxq.yml")
    (plan,) = plan_integrations(config)
    assert plan.anomalies is None
    store = ResultStore.open(config.store)
    found = []
    try:
        for hour, (to_source, to_target) in enumerate([(3, 3), (5, 2), (1, 4)]):
            at = NOW + timedelta(hours=hour)
            stamp = f"{at - timedelta(minutes=10):%Y-%m-%d %H:%M:%S}"
            for table, n in (("src", to_source), ("dst", to_target)):
                values = ", ".join(f"({hour * 10 + i}, '{stamp}')" for i in range(n))
                _execute(url, f"insert into {table} values {values}")
            clock = functools.partial(lambda moment: moment, at)
            run = record_integration(plan, store, trigger="test", clock=clock, now=at)
            (result,) = run.results
            m = result.metrics
            found.append((m.get("source_new_rows"), m.get("target_new_rows")))
    finally:
        store.dispose()
    assert found == [(None, None), (5, 2), (1, 4)]
