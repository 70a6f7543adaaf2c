"""Freshness on real PostgreSQL, MariaDB, SQLite and files, with an injected `now`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from checks.freshness import check_freshness
from checks.result import Outcome, Severity
from checks.spec import FreshnessSpec
from datasources.dataset import Dataset, FileSystem, SqlSystem
from tests.checks.conftest import RunSql

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOUR = 3600.0


def spec_for(
    url: str, table: str, *, zone: str = "UTC", max_age_s: float = 2 * HOUR, column: str = "ts"
) -> FreshnessSpec:
    system = SqlSystem(name="shop", url=url, timezone=zone, connect_timeout_s=2)
    return FreshnessSpec(Dataset(system, table=table), column, max_age_s, Severity.CRITICAL)


def test_postgres_timestamptz_is_an_instant(
    pg_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("orders")
    run_sql(
        pg_url,
        f"create table {name} (id int, ts timestamptz)",
        f"insert into {name} values (1, '2026-11-29 09:00:00+00'), (2, '2026-11-29 10:30:00+01')",
    )
    # Declaring Berlin must not shift aware values: the newest is 09:30Z.
    result = check_freshness(spec_for(pg_url, name, zone="Europe/Berlin"), NOW)
    assert result.outcome is Outcome.FAILED
    assert result.metrics["lag_seconds"] == 2.5 * HOUR
    assert result.metrics["max_value"] == "2026-11-29T09:30:00+00:00"
    assert result.metrics["max_age_seconds"] == 2 * HOUR
    assert result.observed == "2h 30m old"
    assert result.expected == "at most 2h"
    assert result.headline_value == 2.5 * HOUR


@pytest.mark.parametrize(
    ("stored", "instant"),
    [
        ("2026-11-29 11:00:00", "2026-11-29T10:00:00+00:00"),  # winter: Berlin is UTC+1
        ("2026-07-01 12:00:00", "2026-07-01T10:00:00+00:00"),  # summer: UTC+2
    ],
)
def test_postgres_naive_timestamp_is_read_in_the_system_zone(
    pg_url: str, run_sql: RunSql, table: Callable[[str], str], stored: str, instant: str
) -> None:
    name = table("products")
    run_sql(
        pg_url, f"create table {name} (ts timestamp)", f"insert into {name} values ('{stored}')"
    )
    result = check_freshness(spec_for(pg_url, name, zone="Europe/Berlin"), NOW)
    assert result.metrics["max_value"] == instant
    assert result.metrics["lag_seconds"] == (NOW - datetime.fromisoformat(instant)).total_seconds()
    winter = stored.startswith("2026-11")
    assert result.outcome is (Outcome.PASSED if winter else Outcome.FAILED)


def test_postgres_date_counts_from_midnight_in_the_system_zone(
    pg_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("days")
    run_sql(pg_url, f"create table {name} (ts date)", f"insert into {name} values ('2026-11-29')")
    result = check_freshness(spec_for(pg_url, name, zone="Europe/Berlin", max_age_s=86400), NOW)
    assert result.metrics["max_value"] == "2026-11-28T23:00:00+00:00"
    assert result.metrics["lag_seconds"] == 13 * HOUR
    assert result.outcome is Outcome.PASSED


def test_mariadb_datetime_and_timestamp(
    mariadb_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("stock")
    run_sql(
        mariadb_url,
        "set time_zone = '+05:00'",
        f"create table {name} (dt datetime, tsz timestamp null)",
        # TIMESTAMP is converted from the session zone: 15:00+05 is 10:00Z.
        f"insert into {name} values ('2026-11-29 10:00:00', '2026-11-29 15:00:00')",
    )
    dt = check_freshness(spec_for(mariadb_url, name, zone="Europe/Berlin", column="dt"), NOW)
    assert dt.metrics["max_value"] == "2026-11-29T09:00:00+00:00"
    assert dt.metrics["lag_seconds"] == 3 * HOUR
    assert dt.outcome is Outcome.FAILED
    tsz = check_freshness(spec_for(mariadb_url, name, zone="Europe/Berlin", column="tsz"), NOW)
    assert tsz.metrics["max_value"] == "2026-11-29T10:00:00+00:00"
    assert tsz.outcome is Outcome.PASSED


def test_sqlite_iso_text_naive_and_with_offset(
    sqlite_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("events")
    run_sql(
        sqlite_url,
        f"create table {name} (ts text, other text)",
        f"insert into {name} values ('2026-11-29 11:15:00', '2026-11-29T11:00:00-02:00')",
    )
    naive = check_freshness(spec_for(sqlite_url, name, zone="UTC"), NOW)
    assert naive.metrics["lag_seconds"] == 45 * 60
    assert naive.observed == "45m old"
    assert naive.outcome is Outcome.PASSED
    aware = check_freshness(spec_for(sqlite_url, name, zone="Asia/Tokyo", column="other"), NOW)
    assert aware.metrics["max_value"] == "2026-11-29T13:00:00+00:00"
    assert aware.metrics["lag_seconds"] == 0
    assert aware.metrics["ahead_seconds"] == 3600
    # an hour ahead is past the 5 minutes allowed for clock skew: a wrong clock or zone
    assert aware.outcome is Outcome.FAILED
    assert aware.observed == "1h in the future"
    assert "future" in (aware.reason or "")


def test_stale_warning_check_is_warned(
    sqlite_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("events")
    run_sql(
        sqlite_url, f"create table {name} (ts text)", f"insert into {name} values ('2026-11-27')"
    )
    spec = spec_for(sqlite_url, name)
    spec = FreshnessSpec(spec.dataset, "ts", HOUR, Severity.WARNING, side="source")
    result = check_freshness(spec, NOW)
    assert result.outcome is Outcome.WARNED
    assert result.side == "source"  # the page and the message name the side measured
    assert result.observed == "2d 12h old"
    assert "2d 12h old" in (result.reason or "")


def test_empty_table_fails_with_no_rows(
    pg_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("empty")
    run_sql(pg_url, f"create table {name} (ts timestamptz)")
    result = check_freshness(spec_for(pg_url, name), NOW)
    assert result.outcome is Outcome.FAILED
    assert result.metrics["lag_seconds"] is None
    assert "no rows" in (result.reason or "")


def test_missing_table_and_column_and_bad_values_are_errors(
    sqlite_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("events")
    run_sql(sqlite_url, f"create table {name} (ts text)", f"insert into {name} values ('soon')")
    missing = check_freshness(spec_for(sqlite_url, "no_such_table"), NOW)
    assert missing.outcome is Outcome.ERROR
    assert "no_such_table" in (missing.reason or "")
    assert "sqlite:///" in (missing.reason or "")
    no_column = check_freshness(spec_for(sqlite_url, name, column="updated"), NOW)
    assert no_column.outcome is Outcome.ERROR
    assert "'updated'" in (no_column.reason or "")
    garbage = check_freshness(spec_for(sqlite_url, name), NOW)
    assert garbage.outcome is Outcome.ERROR
    assert "does not hold timestamps" in (garbage.reason or "")


def test_unreachable_system_is_an_error_with_masked_url() -> None:
    url = "postgresql+psycopg://dxq:s3cret@127.0.0.1:1/nowhere"
    result = check_freshness(spec_for(url, "orders"), NOW)
    assert result.outcome is Outcome.ERROR
    assert "unreachable" in (result.reason or "")
    assert "s3cret" not in (result.reason or "")
    assert "shop.orders" in (result.reason or "")


def test_csv_naive_timestamps_in_system_zone(tmp_path: Path) -> None:
    (tmp_path / "stock_1.csv").write_text("sku,ts\nA,2026-11-29 10:00:00\nB,2026-11-29 12:30:00\n")
    (tmp_path / "stock_2.csv").write_text("sku,ts\nC,2026-11-29 11:00:00\nD,\n")
    system = FileSystem("wms", str(tmp_path / "stock_*.csv"), "csv", timezone="Europe/Berlin")
    result = check_freshness(FreshnessSpec(Dataset(system), "ts", HOUR, Severity.ERROR), NOW)
    assert result.metrics["max_value"] == "2026-11-29T11:30:00+00:00"
    assert result.metrics["lag_seconds"] == 30 * 60
    assert result.outcome is Outcome.PASSED


def test_parquet_aware_timestamps_and_empty_files(tmp_path: Path) -> None:
    frame = pd.DataFrame({"ts": pd.to_datetime(["2026-11-29T05:00:00+00:00", None], utc=True)})
    frame.to_parquet(tmp_path / "feed.parquet")
    system = FileSystem("feed", str(tmp_path / "*.parquet"), "parquet", timezone="Asia/Tokyo")
    result = check_freshness(FreshnessSpec(Dataset(system), "ts", HOUR, Severity.ERROR), NOW)
    assert result.metrics["lag_seconds"] == 7 * HOUR
    assert result.outcome is Outcome.FAILED
    frame.iloc[0:0].to_parquet(tmp_path / "feed.parquet")
    empty = check_freshness(FreshnessSpec(Dataset(system), "ts", HOUR, Severity.ERROR), NOW)
    assert empty.outcome is Outcome.FAILED
    assert "no rows" in (empty.reason or "")
    nothing = FileSystem("gone", str(tmp_path / "none_*.csv"), "csv")
    missing = check_freshness(FreshnessSpec(Dataset(nothing), "ts", HOUR, Severity.ERROR), NOW)
    assert missing.outcome is Outcome.ERROR
