"""Volume: row counts across PostgreSQL, MariaDB, SQLite and files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from checks.result import Outcome, Severity
from checks.spec import VolumeSpec
from checks.volume import check_volume, format_rate
from datasources.dataset import Dataset, FileSystem, SqlSystem
from tests.checks.conftest import RunSql


def numbers(n: int) -> str:
    return ", ".join(f"({i})" for i in range(n))


@pytest.fixture
def pg_and_mariadb(
    pg_url: str, mariadb_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> tuple[Dataset, Dataset]:
    """1000 rows in PostgreSQL (source), 990 rows in MariaDB (target)."""
    name = table("items")
    run_sql(pg_url, f"create table {name} (id int)", f"insert into {name} values {numbers(1000)}")
    run_sql(
        mariadb_url, f"create table {name} (id int)", f"insert into {name} values {numbers(990)}"
    )
    return (
        Dataset(SqlSystem("pim", pg_url), table=name),
        Dataset(SqlSystem("shop", mariadb_url), table=name),
    )


@pytest.mark.parametrize(
    ("tolerance", "severity", "outcome"),
    [
        (0.01, Severity.CRITICAL, Outcome.PASSED),  # 10 of 1000 is exactly 1%
        (0.005, Severity.CRITICAL, Outcome.FAILED),
        (0.005, Severity.WARNING, Outcome.WARNED),
    ],
)
def test_counts_across_engines(
    pg_and_mariadb: tuple[Dataset, Dataset], tolerance: float, severity: Severity, outcome: Outcome
) -> None:
    source, target = pg_and_mariadb
    result = check_volume(VolumeSpec(source, target, tolerance, severity))
    assert result.outcome is outcome
    assert result.metrics == {
        "source_rows": 1000,
        "target_rows": 990,
        "difference": -10,
        "difference_rate": 0.01,
    }
    assert result.headline == "difference_rate"
    assert result.observed == "990 rows in target, 1000 in source (10 fewer, 1%)"
    assert result.expected == f"target within {format_rate(tolerance)} of the source row count"


def test_query_dataset_against_csv_files(
    sqlite_url: str, run_sql: RunSql, table: Callable[[str], str], tmp_path: Path
) -> None:
    name = table("stock")
    run_sql(sqlite_url, f"create table {name} (id int)", f"insert into {name} values {numbers(5)}")
    (tmp_path / "stock_a.csv").write_text("id\n1\n2\n")
    (tmp_path / "stock_b.csv").write_text("id\n3\n4\n5\n6\n")
    source = Dataset(SqlSystem("erp", sqlite_url), query=f"select id from {name} where id >= 0")
    target = Dataset(FileSystem("wms", str(tmp_path / "stock_*.csv"), "csv"))
    result = check_volume(VolumeSpec(source, target, 0.0, Severity.ERROR))
    assert result.outcome is Outcome.FAILED
    assert result.metrics["target_rows"] == 6
    assert result.metrics["difference"] == 1
    assert result.metrics["difference_rate"] == pytest.approx(0.2)
    assert "1 more" in (result.observed or "")


def test_empty_source_uses_one_as_the_base(
    sqlite_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    empty, one = table("empty"), table("one")
    run_sql(sqlite_url, f"create table {empty} (id int)", f"create table {one} (id int)")
    run_sql(sqlite_url, f"insert into {one} values (1)")
    system = SqlSystem("s", sqlite_url)
    same = check_volume(
        VolumeSpec(Dataset(system, table=empty), Dataset(system, table=empty), 0, Severity.ERROR)
    )
    assert same.outcome is Outcome.PASSED
    assert same.observed == "0 rows on both sides"
    grew = check_volume(
        VolumeSpec(Dataset(system, table=empty), Dataset(system, table=one), 0.5, Severity.ERROR)
    )
    assert grew.outcome is Outcome.FAILED
    assert grew.metrics["difference_rate"] == 1.0


def test_missing_table_is_an_error_naming_the_side(
    mariadb_url: str, sqlite_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("items")
    run_sql(sqlite_url, f"create table {name} (id int)")
    source = Dataset(SqlSystem("erp", sqlite_url), table=name)
    target = Dataset(SqlSystem("shop", mariadb_url), table="no_such_items")
    result = check_volume(VolumeSpec(source, target, 0.01, Severity.CRITICAL))
    assert result.outcome is Outcome.ERROR
    assert result.side == "target"
    assert "no_such_items" in (result.reason or "")
    assert "shop" in (result.reason or "")


def test_unreachable_source_is_an_error_without_the_password(sqlite_url: str) -> None:
    down = SqlSystem("crm", "mysql+pymysql://dxq:hunter2@127.0.0.1:1/crm", connect_timeout_s=2)
    target = Dataset(SqlSystem("shop", sqlite_url), table="whatever")
    result = check_volume(VolumeSpec(Dataset(down, table="customers"), target, 0, Severity.ERROR))
    assert result.outcome is Outcome.ERROR
    assert result.side == "source"
    assert "hunter2" not in (result.reason or "")
    assert "crm.customers" in (result.reason or "")
    assert "unreachable" in (result.reason or "")
