"""Key tails: a cheap bucket function of a key's canonical text, the same in every engine.

The tail of a key is the integer its last TAIL_BYTES UTF-8 bytes spell (big-endian; fewer for a
shorter key, 0 for the empty key) with its top bit cleared (PostgreSQL's BIGINT is signed), taken
mod TAIL_PRIME; its bucket is the top bits of the tail times a Fibonacci multiplier mod 2**32
(the low bits of a tail are those of its last bytes alone). Keys are bucketed so instead of by
the MD5 of their text when a sample of one side's keys shows their tails apart (`spread`); a
composite key by the tail of one column alone when the samples show that column's tails apart
and a database knows the column's values to be distinct on their own (`distinct_columns`): a
sample is a table's first rows, often of one value of the key's first column (one store's
SKUs), and a column that repeats under the others ((store, SKU)) would fill each bucket with
its repeats.

Each engine reads the tail in one conversion: PostgreSQL casts the hexadecimal digits to
BIT(64) and then to BIGINT, MariaDB CONVs the HEX of the last 8 bytes; the rest is integer
arithmetic with AND and shifts. At 1M text keys, one scan computing the bucket took 0.38 s in
PostgreSQL and 0.32 s in MariaDB beyond a count(*), against 0.86-0.90 s and 0.68-0.84 s with the
tail read as two 32-bit halves (PostgreSQL) and from the whole key's HEX (MariaDB), and 0.75 s
and 0.54 s for an MD5 of the key. It is a function of the key's bytes alone, so every engine puts a
key in the same bucket. Keys whose tails are alike (e-mail addresses, keys ending in a common
suffix) keep MD5 buckets; a bucket that turns out too full falls back to them too
(checks/reconcile/checksum_engine.py). Counts never depend on the bucket function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from datasources import canonical as c

if TYPE_CHECKING:
    from checks.reconcile.sql_side import SqlSide

TAIL_BYTES = 8  # 64 bits, the top one cleared: a non-negative BIGINT in every engine
LOW_BITS = (1 << 63) - 1
TAIL_PRIME = 1_000_000_007  # under 2**30: a tail times MULTIPLIER stays under 2**62
MULTIPLIER = 2_654_435_761  # 2**32 / golden ratio (Knuth's multiplicative hashing)
WORD = 1 << 32
SAMPLE_ROWS = 2_048  # keys read to judge the spread of tails
SPREAD = 0.9  # tails of at least this share of the sampled keys must be distinct


def tail_of(text: str) -> int:
    """The tail of a key's canonical text (the Python twin of `tail_sql`)."""
    return (int.from_bytes(text.encode("utf-8")[-TAIL_BYTES:], "big") & LOW_BITS) % TAIL_PRIME


def bucket_of(text: str, count: int) -> int:
    """The bucket (of `count`, a power of two) of a key's canonical text."""
    return (tail_of(text) * MULTIPLIER & (WORD - 1)) >> _shift(count)


def bucket_sql(dialect: str, text: Any, count: int) -> sa.ColumnElement[Any]:
    """`bucket_of` in SQL."""
    mixed = (tail_sql(dialect, text) * MULTIPLIER).self_group()
    low = mixed.op("&", return_type=sa.BigInteger)(WORD - 1).self_group()
    shift = sa.literal(_shift(count), sa.Integer)  # PostgreSQL shifts a BIGINT by an INTEGER
    return low.op(">>", return_type=sa.BigInteger)(shift)


def _shift(count: int) -> int:
    """The bits a mixed tail is shifted right by to leave `count` buckets (a power of two)."""
    assert count & (count - 1) == 0 and 0 < count <= WORD, "a power of two"
    return 32 - (count.bit_length() - 1)


