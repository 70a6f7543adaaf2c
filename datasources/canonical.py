"""Dialect-aware SQL pieces of reconcile's canonical form.

Each SQL system computes, inside the database, the canonical text of a value (see
checks/reconcile/canonical_form.py for the same rules in Python), an injective row text, a
60-bit MD5 row hash and a 32-bit key hash. PostgreSQL and MariaDB use md5(); SQLite has none,
so dxq registers deterministic Python functions (`dxq_*`) on each SQLite connection. Identifiers
are always SQLAlchemy columns, never pasted into SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

NUMBER_SCALE = 6
WHITESPACE = " \t\n\r\f\v"
KEY_SEPARATOR = "\x1f"  # ASCII unit separator, between the parts of a composite key
ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
ASCII_UPPER = ASCII_LOWER.upper()
_TS_PG = "YYYY-MM-DD HH24:MI:SS.US"
_TS_MY = "%Y-%m-%d %H:%i:%s.%f"

Expr = sa.ColumnElement[Any]


def category_of(sql_type: sa.types.TypeEngine[Any]) -> str:
    """The comparison category of a column type: integer, number, timestamp, date, text."""
    if isinstance(sql_type, sa.Boolean | sa.Integer):
        return "integer"
    if isinstance(sql_type, sa.Numeric | sa.Float):
        return "number"
    if isinstance(sql_type, sa.DateTime):
        return "timestamp"
    if isinstance(sql_type, sa.Date):
        return "date"
    if isinstance(sql_type, sa.String | sa.Enum | sa.Uuid):
        return "text"
    return f"unsupported:{sql_type}"


def is_zoned(sql_type: sa.types.TypeEngine[Any], dialect: str) -> bool:
    """Whether the database stores the column's timestamps as instants (UTC) rather than naive."""
    if dialect == "mysql":
        return type(sql_type).__name__ == "TIMESTAMP"
    return bool(getattr(sql_type, "timezone", False))


def is_floating(type_name: str) -> bool:
    """Whether a reflected type name is a binary floating-point type."""
    name = type_name.upper()
    return any(word in name for word in ("FLOAT", "DOUBLE", "REAL"))


def canonical(
    dialect: str, expr: Expr, category: str, zone: str, zoned: bool, floating: bool = False
) -> Expr:
    """Canonical text of a column value; NULL stays NULL.

    Doubles (`floating`) are read as their shortest round-trip decimal before rounding to
    NUMBER_SCALE decimals on every engine: Python's repr, MariaDB's double -> DECIMAL cast and
    PostgreSQL's float8 text output (extra_float_digits >= 1, which dxq sets per transaction).
    """
    if dialect == "sqlite":
        if category == "timestamp":
            return sa.func.dxq_timestamp(expr, "UTC" if zoned else zone)
        function: sa.ColumnElement[Any] = getattr(sa.func, f"dxq_{category}")(expr)
        return function
    if category == "integer":
        if isinstance(expr.type, sa.Boolean):
            expr = sa.cast(expr, sa.Integer)
        return _text(dialect, expr)
    if category == "number":
        if dialect == "postgresql":
            if floating:  # float4 too: as the double Python reads
                expr = sa.cast(sa.cast(expr, sa.Float(53)), sa.Text)
            return sa.cast(sa.func.round(sa.cast(expr, sa.Numeric), NUMBER_SCALE), sa.Text)
        # MariaDB's widest DECIMAL: 59 integer digits (a narrower cast clamps silently).
        fixed = _text(dialect, sa.cast(expr, sa.Numeric(65, NUMBER_SCALE)))
        if not floating:
            return fixed
        # A double beyond DECIMAL(65) would clamp too: keep its own digits, marked, so it
        # differs from every other value (PostgreSQL writes all its digits: a loud mismatch).
        beyond = sa.func.abs(expr) >= sa.literal_column("1e59")
        marked = sa.func.concat("!beyond-decimal:", sa.cast(expr, sa.String))
        return sa.case((beyond, marked), else_=fixed)
    if category == "timestamp":
        return _timestamp(dialect, expr, zone, zoned)
    if category == "date":
        if dialect == "postgresql":
            return sa.func.to_char(expr, "YYYY-MM-DD")
        return sa.func.date_format(expr, "%Y-%m-%d")
    return _text(dialect, expr)


def _text(dialect: str, expr: Expr) -> Expr:
    return sa.cast(expr, sa.Text if dialect == "postgresql" else sa.String)


