"""A SQL side's key checked before reconcile compares it: NULL key components (an error on
every engine) and duplicate keys (when no constraint keeps the key unique)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from checks.masking import mask
from datasources import canonical as c

if TYPE_CHECKING:
    from checks.reconcile.sql_side import SqlSide


def null_keys(side: SqlSide, limit: int = 5) -> tuple[int, list[dict[str, Any]]]:
    """Rows with a NULL key component, and up to `limit` of them (other columns shown)."""
    columns = [side.column_of(p) for p in side.plan.keys]
    if not any(col.nullable for col in columns):
        return 0, []
    cols = side.relation.c
    where = sa.or_(*[cols[col.name].is_(None) for col in columns])
    try:
        count = int(
            side.conn.execute(
                sa.select(sa.func.count()).select_from(side.relation).where(where)
            ).scalar_one()
        )
        if not count:
            return 0, []
        pairs = side.plan.fields[:4]
        if not pairs:
            return count, []
        shown = sa.select(*[cols[side.column_of(p).name] for p in pairs]).where(where)
        examples = [
            {
                side.column_of(p).name: mask(v) if p.spec is not None and p.spec.pii else v
                for p, v in zip(pairs, row, strict=True)
            }
            for row in side.conn.execute(shown.limit(limit))
        ]
        return count, examples
    except sa.exc.SQLAlchemyError as exc:
        raise side._error(exc) from exc


def duplicates(side: SqlSide, limit: int = 5) -> list[tuple[Any, ...]]:
    """Up to `limit` keys that occur more than once."""
    keys = [c.binary(side.dialect, k).label(f"k{i}") for i, k in enumerate(side.keys)]
    query = (
        sa.select(*keys)
        .select_from(side.relation)
        .group_by(*[k for k in keys])
        .having(sa.func.count() > 1)
        .limit(limit)
    )
    return [
        tuple(v.decode() if isinstance(v, bytes) else v for v in row)
        for row in side.conn.execute(query)
    ]