def tail_sql(dialect: str, text: Any) -> sa.ColumnElement[Any]:
    """The tail of a canonical key text expression (SQLite: a registered function)."""
    if dialect == "sqlite":
        tail: sa.ColumnElement[Any] = sa.func.dxq_tail(text, type_=sa.BigInteger)
        return tail
    digits = 2 * TAIL_BYTES
    bits: sa.ColumnElement[Any]
    if dialect == "postgresql":  # the last bytes' hex digits, zero-padded, as BIT(64), BIGINT
        hexed = sa.func.encode(sa.func.convert_to(text, "UTF8"), "hex")
        padded = sa.func.lpad(sa.func.right(hexed, digits), digits, "0")
        word = sa.cast(sa.literal("x", sa.Text).op("||")(padded), postgresql.BIT(64))
        bits = sa.cast(word, sa.BigInteger)
    else:
        from sqlalchemy.dialects import mysql  # loaded by then: the side is MariaDB or MySQL

        # CONV of the empty string is NULL; the empty key's tail is 0
        last = sa.func.right(sa.cast(text, mysql.BINARY()), TAIL_BYTES)
        hexed = sa.func.conv(sa.func.hex(last), 16, 10)
        bits = sa.func.coalesce(sa.cast(hexed, mysql.BIGINT(unsigned=True)), 0)
    cleared = bits.op("&", return_type=sa.BigInteger)(LOW_BITS).self_group()
    return (cleared % TAIL_PRIME).self_group()


def spread(tails: int, sampled: int) -> bool:
    """Whether `tails` distinct tails among `sampled` distinct keys spread keys over buckets."""
    return tails >= SPREAD * sampled


def tails_apart(side: SqlSide) -> frozenset[int | None] | None:
    """The texts whose tails are apart among the first SAMPLE_ROWS keys of a table: None for
    the whole key text, and the index of each column of a composite key whose tails alone are
    (Buckets.tail_parts); None (not sampled) for a query, whose first rows may cost its whole
    run."""
    if not isinstance(side.relation, sa.TableClause):
        return None
    texts: list[int | None] = [None]
    if len(side.keys) > 1:
        texts += range(len(side.keys))
    parts = [
        c.key_text(side.dialect, side.keys if i is None else [side.keys[i]]).label(f"t{n}")
        for n, i in enumerate(texts)
    ]
    sample = sa.select(*parts).select_from(side.relation).limit(SAMPLE_ROWS).subquery("sample")
    distinct = [
        sa.func.count(sa.distinct(tail_sql(side.dialect, sample.c[f"t{n}"])))
        for n in range(len(texts))
    ]
    *tails, keys = tuple(side.conn.execute(sa.select(*distinct, sa.func.count())).one())
    return frozenset(
        i for i, found in zip(texts, tails, strict=True) if spread(int(found), int(keys))
    )


def distinct_columns(side: SqlSide, apart: frozenset[int | None] | None) -> frozenset[int]:
    """The columns among `apart` (tails_apart's: only those can be bucketed alone) whose values
    the database knows to be distinct on their own: PostgreSQL's statistics (n_distinct of
    -0.9 to -1, a share of the rows, as ANALYZE and autovacuum keep it) or a unique index on
    the column alone (PostgreSQL, MariaDB). Nothing is asked when no column is apart."""
    names = {i: side.column_of(side.plan.keys[i]).name for i in apart or () if i is not None}
    if not names:
        return frozenset()
    found = {u[0] for u in side.unique if len(u) == 1}
    if side.dialect == "postgresql":
        assert isinstance(side.relation, sa.TableClause)  # sampled: a table
        query = sa.text(
            "SELECT attname FROM pg_stats WHERE schemaname = COALESCE(:schema, current_schema()) "
            "AND tablename = :table AND attname IN :names AND n_distinct <= :share"
        ).bindparams(sa.bindparam("names", expanding=True))
        params = {
            "schema": side.relation.schema,
            "table": side.relation.name,
            "names": list(names.values()),
            "share": -SPREAD,
        }
        found |= {str(row[0]) for row in side.conn.execute(query, params)}
    return frozenset(i for i, name in names.items() if name in found)