def _timestamp(dialect: str, expr: Expr, zone: str, zoned: bool) -> Expr:
    if dialect == "postgresql":
        instant = expr if zoned else sa.func.timezone(zone, expr)
        utc = sa.func.timezone("UTC", instant)
        # to_char writes 1 BC as 0001: mark what lies before year 1 (e.g. year 1 in Berlin).
        era = sa.case((utc < sa.literal_column("TIMESTAMP '0001-01-01'"), " BC"), else_="")
        return sa.func.to_char(utc, _TS_PG).op("||")(era)
    # MariaDB: TIMESTAMP columns read in the session zone, which dxq sets to UTC.
    if not zoned and zone != "UTC":
        expr = _mariadb_local_to_utc(expr, zone)
    return sa.func.date_format(expr, _TS_MY)


def _mariadb_local_to_utc(local: Expr, zone: str) -> Expr:
    """A naive MariaDB DATETIME in `zone` as UTC, with PostgreSQL's rule at clock changes: a
    time that happens twice (autumn) or never (spring) takes the smaller UTC offset of the two
    around it. CONVERT_TZ alone reads the autumn hour as summer time.

    The offsets a day before and a day after are compared; where they agree (nearly every row)
    the time is local minus that offset. Near a change both candidates are tried: the later
    instant (the smaller offset) unless only the earlier one converts back to the same time.
    """

    def unit(name: str) -> Expr:
        return sa.literal_column(name)

    def offset_at(days: int) -> Expr:
        moved = sa.func.timestampadd(unit("DAY"), days, local)
        return sa.func.timestampdiff(
            unit("SECOND"), sa.func.convert_tz(moved, zone, "+00:00"), moved
        )

    def minus(seconds: Expr) -> Expr:
        return sa.func.timestampadd(unit("SECOND"), sa.literal(0) - seconds, local)

    def reads_back(instant: Expr) -> Expr:
        return sa.func.convert_tz(instant, "+00:00", zone) == local

    before, after = offset_at(-1), offset_at(1)
    later = sa.func.greatest(minus(before), minus(after))
    earlier = sa.func.least(minus(before), minus(after))
    near_change = sa.case(
        (sa.or_(reads_back(later), sa.not_(reads_back(earlier))), later), else_=earlier
    )
    return sa.case((before == after, minus(before)), else_=near_change)


def normalized(dialect: str, expr: Expr, normalizers: Sequence[str]) -> Expr:
    """Text normalisers applied in order.

    Whitespace means ASCII whitespace and `lower`/`upper` map ASCII letters only (A-Z, a-z),
    so every engine agrees on any text: "ß", "Σ" or the Turkish "İ" are left as they are.
    """
    if not normalizers:
        return expr
    if dialect == "sqlite":
        return sa.func.dxq_normalize(expr, ",".join(normalizers))
    flags = ("g",) if dialect == "postgresql" else ()
    for name in normalizers:
        if name == "trim":
            edges = f"^[{WHITESPACE}]+|[{WHITESPACE}]+$"
            expr = sa.func.regexp_replace(expr, edges, "", *flags)
        elif name == "collapse_whitespace":
            expr = sa.func.regexp_replace(expr, f"[{WHITESPACE}]+", " ", *flags)
        elif name in ("lower", "upper"):
            expr = _ascii_case(dialect, expr, name == "lower")
    return expr


def _ascii_case(dialect: str, expr: Expr, lower: bool) -> Expr:
    """ASCII-only case mapping: translate() in PostgreSQL, REPLACE on bytes in MariaDB."""
    old, new = (ASCII_UPPER, ASCII_LOWER) if lower else (ASCII_LOWER, ASCII_UPPER)
    if dialect == "postgresql":
        return sa.func.translate(expr, sa.literal_column(f"'{old}'"), sa.literal_column(f"'{new}'"))
    # UTF-8 never uses ASCII bytes inside a multi-byte character, so bytewise REPLACE is safe.
    data: Expr = sa.cast(expr, sa.LargeBinary)
    for a, b in zip(old, new, strict=True):
        data = sa.func.replace(data, sa.literal_column(f"'{a}'"), sa.literal_column(f"'{b}'"))
    return sa.cast(data, sa.String)


def mapped(expr: Expr, mapping: Mapping[str, str]) -> Expr:
    """Source values replaced by the target values a map expects."""
    if not mapping:
        return expr
    return sa.case(dict(mapping), value=expr, else_=expr)


