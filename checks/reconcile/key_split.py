"""A large MariaDB table's second scan split in two by primary-key range, one half a connection.

Pass 2 of a reconcile scans each side again for the rows of the differing buckets. MariaDB runs
each query on one core, and at 10M rows its scan is the longest part of pass 2: 7.5 s before
its first row, against PostgreSQL's 3.8 s, after which a core sits idle. The rows below a key
near the middle of the primary key and the rows from there on are then read by two queries on
two connections, at once, each a range of the clustered index (benchmarks/README.md).

Any split point gives exact counts: every row is on exactly one side of `column < point` (keys
are never NULL by then), whatever the collation. The point only decides how even the halves
are. It is narrowed down from the column's MIN and MAX (both ends of the index): the range is
cut into SEGMENTS, MariaDB estimates the rows of each (EXPLAIN, from InnoDB's index dives), and
the segment where half the rows are reached is cut again. Text is narrowed one character at a
time after the prefix all its keys share, over the characters the keys hold there (MIN and MAX
of the keys with the prefix so far): 'SKU-' then '0'..'9', and so on. Order is by code point
here, by the collation in MariaDB; where they differ, the halves only come out less even.
"""

from __future__ import annotations

import itertools
from typing import Any, Protocol

import sqlalchemy as sa

SPLIT_ROWS = 1_000_000  # tables estimated smaller are scanned by one query
SEGMENTS = 8  # ranges estimated in each round
ROUNDS = 4  # rounds of narrowing (a digit of a text key in about two)
LAST_CHAR = 0x10FFFF
SURROGATES = range(0xD800, 0xE000)  # not characters: never sent to the database


def leading_column(conn: sa.Connection, table: sa.TableClause) -> str | None:
    """The first column of an InnoDB table's primary key (its clustered index), or None."""
    query = sa.text(
        "SELECT s.COLUMN_NAME FROM information_schema.STATISTICS s "
        "JOIN information_schema.TABLES t "
        "ON t.TABLE_SCHEMA = s.TABLE_SCHEMA AND t.TABLE_NAME = s.TABLE_NAME "
        "WHERE s.TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND s.TABLE_NAME = :name "
        "AND s.INDEX_NAME = 'PRIMARY' AND s.SEQ_IN_INDEX = 1 AND t.ENGINE = 'InnoDB'"
    )
    found = conn.execute(query, {"schema": table.schema, "name": table.name}).scalar()
    return None if found is None else str(found)


def split_point(conn: sa.Connection, table: sa.TableClause, column: str) -> Any:
    """A value of `column` (the primary key's first, text or integer) with about half of the
    table's rows below it by MariaDB's estimates, or None when the column holds one value or
    another type."""
    col = table.c[column]
    ends = sa.select(sa.func.min(col), sa.func.max(col)).select_from(table)
    low, high = conn.execute(ends).one()
    if low is None or low == high or type(low) is not type(high):
        return None
    span: _Span | None
    if isinstance(low, int) and not isinstance(low, bool):
        span = _Numbers(low, high + 1)
    elif isinstance(low, str):
        size = 0
        while size < min(len(low), len(high)) and low[size] == high[size]:
            size += 1
        span = _Letters(low[:size], _char(low, size), _char(high, size) + 1)
    else:
        return None
    point: Any = None
    share = 0.5  # of the rows in the span, wanted below the point
    for _ in range(ROUNDS):
        bounds = span.bounds()
        if len(bounds) < 2:
            break
        values = [span.value(b) for b in bounds]
        counts = [_estimate(conn, table, col, a, b) for a, b in itertools.pairwise(values)]
        wanted = share * sum(counts)
        if not wanted:
            break
        i, below = _crossing(counts, wanted)
        count = counts[i]
        point = values[i] if wanted - below <= below + count - wanted else values[i + 1]
        share = (wanted - below) / max(count, 1)
        span = span.narrowed(bounds[i], bounds[i + 1], conn, table, col)
        if span is None:
            break
    return point


def _crossing(counts: list[int], wanted: float) -> tuple[int, int]:
    """The first segment where the rows below reach `wanted`, and the rows before it."""
    below = 0
    for i, count in enumerate(counts):
        if below + count >= wanted:
            return i, below
        below += count
    return len(counts) - 1, below - counts[-1]


def _estimate(conn: sa.Connection, table: sa.TableClause, col: Any, low: Any, high: Any) -> int:
    """MariaDB's estimate of the rows with low <= col < high, read through the primary key
    (InnoDB's index dives: 2-3 times the rows for a large range, alike for every range, and
    never more than half the table's: ranges are kept small and only their shares are used)."""
    query = sa.select(sa.literal(1)).select_from(table).where(col >= low, col < high)
    query = query.with_hint(table, "FORCE INDEX (PRIMARY)", "mysql")
    compiled = query.compile(dialect=conn.dialect)
    plan = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).mappings().first()
    return int(plan["rows"] or 0) if plan is not None else 0


def _cuts(low: int, high: int) -> list[int]:
    """Up to SEGMENTS + 1 evenly spaced positions from low to high (both included)."""
    return sorted({low + (high - low) * i // SEGMENTS for i in range(SEGMENTS + 1)})


class _Span(Protocol):
    """Positions low..high (high excluded) that a split point is looked for between."""

    def bounds(self) -> list[int]: ...

    def value(self, position: int) -> Any: ...

    def narrowed(
        self, low: int, high: int, conn: sa.Connection, table: sa.TableClause, col: Any
    ) -> _Span | None: ...


class _Numbers:
    """Integers low..high."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def bounds(self) -> list[int]:
        return _cuts(self.low, self.high)

    def value(self, position: int) -> Any:
        return position

    def narrowed(
        self, low: int, high: int, conn: sa.Connection, table: sa.TableClause, col: Any
    ) -> _Span | None:
        return _Numbers(low, high) if high - low > 1 else None


class _Letters:
    """Texts `prefix` + one character, its code point low..high."""

    def __init__(self, prefix: str, low: int, high: int) -> None:
        self.prefix, self.low, self.high = prefix, low, high

    def bounds(self) -> list[int]:
        return sorted(
            {SURROGATES.stop if b in SURROGATES else b for b in _cuts(self.low, self.high)}
        )

    def value(self, position: int) -> Any:
        return self.prefix + chr(min(position, LAST_CHAR))

    def narrowed(
        self, low: int, high: int, conn: sa.Connection, table: sa.TableClause, col: Any
    ) -> _Span | None:
        """The characters low..high here, or once one character, those after it in the keys
        that start so (None when no key is longer)."""
        if high - low > 1:
            return _Letters(self.prefix, low, high)
        prefix = self.prefix + chr(low)
        step = SURROGATES.stop if low + 1 in SURROGATES else min(low + 1, LAST_CHAR)
        after = self.prefix + chr(step)
        # each an index seek: a MIN and MAX over the range can read all of it (0.5 s at 10M)
        keys = sa.select(col).select_from(table)
        first = conn.execute(keys.where(col >= prefix).order_by(col).limit(1)).scalar()
        last = conn.execute(keys.where(col < after).order_by(col.desc()).limit(1)).scalar()
        if first is None or last is None or len(last) <= len(prefix):
            return None
        return _Letters(prefix, _char(first, len(prefix)), _char(last, len(prefix)) + 1)


def _char(text: str, at: int) -> int:
    """The code point of text[at], 0 past its end."""
    return ord(text[at]) if len(text) > at else 0
