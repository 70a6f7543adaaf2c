"""Files systems: every file matching the glob, in file-name order, read as one dataset.

CSV is read as text and typed by dxq, not by pandas: a column becomes integer, float,
boolean or timestamp only when every non-empty value in every file is written that way, and
a number written with a leading zero or a plus sign ("00123", "+49…") keeps the column as
text, so identifiers and keys stay exactly as exported. An unquoted empty field is NULL and a
quoted one (`""`) is the empty string, so NULL stays distinct from empty. Naive timestamps stay
naive (their zone is `FileSystem.timezone`); timestamps with offsets become UTC. Parquet and
JSON lines keep their own types and nulls. In every format the first file names the columns:
a later file's extra columns are ignored and its missing ones read as NULL.
"""

from __future__ import annotations

import csv
import glob
import os
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.dataset as pads

from datasources.dataset import FileSystem
from datasources.errors import ColumnNotFound, DatasetNotFound, QueryFailed

_PATTERNS = {
    "int": r"^-?(0|[1-9][0-9]{0,17})$",
    "float": r"^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?|(?i:[-+]?(nan|inf|infinity)))$",
    "bool": r"^(?i)(true|false)$",
    "timestamp": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?$",
    "timestamptz": (
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
        r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
    ),
}
_BLOCK_BYTES = 4 << 20
_READ_ERRORS = (pa.ArrowException, OSError, UnicodeDecodeError, csv.Error)


def matching_files(system: FileSystem) -> list[str]:
    """The files of the system, sorted by path; empty when nothing matches."""
    found = glob.glob(os.path.expanduser(system.pattern), recursive=True)
    return sorted(path for path in found if os.path.isfile(path))


def read_frame(system: FileSystem, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """All matching files as one DataFrame (use `iter_batches` for large feeds)."""
    frames = list(iter_batches(system, columns, batch_size=1 << 40))
    if frames:
        return frames[0]
    types = column_types(system)
    names = list(columns) if columns is not None else list(types)
    empty = pa.schema([(name, types[name]) for name in names]).empty_table()
    return _to_pandas(empty)


def iter_batches(
    system: FileSystem, columns: Sequence[str] | None, batch_size: int = 50_000
) -> Iterator[pd.DataFrame]:
    """The rows of all matching files, in order, as DataFrames of at most about `batch_size`."""
    files = _files(system)
    try:
        if system.format == "csv":
            kinds = _csv_kinds(files)
            names = _checked(system, list(kinds), columns)
            batches = (_typed(b, kinds) for b in _csv_text_batches(files, names))
        else:
            dataset = pads.dataset(files, format=_arrow_format(system))
            names = _checked(system, dataset.schema.names, columns)
            batches = dataset.to_batches(columns=names, batch_size=min(batch_size, 1 << 20))
        yield from _rebatched(batches, batch_size)
    except _READ_ERRORS as exc:
        raise QueryFailed(f"files system {system.name!r}: cannot read: {exc}") from exc


def column_types(system: FileSystem) -> dict[str, pa.DataType]:
    """Column name -> Arrow type, as `iter_batches` would deliver them."""
    files = _files(system)
    try:
        if system.format == "csv":
            return {name: _KIND_TYPES[kind] for name, kind in _csv_kinds(files).items()}
        schema = pads.dataset(files, format=_arrow_format(system)).schema
    except _READ_ERRORS as exc:
        raise QueryFailed(f"files system {system.name!r}: cannot read: {exc}") from exc
    return {field.name: field.type for field in schema}


def count_file_rows(system: FileSystem) -> int:
    """Number of rows in all matching files (Parquet from its metadata)."""
    files = _files(system)
    try:
        if system.format == "csv":
            return sum(batch.num_rows for batch in _csv_text_batches(files, None))
        return int(pads.dataset(files, format=_arrow_format(system)).count_rows())
    except _READ_ERRORS as exc:
        raise QueryFailed(f"files system {system.name!r}: cannot read: {exc}") from exc


def max_file_value(system: FileSystem, column: str) -> Any:
    """The largest non-null value of a column, as a Python value; None if all are null."""
    best: Any = None
    for frame in iter_batches(system, [column]):
        values = frame[column].dropna()
        if not values.empty:
            top = values.max()
            best = top if best is None or top > best else best
    if isinstance(best, pd.Timestamp):
        return best.to_pydatetime()
    return best.item() if hasattr(best, "item") else best


_KIND_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "string": pa.string(),
}


