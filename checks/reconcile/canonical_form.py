"""The canonical form in Python: the twin of datasources.canonical's SQL, for files and SQLite.

Every value is compared as canonical text: integers as digits, other numbers rounded half away
from zero to NUMBER_SCALE decimals (doubles from their shortest round-trip decimal; any number of
digits), "NaN", "Infinity" and "-Infinity" as PostgreSQL writes them, timestamps as UTC
"YYYY-MM-DD HH:MM:SS.ffffff" (a four-digit year; an instant before year 1 in UTC is
"0001-12-31 … BC" and one after 9999 is "10000-01-01 …", as PostgreSQL writes them), dates as
"YYYY-MM-DD", text as normalised. NULL stays None, distinct from "" and from NaN.

Naive timestamps are read in the system's zone with PostgreSQL's rule for the hours a clock
change makes ambiguous or skips: the smaller UTC offset wins (an autumn 02:30 is winter time,
a spring 02:30 uses the offset before the change). `lower`/`upper` map ASCII letters only.
"""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from checks.reconcile.key_tails import tail_of
from datasources.canonical import (
    ASCII_LOWER,
    ASCII_UPPER,
    KEY_SEPARATOR,
    NUMBER_SCALE,
    WHITESPACE,
)

_QUANTUM = Decimal(1).scaleb(-NUMBER_SCALE)
_EDGES = re.compile(f"^[{WHITESPACE}]+|[{WHITESPACE}]+$")
_RUNS = re.compile(f"[{WHITESPACE}]+")
_TO_LOWER = str.maketrans(ASCII_UPPER, ASCII_LOWER)
_TO_UPPER = str.maketrans(ASCII_LOWER, ASCII_UPPER)


class CanonicalError(ValueError):
    """A value cannot be put in canonical form (e.g. text where a number is expected)."""


def canon_integer(value: Any) -> str | None:
    """Digits of an integer (booleans are 0/1)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    number = _decimal(value)
    if not number.is_finite() or number != number.to_integral_value():
        return canon_number(value)
    return str(int(number))


def canon_number(value: Any) -> str | None:
    """The number rounded half away from zero to NUMBER_SCALE decimals, fixed notation with
    every digit; NaN and ±Infinity as PostgreSQL writes them."""
    if value is None:
        return None
    number = _decimal(value)
    if number.is_nan():
        return "NaN"
    if number.is_infinite():
        return "-Infinity" if number < 0 else "Infinity"
    digits = max(28, number.adjusted() + NUMBER_SCALE + 2)  # never too few for quantize
    number = number.quantize(_QUANTUM, rounding=ROUND_HALF_UP, context=Context(prec=digits))
    if number.is_zero():
        number = abs(number)
    return f"{number:f}"


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(repr(value))  # shortest round-trip digits, as MariaDB and PostgreSQL
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise CanonicalError(f"{value!r} is not a number") from exc


def canon_timestamp(value: Any, zone: str) -> str | None:
    """UTC text of a timestamp; naive values are in `zone`."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise CanonicalError(f"{value!r} is not a timestamp") from exc
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if not isinstance(value, datetime):
        if isinstance(value, date):
            value = datetime(value.year, value.month, value.day)
        else:
            raise CanonicalError(f"{value!r} is not a timestamp")
    if value.tzinfo is None:
        value = localized(value, ZoneInfo(zone))
    return utc_text(value)


def utc_text(aware: datetime) -> str:
    """ "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, as PostgreSQL's to_char writes it: the year always
    has four digits, an instant before year 1 ends in " BC" (year 1 BC is written 0001) and one
    after 9999 has a five-digit year."""
    offset = aware.utcoffset() or timedelta(0)
    naive = aware.replace(tzinfo=None)
    try:
        utc = naive - offset
    except OverflowError:  # the UTC day is 1 BC-12-31 or 10000-01-01 (offsets are < 1 day)
        if offset > timedelta(0):
            return f"0001-12-31 {(naive + timedelta(days=1) - offset):%H:%M:%S.%f} BC"
        return f"10000-01-01 {(naive - timedelta(days=1) - offset):%H:%M:%S.%f}"
    return f"{utc.year:04d}-{utc:%m-%d %H:%M:%S.%f}"


def localized(naive: datetime, zone: ZoneInfo) -> datetime:
    """A naive time in `zone`, taking the smaller UTC offset when a clock change makes it
    ambiguous (autumn) or skipped (spring), as PostgreSQL does."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    a, b = first.utcoffset(), second.utcoffset()
    return second if a is not None and b is not None and b < a else first


def canon_date(value: Any) -> str | None:
    """ISO text of a date."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise CanonicalError(f"{value!r} is not a date") from exc
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise CanonicalError(f"{value!r} is not a date")
    return value.isoformat()


