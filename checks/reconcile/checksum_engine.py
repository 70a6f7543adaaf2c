"""Across databases: bucket checksums in each database, then only differing buckets' rows.

Keys are spread over buckets (checks/reconcile/buckets.py): dense integer keys (or first key
columns) by key range, falling back to key hashes when a range bucket holds too many rows;
other keys by a hash of their canonical text; so every engine puts a key in the same bucket
whatever its collation, key gaps or skew. Each side returns (bucket, rows, sum of 60-bit
row hashes, rows in flight) in any order, read to the end at once into arrays indexed by
bucket (16 bytes a bucket), both sides at the same time; buckets that agree on both sides
count as matched. Only differing buckets are streamed (server-side cursors, bucket order,
both sides' queries started together): integer ranges through at most buckets.MAX_LISTED key
ranges, hash buckets by at most that many values of bucket mod a power of two. They are
merged in Python one bucket at a time, so memory holds one bucket's rows, never a table. Keys
left out as in flight are kept in the tally.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Literal, Protocol

from checks.reconcile import buckets as bucketing
from checks.reconcile.buckets import MAX_RANGED_ROWS, Buckets, Extent, choose, coarser
from checks.reconcile.errors import DuplicateKeys
from checks.reconcile.plan import Plan
from checks.reconcile.prefetch import Prefetch
from checks.reconcile.tally import Tally

Row = tuple[int, tuple[str | None, ...], tuple[str | None, ...], bool]
Sums = tuple[int, int, int, int]
SUM_MASK = (1 << 64) - 1


class Side(Protocol):
    """What the engine needs of one side (SqlSide, FileSide)."""

    @property
    def dataset(self) -> Any: ...

    def extent(self) -> Extent: ...

    def checksums(self, buckets: Buckets) -> Iterator[Sums]:
        """(bucket, rows, sum of row hashes, rows in flight) of non-empty buckets, any order."""
        ...

    def rows(
        self, buckets: Buckets, wanted: Sequence[int] | None, modulus: int | None = None
    ) -> Iterator[Row]: ...


def reconcile_across(plan: Plan, source: Side, target: Side) -> tuple[Tally, dict[str, int]]:
    """The exact tally, and how many rows each side streamed to Python."""
    with ThreadPoolExecutor(2) as pool:
        s_extent, t_extent = pool.map(lambda side: side.extent(), (source, target))
        buckets = choose(s_extent, t_extent)
        s_sums, t_sums = pool.map(
            lambda side: collect(side.checksums(buckets), buckets.count), (source, target)
        )
        if buckets.by_range and max(s_sums.largest(), t_sums.largest()) > MAX_RANGED_ROWS:
            buckets = bucketing.hashed(max(s_extent.rows, t_extent.rows))
            s_sums, t_sums = pool.map(
                lambda side: collect(side.checksums(buckets), buckets.count), (source, target)
            )
    tally = Tally(plan)
    differing: list[int] = []
    for bucket in range(buckets.count):
        if s_sums.agrees(t_sums, bucket):
            tally.add_equal(s_sums.rows[bucket])
        else:
            differing.append(bucket)
    del s_sums, t_sums  # up to 8 MB, not held while rows are fetched
    fetched = {"source": 0, "target": 0}
    if not differing:
        return tally, fetched
    modulus: int | None = None
    wanted: list[int] | None = differing
    if not buckets.by_range and len(differing) > bucketing.MAX_LISTED:
        modulus, wanted = coarser(buckets.count, differing, bucketing.MAX_LISTED)
        wanted = None if modulus == 1 else wanted
    keep = set(differing)
    s_rows = _counted(source.rows(buckets, wanted, modulus), fetched, "source")
    t_rows = _counted(target.rows(buckets, wanted, modulus), fetched, "target")
    with Prefetch(s_rows) as s_stream, Prefetch(t_rows) as t_stream:  # both queries at once
        s_groups = groupby(s_stream, key=lambda r: r[0])
        t_groups = groupby(t_stream, key=lambda r: r[0])
        for bucket, s_group, t_group in _merge(s_groups, t_groups):
            if bucket in keep:
                _compare_bucket(tally, source, target, list(s_group or ()), list(t_group or ()))
    return tally, fetched


@dataclass
class BucketSums:
    """One side's checksums indexed by bucket number: counts in 4 bytes, sums in 8 (modulo
    2**64), an empty bucket all zero. A side's query is read to its end as the database sends
    it, in any order: a database kept waiting for the other side would stop computing."""

    rows: memoryview[int]
    sums: memoryview[int]
    flight: memoryview[int]

    def largest(self) -> int:
        """The most rows in one bucket."""
        return max(self.rows, default=0)

    def agrees(self, other: BucketSums, bucket: int) -> bool:
        """Same rows and row hashes on both sides, and none of them in flight."""
        return (
            self.rows[bucket] == other.rows[bucket]
            and self.sums[bucket] == other.sums[bucket]
            and self.flight[bucket] == 0
            and other.flight[bucket] == 0
        )


def collect(checksums: Iterator[Sums], count: int) -> BucketSums:
    """The (bucket, rows, sum, rows in flight) of buckets 0..count-1, in any order."""
    held = BucketSums(_zeros("I", count), _zeros("Q", count), _zeros("I", count))
    for bucket, rows, total, flight in checksums:
        held.rows[bucket] = rows
        held.sums[bucket] = total & SUM_MASK
        held.flight[bucket] = flight
    return held


def _zeros(typecode: Literal["I", "Q"], count: int) -> memoryview[int]:
    """`count` zeros (I: below 2**32, Q: below 2**64) in an anonymous memory map of their own,
    handed back to the system when dropped. From the heap, buffers this size stay in the
    process after a run, and each later run's would be added on top."""
    size = array(typecode).itemsize * max(count, 1)
    return memoryview(mmap.mmap(-1, size)).cast(typecode)


