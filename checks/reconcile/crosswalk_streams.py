"""The two streams a crosswalk reconcile merges (crosswalk.py), each sorted by its canonical
key in byte order on every engine: one side's records, and the crosswalk's distinct pairs
grouped by key in its own database (one row a key)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from checks.reconcile.sql_side import SqlSide
from datasources import canonical as c

Pairing = tuple[str, str, bool, bool]  # key, a key it maps to, one to one, maps to several


def _byte_order(side: SqlSide, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The canonical key ordered byte by byte (Python's order of the decoded text)."""
    return column.collate("C") if side.dialect == "postgresql" else column


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8")
    return str(value)


def sorted_rows(side: SqlSide) -> Iterator[tuple[str, tuple[str | None, ...], bool]]:
    """(key, fields, in flight) of one side, in byte order of the canonical key."""
    sub = side.canonical_select().subquery("canon")
    query = sa.select(*sub.c).order_by(_byte_order(side, sub.c.k0))
    for row in side.stream(query):
        values: tuple[Any, ...] = tuple(row)
        yield str(_text(values[0])), tuple(map(_text, values[1:-1])), bool(values[-1])


def crosswalk_pairs(side: SqlSide) -> Iterator[Pairing]:
    """Each key of the crosswalk in byte order, one of the keys it maps to, whether that
    mapping is one to one (the key in one distinct pair, whose other key is in no other) and
    whether the key maps to several; pairs with a NULL are left out. The database groups
    them: one row a key."""
    sub = side.canonical_select().subquery("x")
    other = c.binary(side.dialect, sub.c.f0)
    pairs = (
        sa.select(sub.c.k0.label("a"), other.label("b"))
        .where(sub.c.k0.is_not(None), sub.c.f0.is_not(None))
        .distinct()
        .subquery("p")
    )
    shared = sa.select(
        pairs.c.a, pairs.c.b, sa.func.count().over(partition_by=pairs.c.b).label("nb")
    ).subquery("s")
    query = (
        sa.select(shared.c.a, sa.func.min(shared.c.b), sa.func.count(), sa.func.max(shared.c.nb))
        .group_by(shared.c.a)
        .order_by(_byte_order(side, shared.c.a))
    )
    for row in side.stream(query):
        a, b, per_a, per_b = tuple(row)
        yield str(_text(a)), str(_text(b)), int(per_a) == 1 and int(per_b) == 1, int(per_a) > 1
