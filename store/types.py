"""Column types of the results database: UTC timestamps and JSON documents.

Timestamps go in timezone-aware and come out timezone-aware in UTC, on every engine: PostgreSQL
keeps `timestamptz`, SQLite keeps fixed-width ISO text (so text order is time order), other
engines keep a naive `DATETIME(6)` holding UTC. A naive datetime is refused, never guessed.

JSON documents are normalised before they are written: Decimal becomes float, datetime and date
become ISO text (aware datetimes in UTC), tuples and sets become lists, non-finite floats become
null, and text goes through `storable_text` (a NUL or a lone surrogate becomes U+FFFD), so any
value a system holds can be stored. Anything else JSON cannot hold is refused with
`NotStorable`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from datasources.dialect import is_mysql
from store.errors import NotStorable

_SQLITE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def require_utc(value: datetime, what: str = "timestamp") -> datetime:
    """`value` converted to UTC; a naive datetime is refused."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NotStorable(f"{what} {value.isoformat()} has no time zone; pass an aware datetime")
    return value.astimezone(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.DateTime(timezone=True))
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        if is_mysql(dialect.name):
            from sqlalchemy.dialects.mysql import DATETIME

            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise NotStorable(f"expected a datetime, got {type(value).__name__}")
        utc = require_utc(value)
        if dialect.name == "postgresql":
            return utc
        if dialect.name == "sqlite":
            return _sqlite_text(utc)
        return utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise NotStorable(f"expected a stored timestamp, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_text(utc: datetime) -> str:
    """`_SQLITE_FORMAT`'s text of a UTC datetime. A plain datetime's isoformat writes the
    same text in half strftime's time (a run writes two for each new mismatched key, up to
    10,000); strftime stays for years before 1000 (padded otherwise) and for subclasses."""
    if type(utc) is datetime and utc.year >= 1000:
        return utc.isoformat("T", "microseconds")
    return utc.strftime(_SQLITE_FORMAT)


def storable_text(text: str) -> str:
    """`text` as every store engine keeps it: PostgreSQL refuses a NUL in text and in JSONB,
    and a lone surrogate is not UTF-8; each becomes U+FFFD. The one rule for text written to
    the store (JSON documents here, text parameters in store.store)."""
    if text.isascii():
        return text.replace("\x00", "\ufffd") if "\x00" in text else text
    text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def to_jsonable(value: Any, where: str = "value") -> Any:
    """`value` as plain JSON data (see the module docstring for the conversions). A run's
    results are thousands of values, normalised three times on their way to the store: the
    walk names no place unless it meets a value it cannot store (`_located`)."""
    try:
        return _plain(value)
    except NotStorable:
        return _located(value, where)  # the same walk again, to say where


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, dict):  # the common containers first, as the store meets them
        return {storable_text(str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _leaf(value, _plain, "value")


def _leaf(value: Any, walk: Any, where: str) -> Any:
    """The conversion of everything but str, None, bool, int and dicts and lists of them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, datetime):
        return require_utc(value, where).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {storable_text(str(k)): walk(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [walk(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((walk(v) for v in value), key=repr)
    raise NotStorable(f"{where}: {type(value).__name__} cannot be stored as JSON")


def _located(value: Any, where: str) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Mapping):
        return {storable_text(str(k)): _located(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_located(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return _leaf(value, lambda v: _located(v, where), where)


def same_document(stored: Any, value: Any) -> bool:
    """Whether a JSON document read back from the store is `value` as writing `value` would
    store it: plain JSON data (str, int, float, bool, None, lists and dicts of them) of the
    same types (1 is not 1.0 nor true), object keys in the same order. Anything else in
    `value` (a tuple, a Decimal: `to_jsonable` would convert it) and what JSONB rewrote (its
    own key order, 1e20 as an integer) count as different: a caller then writes `value`."""
    kind = type(value)
    if kind is not type(stored):
        return False
    if kind is dict:
        return list(stored) == list(value) and all(
            same_document(stored[name], part) for name, part in value.items()
        )
    if kind is list:
        return len(stored) == len(value) and all(map(same_document, stored, value))
    return kind in _JSON_SCALARS and bool(stored == value)


_JSON_SCALARS = (str, int, float, bool, type(None))


_FINGERPRINT = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # json.dumps' defaults


def fingerprint(value: Any) -> str:
    """A stable SHA-256 hex digest of a JSON-able value (key order does not matter)."""
    text = _flat_text(value) or _FINGERPRINT.encode(to_jsonable(value))
    return hashlib.sha256(text.encode()).hexdigest()


_LITERALS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def _flat_text(value: Any) -> str | None:
    """What `_FINGERPRINT` makes of `to_jsonable(value)` when `value` is a non-empty dict of
    text to ASCII text without NUL, int (bool included) or None, as most keys are, or None
    for any other value. A mismatched key is fingerprinted for every run that sees it
    (10,000 in a big reconcile): this is 1 us of the encoder's 3 us, and no copy."""
    if type(value) is not dict or not value:
        return None
    parts = []
    for name in sorted(value):
        if type(name) is not str or not name.isascii() or "\x00" in name:
            return None
        part = value[name]
        if isinstance(part, str):
            if not part.isascii() or "\x00" in part:
                return None
            text = encode_basestring_ascii(part)
        elif part is None or isinstance(part, bool):
            text = _LITERALS[part]
        elif isinstance(part, int):
            text = int.__repr__(part)
        else:
            return None
        parts.append(f"{encode_basestring_ascii(name)}:{text}")
    return "{" + ",".join(parts) + "}"


class JSONDocument(sa.types.TypeDecorator[Any]):
    """JSON, normalised on the way in; SQL NULL for None. JSONB on PostgreSQL."""

    impl = sa.JSON(none_as_null=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(sa.JSON(none_as_null=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return to_jsonable(value)
