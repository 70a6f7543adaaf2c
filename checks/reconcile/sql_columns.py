"""Columns of a SQL dataset: reflected for tables, inferred from a few rows for queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from checks.reconcile.plan import Column
from checks.reconcile.sql_side import dialect_of
from datasources import canonical as c
from datasources.dataset import Dataset


def describe(
    dataset: Dataset, conn: sa.Connection
) -> tuple[dict[str, Column], list[tuple[str, ...]]]:
    """Columns of the dataset, and the column sets the database keeps unique."""
    dialect = dialect_of(conn)
    if dataset.table is None:
        return _describe_query(dataset, conn), []
    schema, _, name = dataset.table.rpartition(".")
    inspector = sa.inspect(conn)
    found = inspector.get_columns(name, schema or None)
    columns = {
        col["name"]: Column(
            col["name"],
            c.category_of(col["type"]),
            str(col["type"]),
            c.is_zoned(col["type"], dialect),
        )
        for col in found
    }
    return columns, _unique_sets(inspector, name, schema or None)


def _unique_sets(inspector: Any, name: str, schema: str | None) -> list[tuple[str, ...]]:
    sets = [tuple(inspector.get_pk_constraint(name, schema).get("constrained_columns") or ())]
    sets += [tuple(u["column_names"]) for u in inspector.get_unique_constraints(name, schema)]
    sets += [tuple(i["column_names"]) for i in inspector.get_indexes(name, schema) if i["unique"]]
    return [s for s in sets if s]


def _describe_query(dataset: Dataset, conn: sa.Connection) -> dict[str, Column]:
    sub = sa.text(str(dataset.query)).columns().subquery("q")
    result: sa.CursorResult[Any] = conn.execute(
        sa.select(sa.literal_column("*")).select_from(sub).limit(100)
    )
    rows = result.fetchall()
    columns = {}
    for i, name in enumerate(result.keys()):
        values = [row[i] for row in rows if row[i] is not None]
        columns[name] = _infer(name, values)
    return columns


def _infer(name: str, values: Sequence[Any]) -> Column:
    sample = values[0] if values else ""
    if isinstance(sample, bool | int):
        return Column(name, "integer", type(sample).__name__)
    if isinstance(sample, float | Decimal):
        return Column(name, "number", type(sample).__name__)
    if isinstance(sample, datetime):
        return Column(name, "timestamp", "datetime", sample.tzinfo is not None)
    if isinstance(sample, date):
        return Column(name, "date", "date")
    return Column(name, "text", type(sample).__name__)
