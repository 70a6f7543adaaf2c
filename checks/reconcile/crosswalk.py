"""Reconcile through a crosswalk: source and target keep different identifiers, and a mapping
table (in either side's database or a third one) says which source key is which target key.

The crosswalk is read as distinct (source key, target key) pairs, grouped by key in its own
database with how many pairs share the key and the key it maps to. A pair is *mapped* when
both counts are 1; a key of several pairs is *ambiguous* (one source key to
several target keys, or several source keys to one target key). A source record is translated
to its target key through a mapped pair; a record of either side whose key is not in the
crosswalk, or only in ambiguous pairs, is left out of the comparison and counted on its own.
The translated records then go through the checksum engine (checksum_engine.py) exactly as two
ordinary sides do: missing in target, missing in source, changed.

Memory: nothing is loaded whole. Each side is streamed once, sorted by its canonical key
(byte order, on every engine), beside the crosswalk streamed in the same order, and merged.
The checksum pass holds 16 bytes a bucket and writes the translated records to a temporary
file (SPILL_BATCH at a time; on disk, removed at the end); the pass over differing buckets
reads that file and holds at most HELD_ROWS records at a time (more differing records take
more reads of the file). Each stream has a connection of its own, so the crosswalk may live
in the same database as a side. benchmarks/crosswalk.py measures it against the direct match.
"""

from __future__ import annotations

import marshal
import mmap
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import IO, Any, Literal

import sqlalchemy as sa

from checks.reconcile.buckets import Buckets, Extent
from checks.reconcile.checksum_engine import (
    SUM_MASK,
    Row,
    duplicate_message,
    null_message,
    reconcile_across,
)
from checks.reconcile.crosswalk_streams import Pairing, crosswalk_pairs, sorted_rows
from checks.reconcile.errors import DuplicateKeys, NullKeys, ReconcileError
from checks.reconcile.plan import Column, Pair, Plan, build_plan, column_named, pair_columns
from checks.reconcile.session_settings import prepared
from checks.reconcile.sql_columns import describe
from checks.reconcile.sql_side import SqlSide
from checks.reconcile.tally import Tally
from checks.spec import ReconcileSpec
from datasources.connection import read_only
from datasources.dataset import Dataset, SqlSystem

HELD_ROWS = 250_000  # translated rows held at once by the pass over differing buckets
SPILL_BATCH = 10_000  # translated rows written to the spill file at a time
EXAMPLES = 5  # keys shown per count
Status = Literal["mapped", "missing", "ambiguous"]
COUNTS = (
    "source_keys_not_in_crosswalk",
    "target_keys_not_in_crosswalk",
    "source_keys_ambiguous",
    "target_keys_ambiguous",
)


@dataclass
class Counts:
    """What the crosswalk left out, per side, and the crosswalk's own ambiguous keys."""

    missing: int = 0  # records whose key is not in the crosswalk
    ambiguous: int = 0  # records whose key is only in ambiguous pairs
    ambiguous_keys: int = 0  # keys of the crosswalk (this side's column) in several pairs
    examples: dict[str, list[str]] = field(default_factory=dict)

    def note(self, status: Status, key: str) -> None:
        if status == "missing":
            self.missing += 1
        else:
            self.ambiguous += 1
        shown = self.examples.setdefault(status, [])
        if len(shown) < EXAMPLES:
            shown.append(key)


def evaluate_crosswalk(spec: ReconcileSpec, now: datetime) -> tuple[Plan, Tally, dict[str, Any]]:
    """The tally of the translated records and the crosswalk's own metrics; raises
    ReconcileError / DatasourceError like the other engines."""
    assert spec.crosswalk is not None
    datasets = {"source": spec.source, "target": spec.target, "crosswalk": spec.crosswalk}
    for role, dataset in datasets.items():
        if not isinstance(dataset.system, SqlSystem):
            raise ReconcileError(
                f"{dataset.label} ({role}): a reconcile through a crosswalk reads SQL tables or "
                "queries only; this is a files system"
            )
    if len(spec.source_key) != 1 or len(spec.target_key) != 1:
        raise ReconcileError("a crosswalk maps one key column per side")
    with ExitStack() as stack:

        def connect(dataset: Dataset) -> sa.Connection:
            assert isinstance(dataset.system, SqlSystem)
            return stack.enter_context(prepared(stack.enter_context(read_only(dataset.system))))

        # one connection per stream: the merges read a side and the crosswalk at once
        conns = {
            "source": connect(spec.source),
            "target": connect(spec.target),
            "xs": connect(spec.crosswalk),
            "xt": connect(spec.crosswalk),
        }
        described = {
            "source": describe(spec.source, conns["source"]),
            "target": describe(spec.target, conns["target"]),
            "crosswalk": describe(spec.crosswalk, conns["xs"]),
        }
        cols = {role: found[0] for role, found in described.items()}
        plans = _plans(spec, cols, now)
        source = SqlSide(spec.source, conns["source"], plans.source, "source", cols["source"])
        target = SqlSide(spec.target, conns["target"], plans.main, "target", cols["target"])
        for side, role in ((source, "source"), (target, "target")):
            _check_keys(side, described[role][1])
        x_cols = cols["crosswalk"]
        by_xs = SqlSide(spec.crosswalk, conns["xs"], plans.by_xs, "target", x_cols)
        by_xt = SqlSide(spec.crosswalk, conns["xt"], plans.by_xt, "target", x_cols)
        s_side = MappedSide(
            source, lambda: sorted_rows(source), lambda: crosswalk_pairs(by_xs), True
        )
        t_side = MappedSide(
            target, lambda: sorted_rows(target), lambda: crosswalk_pairs(by_xt), False
        )
        stack.callback(s_side.close)
        stack.callback(t_side.close)
        tally, fetched = reconcile_across(plans.main, s_side, t_side)
        return plans.main, tally, _metrics(spec.crosswalk, s_side.counts, t_side.counts, fetched)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Plans:
    main: Plan  # the comparison: target keys on both sides, the compared fields
    source: Plan  # the source read by its own key (in the category it meets the crosswalk in)
    by_xs: Plan  # the crosswalk read by its source-key column, its target key as the field
    by_xt: Plan  # the crosswalk read by its target-key column, its source key as the field


