"""Values at the edges of what the engines hold get one canonical form (issue 11 item 8):
±Infinity and NaN, subnormal and huge numbers, year 1 and year 9999 (also in named zones),
empty text versus NULL. Each engine pair reconciles the values both of its engines can hold
and must find them equal, and must still see a difference where there is one."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from checks.reconcile.canonical_form import canon_number, canon_timestamp
from checks.result import Outcome
from checks.spec import FieldSpec
from datasources.dataset import Dataset, FileSystem
from tests.reconcile.tables import load, unique
from tests.reconcile.test_agreement import _run, _where

PAIRS = [
    ("pg", "pg"),
    ("sqlite", "sqlite"),
    ("mariadb", "mariadb"),
    ("pg", "mariadb"),
    ("pg", "sqlite"),
    ("mariadb", "sqlite"),
    ("file", "pg"),
    ("csv", "pg"),
    ("csv", "sqlite"),
]
INF, NAN = math.inf, math.nan
# What each engine can hold: SQLite stores NaN as NULL and NUMERIC as a double; MariaDB has
# no infinities or NaN; MariaDB converts named zones only inside its TIMESTAMP range.
FLOATS: dict[str, list[float]] = {
    "all": [5e-324, -5e-324, 2.2250738585072014e-308, 1.5, -0.0, 123456789.1234567],
    "infinite": [INF, -INF],
    "nan": [NAN],
}
HOLDS = {
    "pg": {"infinite", "nan", "huge", "zoned"},
    "file": {"infinite", "nan", "huge", "zoned"},
    "csv": {"infinite", "nan", "zoned"},  # CSV numbers are read as doubles (~16 digits)
    "sqlite": {"infinite", "zoned"},
    "mariadb": {"huge"},
}
HUGE = [
    Decimal("12345678901234567890123456789012.123456"),
    Decimal("-99999999999999999999999999999999.999999"),
]
TIMES = [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999), datetime(2026, 1, 1)]


def _dataset(
    kind: str,
    columns: list[tuple[str, str]],
    rows: list[list[Any]],
    zone: str,
    tmp: Path,
    request: pytest.FixtureRequest,
) -> Dataset:
    if kind != "csv":
        return load(_where(kind, request), columns, rows, key=["id"], zone=zone, tmp=tmp)
    path = tmp / f"{unique('csv')}.csv"
    lines = [",".join(c for c, _ in columns)]
    lines += [",".join(_csv_cell(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return Dataset(FileSystem(path.stem, str(path), "csv", timezone=zone))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return {INF: "inf", -INF: "-inf"}.get(value, "NaN" if math.isnan(value) else repr(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return str(value)


def _both(a: str, b: str, feature: str) -> bool:
    return feature in HOLDS[a] and feature in HOLDS[b]


def _reconciled(a: Dataset, b: Dataset, field: str, changed: int = 0) -> None:
    result = _run(a, b, FieldSpec(field, field))
    expected = Outcome.PASSED if changed == 0 else Outcome.FAILED
    assert result.outcome is expected, (result.reason, result.sample)
    assert result.metrics["changed"] == changed, result.sample


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_special_and_extreme_doubles(
    source: str, target: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    values = list(FLOATS["all"])
    for feature in ("infinite", "nan"):
        if _both(source, target, feature):
            values += FLOATS[feature]
    rows = [[i, v] for i, v in enumerate(values, start=1)]
    cols = [("id", "key_int"), ("x", "float")]
    a = _dataset(source, cols, rows, "UTC", tmp_path, request)
    b = _dataset(target, cols, rows, "UTC", tmp_path, request)
    _reconciled(a, b, "x")
    other = [[i, 7.0 if i == len(rows) else v] for i, v in rows]
    _reconciled(a, _dataset(target, cols, other, "UTC", tmp_path, request), "x", changed=1)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_huge_decimals(
    source: str, target: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if not _both(source, target, "huge"):
        pytest.skip(f"{source} or {target} cannot hold a 38-digit decimal")
    cols = [("id", "key_int"), ("d", "wide_decimal")]
    rows = [[1, HUGE[0]], [2, HUGE[1]], [3, Decimal("0.000001")]]
    a = _dataset(source, cols, rows, "UTC", tmp_path, request)
    _reconciled(a, _dataset(target, cols, rows, "UTC", tmp_path, request), "d")
    near = [[1, HUGE[0] + Decimal("0.000001")], rows[1], rows[2]]
    _reconciled(a, _dataset(target, cols, near, "UTC", tmp_path, request), "d", changed=1)


@pytest.mark.parametrize(
    ("source", "target"), [("pg", "pg"), ("mariadb", "mariadb"), ("pg", "mariadb"), ("file", "pg")]
)
def test_decimals_of_59_integer_digits_keep_every_digit(
    source: str, target: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """DECIMAL(65, 6) is MariaDB's widest: values that differ only in the last of 59 integer
    digits are different (a cast to DECIMAL(38, 6) made both the same clamped value)."""
    digits = "1" + "0" * 57  # 58 digits; Decimal arithmetic would round to 28
    cols = [("id", "key_int"), ("d", "widest_decimal")]
    rows = [[1, Decimal(digits + "1")], [2, Decimal("-" + digits + "0.5")]]
    a = _dataset(source, cols, rows, "UTC", tmp_path, request)
    _reconciled(a, _dataset(target, cols, rows, "UTC", tmp_path, request), "d")
    other = [[1, Decimal(digits + "2")], rows[1]]
    _reconciled(a, _dataset(target, cols, other, "UTC", tmp_path, request), "d", changed=1)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Los_Angeles"])
@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_first_and_last_years(
    source: str, target: str, zone: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if zone != "UTC" and not _both(source, target, "zoned"):
        pytest.skip("MariaDB converts named zones only inside the TIMESTAMP range")
    cols = [("id", "key_int"), ("at", "ts")]
    rows = [[i, t] for i, t in enumerate(TIMES, start=1)]
    a = _dataset(source, cols, rows, zone, tmp_path, request)
    _reconciled(a, _dataset(target, cols, rows, zone, tmp_path, request), "at")
    moved = [[1, datetime(1, 1, 1, 0, 0, 1)], rows[1], rows[2]]
    _reconciled(a, _dataset(target, cols, moved, zone, tmp_path, request), "at", changed=1)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_empty_text_is_not_null(
    source: str, target: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    cols = [("id", "key_int"), ("t", "text")]
    rows = [[1, ""], [2, None], [3, "NA"], [4, "NULL"], [5, "NaN"], [6, " "]]
    a = _dataset(source, cols, rows, "UTC", tmp_path, request)
    _reconciled(a, _dataset(target, cols, rows, "UTC", tmp_path, request), "t")
    swapped = [[1, None], [2, ""], *rows[2:]]
    _reconciled(a, _dataset(target, cols, swapped, "UTC", tmp_path, request), "t", changed=2)


def test_the_python_twin_writes_what_postgresql_writes() -> None:
    assert canon_number(INF) == "Infinity" and canon_number(-INF) == "-Infinity"
    assert canon_number(NAN) == "NaN" and canon_number("NaN") == "NaN"
    assert canon_number(Decimal("1e40")) == "1" + "0" * 40 + ".000000"
    assert canon_number(-5e-324) == "0.000000"
    assert canon_timestamp(datetime(1, 1, 1), "UTC") == "0001-01-01 00:00:00.000000"
    assert canon_timestamp(datetime(1, 1, 1), "Europe/Berlin") == "0001-12-31 23:06:32.000000 BC"
    last = datetime(9999, 12, 31, 23, 0)
    assert canon_timestamp(last, "America/Los_Angeles") == "10000-01-01 07:00:00.000000"


def test_unquoted_csv_words_are_values_not_null(pg_url: str, tmp_path: Path) -> None:
    """An empty unquoted CSV field, NULL and \\N are NULL; NA (Namibia), N/A, NaN are values."""
    path = tmp_path / f"{unique('csv')}.csv"
    path.write_text('id,t,x\n1,NA,NaN\n2,null,inf\n3,N/A,-inf\n4,,\\N\n5,"",1.5\n6,NULL,2\n')
    csv = Dataset(FileSystem(path.stem, str(path), "csv"))
    cols = [("id", "key_int"), ("t", "text"), ("x", "float")]
    rows = [[1, "NA", NAN], [2, "null", INF], [3, "N/A", -INF], [4, None, None], [5, "", 1.5]]
    rows.append([6, None, 2.0])
    pg = load(pg_url, cols, rows, key=["id"])
    result = _run(csv, pg, FieldSpec("t", "t"), FieldSpec("x", "x"))
    assert result.outcome is Outcome.PASSED, (result.reason, result.sample)
    other = load(pg_url, cols, [[1, None, NAN], *rows[1:3], [4, None, NAN], *rows[4:]], key=["id"])
    changed = _run(csv, other, FieldSpec("t", "t"), FieldSpec("x", "x"))
    assert {k.key["id"] for k in changed.mismatched_keys} == {1, 4}


@pytest.mark.parametrize("where", ["mariadb", "pg"])
def test_doubles_beyond_any_decimal_are_never_clamped_equal(
    where: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """MariaDB cannot cast a double of 1e59 or more to DECIMAL; it is compared by its own
    digits instead of as the same clamped 99…9 (which made 1e300 equal 2e300)."""
    cols = [("id", "key_int"), ("x", "float")]
    rows = [[1, 1e300], [2, -1.7976931348623157e308], [3, 1e59], [4, 9.99e58]]
    a = _dataset(where, cols, rows, "UTC", tmp_path, request)
    _reconciled(a, _dataset(where, cols, rows, "UTC", tmp_path, request), "x")
    other = [[1, 2e300], rows[1], [3, 2e59], rows[3]]
    b = _dataset(where, cols, other, "UTC", tmp_path, request)
    _reconciled(a, b, "x", changed=2)
    loose = _run(a, b, FieldSpec("x", "x", tolerance=0.5))  # a tolerance must not hide them
    assert loose.metrics["changed"] == 2, loose.sample
