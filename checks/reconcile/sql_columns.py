"""Columns of a SQL dataset: reflected for tables, from the cursor description for queries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from checks.reconcile.plan import Column
from datasources import canonical as c
from datasources.dataset import Dataset
from datasources.dialect import dialect_of
from datasources.introspection import selectable


def describe(
    dataset: Dataset, conn: sa.Connection
) -> tuple[dict[str, Column], list[tuple[str, ...]]]:
    """Columns of the dataset, and the column sets the database keeps unique."""
    dialect = dialect_of(conn)
    if dataset.table is None:
        return _describe_query(dataset, conn, dialect), []
    schema, _, name = dataset.table.rpartition(".")
    inspector = sa.inspect(conn)
    found = inspector.get_columns(name, schema or None)
    columns = {
        col["name"]: Column(
            col["name"],
            c.category_of(col["type"]),
            str(col["type"]),
            c.is_zoned(col["type"], dialect),
            bool(col.get("nullable", True)),
        )
        for col in found
    }
    return columns, _unique_sets(inspector, name, schema or None)


def _unique_sets(inspector: Any, name: str, schema: str | None) -> list[tuple[str, ...]]:
    sets = [tuple(inspector.get_pk_constraint(name, schema).get("constrained_columns") or ())]
    sets += [tuple(u["column_names"]) for u in inspector.get_unique_constraints(name, schema)]
    sets += [tuple(i["column_names"]) for i in inspector.get_indexes(name, schema) if i["unique"]]
    return [s for s in sets if s]


def _describe_query(dataset: Dataset, conn: sa.Connection, dialect: str) -> dict[str, Column]:
    """Types from the database's description of the query's result, not from its values."""
    columns = {}
    for col in selectable(dataset, conn).columns:
        sql_type = col.type
        category = c.category_of(sql_type)
        if isinstance(sql_type, sa.types.NullType):
            category = "text"  # SQLite: a column whose sampled values are all NULL
        columns[col.name] = Column(col.name, category, str(sql_type), c.is_zoned(sql_type, dialect))
    return columns