def binary(dialect: str, expr: Expr) -> Expr:
    """The expression compared byte for byte (MariaDB collations ignore case and padding)."""
    return sa.cast(expr, sa.LargeBinary) if dialect == "mysql" else expr


def row_text(dialect: str, parts: Sequence[Expr]) -> Expr:
    """Injective text of canonical values: "-" for NULL, else "<length>:<text>", concatenated."""
    length = sa.func.char_length if dialect == "mysql" else sa.func.length
    pieces = [
        sa.func.coalesce(_concat(dialect, [_text(dialect, length(p)), sa.literal(":"), p]), "-")
        for p in parts
    ]
    return pieces[0] if len(pieces) == 1 else _concat(dialect, pieces)


def key_text(dialect: str, parts: Sequence[Expr]) -> Expr:
    """The text a key is bucketed by: its canonical values joined by KEY_SEPARATOR. Keys are
    never NULL here (reconcile rejects NULL keys first), and a collision only shares a bucket,
    so this needs no length prefixes: it is cheaper to hash than `row_text`."""
    if len(parts) == 1:
        return parts[0]
    joined: list[Expr] = []
    for part in parts:
        joined += [sa.literal(KEY_SEPARATOR, sa.Text), part] if joined else [part]
    return _concat(dialect, joined)


def _concat(dialect: str, parts: Sequence[Expr]) -> Expr:
    if dialect == "mysql":
        return sa.func.concat(*parts)
    result = parts[0]
    for part in parts[1:]:
        result = result.op("||")(part)
    return result


def hash60(dialect: str, text: Expr) -> Expr:
    """The first 60 bits of MD5(text) as a non-negative integer."""
    return _md5_bits(dialect, text, 15)


def hash32(dialect: str, text: Expr) -> Expr:
    """The first 32 bits of MD5(text) as a non-negative integer."""
    return _md5_bits(dialect, text, 8)


def _md5_bits(dialect: str, text: Expr, digits: int) -> Expr:
    if dialect == "sqlite":
        name = "dxq_hash60" if digits == 15 else "dxq_hash32"
        hashed: sa.ColumnElement[Any] = getattr(sa.func, name)(text, type_=sa.BigInteger)
        return hashed
    prefix = sa.func.substr(sa.func.md5(text), 1, digits)
    if dialect == "postgresql":
        bits = sa.cast(sa.literal("x", sa.Text).op("||")(prefix), postgresql.BIT(digits * 4))
        return sa.cast(bits, sa.BigInteger)
    return sa.cast(sa.func.conv(prefix, 16, 10), sa.BigInteger)


def hash_sum(dialect: str, hashes: Expr) -> Expr:
    """Exact sum of row hashes (SQLite: a registered aggregate returning text)."""
    return sa.func.dxq_hashsum(hashes) if dialect == "sqlite" else sa.func.sum(hashes)


def exceeds(
    dialect: str, source: Expr, target: Expr, absolute: float | None, relative: float | None
) -> Expr:
    """1 when two canonical numbers differ by more than the tolerances, NULL distinct from any."""
    if dialect == "sqlite":
        return sa.func.dxq_exceeds(source, target, absolute, relative) == 1
    num = sa.Numeric(65, NUMBER_SCALE) if dialect == "mysql" else sa.Numeric
    s, t = sa.cast(source, num), sa.cast(target, num)
    allowed: Expr = sa.literal(0)
    if absolute is not None:
        allowed = sa.literal(absolute, sa.Numeric)
    if relative is not None:
        rel = sa.literal(relative, sa.Numeric) * sa.func.abs(s)
        allowed = sa.func.greatest(allowed, rel)
    # Equal first: PostgreSQL's NaN equals NaN and Infinity - Infinity is NaN.
    differ = sa.and_(s != t, sa.func.abs(s - t) > allowed)
    if dialect == "mysql":  # a marked double beyond DECIMAL casts to 0: compare its text
        marked = sa.or_(source.like("!%"), target.like("!%"))
        differ = sa.case((marked, distinct(dialect, source, target)), else_=differ)
    one_null = sa.or_(
        sa.and_(source.is_(None), target.is_not(None)),
        sa.and_(source.is_not(None), target.is_(None)),
    )
    return sa.or_(one_null, sa.and_(source.is_not(None), target.is_not(None), differ))


def distinct(dialect: str, source: Expr, target: Expr) -> Expr:
    """True when two canonical texts differ, NULL distinct from everything but NULL."""
    return binary(dialect, source).is_distinct_from(binary(dialect, target))