def _plans(spec: ReconcileSpec, cols: dict[str, dict[str, Column]], now: datetime) -> Plans:
    assert spec.crosswalk is not None
    x_label = spec.crosswalk.label
    xs = column_named(spec.crosswalk, cols["crosswalk"], spec.crosswalk_source)
    xt = column_named(spec.crosswalk, cols["crosswalk"], spec.crosswalk_target)
    s_key = column_named(spec.source, cols["source"], spec.source_key[0])
    t_key = column_named(spec.target, cols["target"], spec.target_key[0])
    into_x = pair_columns(s_key, xs, None, spec.source.label, x_label)  # source key ~ xs
    from_x = pair_columns(xt, t_key, None, x_label, spec.target.label)  # xt ~ target key
    # records are matched by target key: both sides name it after the target's column
    category = from_x.target_category
    key = Pair(t_key, t_key, category, category)
    main = build_plan(spec, cols["source"], cols["target"], now, keys=(key,))
    x_target = Pair(xt, xt, from_x.source_category, from_x.source_category)
    x_source = Pair(xs, xs, into_x.target_category, into_x.target_category)
    return Plans(
        main=main,
        source=replace(main, keys=(into_x,)),
        by_xs=Plan(spec, (into_x,), (x_target,), None, None, None),
        by_xt=Plan(spec, (x_target,), (x_source,), None, None, None),
    )


def _check_keys(side: SqlSide, unique: list[tuple[str, ...]]) -> None:
    key = [side.column_of(p).name for p in side.plan.keys]
    nulls, examples = side.null_keys()
    if nulls:
        raise NullKeys(null_message(side.dataset, key, nulls, examples))
    if not any(set(u) <= set(key) for u in unique):
        dupes = side.duplicates()
        if dupes:
            raise DuplicateKeys(duplicate_message(side.dataset, dupes))


Translated = tuple[Status, str, tuple[str | None, ...], bool]


