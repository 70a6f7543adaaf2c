"""The pieces the store's reads share: a select as a DataFrame, conditional counts, the
badness rank of an outcome column, the last-N-days window over `daily_rollups`, and the
seconds between two timestamp columns on either store engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from checks.result import Outcome
from store.store import ResultStore
from store.types import UTCDateTime


def read_frame(store: ResultStore, stmt: sa.Select[Any]) -> pd.DataFrame:
    """The rows of `stmt` as a DataFrame, its UTC datetime columns as aware timestamps."""
    with store.reading() as connection:
        result = connection.execute(stmt)
        names = list(result.keys())
        frame = pd.DataFrame(result.all(), columns=names)
    for name, column in zip(names, stmt.selected_columns, strict=True):
        if isinstance(column.type, UTCDateTime):
            frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """An aggregate counting the rows where `condition` holds (0 for none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def outcome_rank(outcome: sa.ColumnElement[str]) -> sa.ColumnElement[int]:
    """The outcome's badness (passed 0 … error 3, as `Outcome.rank`) as a SQL expression."""
    return sa.case(*[(outcome == str(o), o.rank) for o in Outcome], else_=0)


def within_days(
    day: sa.ColumnElement[date], days: int, today: date | None
) -> sa.ColumnElement[bool]:
    """`day` falls in the last `days` UTC days up to `today` (default: the current UTC day)."""
    last_day = today if today is not None else datetime.now(UTC).date()
    return sa.and_(day > last_day - timedelta(days=days), day <= last_day)


def seconds_between(
    dialect: str, start: sa.ColumnElement[Any], end: sa.ColumnElement[Any]
) -> sa.ColumnElement[Any]:
    """`end - start` in seconds as a SQL expression (NULL when either is NULL), on the two
    engines a results store runs on (SQLite, PostgreSQL)."""
    if dialect == "sqlite":
        return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0
    return sa.extract("epoch", end - start)
