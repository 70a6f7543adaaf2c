"""Across databases: bucket checksums in each database, then only differing buckets' rows.

Keys are spread over buckets (checks/reconcile/buckets.py): dense integer keys (or first key
columns) by key range, other keys by the tail of their canonical text when a sample shows the
tails apart (checks/reconcile/key_tails.py), falling back to a hash of their canonical text
when a range or tail bucket holds too many rows (or for keys whose tails are alike); so every
engine puts a key in the same bucket whatever its collation, key gaps or skew. Each side
returns (bucket, rows, sum of 60-bit row hashes, rows in flight) in any order, read to the end
at once into arrays indexed by bucket (16 bytes a bucket), both sides at the same time; buckets
that agree on both sides count as matched. Only differing buckets are streamed (server-side
cursors, bucket order, both sides' queries started together): integer ranges through at most
buckets.MAX_LISTED key ranges, hash buckets by at most that many values of bucket mod a power
of two. They are merged in Python one bucket at a time, so memory holds one bucket's rows,
never a table. Keys left out as in flight are kept in the tally.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Literal, Protocol, runtime_checkable

from checks.reconcile import buckets as bucketing
from checks.reconcile.buckets import MAX_RANGED_ROWS, Buckets, Extent, choose, coarser
from checks.reconcile.errors import DuplicateKeys
from checks.reconcile.plan import Plan
from checks.reconcile.prefetch import Prefetch
from checks.reconcile.tally import Tally
from datasources.budget import each_within

Row = tuple[int, tuple[str | None, ...], tuple[str | None, ...], bool]
Sums = tuple[int, int, int, int]
SUM_MASK = (1 << 64) - 1
LOOKUP_CHUNK = 2_000  # keys read by key in one query
AGREE_BLOCK = 16  # buckets whose sums are compared at once
# A key read costs as much as scanning LOOKUP_SHARE rows: in MariaDB, 20 when the table sits in
# its buffer pool (1M rows: 9 us a key against 0.44 us a row scanned with its bucket) and 68 when
# it does not (10M rows, the default 128 MB pool: 68 us a key, 1 us a row); reads by key are
# chosen where they win either way.
LOOKUP_SHARE = 64


class Side(Protocol):
    """What the engine needs of one side (SqlSide, FileSide)."""

    @property
    def dataset(self) -> Any: ...

    def extent(self) -> Extent: ...

    def checksums(self, buckets: Buckets) -> Iterator[Sums]:
        """(bucket, rows, sum of row hashes, rows in flight) of non-empty buckets, any order."""
        ...

    def rows(
        self,
        buckets: Buckets,
        wanted: Sequence[int] | None,
        modulus: int | None = None,
        alone: int | None = None,
    ) -> Iterator[Row]:
        """(bucket, key, fields, in flight) of the wanted buckets, bucket order; `alone`: no
        other scan of this reconcile runs meanwhile (only this side's rows are streamed), and
        this side holds that many rows in the wanted buckets (its checksum pass counted them)."""
        ...


@runtime_checkable
class Lookup(Protocol):
    """A side that reads rows by canonical key through an index (SqlSide)."""

    def lookup(self, keys: Sequence[tuple[str | None, ...]]) -> Iterator[Row]: ...


def reconcile_across(
    plan: Plan, source: Side, target: Side, lookups: Sequence[str] = ()
) -> tuple[Tally, dict[str, int]]:
    """The exact tally, and how many rows each side streamed to Python. `lookups` are the
    sides ("source", "target", preferred first) that can read rows by key (SqlSide.lookup)."""
    with ThreadPoolExecutor(2) as pool:
        s_extent, t_extent = each_within(pool, lambda side: side.extent(), (source, target))
        buckets = choose(s_extent, t_extent)
        s_sums, t_sums = each_within(
            pool, lambda side: collect(side.checksums(buckets), buckets.count), (source, target)
        )
        if buckets.cheap and max(s_sums.largest(), t_sums.largest()) > MAX_RANGED_ROWS:
            buckets = bucketing.hashed(max(s_extent.rows, t_extent.rows))
            s_sums, t_sums = each_within(
                pool, lambda side: collect(side.checksums(buckets), buckets.count), (source, target)
            )
    tally = Tally(plan)
    differing = _differing(tally, s_sums, t_sums, buckets.count)
    fetched = {"source": 0, "target": 0}
    if not differing:
        return tally, fetched
    rows = {"source": s_sums.rows, "target": t_sums.rows}
    extents = {"source": s_extent.rows, "target": t_extent.rows}
    role = None if buckets.by_range else _lookup_role(lookups, differing, rows, extents)
    counts = {} if role is None else {b: rows[role][b] for b in differing}
    other = "target" if role == "source" else "source"
    streamed = 0 if role is None else sum(int(rows[other][b]) for b in differing)
    del s_sums, t_sums, rows  # up to 32 MB, not held while rows are fetched
    if role is not None:
        sides = {"source": source, "target": target}
        differing = _looked_up(tally, sides, role, buckets, differing, counts, streamed, fetched)
    if differing:
        _merged(tally, source, target, buckets, differing, fetched)
    return tally, fetched


def _differing(tally: Tally, source: BucketSums, target: BucketSums, count: int) -> list[int]:
    """The buckets whose sums differ, in order; the rows of those that agree are counted as
    equal. AGREE_BLOCK buckets are compared at once (slices compared in C), and bucket by
    bucket only where they differ: at 1M rows, 131,072 buckets of which about 1,500 differ,
    about 20,000 buckets are visited one by one."""
    differing: list[int] = []
    for start in range(0, count, AGREE_BLOCK):
        end = min(start + AGREE_BLOCK, count)
        if source.block_agrees(target, start, end):
            tally.add_equal(sum(source.rows[start:end]))
            continue
        for bucket in range(start, end):
            if source.agrees(target, bucket):
                tally.add_equal(source.rows[bucket])
            else:
                differing.append(bucket)
    return differing


def _merged(
    tally: Tally,
    source: Side,
    target: Side,
    buckets: Buckets,
    differing: list[int],
    fetched: dict[str, int],
) -> None:
    """Both sides' rows of the differing buckets, streamed in bucket order and merged."""
    wanted, modulus = _listed(buckets, differing)
    keep = set(differing)
    s_rows = _counted(source.rows(buckets, wanted, modulus), fetched, "source")
    t_rows = _counted(target.rows(buckets, wanted, modulus), fetched, "target")
    with Prefetch(s_rows) as s_stream, Prefetch(t_rows) as t_stream:  # both queries at once
        s_groups = groupby(s_stream, key=lambda r: r[0])
        t_groups = groupby(t_stream, key=lambda r: r[0])
        for bucket, s_group, t_group in _merge(s_groups, t_groups):
            if bucket in keep:
                _compare_bucket(tally, source, target, list(s_group or ()), list(t_group or ()))


def _listed(buckets: Buckets, differing: list[int]) -> tuple[list[int] | None, int | None]:
    """The buckets to ask a side for, and the modulus they are taken by (None: exact): hash
    buckets beyond MAX_LISTED are asked for by bucket mod a power of two (all when 1)."""
    if buckets.by_range or len(differing) <= bucketing.MAX_LISTED:
        return differing, None
    modulus, wanted = coarser(buckets.count, differing, bucketing.MAX_LISTED)
    return (None if modulus == 1 else wanted), modulus


def _lookup_role(
    lookups: Sequence[str],
    differing: Sequence[int],
    rows: dict[str, memoryview[int]],
    extents: dict[str, int],
) -> str | None:
    """The first side of `lookups` (sides that can read rows by key through an index) whose
    rows are better read by the other side's keys than by a scan: the other side's rows in
    differing buckets are at most 1/LOOKUP_SHARE of this side's rows."""
    for role in lookups:
        other = rows["target" if role == "source" else "source"]
        if sum(other[b] for b in differing) * LOOKUP_SHARE <= extents[role]:
            return role
    return None


def _looked_up(
    tally: Tally,
    sides: dict[str, Side],
    role: str,
    buckets: Buckets,
    differing: list[int],
    counts: dict[int, int],
    streamed: int,
    fetched: dict[str, int],
) -> list[int]:
    """Differing buckets compared by streaming the other side's rows (`streamed` of them, as
    its checksum pass counted) and reading this side's
    rows by those keys, LOOKUP_CHUNK keys a query (no scan of this side). A bucket where this
    side has rows under other keys too (fewer found than its count) is left out and returned,
    with the buckets the other side has no rows in: they are merged by bucket afterwards."""
    other = "target" if role == "source" else "source"
    wanted, modulus = _listed(buckets, differing)
    keep = set(differing)
    left: list[int] = []
    seen: set[int] = set()
    chunk: list[tuple[int, list[Row]]] = []
    held = 0  # rows in `chunk`
    rows = _counted(sides[other].rows(buckets, wanted, modulus, alone=streamed), fetched, other)
    with Prefetch(rows) as stream:
        for bucket, group in groupby(stream, key=lambda r: r[0]):
            if bucket not in keep:
                continue
            seen.add(bucket)
            rows_of_bucket = list(group)
            chunk.append((bucket, rows_of_bucket))
            held += len(rows_of_bucket)
            if held >= LOOKUP_CHUNK:
                left += _look_up_chunk(tally, sides, role, chunk, counts, fetched)
                chunk, held = [], 0
        if chunk:
            left += _look_up_chunk(tally, sides, role, chunk, counts, fetched)
    return sorted(left + [b for b in differing if b not in seen])


def _look_up_chunk(
    tally: Tally,
    sides: dict[str, Side],
    role: str,
    chunk: list[tuple[int, list[Row]]],
    counts: dict[int, int],
    fetched: dict[str, int],
) -> list[int]:
    side = sides[role]
    assert isinstance(side, Lookup)
    bucket_of = {row[1]: bucket for bucket, group in chunk for row in group}
    found: dict[int, list[Row]] = {}
    for row in side.lookup(list(bucket_of)):
        fetched[role] += 1
        found.setdefault(bucket_of[row[1]], []).append(row)
    left: list[int] = []
    for bucket, group in chunk:
        mine = found.get(bucket, [])
        if len(mine) < counts[bucket]:
            left.append(bucket)  # rows under keys the other side lacks: merged afterwards
            continue
        s_rows, t_rows = (mine, group) if role == "source" else (group, mine)
        _compare_bucket(tally, sides["source"], sides["target"], s_rows, t_rows)
    return left


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

    def block_agrees(self, other: BucketSums, start: int, end: int) -> bool:
        """`agrees` of every bucket from start to end (exclusive)."""
        return (
            self.rows[start:end] == other.rows[start:end]
            and self.sums[start:end] == other.sums[start:end]
            and not any(self.flight[start:end])
            and not any(other.flight[start:end])
        )

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
    """Count a differing bucket's keys: those with the same values on both sides and in flight
    on neither are counted as equal at once; the others go to the tally in key order (the
    order its bounded lists keep). Most keys of a differing bucket are equal: sorting and
    comparing them field by field took 8-11 us a row (1M text keys: 0.07-0.1 s of pass 2)."""
    s_map = _by_key(source, s_rows)
    t_map = _by_key(target, t_rows)
    equal = 0
    odd: list[Any] = []
    for key, (values, late) in s_map.items():
        other = t_map.get(key)
        if other is not None and other[0] == values and not late and not other[1]:
            equal += 1
        else:
            odd.append(key)
    odd += [key for key in t_map if key not in s_map]
    tally.add_equal(equal)
    for key in sorted(odd, key=lambda k: tuple(v or "" for v in k)):
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
