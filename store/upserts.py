"""INSERT … ON CONFLICT DO UPDATE for the engines the results store supports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from store.errors import StoreError

SUPPORTED_DIALECTS = ("sqlite", "postgresql")

Excluded = Any  # the columns of the `excluded` row of an upsert


def upsert(
    connection: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: Sequence[str],
    update: Callable[[Excluded], Mapping[str, Any]],
    where: Callable[[Excluded], sa.ColumnElement[bool]] | None = None,
) -> None:
    """Insert `rows`; where a row with the same `conflict` columns exists, apply `update`
    (a function of the `excluded` row) instead, optionally only `where` it holds."""
    if not rows:
        return
    name = connection.dialect.name
    if name == "postgresql":
        pg = postgresql.insert(table)
        stmt: sa.Executable = pg.on_conflict_do_update(
            index_elements=list(conflict),
            set_=dict(update(pg.excluded)),
            where=where(pg.excluded) if where else None,
        )
    elif name == "sqlite":
        lite = sqlite.insert(table)
        stmt = lite.on_conflict_do_update(
            index_elements=list(conflict),
            set_=dict(update(lite.excluded)),
            where=where(lite.excluded) if where else None,
        )
    else:
        raise StoreError(f"the results store supports {', '.join(SUPPORTED_DIALECTS)}, not {name}")
    for row in rows:  # one statement per row: a batch may not touch one row twice
        connection.execute(stmt, dict(row))
