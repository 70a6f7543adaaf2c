"""Reading one SQL side's rows by canonical key through its unique index: how reconcile reads
the rows of differing hash buckets on one side from the other side's keys, instead of
scanning that side a second time (checks/reconcile/checksum_engine.py decides when)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from checks.reconcile.sql_side import Row, SqlSide

# Key values a query, all IN lists together: MariaDB turns an IN list of 1,000 values or more
# (in_predicate_conversion_threshold; a composite key's tuples count each column) into a join
# with a table of the values, and for a composite key then scans the table (1M rows: 2,000
# keys took 343 s; 450 took 0.04 s).
SCALARS_PER_QUERY = 900
TEXT_TYPES = ("CHAR", "VARCHAR", "TEXT", "CHARACTER", "CHARACTER VARYING")


def can_look_up(side: SqlSide, unique: Sequence[Sequence[str]]) -> bool:
    """Whether the side can read rows by key through an index: a table (not a query) in
    PostgreSQL or MariaDB, a unique index on exactly the key columns (`unique` are the column
    sets the database keeps unique), and plain text key columns, whose canonical text is the
    stored value itself."""
    if side.dialect not in ("postgresql", "mysql"):
        return False
    if not isinstance(side.relation, sa.TableClause):
        return False
    columns = [side.column_of(p) for p in side.plan.keys]
    if not any(set(u) == {col.name for col in columns} for u in unique):
        return False
    return all(
        col.category == "text"
        and col.type_name.upper().split("(")[0].split(" COLLATE")[0].strip() in TEXT_TYPES
        for col in columns
    )


def look_up(side: SqlSide, keys: Sequence[tuple[str | None, ...]]) -> Iterator[Row]:
    """(0, key, fields, in flight) of the rows whose canonical key is one of `keys`, in no
    order: found through the key's unique index (the raw columns' IN, which a case- or
    pad-insensitive collation may widen), kept only where the canonical key equals one asked
    for, character for character (compared here: in SQL, a second IN list of the keys' bytes
    doubled the values each query sends and SQLAlchemy renders). Each query's rows are read at
    once: at most as many as it asks for keys."""
    per_query = max(1, SCALARS_PER_QUERY // len(side.keys))
    for i in range(0, len(keys), per_query):
        yield from _look_up(side, keys[i : i + per_query])


def _look_up(side: SqlSide, keys: Sequence[tuple[str | None, ...]]) -> Iterator[Row]:
    cols = side.relation.c
    raw = [cols[side.column_of(p).name] for p in side.plan.keys]
    nk, nf = len(side.keys), len(side.fields)
    where = raw[0].in_([k[0] for k in keys]) if nk == 1 else sa.tuple_(*raw).in_(keys)
    query = sa.select(
        *[k.label(f"k{i}") for i, k in enumerate(side.keys)],
        *[f.label(f"f{i}") for i, f in enumerate(side.fields)],
        side.in_flight.label("flight"),
    ).where(where)
    asked = set(keys)
    for row in side.stream(query.select_from(side.relation), buffered=True):
        key = tuple(row[:nk])
        if key in asked:
            yield 0, key, tuple(row[nk : nk + nf]), bool(row[-1])
