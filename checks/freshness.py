"""The freshness check: how old the newest value of a column is, against a maximum age.

The maximum is computed in the database (files: in pandas, batch by batch). Naive timestamps
are read in the zone the system declares (`timezone`); aware ones keep their offset; dates
count from midnight in the system's zone; ISO text (SQLite) is parsed; numbers are Unix seconds.
"""

from __future__ import annotations

import numbers
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

from checks.arrivals import newest_in_database
from checks.limit import describe_limit, judge
from checks.result import CheckKind, CheckResult, Outcome, error_result
from checks.spec import FreshnessSpec
from checks.volume import datasource_reason
from datasources.dataset import Dataset, FileSystem, SqlSystem
from datasources.durations import format_duration
from datasources.errors import Cause, DatasourceError
from datasources.files import iter_batches

_BATCH_ROWS = 100_000


def check_freshness(spec: FreshnessSpec, now: datetime) -> CheckResult:
    """Age of max(spec.column) at `now` (naive `now` is UTC) against `spec.max_age_s`."""
    started = time.perf_counter()
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    try:
        newest, new_rows = read_arrivals(spec.dataset, spec.column, spec.since)
    except DatasourceError as exc:
        reason = datasource_reason(spec.dataset, exc)
        return error_result(
            spec.name, CheckKind.FRESHNESS, spec.severity, reason, cause=exc.cause, side=spec.side
        )
    except ValueError as exc:
        reason = f"{spec.dataset.label}: {spec.column} does not hold timestamps ({exc})"
        return error_result(
            spec.name,
            CheckKind.FRESHNESS,
            spec.severity,
            reason,
            cause=Cause.BAD_QUERY,
            side=spec.side,
        )
    return _judge(spec, newest, now, time.perf_counter() - started, new_rows)


def _judge(
    spec: FreshnessSpec,
    newest: datetime | None,
    now: datetime,
    duration_s: float,
    new_rows: int | None = None,
) -> CheckResult:
    metrics: dict[str, Any] = {
        "lag_seconds": None,
        "max_value": None,
        "max_age_seconds": spec.max_age_s,
    }
    if new_rows is not None:  # rows newer than the previous run's start: new per interval
        metrics["new_rows"] = new_rows
    expected = describe_limit(spec.max_age_s, spec.warn_age_s, format_duration)
    if newest is None:
        return CheckResult(
            check=spec.name,
            kind=CheckKind.FRESHNESS,
            outcome=Outcome.for_failure(spec.severity),
            severity=spec.severity,
            metrics=metrics,
            headline="lag_seconds",
            observed="no rows",
            expected=expected,
            reason=f"no rows with a value in {spec.column} in {spec.dataset.label}",
            side=spec.side,
            duration_s=duration_s,
        )
    lag = (now - newest).total_seconds()
    future = lag < 0
    metrics.update(lag_seconds=max(lag, 0.0), max_value=newest.isoformat())
    outcome = judge(lag, spec.max_age_s, spec.warn_age_s, spec.severity)
    bad = outcome is not Outcome.PASSED
    observed = f"{format_duration(max(lag, 0.0))} old"
    reason: str | None = None
    if future:
        ahead = format_duration(-lag)
        metrics["ahead_seconds"] = -lag
        observed = f"0s old (newest value is {ahead} in the future)"
        reason = f"the newest {spec.column} in {spec.dataset.label} lies {ahead} in the future"
        if -lag > spec.future_tolerance_s:  # a wrong clock or value, not a fresh dataset
            bad, outcome = True, Outcome.for_failure(spec.severity)
            observed = f"{ahead} in the future"
            reason += (
                f", more than the {format_duration(spec.future_tolerance_s)} allowed for clock "
                "differences: a clock or a value is wrong"
            )
    elif bad:
        reason = f"the newest {spec.column} in {spec.dataset.label} is {observed}"
    return CheckResult(
        check=spec.name,
        kind=CheckKind.FRESHNESS,
        outcome=outcome,
        severity=spec.severity,
        metrics=metrics,
        headline="lag_seconds",
        observed=observed,
        expected=expected,
        reason=reason,
        side=spec.side,
        duration_s=duration_s,
    )


def read_newest(dataset: Dataset, column: str) -> datetime | None:
    """The largest value of `column` as an aware UTC datetime, or None when there is none."""
    return read_arrivals(dataset, column)[0]


def read_arrivals(
    dataset: Dataset, column: str, since: datetime | None = None
) -> tuple[datetime | None, int | None]:
    """The newest value of `column` (aware UTC, None for none) and, given `since`, how many
    rows have a value after it (None when the column's values cannot be compared in the
    database: text with per-row offsets)."""
    system = dataset.system
    zone = ZoneInfo(system.timezone)
    if isinstance(system, FileSystem):
        return _read_in_files(system, column, zone, since)
    return _read_in_database(dataset, system, column, zone, since)


def _read_in_database(
    dataset: Dataset, system: SqlSystem, column: str, zone: ZoneInfo, since: datetime | None
) -> tuple[datetime | None, int | None]:
    found = newest_in_database(dataset, system, column, since)
    if found.instant is not None:
        return found.instant, found.new_rows  # MySQL TIMESTAMP: exact, whatever the tz
    return to_utc(found.raw, zone), found.new_rows


def _read_in_files(
    system: FileSystem, column: str, zone: ZoneInfo, since: datetime | None
) -> tuple[datetime | None, int | None]:
    newest: datetime | None = None
    new_rows = 0
    for batch in iter_batches(system, [column], _BATCH_ROWS):
        values = batch[column].dropna()
        if values.empty:
            continue
        if is_datetime64_any_dtype(values.dtype) or is_numeric_dtype(values.dtype):
            candidate = to_utc(values.max(), zone)
            if since is not None:
                new_rows += int((_utc_series(values, zone) > since).sum())
        else:  # text, dates or mixed objects: parse each value of this batch
            parsed = [at for at in (to_utc(v, zone) for v in values) if at is not None]
            candidate = max(parsed, default=None)
            new_rows += sum(at > since for at in parsed) if since is not None else 0
        if candidate is not None and (newest is None or candidate > newest):
            newest = candidate
    return newest, new_rows if since is not None else None


def _utc_series(values: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Timestamps or Unix seconds as aware UTC, naive ones read in `zone` (as `to_utc`)."""
    if is_numeric_dtype(values.dtype):
        return pd.to_datetime(values, unit="s", utc=True)
    if values.dt.tz is None:
        return values.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert(UTC)
    return values.dt.tz_convert(UTC)


def to_utc(value: object, zone: ZoneInfo) -> datetime | None:
    """One value read from a system as an aware UTC datetime; naive values are in `zone`."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a timestamp")
    if isinstance(value, numbers.Real | Decimal):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, datetime):
        return _as_utc(value if value.tzinfo is not None else value.replace(tzinfo=zone))
    if isinstance(value, date):
        return _as_utc(datetime(value.year, value.month, value.day, tzinfo=zone))
    raise ValueError(f"{value!r} is not a timestamp")


def _as_utc(aware: datetime) -> datetime:
    """In UTC; a value whose UTC time lies outside years 1-9999 (year 1 in a zone east of
    UTC, 9999-12-31 west of it) is the first or last representable instant."""
    try:
        return aware.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if aware.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)
