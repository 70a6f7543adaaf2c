"""Columns, generic types, counts and maxima of tables and queries on SQLite, PostgreSQL and
MariaDB."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from datasources.dataset import Dataset, SqlSystem
from datasources.errors import ColumnNotFound, DatasetNotFound, SystemUnreachable
from datasources.introspection import (
    columns,
    count_rows,
    max_value,
    require_columns,
    selectable,
    split_table,
)

TABLE_TYPES = {
    "id": "integer",
    "sku": "varchar(20)",
    "price": "numeric(10,2)",
    "updated_at": "timestamp",
    "note": "text",
    "qty": "bigint",
}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def system(request: pytest.FixtureRequest) -> SqlSystem:
    fixture = {"sqlite": "sqlite_url", "postgresql": "pg_url", "mariadb": "mariadb_url"}
    return SqlSystem(request.param, str(request.getfixturevalue(fixture[request.param])))


def _products(system: SqlSystem, name: str | None = None, schema: str | None = None) -> str:
    """Create a products table with three rows; returns its (unique) name."""
    name = name or f"products_{uuid.uuid4().hex[:8]}"
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sku", sa.String(20)),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("note", sa.Text),
        sa.Column("qty", sa.BigInteger),
        schema=schema,
    )
    engine = sa.create_engine(system.url)
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(
            table.insert(),
            [
                {"id": 1, "sku": "00123", "price": Decimal("9.90"), "qty": 5,
                 "updated_at": dt.datetime(2024, 5, 1, 10, 0), "note": "a:b %s"},
                {"id": 2, "sku": "A-2", "price": Decimal("19.99"), "qty": None,
                 "updated_at": dt.datetime(2024, 5, 3, 8, 30), "note": ""},
                {"id": 3, "sku": "B-3", "price": None, "qty": 7,
                 "updated_at": None, "note": None},
            ],
        )  # fmt: skip
    engine.dispose()
    return name


def test_split_table() -> None:
    assert split_table("sales.orders") == ("sales", "orders")
    assert split_table("orders") == (None, "orders")
    assert split_table("a.b.c") == ("a", "b.c")


def test_table_columns_have_generic_types(system: SqlSystem) -> None:
    name = _products(system)
    assert columns(Dataset(system, table=name)) == TABLE_TYPES


def test_query_columns(system: SqlSystem) -> None:
    name = _products(system)
    query = f"SELECT id, sku, price, updated_at, note, qty FROM {name} WHERE note <> '10:00';"
    found = columns(Dataset(system, query=query))
    assert list(found) == list(TABLE_TYPES)
    if system.name == "sqlite":  # SQLite reports only the storage class of sampled values
        assert found["id"] == "integer" and found["sku"] == "text"
    else:
        assert found == TABLE_TYPES


def test_counts_and_max_in_the_database(system: SqlSystem) -> None:
    name = _products(system)
    table = Dataset(system, table=name)
    assert count_rows(table) == 3
    assert max_value(table, "updated_at") == dt.datetime(2024, 5, 3, 8, 30)
    assert max_value(table, "price") == Decimal("19.99")
    query = Dataset(system, query=f"SELECT * FROM {name} WHERE qty IS NOT NULL")
    assert count_rows(query) == 2
    assert max_value(query, "qty") == 7
    empty = Dataset(system, query=f"SELECT * FROM {name} WHERE id > 100")
    assert count_rows(empty) == 0
    assert max_value(empty, "id") is None


def test_query_with_colon_and_percent_literals(system: SqlSystem) -> None:
    name = _products(system)
    query = f"SELECT * FROM {name} WHERE note = 'a:b %s' OR sku LIKE 'A%'"
    assert count_rows(Dataset(system, query=query)) == 2


def test_identifiers_are_quoted(system: SqlSystem) -> None:
    name = _products(system, name=f"Order Lines {uuid.uuid4().hex[:6]}")
    dataset = Dataset(system, table=name)
    assert count_rows(dataset) == 3
    assert max_value(dataset, "sku") == "B-3"
    with sa.create_engine(system.url).connect() as conn:
        source = selectable(dataset, conn)
        rows = conn.execute(sa.select(source.c.id).where(source.c.qty > 5)).scalars().all()
    assert rows == [3]


@pytest.mark.parametrize("fixture", ["pg_url", "mariadb_url"])
def test_schema_qualified_table(request: pytest.FixtureRequest, fixture: str) -> None:
    url = str(request.getfixturevalue(fixture))
    system = SqlSystem("erp", url)
    if fixture == "pg_url":
        schema = f"sales_{uuid.uuid4().hex[:6]}"
        with sa.create_engine(url).begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
    else:
        schema = str(sa.make_url(url).database)
    name = _products(system, schema=schema)
    dataset = Dataset(system, table=f"{schema}.{name}")
    assert count_rows(dataset) == 3
    assert columns(dataset)["sku"] == "varchar(20)"


def test_missing_table_names_system_and_table(system: SqlSystem) -> None:
    missing = Dataset(system, table="no_such_products")
    with pytest.raises(DatasetNotFound, match=r"'no_such_products'") as info:
        columns(missing)
    assert repr(system.name) in str(info.value)
    with pytest.raises(DatasetNotFound):
        count_rows(missing)
    with pytest.raises(DatasetNotFound, match="query"):
        count_rows(Dataset(system, query="SELECT * FROM no_such_products"))


def test_missing_columns_list_existing_ones(system: SqlSystem) -> None:
    name = _products(system)
    dataset = Dataset(system, table=name)
    require_columns(dataset, ["sku", "price"])
    with pytest.raises(ColumnNotFound) as info:
        require_columns(dataset, ["sku", "colour", "size"])
    message = str(info.value)
    assert f"{system.name}.{name}" in message
    assert "'colour', 'size'" in message
    assert "id, sku, price, updated_at, note, qty" in message
    with pytest.raises(ColumnNotFound, match=r"'colour'.*updated_at"):
        max_value(dataset, "colour")


def test_unreachable_system_is_reported_not_hung() -> None:
    down = SqlSystem("crm", "postgresql+psycopg://u:pw@127.0.0.1:1/crm", connect_timeout_s=2)
    with pytest.raises(SystemUnreachable, match="crm"):
        count_rows(Dataset(down, table="customers"))
