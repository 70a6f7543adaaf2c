"""Schema drift: against the last run's snapshot and between the two sides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from checks.result import Outcome, Severity
from checks.schema import check_schema, compatible, type_family
from checks.spec import SchemaSpec
from datasources.dataset import Dataset, FileSystem, SqlSystem
from tests.checks.conftest import RunSql


@pytest.fixture
def sides(
    pg_url: str, mariadb_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> tuple[Dataset, Dataset]:
    """PIM products in PostgreSQL, shop products in MariaDB; compatible types."""
    name = table("products")
    run_sql(
        pg_url,
        f"create table {name} (sku varchar(20), price numeric(10,2), updated_at timestamptz)",
    )
    run_sql(
        mariadb_url,
        f"create table {name} (SKU varchar(40), price int, updated_at datetime, extra text)",
    )
    return (
        Dataset(SqlSystem("pim", pg_url), table=name),
        Dataset(SqlSystem("shop", mariadb_url), table=name),
    )


def test_first_run_passes_with_compatible_types_and_returns_the_snapshot(
    sides: tuple[Dataset, Dataset],
) -> None:
    source, target = sides
    result = check_schema(SchemaSpec(source, target, Severity.CRITICAL))
    assert result.outcome is Outcome.PASSED
    assert result.observed == "no changes"
    assert result.metrics["snapshot"] == {
        "source": {"sku": "varchar(20)", "price": "numeric(10,2)", "updated_at": "timestamptz"},
        "target": {"SKU": "varchar(40)", "price": "integer", "updated_at": "timestamp",
                   "extra": "text"},
    }  # fmt: skip
    assert result.metrics["changes"] == 0
    assert result.metrics["between_sides"] == {"changed": {}}


def test_unchanged_second_run_passes(sides: tuple[Dataset, Dataset]) -> None:
    source, target = sides
    first = check_schema(SchemaSpec(source, target, Severity.CRITICAL))
    again = check_schema(
        SchemaSpec(source, target, Severity.CRITICAL, previous=first.metrics["snapshot"])
    )
    assert again.outcome is Outcome.PASSED
    assert again.metrics["source"] == {"added": [], "removed": [], "changed": {}}


def test_added_removed_and_changed_columns_against_the_last_run(
    sides: tuple[Dataset, Dataset], pg_url: str, mariadb_url: str, run_sql: RunSql
) -> None:
    source, target = sides
    previous = check_schema(SchemaSpec(source, target, Severity.ERROR)).metrics["snapshot"]
    run_sql(pg_url, f"alter table {source.table} add column status text")
    run_sql(
        mariadb_url,
        f"alter table {target.table} drop column extra",
        f"alter table {target.table} modify price decimal(12,2)",
    )
    result = check_schema(SchemaSpec(source, target, Severity.WARNING, previous=previous))
    assert result.outcome is Outcome.WARNED
    assert result.metrics["source"] == {"added": ["status"], "removed": [], "changed": {}}
    assert result.metrics["target"] == {
        "added": [],
        "removed": ["extra"],
        "changed": {"price": ["integer", "numeric(12,2)"]},
    }
    assert result.metrics["changes"] == 3
    assert result.observed == (
        "source: added status; target: removed extra, price integer -> numeric(12,2)"
    )
    assert result.metrics["snapshot"]["source"]["status"] == "text"


def test_sides_that_disagree_fail_even_on_the_first_run(
    sqlite_url: str, tmp_path: Path, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("customers")
    run_sql(sqlite_url, f"create table {name} (id integer, email text, born date)")
    (tmp_path / "customers.csv").write_text("id,email,born\nC-1,a@example.com,1990-01-01\n")
    source = Dataset(SqlSystem("crm", sqlite_url), table=name)
    target = Dataset(FileSystem("export", str(tmp_path / "*.csv"), "csv"))
    result = check_schema(SchemaSpec(source, target, Severity.CRITICAL))
    assert result.outcome is Outcome.FAILED
    assert result.metrics["between_sides"] == {"changed": {"id": ["integer", "text"]}}
    assert result.observed == "id is integer (integer) in source but text (text) in target"


def test_missing_table_is_an_error_naming_the_side(
    sqlite_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    name = table("t")
    run_sql(sqlite_url, f"create table {name} (id int)")
    system = SqlSystem("shop", sqlite_url)
    result = check_schema(
        SchemaSpec(Dataset(system, table=name), Dataset(system, table="gone"), Severity.ERROR)
    )
    assert result.outcome is Outcome.ERROR
    assert result.side == "target"
    assert "gone" in (result.reason or "")


@pytest.mark.parametrize(
    ("one", "other", "ok"),
    [
        ("integer", "numeric(10,2)", True),
        ("bigint", "smallint", True),
        ("varchar(20)", "text", True),
        ("timestamp", "timestamptz", True),
        ("unknown", "date", True),
        ("integer", "text", False),
        ("date", "timestamp", True),
        ("time", "timestamp", False),
        ("boolean", "integer", False),
    ],
)
def test_type_families(one: str, other: str, ok: bool) -> None:
    assert compatible(one, other) is ok
    assert type_family("NUMERIC(10, 2)") == "number"
