"""Freshness at the edges of time (issue 11 items 8 and 14): a newest value far in the future is
a failure with its own message (year 9999 is not "0s old"); year 1 and year 9999 in a named
zone do not overflow; on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from checks.freshness import check_freshness
from checks.result import Outcome, Severity
from checks.spec import FreshnessSpec
from datasources.dataset import Dataset, SqlSystem
from tests.checks.conftest import RunSql

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
_URL = {"sqlite": "sqlite_url", "postgresql": "pg_url", "mariadb": "mariadb_url"}
_TYPE = {"sqlite": "TIMESTAMP", "postgresql": "TIMESTAMP", "mariadb": "DATETIME"}


@pytest.fixture(params=list(_URL))
def engine(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, str(request.getfixturevalue(_URL[request.param]))


def _check(
    engine: tuple[str, str],
    run_sql: RunSql,
    table: Callable[[str], str],
    stored: str,
    zone: str = "UTC",
) -> tuple[Outcome, str, str]:
    kind, url = engine
    name = table("events")
    run_sql(
        url, f"create table {name} (ts {_TYPE[kind]})", f"insert into {name} values ('{stored}')"
    )
    system = SqlSystem(name="shop", url=url, timezone=zone, connect_timeout_s=2)
    spec = FreshnessSpec(Dataset(system, table=name), "ts", 3600.0, Severity.CRITICAL)
    result = check_freshness(spec, NOW)
    return result.outcome, result.observed or "", result.reason or ""


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Tokyo"])
def test_year_9999_is_a_failure_in_the_future(
    engine: tuple[str, str], run_sql: RunSql, table: Callable[[str], str], zone: str
) -> None:
    outcome, observed, reason = _check(engine, run_sql, table, "9999-12-31 23:00:00", zone)
    assert outcome is Outcome.FAILED
    assert observed.endswith("in the future") and "0s old" not in observed
    assert "a clock or a value is wrong" in reason


def test_a_value_minutes_ahead_is_clock_skew_and_passes(
    engine: tuple[str, str], run_sql: RunSql, table: Callable[[str], str]
) -> None:
    ahead = (NOW + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")
    outcome, observed, _ = _check(engine, run_sql, table, ahead)
    assert outcome is Outcome.PASSED
    assert observed == "0s old (newest value is 2m in the future)"


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Tokyo"])
def test_year_1_is_stale_not_an_overflow(
    engine: tuple[str, str], run_sql: RunSql, table: Callable[[str], str], zone: str
) -> None:
    outcome, observed, reason = _check(engine, run_sql, table, "0001-01-01 00:00:00", zone)
    assert outcome is Outcome.FAILED, reason
    assert observed.endswith(" old") and "the future" not in observed
