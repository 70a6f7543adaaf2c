"""Key tails: a cheap bucket function of a key's canonical text, the same in every engine.

The tail of a key is the integer its last TAIL_BYTES UTF-8 bytes spell (big-endian; fewer for a
shorter key, 0 for the empty key), taken mod TAIL_PRIME; its bucket is the top bits of the tail
times a Fibonacci multiplier mod 2**32 (the low bits of a tail are those of its last bytes
alone). Keys are bucketed so instead of by the MD5 of their text when a sample of one side's
keys shows their tails apart (`spread`): a tail is HEX, CONV and integer arithmetic in MariaDB
(in its client, at 1M text keys, the grouped checksum pass took 3.9-4.2 s with tails, 5.7-6.0 s
with MD5 buckets, 3.1 s without buckets), and a function of the key's bytes alone, so every
engine puts a key in the same bucket. Keys whose tails are alike (e-mail addresses, keys ending
in a common suffix) keep MD5 buckets; a bucket that turns out too full falls back to them too
(checks/reconcile/checksum_engine.py). Counts never depend on the bucket function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from datasources import canonical as c

if TYPE_CHECKING:
    from checks.reconcile.sql_side import SqlSide

TAIL_BYTES = 8  # 64 bits: MariaDB's BIGINT UNSIGNED; PostgreSQL takes them in two halves
TAIL_PRIME = 1_000_000_007  # under 2**30: a tail times MULTIPLIER stays under 2**62
MULTIPLIER = 2_654_435_761  # 2**32 / golden ratio (Knuth's multiplicative hashing)
WORD = HALF = 1 << 32
SAMPLE_ROWS = 2_048  # keys read to judge the spread of tails
SPREAD = 0.9  # tails of at least this share of the sampled keys must be distinct


def tail_of(text: str) -> int:
    """The tail of a key's canonical text (the Python twin of `tail_sql`)."""
    return int.from_bytes(text.encode("utf-8")[-TAIL_BYTES:], "big") % TAIL_PRIME


def bucket_of(text: str, count: int) -> int:
    """The bucket (of `count`, a power of two) of a key's canonical text."""
    return (tail_of(text) * MULTIPLIER % WORD) // (WORD // count)


def bucket_sql(dialect: str, text: Any, count: int) -> sa.ColumnElement[Any]:
    """`bucket_of` in SQL."""
    assert count & (count - 1) == 0 and count <= WORD, "a power of two"
    mixed = tail_sql(dialect, text) * MULTIPLIER % WORD
    if dialect == "mysql":
        return mixed.self_group().op("DIV", return_type=sa.BigInteger)(WORD // count)
    return mixed // (WORD // count)  # integer division on integers


def tail_sql(dialect: str, text: Any) -> sa.ColumnElement[Any]:
    """The tail of a canonical key text expression (SQLite: a registered function)."""
    digits = 2 * TAIL_BYTES
    if dialect == "sqlite":
        tail: sa.ColumnElement[Any] = sa.func.dxq_tail(text, type_=sa.BigInteger)
        return tail
    if dialect == "postgresql":  # BIGINT is signed: the two halves of the 64 bits apart
        hexed = sa.func.encode(sa.func.convert_to(text, "UTF8"), "hex")
        padded = sa.func.lpad(sa.func.right(hexed, digits), digits, "0")
        high, low = (_bits32(sa.func.substr(padded, start, 8)) for start in (1, 9))
        return (high * (HALF % TAIL_PRIME) + low) % TAIL_PRIME
    from sqlalchemy.dialects import mysql  # loaded by then: the side is MariaDB or MySQL

    # CONV of the empty string is NULL; the empty key's tail is 0
    hexed = sa.func.conv(sa.func.right(sa.func.hex(text), digits), 16, 10)
    return sa.func.coalesce(sa.cast(hexed, mysql.BIGINT(unsigned=True)), 0) % TAIL_PRIME


def _bits32(hex_digits: Any) -> sa.ColumnElement[Any]:
    """Eight hexadecimal digits as a non-negative PostgreSQL BIGINT."""
    bits = sa.cast(sa.literal("x", sa.Text).op("||")(hex_digits), postgresql.BIT(32))
    return sa.cast(bits, sa.BigInteger)


def spread(tails: int, sampled: int) -> bool:
    """Whether `tails` distinct tails among `sampled` distinct keys spread keys over buckets."""
    return tails >= SPREAD * sampled


def tails_apart(side: SqlSide) -> bool | None:
    """Whether the first SAMPLE_ROWS keys of a table have tails apart (None for a query,
    whose first rows may cost its whole run)."""
    if not isinstance(side.relation, sa.TableClause):
        return None
    text = c.key_text(side.dialect, side.keys)
    first = sa.select(text.label("k")).select_from(side.relation)
    sample = first.limit(SAMPLE_ROWS).subquery("sample")
    tail = tail_sql(side.dialect, sample.c.k)
    query = sa.select(sa.func.count(sa.distinct(tail)), sa.func.count())
    tails, keys = tuple(side.conn.execute(query).one())
    return spread(int(tails), int(keys))
