"""How a check's numbers moved: an integration's trend lines from the daily rollups, one
check's history of results, and the row counts its volume checks saw."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import sqlalchemy as sa

from store.frames import read_frame, within_days
from store.schema import check_results, daily_rollups
from store.store import ResultStore


def integration_trend(
    store: ResultStore, integration: str, days: int = 30, *, today: date | None = None
) -> pd.DataFrame:
    """The daily rollups of each check of one integration over the last `days` UTC days,
    with the pass rate and the mean and max of the headline metric."""
    roll = daily_rollups.c
    stmt = (
        sa.select(
            roll.day,
            roll.check,
            roll.kind,
            roll.headline,
            roll.runs,
            roll.passed,
            roll.warned,
            roll.failed,
            roll.errors,
            roll.headline_count,
            roll.headline_sum,
            roll.headline_max.label("max_value"),
            roll.last_value,
        )
        .where(roll.integration == integration, within_days(roll.day, days, today))
        .order_by(roll.day, roll.check)
    )
    frame = read_frame(store, stmt)
    frame.insert(9, "pass_rate", frame["passed"] / frame["runs"])
    counted = frame.pop("headline_count")
    frame.insert(10, "avg_value", frame.pop("headline_sum") / counted.where(counted > 0))
    return frame


def check_history(
    store: ResultStore, integration: str, check: str, limit: int = 100
) -> pd.DataFrame:
    """The newest `limit` results of one check, newest first."""
    res = check_results.c
    stmt = (
        sa.select(
            res.run_id,
            res.created_at,
            res.outcome,
            res.severity,
            res.headline,
            res.headline_value,
            res.observed,
            res.expected,
            res.reason,
            res.duration_s,
        )
        .where(res.integration == integration, res.check == check)
        .order_by(res.created_at.desc(), res.id.desc())
        .limit(limit)
    )
    return read_frame(store, stmt)


def row_counts(store: ResultStore, integration: str, check: str, limit: int = 300) -> pd.DataFrame:
    """Source and target row counts from the newest `limit` results of a volume or reconcile
    check, oldest first."""
    return metric_history(store, integration, check, ("source_rows", "target_rows"), limit)


def metric_history(
    store: ResultStore, integration: str, check: str, names: Sequence[str], limit: int = 300
) -> pd.DataFrame:
    """`created_at` and the metrics `names` of the newest `limit` results of one check that
    carry any of them, oldest first (e.g. latency's p50_s and p95_s per run)."""
    res = check_results.c
    stmt = (
        sa.select(res.created_at, res.metrics)
        .where(res.integration == integration, res.check == check)
        .order_by(res.created_at.desc())
        .limit(limit)
    )
    frame = read_frame(store, stmt)
    metrics = [m if isinstance(m, dict) else {} for m in frame.pop("metrics")]
    for name in names:
        frame[name] = pd.to_numeric(pd.Series([m.get(name) for m in metrics], dtype=object))
    return frame.dropna(subset=list(names), how="all").iloc[::-1]
