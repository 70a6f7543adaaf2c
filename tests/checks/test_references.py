"""References: across engines by merging sorted streams, and inside one database by anti-join."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from checks.references import check_references
from checks.result import Outcome, Severity
from checks.spec import ReferenceSpec
from datasources.dataset import Dataset, FileSystem, SqlSystem
from tests.checks.conftest import RunSql


def rows_of(url: str, query: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(query)]
    finally:
        engine.dispose()


def spec(
    child: Dataset, column: str, parent: Dataset, parent_column: str, sample: int = 20
) -> ReferenceSpec:
    return ReferenceSpec(child, column, parent, parent_column, Severity.CRITICAL, sample=sample)


@pytest.fixture
def orders_and_customers(
    pg_url: str, mariadb_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> tuple[Dataset, Dataset]:
    """PostgreSQL orders whose customer ids 11, 12 and 15 are not MariaDB customers."""
    orders, customers = table("orders"), table("customers")
    run_sql(
        pg_url,
        f"create table {orders} (id int primary key, customer_id int)",
        f"insert into {orders} values (1, 1), (2, 2), (3, 2), (4, 11), (5, 11), (6, 11),"
        " (7, 12), (8, null), (9, 15)",
    )
    run_sql(
        mariadb_url,
        f"create table {customers} (id int primary key, name varchar(20))",
        f"insert into {customers} select seq, concat('c', seq) from seq_1_to_10",
    )
    return (
        Dataset(SqlSystem("shop", pg_url), table=orders),
        Dataset(SqlSystem("crm", mariadb_url), table=customers),
    )


def test_across_engines_counts_and_samples_exactly(
    orders_and_customers: tuple[Dataset, Dataset], pg_url: str
) -> None:
    orders, customers = orders_and_customers
    result = check_references(spec(orders, "customer_id", customers, "id", sample=2))
    assert result.outcome is Outcome.FAILED
    assert result.metrics == {
        "checked_values": 5,
        "checked_rows": 8,
        "missing_values": 3,
        "missing_rows": 5,
        "missing_rate": 5 / 8,
    }
    assert result.sample == [{"value": 11, "rows": 3}, {"value": 12, "rows": 1}]
    assert result.headline == "missing_rate"
    assert "3 of 5 distinct customer_id values (5 rows) not found in crm." in (
        result.observed or ""
    )
    assert result.query is not None and "IN (11, 12)" in result.query
    assert sorted(rows_of(pg_url, result.query)) == [(4, 11), (5, 11), (6, 11), (7, 12)]


def test_all_found_passes(orders_and_customers: tuple[Dataset, Dataset]) -> None:
    orders, customers = orders_and_customers
    result = check_references(spec(orders, "id", customers, "id"))  # order ids 1..9 exist
    assert result.outcome is Outcome.PASSED
    assert result.metrics["missing_values"] == 0
    assert result.metrics["checked_values"] == 9
    assert result.sample == [] and result.query is None


def test_text_keys_compare_exactly_in_code_point_order(
    pg_url: str, mariadb_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    child, parent = table("lines"), table("codes")
    values = ["a", "B", "b", "Z", "é", "a ", "10", "9", "ä", "A"]
    run_sql(
        pg_url,
        f"create table {child} (code varchar(10))",
        f"insert into {child} values " + ", ".join(f"('{v}')" for v in values),
    )
    run_sql(
        mariadb_url,
        f"create table {parent} (code varchar(10))",
        f"insert into {parent} values ('B'), ('Z'), ('é'), ('10'), ('A'), ('zz')",
    )
    result = check_references(
        spec(Dataset(SqlSystem("a", pg_url), table=child), "code",
             Dataset(SqlSystem("b", mariadb_url), table=parent), "code")
    )  # fmt: skip
    assert result.outcome is Outcome.FAILED
    missing = [row["value"] for row in result.sample]
    assert missing == sorted(["a", "b", "a ", "9", "ä"])
    assert result.metrics["missing_values"] == 5
    assert result.metrics["checked_values"] == 10


def test_integer_against_text_compares_as_text(
    pg_url: str, sqlite_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    child, parent = table("orders"), table("accounts")
    run_sql(pg_url, f"create table {child} (acct int)", f"insert into {child} values (1), (2), (3)")
    run_sql(
        sqlite_url,
        f"create table {parent} (code varchar(5))",
        f"insert into {parent} values ('1'), ('2'), ('03')",
    )
    result = check_references(
        spec(Dataset(SqlSystem("a", pg_url), table=child), "acct",
             Dataset(SqlSystem("b", sqlite_url), table=parent), "code")
    )  # fmt: skip
    assert result.sample == [{"value": "3", "rows": 1}]
    assert result.query is not None
    assert rows_of(pg_url, result.query) == [(3,)]


def test_streams_longer_than_one_batch(
    pg_url: str, mariadb_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    child, parent = table("big_orders"), table("big_customers")
    run_sql(
        pg_url,
        f"create table {child} (customer_id bigint)",
        f"insert into {child} select g / 2 from generate_series(2, 60001) g",  # 1..30000 twice
    )
    run_sql(
        mariadb_url,
        f"create table {parent} (id int primary key)",
        f"insert into {parent} select seq from seq_1_to_30000 where mod(seq, 1000) <> 7",
    )
    result = check_references(
        spec(Dataset(SqlSystem("a", pg_url), table=child), "customer_id",
             Dataset(SqlSystem("b", mariadb_url), table=parent), "id", sample=3)
    )  # fmt: skip
    assert result.metrics["checked_values"] == 30000
    assert result.metrics["missing_values"] == 30
    assert result.metrics["missing_rows"] == 60
    assert result.sample == [
        {"value": 7, "rows": 2},
        {"value": 1007, "rows": 2},
        {"value": 2007, "rows": 2},
    ]


def test_one_database_uses_an_anti_join(
    pg_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    orders, customers = table("orders"), table("customers")
    run_sql(
        pg_url,
        f"create table {customers} (id text primary key)",
        f"insert into {customers} values ('c1'), ('c2')",
        f"create table {orders} (id int, customer text)",
        f"insert into {orders} values (1, 'c1'), (2, 'c9'), (3, 'c9'), (4, null), (5, 'c3')",
    )
    system = SqlSystem("shop", pg_url)
    result = check_references(
        spec(Dataset(system, table=orders), "customer", Dataset(system, table=customers), "id")
    )
    assert result.outcome is Outcome.FAILED
    assert result.metrics == {
        "checked_values": 3,
        "checked_rows": 4,
        "missing_values": 2,
        "missing_rows": 3,
        "missing_rate": 0.75,
    }
    assert result.sample == [{"value": "c3", "rows": 1}, {"value": "c9", "rows": 2}]
    assert result.query is not None and "NOT (EXISTS" in result.query
    assert sorted(rows_of(pg_url, result.query)) == [(2, "c9"), (3, "c9"), (5, "c3")]


def test_self_reference_in_sqlite(
    sqlite_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    people = table("people")
    run_sql(
        sqlite_url,
        f"create table {people} (id int, manager_id int)",
        f"insert into {people} values (1, null), (2, 1), (3, 2), (4, 9)",
    )
    system = SqlSystem("hr", sqlite_url)
    result = check_references(
        ReferenceSpec(Dataset(system, table=people), "manager_id", Dataset(system, table=people),
                      "id", Severity.WARNING)
    )  # fmt: skip
    assert result.outcome is Outcome.WARNED
    assert result.sample == [{"value": 9, "rows": 1}]
    assert rows_of(sqlite_url, result.query or "") == [(4, 9)]


def test_files_against_a_database(
    sqlite_url: str, run_sql: RunSql, table: Callable[[str], str], tmp_path: Path
) -> None:
    customers = table("customers")
    run_sql(
        sqlite_url,
        f"create table {customers} (id int)",
        f"insert into {customers} values (1), (2), (3)",
    )
    (tmp_path / "orders_1.csv").write_text("id,customer_id\n1,1\n2,4\n3,\n")
    (tmp_path / "orders_2.csv").write_text("id,customer_id\n4,4\n5,3\n")
    files = Dataset(FileSystem("feed", str(tmp_path / "orders_*.csv"), "csv"))
    result = check_references(
        spec(files, "customer_id", Dataset(SqlSystem("crm", sqlite_url), table=customers), "id")
    )
    assert result.sample == [{"value": 4, "rows": 2}]
    assert result.metrics["checked_rows"] == 4
    assert result.query is None  # files have no query to reproduce


def test_missing_column_and_unreachable_system_are_errors(
    orders_and_customers: tuple[Dataset, Dataset],
) -> None:
    orders, customers = orders_and_customers
    no_column = check_references(spec(orders, "client_id", customers, "id"))
    assert no_column.outcome is Outcome.ERROR
    assert "client_id" in (no_column.reason or "")
    down = Dataset(
        SqlSystem("crm", "postgresql+psycopg://u:pw123@127.0.0.1:1/x", connect_timeout_s=2),
        table="customers",
    )
    unreachable = check_references(spec(orders, "customer_id", down, "id"))
    assert unreachable.outcome is Outcome.ERROR
    assert "unreachable" in (unreachable.reason or "")
    assert "pw123" not in (unreachable.reason or "")


def test_one_database_with_integer_against_text(
    pg_url: str, run_sql: RunSql, table: Callable[[str], str]
) -> None:
    orders, accounts = table("orders"), table("accounts")
    run_sql(
        pg_url,
        f"create table {accounts} (code varchar(5))",
        f"insert into {accounts} values ('1'), ('02')",
        f"create table {orders} (acct int)",
        f"insert into {orders} values (1), (2), (2)",
    )
    system = SqlSystem("erp", pg_url)
    result = check_references(
        spec(Dataset(system, table=orders), "acct", Dataset(system, table=accounts), "code")
    )
    assert result.outcome is Outcome.FAILED
    assert result.sample == [{"value": 2, "rows": 2}]
    assert rows_of(pg_url, result.query or "") == [(2,), (2,)]
