"""The "this week" summary of each integration, read with aggregate SQL: the share of its runs
that were healthy, its worst mismatch rate, its longest stale period and the alerts opened and
resolved. Used by the dashboard's Integration and Overview pages, and meant for a weekly digest.

A stale period is a stretch of consecutive freshness results that did not pass: from the first
of them to the next result that passed (or to `now` while it lasts), clipped to the week."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from store.frames import count_where, read_frame
from store.schema import alerts, check_results, runs
from store.store import ResultStore

WEEK = timedelta(days=7)
COLUMNS = [
    "integration",
    "runs",
    "healthy_runs",
    "healthy_share",
    "worst_mismatch",
    "longest_stale_s",
    "stale_now",
    "alerts_opened",
    "alerts_resolved",
]


def week_summary(
    store: ResultStore,
    now: datetime,
    integrations: Sequence[str] | None = None,
    period: timedelta = WEEK,
) -> pd.DataFrame:
    """One row per integration that ran or alerted in the `period` up to `now` (of
    `integrations` when given), with the columns in COLUMNS. `healthy_share` is None without a
    finished run, `worst_mismatch` without a reconcile result; `longest_stale_s` is 0 when the
    freshness check never failed (None without one)."""
    since = now - period
    in_period = _period_runs(store, since, now, integrations)
    parts = [
        _runs(store, since, now, integrations),
        _worst_mismatch(store, in_period),
        _stale(store, now, in_period),
        _alerts(store, since, now, integrations),
    ]
    merged = pd.DataFrame({"integration": pd.Series(dtype=object)})
    for part in parts:
        merged = merged.merge(part, on="integration", how="outer")
    for column in ("runs", "healthy_runs", "alerts_opened", "alerts_resolved"):
        merged[column] = merged[column].fillna(0).astype(int)
    merged["stale_now"] = merged["stale_now"].astype("boolean").fillna(False).astype(bool)
    share = merged["healthy_runs"] / merged["runs"].where(merged["runs"] > 0)
    merged["healthy_share"] = share.astype(object).where(share.notna(), None)
    return merged[COLUMNS].sort_values("integration").reset_index(drop=True)


def _only(column: sa.ColumnElement[Any], integrations: Sequence[str] | None) -> Any:
    return sa.true() if integrations is None else column.in_(list(integrations))


def _period_runs(
    store: ResultStore, since: datetime, now: datetime, integrations: Sequence[str] | None
) -> sa.ColumnElement[bool]:
    """Results of the runs started in the period, as a condition on check_results.run_id. The
    run ids are read first (through the runs' start index) and passed as a list, so every
    engine finds the results through the run_id index: check_results has no index on its time
    alone, and given a subquery PostgreSQL scanned the whole table."""
    r = runs.c
    stmt = sa.select(r.id).where(
        r.started_at >= since, r.started_at <= now, _only(r.integration, integrations)
    )
    with store.reading() as connection:
        ids = list(connection.execute(stmt).scalars())
    return check_results.c.run_id.in_(ids) if ids else sa.false()


def _runs(
    store: ResultStore, since: datetime, now: datetime, integrations: Sequence[str] | None
) -> pd.DataFrame:
    r = runs.c
    stmt = (
        sa.select(
            r.integration,
            count_where(r.status != "running").label("runs"),
            count_where(r.status == "passed").label("healthy_runs"),
        )
        .where(r.started_at >= since, r.started_at <= now, _only(r.integration, integrations))
        .group_by(r.integration)
    )
    return read_frame(store, stmt)


def _worst_mismatch(store: ResultStore, in_period: sa.ColumnElement[bool]) -> pd.DataFrame:
    res = check_results.c
    stmt = (
        sa.select(res.integration, sa.func.max(res.headline_value).label("worst_mismatch"))
        .where(res.kind == "reconcile", in_period)
        .group_by(res.integration)
    )
    return read_frame(store, stmt)


def _stale(store: ResultStore, now: datetime, in_period: sa.ColumnElement[bool]) -> pd.DataFrame:
    """The longest stale period per integration: islands of consecutive not-passed freshness
    results (numbered by the passed results before them), each from its first result to the
    result after its last (`now` if there is none yet)."""
    res = check_results.c
    order = (res.created_at, res.id)
    fresh = res.outcome == "passed"
    numbered = (
        sa.select(
            res.integration,
            res.created_at,
            fresh.label("fresh"),
            sa.func.sum(sa.case((fresh, 1), else_=0))
            .over(partition_by=res.integration, order_by=order)
            .label("island"),
            sa.func.lead(res.created_at)
            .over(partition_by=res.integration, order_by=order)
            .label("next_at"),
        )
        .where(res.kind == "freshness", in_period)
        .subquery("numbered")
    )
    n = numbered.c
    islands = (
        sa.select(
            n.integration,
            sa.func.min(sa.case((sa.not_(n.fresh), n.created_at))).label("started"),
            sa.func.max(sa.case((sa.not_(n.fresh), n.next_at))).label("ended"),
            count_where(sa.and_(sa.not_(n.fresh), n.next_at.is_(None))).label("ongoing"),
        )
        .group_by(n.integration, n.island)
        .subquery("islands")
    )
    i = islands.c
    stmt = sa.select(i.integration, i.started, i.ended, i.ongoing)
    frame = read_frame(store, stmt)
    frame["started"] = pd.to_datetime(frame["started"], utc=True)
    frame["ended"] = pd.to_datetime(frame["ended"], utc=True)
    ongoing = frame["ongoing"] > 0
    end = frame["ended"].where(~ongoing, pd.Timestamp(now))
    frame["length_s"] = (end - frame["started"]).dt.total_seconds().fillna(0.0)
    frame["stale_now"] = ongoing
    grouped = frame.groupby("integration", as_index=False).agg(
        longest_stale_s=("length_s", "max"), stale_now=("stale_now", "any")
    )
    if grouped.empty:
        return pd.DataFrame({"integration": [], "longest_stale_s": [], "stale_now": []}).astype(
            {"integration": object}
        )
    return grouped


def _alerts(
    store: ResultStore, since: datetime, now: datetime, integrations: Sequence[str] | None
) -> pd.DataFrame:
    a = alerts.c
    opened = sa.and_(a.opened_at >= since, a.opened_at <= now)
    resolved = sa.and_(a.resolved_at >= since, a.resolved_at <= now)
    stmt = (
        sa.select(
            a.integration,
            count_where(opened).label("alerts_opened"),
            count_where(resolved).label("alerts_resolved"),
        )
        .where(sa.or_(opened, resolved))
        .where(_only(a.integration, integrations))
        .group_by(a.integration)
    )
    return read_frame(store, stmt)
