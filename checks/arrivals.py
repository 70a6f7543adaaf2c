"""The newest value of a timestamp column in its own database and, given a moment, how many
rows have a value after it: new records per interval (freshness.new_rows, and reconcile's
source_new_rows/target_new_rows on its updated columns).

Light on purpose (SQLAlchemy only, no pandas): reconcile's runs load it too. The comparison
is made in the column's own terms, as `checks.freshness.to_utc` reads its values: naive
values in the system's zone, instants, ISO text, Unix seconds, dates; MySQL/MariaDB
TIMESTAMP as an instant whatever the session's zone."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from datasources.connection import read_only
from datasources.dataset import Dataset, FileSystem, SqlSystem
from datasources.dialect import is_mysql
from datasources.introspection import require_columns, selectable

_MYSQL_TIMESTAMP = 7  # MySQL protocol type code of TIMESTAMP (stored in UTC, shown in session tz)


@dataclass(frozen=True)
class Newest:
    """The column's largest value as the driver returned it (`raw`), as an exact instant when
    the database stores instants it shows in a session zone (MySQL TIMESTAMP), and the rows
    after the moment asked about (None: not asked, or not comparable in the database)."""

    raw: object
    instant: datetime | None
    new_rows: int | None


def newest_in_database(
    dataset: Dataset, system: SqlSystem, column: str, since: datetime | None
) -> Newest:
    """The newest value of `column` and, given `since`, the rows with a value after it.
    Raises DatasourceError (the system's), like every read of a dataset."""
    require_columns(dataset, [column])
    zone = ZoneInfo(system.timezone)
    with read_only(system) as conn:
        source = selectable(dataset, conn)
        value = source.c[column]
        newest = sa.func.max(value)
        mysql = is_mysql(conn.dialect.name)
        query = sa.select(newest, sa.func.unix_timestamp(newest)) if mysql else sa.select(newest)
        result = conn.execute(query)
        description = result.cursor.description if mysql else None
        row = result.one()
        instant = description is not None and description[0][1] == _MYSQL_TIMESTAMP
        new_rows = None
        if since is not None and row[0] is not None:
            after = (  # TIMESTAMP: compared as an instant, whatever the session tz
                sa.func.unix_timestamp(value) > since.timestamp()
                if instant
                else _after(value, row[0], since, zone)
            )
            if after is not None:
                count = sa.select(sa.func.count()).select_from(source).where(after)
                new_rows = int(conn.execute(count).scalar_one())
    exact = datetime.fromtimestamp(float(row[1]), UTC) if instant and row[1] is not None else None
    return Newest(row[0], exact, new_rows)


def new_rows(dataset: Dataset, column: str, since: datetime) -> int | None:
    """The rows of `dataset` whose `column` is after `since` (files: read through pandas)."""
    if isinstance(dataset.system, FileSystem):
        from checks.freshness import read_arrivals

        return read_arrivals(dataset, column, since)[1]
    return newest_in_database(dataset, dataset.system, column, since).new_rows


def _after(
    value: sa.ColumnElement[Any], sample: object, since: datetime, zone: ZoneInfo
) -> sa.ColumnElement[bool] | None:
    """`value > since` in the column's own terms, as `sample` (its newest value) shows them:
    the rules of `to_utc` in reverse; None for text with an offset (its order is not time's)."""
    local = since.astimezone(zone).replace(tzinfo=None)
    if isinstance(sample, datetime):
        return value > (since if sample.tzinfo is not None else local)
    if isinstance(sample, date):
        return value > local.date()
    if isinstance(sample, numbers.Real | Decimal) and not isinstance(sample, bool):
        return value > since.timestamp()
    if isinstance(sample, str):
        text = sample.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is not None:
            return None
        if len(text) == 10:  # a date
            return value > local.date().isoformat()
        return value > local.isoformat(sep="T" if "T" in text else " ", timespec="seconds")
    return None
