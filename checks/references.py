"""The references check: every non-null value of a column exists in another dataset's column.

One database: a single anti-join, computed there. Two databases (or files): each side streams
its distinct values in one shared sort order (referencing side with a row count per value)
and dxq merges the two streams, so memory stays flat whatever the table sizes. Values whose
column types differ in kind (integer vs text) are compared as text.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from checks.result import CheckKind, CheckResult, Outcome, error_result
from checks.schema import type_family
from checks.spec import ReferenceSpec
from checks.volume import datasource_reason
from datasources.connection import read_only
from datasources.dataset import Dataset, FileSystem, SqlSystem
from datasources.dialect import family
from datasources.errors import Cause, DatasourceError
from datasources.files import iter_batches
from datasources.introspection import columns, require_columns, selectable

_BATCH_ROWS = 10_000
_NATIVE = {"integer": "number", "number": "number", "date": "date", "timestamp": "timestamp"}
_BINARY_COLLATION = {"postgresql": "C", "sqlite": "BINARY", "mysql": "utf8mb4_bin"}
_MARIADB_COLLATION = "utf8mb4_nopad_bin"  # binary without PAD SPACE: 'a' sorts before 'a '

_END: Any = object()


class _OrderMismatch(Exception):
    """The two sides did not deliver their values in the same order."""


@dataclass
class _Tally:
    checked_values: int = 0
    checked_rows: int = 0
    missing_values: int = 0
    missing_rows: int = 0
    sample: list[tuple[Any, int]] = field(default_factory=list)
    query: str | None = None


def check_references(spec: ReferenceSpec) -> CheckResult:
    """Count the distinct values (and rows) of the referencing column missing on the other side."""
    started = time.perf_counter()
    families: list[str] = []
    for dataset, column in ((spec.dataset, spec.column), (spec.referenced, spec.referenced_column)):
        try:
            require_columns(dataset, [column])
            families.append(type_family(columns(dataset)[column]))
        except DatasourceError as exc:
            reason = datasource_reason(dataset, exc)
            return error_result(
                spec.name, CheckKind.REFERENCES, spec.severity, reason, cause=exc.cause
            )
    kinds = [_NATIVE.get(family, "text") for family in families]
    differ = kinds[0] != kinds[1]  # integer against text, say: compare as text
    try:
        if _share_database(spec.dataset, spec.referenced):
            tally = _tally_in_one_database(spec, differ)
        else:
            tally = _tally_across(spec, differ or kinds[0] == "text")
    except DatasourceError as exc:
        reason = f"{spec.dataset.label} -> {spec.referenced.label}: {exc}"
        return error_result(spec.name, CheckKind.REFERENCES, spec.severity, reason, cause=exc.cause)
    except (_OrderMismatch, TypeError) as exc:
        reason = (
            f"cannot compare {spec.dataset.label}.{spec.column} with "
            f"{spec.referenced.label}.{spec.referenced_column}: {exc}"
        )
        return error_result(
            spec.name, CheckKind.REFERENCES, spec.severity, reason, cause=Cause.BAD_QUERY
        )
    return _result(spec, tally, time.perf_counter() - started)


def _result(spec: ReferenceSpec, tally: _Tally, duration_s: float) -> CheckResult:
    target = f"{spec.referenced.label}.{spec.referenced_column}"
    found = tally.missing_values == 0
    rate = tally.missing_rows / tally.checked_rows if tally.checked_rows else 0.0
    observed = (
        f"all {tally.checked_values} distinct {spec.column} values found in {target}"
        if found
        else f"{tally.missing_values} of {tally.checked_values} distinct {spec.column} values "
        f"({tally.missing_rows} rows) not found in {target}"
    )
    return CheckResult(
        check=spec.name,
        kind=CheckKind.REFERENCES,
        outcome=Outcome.PASSED if found else Outcome.for_failure(spec.severity),
        severity=spec.severity,
        metrics={
            "checked_values": tally.checked_values,
            "checked_rows": tally.checked_rows,
            "missing_values": tally.missing_values,
            "missing_rows": tally.missing_rows,
            "missing_rate": rate,
        },
        headline="missing_rate",
        observed=observed,
        expected=f"every {spec.column} in {spec.dataset.label} exists in {target}",
        sample=[{"value": to_json_value(v), "rows": n} for v, n in tally.sample],
        query=None if found else tally.query,
        reason=None if found else observed,
        side="target",
        duration_s=duration_s,
    )


def _share_database(a: Dataset, b: Dataset) -> bool:
    return (
        isinstance(a.system, SqlSystem)
        and isinstance(b.system, SqlSystem)
        and (a.system.url == b.system.url)
    )


def _tally_in_one_database(spec: ReferenceSpec, as_text: bool) -> _Tally:
    system = spec.dataset.system
    assert isinstance(system, SqlSystem)
    with read_only(system) as conn:
        child = selectable(spec.dataset, conn).alias("referencing")
        parent = selectable(spec.referenced, conn).alias("referenced")
        value, ref = child.c[spec.column], parent.c[spec.referenced_column]
        value_key = sa.cast(value, sa.String) if as_text else value
        ref_key = sa.cast(ref, sa.String) if as_text else ref
        known = sa.select(ref_key.label("v")).where(ref.is_not(None)).distinct().subquery("known")
        joined = child.outerjoin(known, known.c.v == value_key)
        missing = known.c.v.is_(None)
        totals = conn.execute(
            sa.select(
                sa.func.count(sa.distinct(value)),
                sa.func.count(),
                sa.func.count(sa.distinct(sa.case((missing, value)))),
                sa.func.coalesce(sa.func.sum(sa.case((missing, 1), else_=0)), 0),
            )
            .select_from(joined)
            .where(value.is_not(None))
        ).one()
        rows = conn.execute(
            sa.select(value, sa.func.count())
            .select_from(joined)
            .where(value.is_not(None), missing)
            .group_by(value)
            .order_by(value)
            .limit(spec.sample)
        ).all()
        failing = sa.select(child).where(
            value.is_not(None), ~sa.exists().where(ref_key == value_key)
        )
        query = _render(failing, conn.dialect)
    return _Tally(
        checked_values=int(totals[0]),
        checked_rows=int(totals[1]),
        missing_values=int(totals[2]),
        missing_rows=int(totals[3]),
        sample=[(row[0], int(row[1])) for row in rows],
        query=query,
    )


def _tally_across(spec: ReferenceSpec, as_text: bool) -> _Tally:
    with ExitStack() as stack:
        child = _values(stack, spec.dataset, spec.column, as_text, counted=True)
        parent = _values(stack, spec.referenced, spec.referenced_column, as_text, counted=False)
        tally = _merge(child, parent, spec.sample)
        if tally.sample and isinstance(spec.dataset.system, SqlSystem):
            tally.query = _rows_with_values(stack, spec, as_text, [v for v, _ in tally.sample])
    return tally


def _merge(
    child: Iterator[tuple[Any, int]], parent: Iterator[tuple[Any, int]], size: int
) -> _Tally:
    tally = _Tally()
    parents = (value for value, _ in _ascending(parent))
    current = next(parents, _END)
    for value, rows in _ascending(child):
        tally.checked_values += 1
        tally.checked_rows += rows
        while current is not _END and current < value:
            current = next(parents, _END)
        if current is _END or current != value:
            tally.missing_values += 1
            tally.missing_rows += rows
            if len(tally.sample) < size:
                tally.sample.append((value, rows))
    return tally


def _ascending(stream: Iterator[tuple[Any, int]]) -> Iterator[tuple[Any, int]]:
    previous: Any = _END
    for value, rows in stream:
        if previous is not _END and not previous < value:
            raise _OrderMismatch(f"values arrived out of order ({previous!r} before {value!r})")
        previous = value
        yield (value, rows)


def _values(
    stack: ExitStack, dataset: Dataset, column: str, as_text: bool, *, counted: bool
) -> Iterator[tuple[Any, int]]:
    """Distinct non-null values in ascending order, with their row counts when `counted`."""
    system = dataset.system
    if isinstance(system, FileSystem):
        return _file_values(system, column, as_text)
    conn = stack.enter_context(read_only(system))
    col = selectable(dataset, conn).c[column]
    key = _text_key(col, conn.dialect) if as_text else col
    if counted:
        stmt = sa.select(key, sa.func.count()).where(col.is_not(None)).group_by(key)
    else:
        stmt = sa.select(key, sa.literal(1)).where(col.is_not(None)).group_by(key)
    options = conn.execution_options(stream_results=True, yield_per=_BATCH_ROWS)
    result = options.execute(stmt.order_by(key))
    stack.callback(result.close)  # an unfinished stream is closed before its connection
    return ((row[0], int(row[1])) for row in result)


def _text_key(col: sa.ColumnElement[Any], dialect: sa.Dialect) -> sa.ColumnElement[Any]:
    """The column as text in code-point order, the order Python sorts strings in."""
    name = family(dialect.name)
    text = sa.cast(col, sa.String)
    collation = _BINARY_COLLATION.get(name)
    if getattr(dialect, "is_mariadb", False):
        collation = _MARIADB_COLLATION
    return sa.collate(text, collation) if collation else text


def _file_values(system: FileSystem, column: str, as_text: bool) -> Iterator[tuple[Any, int]]:
    counts: Counter[Any] = Counter()
    for batch in iter_batches(system, [column], _BATCH_ROWS * 10):
        for value in batch[column].dropna():
            plain = value.item() if hasattr(value, "item") else value
            counts[str(plain) if as_text else plain] += 1
    return iter(sorted(counts.items()))


def _rows_with_values(
    stack: ExitStack, spec: ReferenceSpec, as_text: bool, values: list[Any]
) -> str | None:
    system = spec.dataset.system
    assert isinstance(system, SqlSystem)
    conn = stack.enter_context(read_only(system))
    source = selectable(spec.dataset, conn)
    col = source.c[spec.column]
    key = sa.cast(col, sa.String) if as_text else col
    return _render(sa.select(source).where(key.in_(values)), conn.dialect)


def _render(stmt: sa.Select[Any], dialect: sa.Dialect) -> str | None:
    try:
        return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except (sa.exc.CompileError, NotImplementedError, TypeError):
        return None


def to_json_value(value: Any) -> Any:
    """A database value as JSON: numbers stay numbers, dates become ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