def canon_text(value: Any) -> str | None:
    """Text as stored (bytes are read as UTF-8)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def normalize(value: str | None, normalizers: Sequence[str]) -> str | None:
    """Apply text normalisers in the order given (case mapping of ASCII letters only)."""
    if value is None:
        return None
    for name in normalizers:
        if name == "trim":
            value = _EDGES.sub("", value)
        elif name == "collapse_whitespace":
            value = _RUNS.sub(" ", value)
        elif name == "lower":
            value = value.translate(_TO_LOWER)
        elif name == "upper":
            value = value.translate(_TO_UPPER)
    return value


def canonicalizer(category: str, zone: str) -> Callable[[Any], str | None]:
    """The canonical-text function for one column category."""
    if category == "integer":
        return canon_integer
    if category == "number":
        return canon_number
    if category == "timestamp":
        return lambda value: canon_timestamp(value, zone)
    if category == "date":
        return canon_date
    return canon_text


def row_text(values: Sequence[str | None]) -> str:
    """Injective encoding of canonical values: "-" for NULL, else "<length>:<text>"."""
    return "".join("-" if v is None else f"{len(v)}:{v}" for v in values)


def key_text(values: Sequence[str | None]) -> str:
    """The text a key is bucketed by (datasources.canonical.key_text in SQL)."""
    return KEY_SEPARATOR.join(v or "" for v in values)


def hash60(text: str) -> int:
    """The first 60 bits of the MD5 of the UTF-8 text."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:15], 16)


def hash32(text: str) -> int:
    """The first 32 bits of the MD5 of the UTF-8 text."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16)


class _HashSum:
    """SQLite aggregate: exact sum of 60-bit hashes, returned as text (it overflows int64)."""

    def __init__(self) -> None:
        self.total = 0

    def step(self, value: int | None) -> None:
        if value is not None:
            self.total += value

    def finalize(self) -> str:
        return str(self.total)


def _safe(function: Callable[..., str | None]) -> Callable[..., str | None]:
    def wrapped(*args: Any) -> str | None:
        try:
            return function(*args)
        except CanonicalError:
            return "!invalid:" + str(args[0])

    return wrapped


def install_sqlite_functions(dbapi_conn: sqlite3.Connection) -> None:
    """Register the canonical functions that datasources.canonical uses on SQLite."""
    fns: dict[str, tuple[int, Callable[..., Any]]] = {
        "dxq_integer": (1, _safe(canon_integer)),
        "dxq_number": (1, _safe(canon_number)),
        "dxq_timestamp": (2, _safe(canon_timestamp)),
        "dxq_date": (1, _safe(canon_date)),
        "dxq_text": (1, canon_text),
        "dxq_normalize": (2, lambda v, n: normalize(v, n.split(",") if n else ())),
        "dxq_hash60": (1, lambda t: None if t is None else hash60(t)),
        "dxq_hash32": (1, lambda t: None if t is None else hash32(t)),
        "dxq_tail": (1, lambda t: None if t is None else tail_of(t)),
        "dxq_exceeds": (4, exceeds_text),
    }
    for name, (arity, function) in fns.items():
        dbapi_conn.create_function(name, arity, function, deterministic=True)
    dbapi_conn.create_aggregate("dxq_hashsum", 1, _HashSum)  # type: ignore[arg-type]


def exceeds(
    source: Decimal, target: Decimal, absolute: float | None, relative: float | None
) -> bool:
    """Whether two numbers differ by more than the tolerances allow."""
    diff = abs(source - target)
    allowed = Decimal(0)
    if absolute is not None:
        allowed = max(allowed, Decimal(str(absolute)))
    if relative is not None:
        allowed = max(allowed, Decimal(str(relative)) * abs(source))
    return diff > allowed


def exceeds_text(
    source: str | None, target: str | None, absolute: float | None, relative: float | None
) -> int:
    """`exceeds` over canonical texts, with NULL distinct from any number (SQLite twin)."""
    if source is None or target is None:
        return int(source is not target)
    if source == target:  # also NaN and ±Infinity, which arithmetic cannot compare
        return 0
    try:
        return int(exceeds(Decimal(source), Decimal(target), absolute, relative))
    except InvalidOperation:
        return int(source != target)
