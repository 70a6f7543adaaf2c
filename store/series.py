"""The series of an integration's numbers: every numeric metric each run measured, per
(check, metric), with the run's duration and the time spent per system (`checks.anomaly.
watch.run_points`). A run writes its points in its own transaction (`record_points`); the
anomaly detector reads a series' past (`series_history`, plain lists: the run path loads no
pandas) and the pages read the points and the anomaly verdicts to draw (`series_frame`,
`anomaly_frame`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from checks.anomaly.watch import SeriesKey, SeriesPoint
from store.schema import check_results, metric_points, runs
from store.store import ResultStore
from store.types import require_utc

if TYPE_CHECKING:
    import pandas as pd


def record_points(
    connection: sa.Connection, run_id: int, integration: str, points: Sequence[SeriesPoint]
) -> int:
    """Write one run's points on the run's connection; returns how many."""
    rows = [
        {
            "run_id": run_id,
            "integration": integration,
            "check": p.key.check,
            "metric": p.key.metric,
            "at": require_utc(p.at, "at"),
            "value": p.value,
        }
        for p in points
    ]
    if rows:
        connection.execute(metric_points.insert(), rows)
    return len(rows)


def previous_start(store: ResultStore, integration: str, before: datetime) -> datetime | None:
    """When the integration's latest run before `before` started (the start of the interval
    whose new records a run counts), or None for its first run."""
    stmt = sa.select(sa.func.max(runs.c.started_at)).where(
        runs.c.integration == integration, runs.c.started_at < require_utc(before, "before")
    )
    with store.reading() as connection:
        found = connection.execute(stmt).scalar_one_or_none()
    return found if isinstance(found, datetime) else None


def series_history(
    store: ResultStore,
    integration: str,
    keys: Sequence[SeriesKey],
    since: datetime,
    before: datetime,
) -> dict[SeriesKey, list[tuple[datetime, float]]]:
    """The stored points of each series from `since` up to (not including) `before`, oldest
    first; a series with none maps to an empty list."""
    found: dict[SeriesKey, list[tuple[datetime, float]]] = {key: [] for key in keys}
    if not keys:
        return found
    p = metric_points.c
    pairs = sa.tuple_(p.check, p.metric).in_([(k.check, k.metric) for k in keys])
    stmt = (
        sa.select(p.check, p.metric, p.at, p.value)
        .where(
            p.integration == integration,
            pairs,
            p.at >= require_utc(since, "since"),
            p.at < require_utc(before, "before"),
        )
        .order_by(p.at, p.id)
    )
    with store.reading() as connection:
        for check, metric, at, value in connection.execute(stmt):
            found[SeriesKey(check, metric)].append((at, float(value)))
    return found


def series_frame(store: ResultStore, integration: str, key: SeriesKey, limit: int) -> pd.DataFrame:
    """The newest `limit` points of one series, oldest first: at, value."""
    from store.frames import read_frame

    p = metric_points.c
    stmt = (
        sa.select(p.at, p.value)
        .where(p.integration == integration, p.check == key.check, p.metric == key.metric)
        .order_by(p.at.desc(), p.id.desc())
        .limit(limit)
    )
    return read_frame(store, stmt).iloc[::-1].reset_index(drop=True)


def anomaly_frame(store: ResultStore, integration: str, key: SeriesKey, limit: int) -> pd.DataFrame:
    """The newest `limit` verdicts on one series, oldest first: at (the judged point's run
    start), outcome, value, expected, expected_low, expected_high, score, why."""
    import pandas as pd

    from store.frames import read_frame

    r = check_results.c
    stmt = (
        sa.select(r.created_at, r.outcome, r.metrics)
        .where(r.integration == integration, r.check == key.anomaly_check)
        .order_by(r.created_at.desc(), r.id.desc())
        .limit(limit)
    )
    frame = read_frame(store, stmt).iloc[::-1]
    rows: list[dict[str, Any]] = []
    for outcome, metrics in zip(frame["outcome"], frame["metrics"], strict=True):
        m = metrics if isinstance(metrics, dict) else {}
        rows.append(
            {
                "at": m.get("at"),
                "outcome": outcome,
                **{
                    name: m.get(name)
                    for name in ("value", "expected", "expected_low", "expected_high", "score")
                },
                "why": m.get("why"),
            }
        )
    columns = ["at", "outcome", "value", "expected", "expected_low", "expected_high", "score"]
    result = pd.DataFrame(rows, columns=[*columns, "why"])
    result["at"] = pd.to_datetime(result["at"], utc=True, format="ISO8601")
    return result.dropna(subset=["at"]).reset_index(drop=True)
