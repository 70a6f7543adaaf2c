"""How keys are spread over buckets: by integer range for dense integer keys (or a composite
key's first column, when integer), else by key tail (checks/reconcile/key_tails.py) when the
keys' tails are apart, else by key hash."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from checks.reconcile import key_tails
from checks.reconcile.canonical_form import hash32, key_text

BUCKET_ROWS = 16  # rows per bucket aimed at
MAX_BUCKETS = 1 << 20  # 10M rows: ~10 a bucket; 16 bytes a bucket a side (32 MB in all)
MAX_LISTED = 20_000  # most buckets (or key ranges) named when asking a side for rows
MAX_RANGED_ROWS = 64 * BUCKET_ROWS  # a range bucket holding more: buckets by key hash instead
DENSITY = 4  # integer keys use ranges when max - min + 1 <= DENSITY * rows
T = TypeVar("T")


@dataclass(frozen=True)
class Extent:
    """Rows of one side, min/max of its key when its first column is an integer, the texts
    whose tails a sample of its keys found apart (None: not sampled; key_tails.tails_apart),
    and the key columns its database knows to be distinct alone (key_tails.distinct_columns)."""

    rows: int
    low: int | None = None
    high: int | None = None
    tails: frozenset[int | None] | None = None
    distinct: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Buckets:
    """`count` buckets; with `low` set, bucket = (key - low) // width; else with `tail`,
    key_tails.bucket_of(text, count) of the key text, or of key column `tail_column` alone;
    else hash32(key text) % count. Unique keys put at most `width` rows in an integer range
    bucket."""

    count: int
    low: int | None = None
    width: int = 1
    tail: bool = False
    tail_column: int | None = None

    @property
    def by_range(self) -> bool:
        return self.low is not None

    def of_key(self, key: Sequence[str | None]) -> int:
        """Bucket of a canonical key in Python (integer ranges are never used in Python)."""
        if self.tail:
            return key_tails.bucket_of(key_text(self.tail_parts(key)), self.count)
        return hash32(key_text(key)) % self.count

    def tail_parts(self, key: Sequence[T]) -> Sequence[T]:
        """The parts of a key (values, or SQL expressions) whose text a tail is read from: the
        whole key, or one column of a composite key whose tails alone are apart (no joined
        text to build: 0.09 s a side per 1M rows in each pass, in each database)."""
        return key if self.tail_column is None else [key[self.tail_column]]

    @property
    def cheap(self) -> bool:
        """Buckets of a key function that does not spread every key set evenly (ranges,
        tails): a bucket holding more than MAX_RANGED_ROWS rows sends reconcile to hashes."""
        return self.by_range or self.tail

    def bounds(self, wanted: Sequence[int], limit: int | None = None) -> list[tuple[int, int]]:
        """Inclusive key ranges covering the wanted buckets (runs of buckets merged); with
        more than `limit` ranges, the ranges with the smallest gaps between them are joined
        (their extra rows are filtered out by bucket afterwards)."""
        assert self.low is not None
        spans: list[tuple[int, int]] = []
        for bucket in sorted(wanted):
            start, end = self.low + bucket * self.width, self.low + (bucket + 1) * self.width - 1
            if spans and spans[-1][1] + 1 == start:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        if limit is None or len(spans) <= limit:
            return spans
        gaps = sorted(b[0] - a[1] for a, b in itertools.pairwise(spans))
        widest_joined = gaps[len(spans) - max(1, limit) - 1]
        joined = [spans[0]]
        for start, end in spans[1:]:
            if start - joined[-1][1] <= widest_joined:
                joined[-1] = (joined[-1][0], end)
            else:
                joined.append((start, end))
        return joined


def coarser(count: int, wanted: Sequence[int], limit: int) -> tuple[int, list[int]]:
    """A modulus m dividing the hash bucket count, and the wanted buckets mod m, such that at
    most `limit` values are listed: rows are then selected by bucket mod m (a superset)."""
    modulus = count
    listed = sorted(set(wanted))
    while len(listed) > limit and modulus > 1:
        modulus //= 2
        listed = sorted({b % modulus for b in wanted})
    return modulus, listed


def ranged_count(rows: int, per_bucket: int | None = None) -> int:
    """Buckets for `rows` rows: about `per_bucket` (BUCKET_ROWS) rows each."""
    return min(MAX_BUCKETS, max(1, -(-rows // (per_bucket or BUCKET_ROWS))))


def hashed_count(rows: int) -> int:
    """The power of two nearest rows / (BUCKET_ROWS / 2), on a log scale (buckets then hold
    5.7 to 11.3 rows). Tail and hash buckets are kept half as full as ranges: a differing
    one's rows are read by a scan and by key, each row dearer than in a key range, while a
    bucket more costs each side 16 bytes, one group of its checksum pass and a Python step
    (1M text keys, 0.1% differing, alternating runs: 16,131 rows read a side and pass 2 in
    0.75-1.65 s with 65,536 buckets, 8,783 and 0.57-0.88 s with 131,072, the checksum pass
    alike; 262,144 buckets, which a row estimate just over 2**20 used to give, made whole
    runs 7.0-8.0 s against 5.3-5.7 s)."""
    per_bucket = max(1, BUCKET_ROWS // 2)
    buckets = 1
    while 2 * (buckets * per_bucket) ** 2 < rows**2 and buckets < MAX_BUCKETS:
        buckets *= 2  # until buckets * per_bucket reaches rows / sqrt(2)
    return buckets


def choose(source: Extent, target: Extent) -> Buckets:
    """Range buckets for dense integer keys on both sides; else tail buckets when a side's
    sample found the keys' tails apart and none found them alike (of one key column where
    every sample found that column's apart and a database knows it distinct); else hash
    buckets."""
    rows = max(source.rows, target.rows)
    lows = [e.low for e in (source, target) if e.low is not None]
    highs = [e.high for e in (source, target) if e.high is not None]
    ranged = all(e.low is not None or e.rows == 0 for e in (source, target))
    unranged = _unranged(rows, source, target)
    if not ranged or not lows or not highs:
        return unranged
    low, high = min(lows), max(highs)
    span = high - low + 1
    if span > DENSITY * rows:
        return unranged
    count = ranged_count(rows)
    if span < count:  # a composite key's first column with few values: ranges too coarse
        return unranged
    width = -(-span // count)
    return Buckets(-(-span // width), low, width)


def _unranged(rows: int, source: Extent, target: Extent) -> Buckets:
    """Tail buckets of the first key column whose tails every sample found apart and that a
    side's database knows to be distinct alone; else of the whole key text if every sample
    found its tails apart; else hash buckets."""
    sampled = [e.tails for e in (source, target) if e.tails is not None]
    apart: frozenset[int | None] = frozenset.intersection(*sampled) if sampled else frozenset()
    known = source.distinct | target.distinct
    columns = sorted(i for i in apart if i is not None and i in known)
    if columns:
        return Buckets(hashed_count(rows), tail=True, tail_column=columns[0])
    return Buckets(hashed_count(rows), tail=None in apart)


def hashed(rows: int) -> Buckets:
    """Hash buckets for `rows` rows: what range and tail buckets fall back to when one of them
    turns out to hold more than MAX_RANGED_ROWS rows (a first key column with clustered
    values, keys whose tails are alike beyond the sample)."""
    return Buckets(hashed_count(rows))
