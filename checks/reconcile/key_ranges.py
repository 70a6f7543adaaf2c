"""Key-range buckets for any key: edges are sampled keys, and keys compare as UTF-8 bytes.

A key is a tuple of canonical texts; keys are ordered component by component, each compared
byte for byte (Python's order of tuples of bytes), so every engine agrees whatever its
collation. Bucket = number of edges <= key. PostgreSQL and MariaDB: a binary-search CASE over
(row) comparisons of the components (text in the "C" collation / binary casts, both byte
order); SQLite and files: bisect in Python. Edges are sampled keys that are valid UTF-8 without
a zero byte (PostgreSQL text literals hold neither).
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from datasources import canonical as c

SAMPLES_PER_BUCKET = 3  # sampled keys per bucket aimed at, when choosing edges
Edge = tuple[bytes, ...]
Expr = sa.ColumnElement[Any]


def key_bytes(key: Sequence[Any]) -> Edge:
    """The key as compared: each component's UTF-8 bytes."""
    return tuple(
        v if isinstance(v, bytes) else ("" if v is None else str(v)).encode("utf-8") for v in key
    )


def edges_from(sample: Iterable[Sequence[Any]], count: int) -> tuple[Edge, ...]:
    """About count - 1 distinct edges splitting the sorted sample evenly (no zero bytes)."""
    keys = sorted({k for k in map(key_bytes, sample) if all(_usable(p) for p in k)})
    if count <= 1 or not keys:
        return ()
    step = len(keys) / count
    return tuple(sorted({keys[int(i * step)] for i in range(1, count) if int(i * step) > 0}))


def _usable(part: bytes) -> bool:
    """No zero byte, and valid UTF-8 (edges are written as text literals in PostgreSQL)."""
    try:
        part.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in part


def bucket_of(edges: Sequence[Edge], key: Sequence[Any]) -> int:
    """Bucket of a key in Python (files, SQLite)."""
    return bisect_right(edges, key_bytes(key))


def sample_query(
    dialect: str, relation: sa.FromClause, keys: Sequence[Expr], fraction: float
) -> sa.Select[Any]:
    """Canonical keys of about `fraction` of the rows, chosen at random."""
    query = sa.select(*[c.binary(dialect, k) for k in keys]).select_from(relation)
    if fraction >= 1:
        return query
    if dialect == "sqlite":
        return query.where(sa.func.abs(sa.func.random()) % 1_000_000 < int(fraction * 1e6))
    return query.where((sa.func.rand() if dialect == "mysql" else sa.func.random()) < fraction)


def install_sqlite(dbapi: sqlite3.Connection, edges: Sequence[Edge]) -> None:
    """Register dxq_key_bucket(k0, k1, ...) for these edges on a SQLite connection."""
    dbapi.create_function(
        "dxq_key_bucket", -1, lambda *key: bisect_right(edges, key_bytes(key)), deterministic=True
    )


def bucket_expr(dialect: str, keys: Sequence[Expr], edges: Sequence[Edge]) -> Expr:
    """The bucket of each row's canonical key, computed in the database: on SQLite by a
    registered function of the keys, elsewhere by a CASE over `keys`: columns of a derived
    table holding text (PostgreSQL) or binary strings (MariaDB)."""
    if not edges:
        return sa.literal(0, sa.Integer)
    if dialect == "sqlite":
        return sa.func.dxq_key_bucket(*keys, type_=sa.Integer)
    leaves = [str(i) for i in range(len(edges) + 1)]
    return sa.literal_column(tree_sql(dialect, _names(keys), edges, leaves), sa.Integer)


def wanted_expr(
    dialect: str, keys: Sequence[Expr], edges: Sequence[Edge], wanted: Sequence[int]
) -> Expr:
    """True for keys in the wanted buckets: a CASE over the bounds of their merged runs."""
    chosen = set(wanted)
    bounds: list[Edge] = []
    inside = [0 in chosen]
    for bucket in range(1, len(edges) + 1):  # edges[bucket - 1] starts bucket
        if (bucket in chosen) != (bucket - 1 in chosen):
            bounds.append(edges[bucket - 1])
            inside.append(bucket in chosen)
    if not bounds:
        return sa.true() if inside[0] else sa.false()
    leaves = ["1" if flag else "0" for flag in inside]
    return sa.literal_column(tree_sql(dialect, _names(keys), bounds, leaves), sa.Integer) == 1


def _names(keys: Sequence[Expr]) -> list[str]:
    names = [str(getattr(k, "name", "")) for k in keys]
    assert all(name.isidentifier() and name.islower() for name in names)
    return names


def tree_sql(dialect: str, names: Sequence[str], bounds: Sequence[Edge], leaves: list[str]) -> str:
    """A binary-search CASE giving leaves[number of bounds <= key], as SQL text, so each row
    makes about log2(bounds) comparisons: PostgreSQL compares text in the "C" collation (bytes),
    MariaDB binary strings with hex literals; composite keys by row comparison."""
    collate = ' COLLATE "C"' if dialect == "postgresql" else ""
    subjects = [name + collate for name in names]
    subject = subjects[0] if len(subjects) == 1 else f"({', '.join(subjects)})"

    def text(part: bytes) -> str:
        if dialect == "postgresql":  # standard_conforming_strings is on (set per transaction)
            return "'" + part.decode("utf-8").replace("'", "''") + "'"
        return f"x'{part.hex()}'"

    def literal(edge: Edge) -> str:
        parts = [text(p) for p in edge]
        return parts[0] if len(parts) == 1 else f"({', '.join(parts)})"

    def tree(lo: int, hi: int) -> str:  # answer in [lo, hi]
        if lo == hi:
            return leaves[lo]
        mid = (lo + hi) // 2
        below, above = tree(lo, mid), tree(mid + 1, hi)
        return f"CASE WHEN {subject} < {literal(bounds[mid])} THEN {below} ELSE {above} END"

    return tree(0, len(bounds))


def byte_order(dialect: str, keys: Sequence[Expr]) -> list[Expr]:
    """ORDER BY terms sorting canonical keys as tuples of bytes (so in bucket order)."""
    if dialect == "postgresql":
        return [k.collate("C") for k in keys]
    return [c.binary(dialect, k) for k in keys]
