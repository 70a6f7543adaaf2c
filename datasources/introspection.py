"""What a dataset looks like: its selectable, its columns and their generic types, its row
count and the largest value of a column, computed where the data lives.

Type names are generic and lower-case so that engines can be compared: "smallint",
"integer", "bigint", "numeric(10,2)", "double", "boolean", "varchar(100)", "char(3)", "text",
"date", "time", "timestamp", "timestamptz", "binary", "json", "uuid", "interval", "array";
"unknown" when the engine does not say (an SQLite query column that is always NULL).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from datasources.connection import read_only, translate_error
from datasources.dataset import Dataset, FileSystem, SqlSystem
from datasources.dialect import is_mysql
from datasources.errors import ColumnNotFound, DatasetNotFound, DatasourceError
from datasources.statement import query_clause

if TYPE_CHECKING:  # files (pandas, pyarrow) load only when a files dataset is read
    import pyarrow as pa

Bind = sa.Connection | sa.Engine

_PG_NAMES = {
    "int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "double",
    "float8": "double", "bool": "boolean", "bpchar": "char", "bytea": "binary",
    "jsonb": "json", "timetz": "time", "oid": "integer",
}  # fmt: skip
_MYSQL_CODES = {
    1: "smallint", 2: "smallint", 3: "integer", 4: "double", 5: "double", 7: "timestamp",
    8: "bigint", 9: "integer", 10: "date", 11: "time", 12: "timestamp", 13: "smallint",
    14: "date", 16: "binary", 245: "json", 247: "varchar", 248: "varchar", 249: "text",
    250: "text", 251: "text", 252: "text",
}  # fmt: skip
_MYSQL_CHAR_BYTES = {"utf8mb4": 4, "utf8mb3": 3, "utf8": 3, "ucs2": 2, "utf16": 4, "utf32": 4}
_GENERIC_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "smallint": sa.SmallInteger(), "integer": sa.Integer(), "bigint": sa.BigInteger(),
    "double": sa.Double(), "boolean": sa.Boolean(), "text": sa.Text(), "date": sa.Date(),
    "time": sa.Time(), "timestamp": sa.DateTime(), "timestamptz": sa.DateTime(timezone=True),
    "binary": sa.LargeBinary(), "json": sa.JSON(), "uuid": sa.Uuid(), "interval": sa.Interval(),
}  # fmt: skip


def split_table(table: str) -> tuple[str | None, str]:
    """("sales", "orders") for "sales.orders"; (None, "orders") for "orders"."""
    schema, dot, name = table.partition(".")
    return (schema, name) if dot else (None, table)


def selectable(dataset: Dataset, bind: Bind) -> sa.FromClause:
    """A table or subquery with typed columns; identifiers are quoted by SQLAlchemy."""
    if dataset.table is not None:
        schema, name = split_table(dataset.table)
        return sa.table(
            name,
            *(sa.column(col["name"], col["type"]) for col in _reflect(dataset, bind)),
            schema=schema,
        )
    described = _describe_query(dataset, bind)
    cols = (sa.column(name, _sa_type(type_name)) for name, type_name in described.items())
    return _query_text(dataset).columns(*cols).subquery("dxq_query")


def columns(dataset: Dataset) -> dict[str, str]:
    """Column name -> generic type name, for tables, queries and files."""
    if isinstance(dataset.system, FileSystem):
        from datasources import files

        return {name: arrow_type_name(t) for name, t in files.column_types(dataset.system).items()}
    system = dataset.system
    with read_only(system) as conn:
        if dataset.table is not None:
            return {col["name"]: type_name(col["type"]) for col in _reflect(dataset, conn)}
        return _describe_query(dataset, conn)


def require_columns(dataset: Dataset, names: Iterable[str]) -> None:
    """Raise ColumnNotFound naming every missing column and the columns that exist."""
    existing = columns(dataset)
    missing = [name for name in names if name not in existing]
    if missing:
        raise ColumnNotFound(
            f"{dataset.label}: no column {', '.join(map(repr, missing))}; "
            f"columns are: {', '.join(existing)}"
        )


def count_rows(dataset: Dataset) -> int:
    """Number of rows, counted by the database (or from the files)."""
    if isinstance(dataset.system, FileSystem):
        from datasources import files

        return files.count_file_rows(dataset.system)
    with read_only(dataset.system) as conn:
        if dataset.query is not None:  # counting needs no column types: no describe probe
            counted: sa.FromClause = _query_text(dataset).columns().subquery("dxq_query")
        else:
            counted = selectable(dataset, conn)
        query = sa.select(sa.func.count()).select_from(counted)
        return int(_run(dataset, conn, query))


def max_value(dataset: Dataset, column: str) -> Any:
    """The largest non-null value of a column, or None when it has none."""
    if isinstance(dataset.system, FileSystem):
        from datasources import files

        return files.max_file_value(dataset.system, column)
    with read_only(dataset.system) as conn:
        source = selectable(dataset, conn)
        if column not in source.c:
            raise ColumnNotFound(
                f"{dataset.label}: no column {column!r}; columns are: {', '.join(source.c.keys())}"
            )
        return _run(dataset, conn, sa.select(sa.func.max(source.c[column])))


def type_name(sa_type: sa.types.TypeEngine[Any]) -> str:
    """The generic name of a reflected SQLAlchemy type."""
    cls = type(sa_type).__name__.upper()
    if isinstance(sa_type, sa.Boolean):
        return "boolean"
    if isinstance(sa_type, sa.Integer):
        if isinstance(sa_type, sa.SmallInteger) or cls in ("TINYINT", "SMALLINT"):
            return "smallint"
        return "bigint" if isinstance(sa_type, sa.BigInteger) else "integer"
    if isinstance(sa_type, sa.Float):
        return "double"
    if isinstance(sa_type, sa.Numeric):
        precision, scale = sa_type.precision, sa_type.scale or 0
        return f"numeric({precision},{scale})" if precision is not None else "numeric"
    if isinstance(sa_type, sa.DateTime):
        return "timestamptz" if sa_type.timezone else "timestamp"
    if isinstance(sa_type, sa.Text | sa.Enum):
        return "text" if isinstance(sa_type, sa.Text) else "varchar"
    if isinstance(sa_type, sa.String):
        kind = "char" if "CHAR" in cls and "VAR" not in cls else "varchar"
        return f"{kind}({sa_type.length})" if sa_type.length else kind
    for generic, name in _SIMPLE_TYPES:
        if isinstance(sa_type, generic):
            return name
    return "unknown" if isinstance(sa_type, sa.types.NullType) else cls.lower()


_SIMPLE_TYPES: list[tuple[type[Any], str]] = [
    (sa.Date, "date"), (sa.Time, "time"), (sa.Interval, "interval"), (sa.LargeBinary, "binary"),
    (sa.JSON, "json"), (sa.Uuid, "uuid"), (sa.ARRAY, "array"),
]  # fmt: skip


def arrow_type_name(arrow_type: pa.DataType) -> str:
    """The generic name of an Arrow type (files)."""
    import pyarrow as pa

    t = pa.types
    if t.is_boolean(arrow_type):
        return "boolean"
    if t.is_integer(arrow_type):
        width = arrow_type.bit_width
        return "smallint" if width <= 16 else "integer" if width == 32 else "bigint"
    if t.is_floating(arrow_type):
        return "double"
    if t.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision},{arrow_type.scale})"
    if t.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    checks = [
        (t.is_string, "text"), (t.is_large_string, "text"), (t.is_date, "date"),
        (t.is_time, "time"), (t.is_binary, "binary"), (t.is_large_binary, "binary"),
        (t.is_list, "array"), (t.is_null, "unknown"), (t.is_duration, "interval"),
    ]  # fmt: skip
    return next((name for check, name in checks if check(arrow_type)), str(arrow_type))


def _reflect(dataset: Dataset, bind: Bind) -> list[Any]:
    assert dataset.table is not None and isinstance(dataset.system, SqlSystem)
    schema, name = split_table(dataset.table)
    try:
        cols = sa.inspect(bind).get_columns(name, schema=schema)
    except sa.exc.NoSuchTableError as exc:
        raise _not_found(dataset) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise translate_error(dataset.system, exc, dataset.label) from exc
    if not cols:
        raise _not_found(dataset)
    return list(cols)


def _not_found(dataset: Dataset) -> DatasetNotFound:
    return DatasetNotFound(
        f"system {dataset.system.name!r} has no table {dataset.table!r} ({dataset.label})"
    )


def _query_text(dataset: Dataset) -> sa.TextClause:
    assert dataset.query is not None
    return query_clause(dataset.query)


def _describe_query(dataset: Dataset, bind: Bind) -> dict[str, str]:
    assert isinstance(dataset.system, SqlSystem)
    dialect = bind.dialect.name
    inner = _query_text(dataset).columns().subquery("dxq_query")
    probe = sa.select(sa.text("*")).select_from(inner)
    probe = probe.limit(100) if dialect == "sqlite" else probe.where(sa.false())
    with _connection(bind) as conn:
        try:
            result = conn.execute(probe)
            description: list[Any] = list(result.cursor.description or [])
            mysql_fields = getattr(getattr(result.cursor, "_result", None), "fields", None)
            rows = result.fetchall()
        except sa.exc.SQLAlchemyError as exc:
            raise translate_error(dataset.system, exc, dataset.label) from exc
    if dialect == "postgresql":
        return {col.name: _pg_type_name(col.type_display) for col in description}
    if is_mysql(dialect):
        if mysql_fields is not None and len(mysql_fields) == len(description):
            return {
                col[0]: _pymysql_type_name(f)
                for col, f in zip(description, mysql_fields, strict=True)
            }
        return {col[0]: _mysql_type_name(col[1], col[3] or 0, col[5] or 0) for col in description}
    return {col[0]: _sampled_type_name(row[i] for row in rows) for i, col in enumerate(description)}


def _connection(bind: Bind) -> AbstractContextManager[sa.Connection]:
    return bind.connect() if isinstance(bind, sa.Engine) else nullcontext(bind)


def _pg_type_name(display: str) -> str:
    if display.endswith("[]"):
        return "array"
    match = re.fullmatch(r"([a-z0-9_ ]+)(\(.*\))?", display)
    if match is None:
        return display
    base, args = match.group(1), (match.group(2) or "").replace(" ", "")
    base = _PG_NAMES.get(base, base)
    return f"{base}{args}" if base in ("numeric", "varchar", "char") else base


def _pymysql_type_name(field: Any) -> str:
    """From a PyMySQL field: lengths in characters, binary strings told from text."""
    code, length, binary = field.type_code, field.length, field.charsetnr == 63
    if code in (15, 249, 250, 251, 252, 253, 254) and binary:
        return "binary"
    if code in (0, 246):
        unsigned = bool(field.flags & 32)
        return _mysql_type_name(code, length + (1 if unsigned else 0), field.scale)
    import pymysql.charset  # loaded with the connection the field came from: no import cost

    try:
        charset = pymysql.charset.charset_by_id(field.charsetnr).name
    except KeyError:
        charset = ""
    return _mysql_type_name(code, length // _MYSQL_CHAR_BYTES.get(charset, 1), field.scale)


def _mysql_type_name(code: int, size: int, scale: int) -> str:
    if code in (0, 246):
        precision = size - 1 - (1 if scale else 0)
        return f"numeric({precision},{scale})"
    if code in (15, 253):
        return f"varchar({size})"
    if code == 254:
        return f"char({size})"
    return _MYSQL_CODES.get(code, "unknown")


def _sampled_type_name(values: Iterable[Any]) -> str:
    for value in values:
        if value is not None:
            kinds = {bool: "boolean", int: "integer", float: "double", str: "text", bytes: "binary"}
            return kinds.get(type(value), "unknown")
    return "unknown"


def _sa_type(name: str) -> sa.types.TypeEngine[Any]:
    match = re.fullmatch(r"(numeric|varchar|char)\((\d+)(?:,(\d+))?\)", name)
    if match is None:
        return _GENERIC_TYPES.get(name, sa.types.NullType())
    kind, first, second = match.groups()
    if kind == "numeric":
        return sa.Numeric(int(first), int(second or 0))
    return sa.CHAR(int(first)) if kind == "char" else sa.String(int(first))


def _run(dataset: Dataset, conn: sa.Connection, query: sa.Select[Any]) -> Any:
    try:
        return conn.execute(query).scalar()
    except sa.exc.SQLAlchemyError as exc:
        error: DatasourceError = translate_error(_sql(dataset), exc, dataset.label)
        raise error from exc


def _sql(dataset: Dataset) -> SqlSystem:
    assert isinstance(dataset.system, SqlSystem)
    return dataset.system