def _files(system: FileSystem) -> list[str]:
    files = matching_files(system)
    if not files:
        raise DatasetNotFound(f"files system {system.name!r}: no files match {system.pattern!r}")
    return files


def _arrow_format(system: FileSystem) -> str:
    return "json" if system.format == "jsonl" else system.format


def _checked(system: FileSystem, existing: list[str], wanted: Sequence[str] | None) -> list[str]:
    if wanted is None:
        return existing
    missing = [name for name in wanted if name not in existing]
    if missing:
        raise ColumnNotFound(
            f"{system.name}: no column {', '.join(map(repr, missing))}; "
            f"columns are: {', '.join(existing)}"
        )
    return list(wanted)


def _csv_header(path: str) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), [])


def _csv_text_batches(files: list[str], names: list[str] | None) -> Iterator[pa.RecordBatch]:
    """Every CSV value as text; columns missing from a file come back as NULL."""
    wanted = names if names is not None else _csv_header(files[0])
    for path in files:
        header = _csv_header(path)
        convert = pcsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            # NULL is an empty unquoted field or a SQL export's NULL / \N; unlike Arrow's
            # default list, NA (Namibia), N/A and NaN are values.
            null_values=["", "NULL", "\\N"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            include_columns=wanted,
            include_missing_columns=True,
        )
        read = pcsv.ReadOptions(block_size=_BLOCK_BYTES, encoding="utf8")
        with pcsv.open_csv(path, read_options=read, convert_options=convert) as reader:
            yield from reader


def _csv_kinds(files: list[str]) -> dict[str, str]:
    """One streaming pass: the narrowest kind every non-null value of each column fits."""
    names = _csv_header(files[0])
    candidates = {name: set(_PATTERNS) for name in names}
    seen: set[str] = set()
    for batch in _csv_text_batches(files, names):
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            values = column.drop_null()
            if len(values) == 0 or not candidates[name]:
                continue
            seen.add(name)
            for kind in list(candidates[name]):
                if not pc.all(pc.match_substring_regex(values, _PATTERNS[kind])).as_py():
                    candidates[name].discard(kind)
    order = ["int", "float", "bool", "timestamp", "timestamptz"]
    return {
        name: next((k for k in order if k in candidates[name]), "string")
        if name in seen
        else "string"
        for name in names
    }


def _typed(batch: pa.RecordBatch, kinds: dict[str, str]) -> pa.RecordBatch:
    arrays: list[pa.Array] = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        kind = kinds[name]
        column = column.cast(pa.string())
        if kind == "bool":
            arrays.append(pc.equal(pc.utf8_lower(column), "true"))
        elif kind.startswith("timestamp"):
            parsed = pd.to_datetime(column.to_pandas(), format="ISO8601", utc=kind == "timestamptz")
            arrays.append(pa.array(parsed, type=_KIND_TYPES[kind]))
        else:
            arrays.append(pc.cast(column, _KIND_TYPES[kind]))
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _rebatched(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pd.DataFrame]:
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        while rows >= size:
            table = pa.Table.from_batches(pending)
            yield _to_pandas(table.slice(0, size))
            pending, rows = table.slice(size).to_batches(), rows - size
    if rows:
        yield _to_pandas(pa.Table.from_batches(pending))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_nullable_dtype)


def _nullable_dtype(arrow_type: pa.DataType) -> Any:
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_floating(arrow_type):
        return pd.ArrowDtype(arrow_type)  # keeps NaN apart from NULL (Float64 merges them)
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None