def _compare_bucket(
    tally: Tally, source: Side, target: Side, s_rows: list[Row], t_rows: list[Row]
) -> None:
    s_map = _by_key(source, s_rows)
    t_map = _by_key(target, t_rows)
    for key in sorted(s_map.keys() | t_map.keys(), key=lambda k: tuple(v or "" for v in k)):
        s, t = s_map.get(key), t_map.get(key)
        if (s is not None and s[1]) or (t is not None and t[1]):
            tally.add_in_flight(key)  # in flight on either side: left out of every count
            continue
        tally.add(key, None if s is None else s[0], None if t is None else t[0])


def _by_key(side: Side, rows: list[Row]) -> dict[Any, tuple[Any, bool]]:
    found: dict[Any, tuple[Any, bool]] = {}
    dupes: list[Any] = []
    for _, key, values, late in rows:
        if key in found:
            dupes.append(key)
        found[key] = (values, late)
    if dupes:
        raise DuplicateKeys(duplicate_message(side.dataset, dupes))
    return found


def duplicate_message(dataset: Any, keys: Sequence[Any]) -> str:
    """Error text naming the system, table and up to five duplicate keys."""
    shown = ", ".join(repr(k[0] if len(k) == 1 else tuple(k)) for k in list(keys)[:5])
    return f"key is not unique in {dataset.label} (system {dataset.system.name!r}): {shown}"


def null_message(dataset: Any, names: Sequence[str], count: int, examples: Sequence[Any]) -> str:
    """Error text: how many rows have a NULL key, with up to five of their other values."""
    what = names[0] if len(names) == 1 else f"component of ({', '.join(names)})"
    rows = "1 row of" if count == 1 else f"{count:,} rows of"
    text = f"{rows} {dataset.label} {'has' if count == 1 else 'have'} a NULL {what}"
    text += "; reconcile needs a key on every row"
    shown = "; ".join(
        ", ".join(f"{k}={v!r}" for k, v in row.items()) for row in list(examples)[:5] if row
    )
    return f"{text} (e.g. {shown})" if shown else text


def _merge(left: Any, right: Any) -> Iterator[tuple[int, Any, Any]]:
    """Outer merge of two streams of (bucket, group) sorted by bucket."""
    lhs, rhs = iter(left), iter(right)
    a: Any = next(lhs, None)
    b: Any = next(rhs, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            yield a[0], a[1], None
            a = next(lhs, None)
        elif a is None or b[0] < a[0]:
            yield b[0], None, b[1]
            b = next(rhs, None)
        else:
            yield a[0], a[1], b[1]
            a, b = next(lhs, None), next(rhs, None)


def _counted(rows: Iterator[Row], fetched: dict[str, int], role: str) -> Iterator[Row]:
    for row in rows:
        fetched[role] += 1
        yield row
