"""How a database sends its bucket sums: packed, PACKED_BUCKETS buckets to a row, each bucket as
ENTRY's 20 big-endian bytes (number, rows, sum of row hashes modulo 2**64, rows in flight).

A row a bucket cost the driver and Python more than the database's whole grouping (PyMySQL: a
second at 262,144 buckets; psycopg through its cursor: 0.6 s at 131,072). Packed as decimal
text ("b:n:h:f,..."), Python read them at 2-3 us a bucket (0.2-0.4 s a side at 131,072 buckets,
after the database was done); as bytes, `struct` reads them at about 0.1 us.

PostgreSQL sends bytea (int4send, int8send: 140-180 ms for 131,072 buckets, against 90-105 ms
for decimal text and 240-300 ms for fixed-width hexadecimal, whose lpad is dear there).
MariaDB/MySQL send hexadecimal digits (HEX, LPAD; 310 ms against 190 ms for decimal text).
Neither has an unsigned 64-bit integer that takes a sum beyond 2**63, so the sum travels with its
top bit flipped: PostgreSQL's signed BIGINT holds the sum minus 2**63, MariaDB's unsigned one
the sum plus 2**63; both are the same 64 bits, flipped back here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

PACKED_BUCKETS = 4_096  # buckets a row: 80 kB (MariaDB: 160 kB of GROUP_CONCAT_LIMIT's 16 MB)
ENTRY = struct.Struct(">IIQI")  # bucket, rows, sum (its top bit flipped), rows in flight
FLIP = 1 << 63

Expr = sa.ColumnElement[Any]


def packed(dialect: str, sums: sa.Subquery) -> sa.Select[Any]:
    """The query packing `sums` (columns b, n, h, f: bucket, rows, exact sum of row hashes,
    rows in flight), one row of up to PACKED_BUCKETS buckets each (PostgreSQL or MariaDB)."""
    bucket = sa.type_coerce(sums.c.b, sa.BigInteger)
    if dialect == "postgresql":
        flipped = sa.cast(_exact(sums.c.h) % _numeric(1 << 64) - _numeric(FLIP), sa.BigInteger)
        entry = _int4(sums.c.b).op("||")(_int4(sums.c.n))
        entry = entry.op("||")(sa.func.int8send(flipped)).op("||")(_int4(sums.c.f))
        joined = sa.func.string_agg(entry, sa.literal(b"", sa.LargeBinary))
        return sa.select(joined).group_by(bucket // PACKED_BUCKETS)
    from sqlalchemy.dialects import mysql  # loaded by then: the side is MariaDB or MySQL

    total = sa.func.mod(_exact(sums.c.h) + _numeric(FLIP), _numeric(1 << 64))
    flipped = sa.cast(total, mysql.INTEGER(unsigned=True))
    digits = sa.func.concat(
        _hex(sums.c.b, 4), _hex(sums.c.n, 4), _hex(flipped, 8), _hex(sums.c.f, 4)
    )
    chunk = bucket.op("DIV", return_type=sa.BigInteger)(PACKED_BUCKETS)
    return sa.select(sa.func.aggregate_strings(digits, "")).group_by(chunk).order_by(sa.null())


def unpacked(row: bytes | str) -> Iterator[tuple[int, int, int, int]]:
    """(bucket, rows, sum modulo 2**64, rows in flight) of one packed row."""
    data = bytes.fromhex(row) if isinstance(row, str) else bytes(row)
    for b, n, h, f in ENTRY.iter_unpack(data):
        yield b, n, h ^ FLIP, f


def _int4(value: Expr) -> Expr:
    """PostgreSQL: a non-negative integer below 2**31 as 4 big-endian bytes."""
    return sa.func.int4send(sa.cast(value, sa.Integer))


def _hex(value: Expr, size: int) -> Expr:
    """MariaDB/MySQL: a non-negative integer below 2**(8 * size) as 2 * size hex digits."""
    return sa.func.lpad(sa.func.hex(value), 2 * size, "0")


def _exact(total: Expr) -> Expr:
    return sa.cast(total, sa.Numeric(65, 0))  # MariaDB's bare DECIMAL is DECIMAL(10, 0)


def _numeric(value: int) -> Expr:
    return sa.literal(value, sa.Numeric(65, 0))
