"""Key-edge bucket queries of one SQL side (see key_ranges): checksums' buckets and the rows
of differing buckets, keys compared as bytes whatever the columns' collations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from checks.reconcile import key_ranges
from checks.reconcile.errors import ReconcileError
from datasources import canonical as c

if TYPE_CHECKING:
    from checks.reconcile.sql_side import SqlSide

Row = tuple[int, tuple[str | None, ...], tuple[str | None, ...], bool]
UTF8_CHARSETS = ("utf8mb4", "utf8mb3", "utf8", "ascii")


class EdgeQueries:
    """Queries of `side` bucketed by `edges`."""

    def __init__(self, side: SqlSide, edges: tuple[tuple[bytes, ...], ...]) -> None:
        self.side, self.edges = side, edges

    def bucketed(self) -> sa.Subquery:
        """Rows with their edge bucket (see key_ranges)."""
        s = self.side
        if s.dialect == "sqlite":
            key_ranges.install_sqlite(s.conn.connection.dbapi_connection, self.edges)  # type: ignore[arg-type]
            bucket = key_ranges.bucket_expr(s.dialect, s.keys, self.edges)
            query = sa.select(bucket.label("b"), *s.canonical_columns())
            return query.select_from(s.relation).subquery("canon")
        raw, parts, adapter = self._raw_keys()
        bucket = key_ranges.bucket_expr(s.dialect, parts, self.edges)
        columns = [adapter.traverse(col) for col in s.canonical_columns()]
        return sa.select(bucket.label("b"), *columns).select_from(raw).subquery("canon")

    def _raw_keys(self) -> tuple[sa.Subquery, list[sa.ColumnElement[Any]], ClauseAdapter]:
        """The raw rows with each key component as compared (text in PostgreSQL, a binary
        string in MariaDB) in columns dxq_e0..: computed once per row (PostgreSQL: the derived
        table is kept apart by OFFSET 0), and canonical columns are computed outside it, so a
        query filtering on the key computes them only for the rows it keeps."""
        s = self.side
        raw_keys = self._mysql_raw_binary() if s.dialect == "mysql" else {}
        parts = [
            raw_keys.get(i, c.binary(s.dialect, k)).label(f"dxq_e{i}") for i, k in enumerate(s.keys)
        ]
        raw_select = sa.select(*parts, *s.relation.c).select_from(s.relation)
        if s.dialect == "postgresql":
            raw_select = raw_select.offset(0)
        raw = raw_select.subquery("dxq_raw")
        return raw, [raw.c[p.name] for p in parts], ClauseAdapter(raw)

    def _mysql_raw_binary(self) -> dict[int, sa.ColumnElement[Any]]:
        """Key components whose column already holds UTF-8 text: its bytes by one cast (a cast
        to CHAR first costs more than the whole key-range search). Not compared as the column
        itself: its collation would win over binary literals."""
        s = self.side
        if s.dataset.query is not None:
            return {}
        schema, _, name = str(s.dataset.table).rpartition(".")
        query = sa.text(
            "SELECT COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS"
            " WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :name"
        )
        found = dict(
            tuple(r) for r in s.conn.execute(query, {"schema": schema or None, "name": name})
        )
        raw: dict[int, sa.ColumnElement[Any]] = {}
        for i, pair in enumerate(s.plan.keys):
            column = s.column_of(pair)
            category = pair.source_category if s.role == "source" else pair.target_category
            if category == "text" and found.get(column.name) in UTF8_CHARSETS:
                raw[i] = sa.cast(s.relation.c[column.name], sa.LargeBinary)
        return raw

    def rows(self, wanted: Sequence[int] | None) -> Iterator[Row]:
        """Rows of the wanted edge buckets (all if None) in key byte order, so bucket order;
        buckets are computed in Python. The filter is a CASE over the wanted runs' bounds."""
        s = self.side
        raw, parts, adapter = self._raw_keys()
        nk, nf = len(s.keys), len(s.fields)
        columns = [
            *[adapter.traverse(k) for k in s.keys],
            *[adapter.traverse(f) for f in s.fields],
            adapter.traverse(s.in_flight),
        ]
        order: list[sa.ColumnElement[Any]] = list(parts)
        if s.dialect == "postgresql":
            order = [p.collate("C") for p in parts]
        query = sa.select(*columns).select_from(raw).order_by(*order)
        if wanted is not None:
            query = query.where(key_ranges.wanted_expr(s.dialect, parts, self.edges, wanted))
        last = 0
        for row in s.stream(query):
            key = tuple(row[:nk])
            bucket = key_ranges.bucket_of(self.edges, key)
            if bucket < last:
                raise ReconcileError(f"{s.dataset.label}: keys did not come in byte order")
            last = bucket
            yield bucket, key, tuple(row[nk : nk + nf]), bool(row[-1])
