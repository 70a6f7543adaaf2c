"""One files side of a reconcile: canonical rows computed in Python from streamed batches.

Rows are bucketed in Python like the other side buckets them in its database (key hash).
Checksums take one pass with memory per bucket only; rows of differing buckets take a second
pass keeping just those rows. When every bucket differs the whole file is held in memory,
sorted by bucket: fine for exports up to a few million rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd

from checks.reconcile.buckets import Buckets, Extent
from checks.reconcile.canonical_form import (
    CanonicalError,
    canonicalizer,
    hash60,
    normalize,
    row_text,
)
from checks.reconcile.checksum_engine import null_message
from checks.reconcile.errors import IncomparableTypes, NullKeys
from checks.reconcile.plan import Column, Pair, Plan, arrow_category
from datasources.dataset import Dataset, FileSystem
from datasources.files import column_types, iter_batches

Row = tuple[int, tuple[str | None, ...], tuple[str | None, ...], bool]
Canon = Callable[[Any], str | None]


def describe_files(dataset: Dataset) -> dict[str, Column]:
    """Columns of a files dataset, named "file:<arrow type>"."""
    assert isinstance(dataset.system, FileSystem)
    found = column_types(dataset.system)
    columns = {}
    for name, arrow_type in found.items():
        category, zoned = arrow_category(arrow_type)
        columns[name] = Column(name, category, f"file:{arrow_type}", zoned)
    return columns


class FileSide:
    """Canonical rows of a files dataset; `role` is "source" or "target"."""

    def __init__(self, dataset: Dataset, plan: Plan, role: str) -> None:
        assert isinstance(dataset.system, FileSystem)
        self.dataset, self.plan, self.role = dataset, plan, role
        self.system = dataset.system
        zone = self.system.timezone
        self.key_fns = [self._fn(p, zone) for p in plan.keys]
        self.field_fns = [self._field_fn(p, zone) for p in plan.fields]
        updated = plan.source_updated if role == "source" else plan.target_updated
        self.updated = updated.name if updated is not None and plan.cutoff is not None else None
        self.updated_fn = canonicalizer("timestamp", zone)
        names = [self._col(p).name for p in (*plan.keys, *plan.fields)]
        self.columns = list(dict.fromkeys([*names, *([self.updated] if self.updated else [])]))

    def _col(self, pair: Pair) -> Column:
        return pair.source if self.role == "source" else pair.target

    def _fn(self, pair: Pair, zone: str) -> Canon:
        category = pair.source_category if self.role == "source" else pair.target_category
        return canonicalizer(category, zone)

    def _field_fn(self, pair: Pair, zone: str) -> Canon:
        base = self._fn(pair, zone)
        norm = pair.spec.normalize if pair.spec else ()
        mapping = pair.source_map() if self.role == "source" else {}

        def apply(value: Any) -> str | None:
            text = normalize(base(value), norm)
            return mapping.get(text, text) if text is not None and mapping else text

        return apply

    def extent(self) -> Extent:
        """Rows in the files (files always use hash buckets); a NULL key is an error."""
        key_names = list(dict.fromkeys(self._col(p).name for p in self.plan.keys))
        rows, nulls, examples = 0, 0, list[dict[str, Any]]()
        for frame in iter_batches(self.system, key_names):
            missing = frame[key_names].isna().any(axis=1)
            if len(examples) < 5 and missing.any():
                positions = [i for i, m in enumerate(missing.tolist()) if m][: 5 - len(examples)]
                values = {n: _values(frame[n]) for n in key_names}
                for i in positions:
                    examples.append({"row": rows + i + 1, **{n: values[n][i] for n in key_names}})
            nulls += int(missing.sum())
            rows += len(frame)
        if nulls:
            raise NullKeys(null_message(self.dataset, key_names, nulls, examples))
        return Extent(rows)

    def _canonical_rows(self, buckets: Buckets) -> Iterator[tuple[int, Row, int]]:
        key_names = [self._col(p).name for p in self.plan.keys]
        field_names = [self._col(p).name for p in self.plan.fields]
        for frame in iter_batches(self.system, self.columns):
            keys = [_values(frame[n]) for n in key_names]
            fields = [_values(frame[n]) for n in field_names]
            stamps = _values(frame[self.updated]) if self.updated else None
            for i in range(len(frame)):
                try:
                    key = tuple(fn(col[i]) for fn, col in zip(self.key_fns, keys, strict=True))
                    vals = tuple(fn(col[i]) for fn, col in zip(self.field_fns, fields, strict=True))
                    late = bool(
                        stamps and (self.updated_fn(stamps[i]) or "") > str(self.plan.cutoff)
                    )
                except CanonicalError as exc:
                    raise self._unreadable(exc, keys + fields, i) from exc
                bucket = buckets.of_key(key)
                yield bucket, (bucket, key, vals, late), hash60(row_text(key + vals))

    def _unreadable(self, exc: CanonicalError, columns: list[list[Any]], i: int) -> Exception:
        """The error naming the column, its value, and the other side's column and type."""
        pairs = (*self.plan.keys, *self.plan.fields)
        fns = (*self.key_fns, *self.field_fns)
        for pair, fn, column in zip(pairs, fns, columns, strict=True):
            try:
                fn(column[i])
            except CanonicalError as found:
                mine = self._col(pair)
                other = pair.target if self.role == "source" else pair.source
                other_label = (
                    self.plan.spec.target if self.role == "source" else self.plan.spec.source
                ).label
                return IncomparableTypes(
                    f"{self.dataset.label}: column {mine.name!r} holds {found}; it is compared "
                    f"with {other_label}.{other.name} ({other.type_name}): fix the value in "
                    f"the file, or compare a query that casts {other.name} to text"
                )
        return IncomparableTypes(f"{self.dataset.label}: {exc}")

    def checksums(self, buckets: Buckets) -> Iterator[tuple[int, int, int, int]]:
        """(bucket, rows, sum of row hashes, rows in flight) of non-empty buckets."""
        sums: dict[int, list[int]] = {}
        for bucket, row, digest in self._canonical_rows(buckets):
            entry = sums.setdefault(bucket, [0, 0, 0])
            entry[0] += 1
            entry[1] += digest
            entry[2] += int(row[3])
        for bucket, (n, h, f) in sums.items():
            yield bucket, n, h, f

    def rows(
        self,
        buckets: Buckets,
        wanted: Sequence[int] | None,
        modulus: int | None = None,
        alone: int | None = None,
    ) -> Iterator[Row]:
        """(bucket, key, fields, in flight) of the wanted buckets (all if None), bucket order;
        with `modulus`, of the buckets whose number mod `modulus` is wanted."""
        keep = None if wanted is None else set(wanted)
        m = modulus or buckets.count
        kept = [row for b, row, _ in self._canonical_rows(buckets) if keep is None or b % m in keep]
        kept.sort(key=lambda row: row[0])
        yield from kept

    def duplicates(self, limit: int = 5) -> list[tuple[Any, ...]]:
        """Files carry no constraints: duplicates are found while merging."""
        return []


def _values(series: pd.Series) -> list[Any]:
    """Python values, None for NULL; a double's NaN stays NaN (its column's NULL mask says)."""
    nulls = series.isna().tolist()
    values = series.astype(object).tolist()
    return [
        None if null or (_missing(v) and not _is_nan(v)) else v
        for v, null in zip(values, nulls, strict=True)
    ]


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _missing(value: Any) -> bool:
    try:
        return bool(value is None or value is pd.NaT or pd.isna(value))
    except (TypeError, ValueError):
        return False
