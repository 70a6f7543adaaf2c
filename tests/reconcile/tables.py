"""Test helpers: load the same logical rows into PostgreSQL, MariaDB, SQLite or Parquet files."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from datasources.dataset import Dataset, FileSystem, SqlSystem

# logical column types: key_int, int, text, decimal, float, ts (naive), tstz (aware)
SQL_TYPES: dict[str, Any] = {
    "key_int": sa.BigInteger(),
    "int": sa.BigInteger(),
    "text": sa.String(200),
    "key_text": sa.String(100),
    "decimal": sa.Numeric(18, 4),
    "wide_decimal": sa.Numeric(38, 6),
    "widest_decimal": sa.Numeric(65, 6),
    "float": sa.Float(53),
    "ts": sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
    "tstz": sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
}
ARROW_TYPES: dict[str, pa.DataType] = {
    "key_int": pa.int64(),
    "int": pa.int64(),
    "text": pa.string(),
    "key_text": pa.string(),
    "decimal": pa.decimal128(18, 4),
    "wide_decimal": pa.decimal128(38, 6),
    "widest_decimal": pa.decimal256(65, 6),
    "float": pa.float64(),
    "ts": pa.timestamp("us"),
    "tstz": pa.timestamp("us", tz="UTC"),
}


def unique(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def load(
    where: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    *,
    key: Sequence[str],
    zone: str = "UTC",
    tmp: Path | None = None,
    collate: str | None = None,
) -> Dataset:
    """Rows into a new table at `where` (a URL) or Parquet file (where == "file")."""
    name = unique()
    if where == "file":
        assert tmp is not None
        arrays = {
            col: pa.array([_arrow(r[i], kind) for r in rows], ARROW_TYPES[kind])
            for i, (col, kind) in enumerate(columns)
        }
        path = tmp / f"{name}.parquet"
        pq.write_table(pa.table(arrays), path)
        return Dataset(FileSystem(name, str(path), "parquet", timezone=zone))
    engine = sa.create_engine(where)
    meta = sa.MetaData()
    options: dict[str, Any] = {"mysql_collate": collate} if collate else {}
    items: list[sa.schema.SchemaItem] = [
        sa.Column(col, SQL_TYPES[kind], autoincrement=False) for col, kind in columns
    ]
    items.append(sa.PrimaryKeyConstraint(*key) if key else sa.Index(f"ix_{name}", columns[0][0]))
    table = sa.Table(name, meta, *items, **options)
    meta.create_all(engine)
    if rows:
        names = [col for col, _ in columns]
        with engine.begin() as conn:
            conn.execute(table.insert(), [dict(zip(names, r, strict=True)) for r in rows])
    engine.dispose()
    return Dataset(SqlSystem(name, where, timezone=zone), table=name)


def _arrow(value: Any, kind: str) -> Any:
    if "decimal" in kind and isinstance(value, int | float):
        return Decimal(str(value))
    if kind == "ts" and isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def drifted_rows(composite: bool) -> tuple[list[list[Any]], list[list[Any]]]:
    """Source and target rows (key columns, name) of the reads by key and split scans: 15 keys
    only in the source, 4 only in the target, 12 changed, and keys that a case- or
    pad-insensitive collation would take for each other."""

    def key(i: int) -> list[Any]:
        sku = f"Sku-{i * 7919 % 10007:05d}"
        return [f"c{i % 3}", sku] if composite else [sku]

    source = [[*key(i), f"name {i}"] for i in range(600)]
    target = [
        [*key(i), f"name {i}" + (" changed" if i % 50 == 3 else "")]
        for i in range(600)
        if i % 40 != 7
    ]
    target += [[*key(i), "extra"] for i in range(600, 604)]
    # the same key to a case-insensitive, pad-space collation; different keys to dxq
    source += [[*key(700)[:-1], "Case-1", "a"], [*key(701)[:-1], "pad ", "b"]]
    target += [[*key(700)[:-1], "CASE-1", "a"], [*key(701)[:-1], "pad", "b"]]
    return source, target


def truth(source: Sequence[Sequence[Any]], target: Sequence[Sequence[Any]]) -> tuple[int, ...]:
    """(missing in target, missing in source, changed) of `drifted_rows`-like rows, keys
    compared character for character."""
    s = {tuple(r[:-1]): r[-1] for r in source}
    t = {tuple(r[:-1]): r[-1] for r in target}
    changed = sum(1 for k in s.keys() & t.keys() if s[k] != t[k])
    return len(s.keys() - t.keys()), len(t.keys() - s.keys()), changed