class MappedSide:
    """One side of the checksum engine whose keys pass through the crosswalk (the source:
    translated to target keys; the target: kept when mapped). Records left out are counted
    by the checksum pass."""

    def __init__(
        self,
        side: SqlSide,
        rows: Callable[[], Iterator[tuple[str, tuple[str | None, ...], bool]]],
        pairs: Callable[[], Iterator[Pairing]],
        translate: bool,
    ) -> None:
        self.side, self._rows, self._pairs, self.translate = side, rows, pairs, translate
        self.counts = Counts()
        self._per_bucket: memoryview[int] | None = None
        self._spill: IO[bytes] | None = None  # the checksum pass's mapped rows, on disk

    def close(self) -> None:
        """Remove the spilled rows."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    @property
    def dataset(self) -> Dataset:
        return self.side.dataset

    def extent(self) -> Extent:
        """Rows of the side (hash buckets: translated keys have no integer range)."""
        return Extent(self.side.extent().rows)

    def _merged(self) -> Iterator[Translated]:
        """Each record with its status and its target key, in the side's key order. Both
        streams are closed at the end, read to it or not (a MariaDB connection cannot start
        the next pass's query while a result is unread)."""
        records, crosswalk = self._rows(), self._pairs()
        try:
            yield from self._merge(records, crosswalk)
        finally:
            for stream in (records, crosswalk):
                close = getattr(stream, "close", None)
                if close is not None:
                    close()

    def _merge(
        self,
        records: Iterator[tuple[str, tuple[str | None, ...], bool]],
        crosswalk: Iterator[Pairing],
    ) -> Iterator[Translated]:
        pair = next(crosswalk, None)
        previous: str | None = None
        for key, values, late in records:
            if previous is not None and key <= previous:
                if key == previous:
                    raise DuplicateKeys(duplicate_message(self.dataset, [(key,)]))
                raise ReconcileError(f"{self.dataset.label}: keys did not arrive in byte order")
            previous = key
            while pair is not None and pair[0] < key:
                pair = self._next_pair(crosswalk, pair)
            if pair is None or pair[0] != key:
                yield "missing", key, values, late
            elif pair[2]:
                yield "mapped", pair[1] if self.translate else key, values, late
            else:
                yield "ambiguous", key, values, late
        while pair is not None:  # the rest of the crosswalk, for its counts
            pair = self._next_pair(crosswalk, pair)

    def _next_pair(self, crosswalk: Iterator[Pairing], pair: Pairing) -> Pairing | None:
        """The crosswalk's next key, counting the one left behind when it maps to several."""
        if pair[3]:
            self.counts.ambiguous_keys += 1
        found = next(crosswalk, None)
        if found is not None and found[0] <= pair[0]:
            raise ReconcileError(f"{self.dataset.label}: crosswalk keys out of byte order")
        return found

    def checksums(self, buckets: Buckets) -> Iterator[tuple[int, int, int, int]]:
        """(bucket, rows, sum of row hashes, rows in flight) of the mapped records; records
        the crosswalk leaves out are counted (in flight ones are left out of every count).
        Both sides of a crosswalk reconcile are computed here, in one process, so buckets and
        row hashes use Python's own hash of the canonical text (the same for both sides in a
        process), a fraction of the cost of the MD5 the databases compute."""
        self.counts = Counts()
        self.close()
        # removed by close(), which evaluate_crosswalk calls when the reconcile ends
        self._spill = spill = tempfile.TemporaryFile(prefix="dxq-crosswalk-")  # noqa: SIM115
        count = buckets.count
        rows, flight = _zeros("I", buckets.count), _zeros("I", buckets.count)
        sums = _zeros("Q", buckets.count)
        batch: list[Row] = []
        for status, key, values, late in self._merged():
            if status != "mapped":
                if not late:
                    self.counts.note(status, key)
                continue
            bucket = hash(key) % count
            rows[bucket] += 1
            sums[bucket] = (sums[bucket] + hash((key, values))) & SUM_MASK
            flight[bucket] += late
            batch.append((bucket, (key,), values, late))
            if len(batch) >= SPILL_BATCH:
                marshal.dump(batch, spill)
                batch = []
        marshal.dump(batch, spill)
        self._per_bucket = rows
        for bucket in range(buckets.count):
            if rows[bucket]:
                yield bucket, rows[bucket], sums[bucket], flight[bucket]

    def rows(
        self,
        buckets: Buckets,
        wanted: Sequence[int] | None,
        modulus: int | None = None,
        alone: int | None = None,
    ) -> Iterator[Row]:
        """(bucket, key, fields, in flight) of the wanted buckets in bucket order, at most
        HELD_ROWS rows held: a pass over the rows the checksum pass spilled per slice of
        buckets."""
        m = modulus or buckets.count
        keep = None if wanted is None else set(wanted)
        for low, high in self._slices(buckets.count, keep, m):
            kept = [
                row
                for row in self._spilled()
                if low <= row[0] < high and (keep is None or row[0] % m in keep)
            ]
            kept.sort(key=lambda row: row[0])
            yield from kept

    def _spilled(self) -> Iterator[Row]:
        assert self._spill is not None, "checksums() spills the rows first"
        self._spill.seek(0)
        while True:
            try:
                batch: list[Row] = marshal.load(self._spill)
            except EOFError:
                return
            yield from batch

    def _slices(self, count: int, keep: set[int] | None, m: int) -> Iterator[tuple[int, int]]:
        """Ranges of buckets whose wanted rows are at most HELD_ROWS (or one bucket)."""
        per = self._per_bucket
        low, held = 0, 0
        for bucket in range(count):
            n = per[bucket] if per is not None and (keep is None or bucket % m in keep) else 0
            if held and held + n > HELD_ROWS:
                yield low, bucket
                low, held = bucket, 0
            held += n
        yield low, count


def _zeros(typecode: Literal["I", "Q"], count: int) -> memoryview[int]:
    size = array(typecode).itemsize * max(count, 1)
    return memoryview(mmap.mmap(-1, size)).cast(typecode)


def _metrics(
    crosswalk: Dataset, source: Counts, target: Counts, fetched: dict[str, int]
) -> dict[str, Any]:
    counts = dict(
        zip(
            COUNTS,
            (source.missing, target.missing, source.ambiguous, target.ambiguous),
            strict=True,
        )
    )
    return {
        "engine": "crosswalk",
        "rows_fetched": fetched,
        "crosswalk": crosswalk.label,
        **counts,
        "crosswalk_one_to_many": source.ambiguous_keys,
        "crosswalk_many_to_one": target.ambiguous_keys,
        "unmatched_keys": sum(counts.values()),
        "crosswalk_examples": {
            "source_not_in_crosswalk": source.examples.get("missing", []),
            "target_not_in_crosswalk": target.examples.get("missing", []),
            "source_ambiguous": source.examples.get("ambiguous", []),
            "target_ambiguous": target.examples.get("ambiguous", []),
        },
    }
