"""The dashboard's reads: each one indexed SQL query (aggregates over `latest_results` and
`daily_rollups`, never over raw history for trends) returning a DataFrame or a dataclass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from checks.result import Outcome
from store.frames import count_where, outcome_rank, read_frame, within_days
from store.schema import alerts, check_results, daily_rollups, latest_results, mismatch_keys, runs
from store.store import ResultStore

_BY_RANK = {o.rank: str(o) for o in Outcome}


def overview(store: ResultStore) -> pd.DataFrame:
    """One row per integration: its last run, check counts by outcome, the worst outcome, the
    freshness lag (seconds) and mismatch rate of its latest results, and its open alerts."""
    latest = latest_results.c
    names = sa.union(
        sa.select(latest.integration),
        sa.select(runs.c.integration).where(runs.c.status == "running"),
    ).subquery("names")
    last_run = (
        sa.select(runs.c.id)
        .where(runs.c.integration == names.c.integration)
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(1)
        .correlate(names)
        .scalar_subquery()
    )
    checks = (
        sa.select(
            latest.integration,
            sa.func.count().label("checks_total"),
            count_where(latest.outcome == "failed").label("checks_failing"),
            count_where(latest.outcome == "warned").label("checks_warning"),
            count_where(latest.outcome == "error").label("checks_erroring"),
            sa.func.max(outcome_rank(latest.outcome)).label("worst_rank"),
            sa.func.max(sa.case((latest.kind == "freshness", latest.headline_value))).label(
                "freshness_lag_s"
            ),
            sa.func.max(sa.case((latest.kind == "reconcile", latest.headline_value))).label(
                "mismatch_rate"
            ),
        )
        .group_by(latest.integration)
        .subquery("checks")
    )
    open_alerts = (
        sa.select(sa.func.count())
        .where(
            alerts.c.integration == names.c.integration,
            alerts.c.state.in_(("firing", "acknowledged")),
        )
        .correlate(names)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            names.c.integration,
            runs.c.id.label("last_run_id"),
            runs.c.started_at.label("last_run_at"),
            runs.c.status.label("last_status"),
            sa.func.coalesce(checks.c.checks_total, 0).label("checks_total"),
            sa.func.coalesce(checks.c.checks_failing, 0).label("checks_failing"),
            sa.func.coalesce(checks.c.checks_warning, 0).label("checks_warning"),
            sa.func.coalesce(checks.c.checks_erroring, 0).label("checks_erroring"),
            checks.c.worst_rank,
            checks.c.freshness_lag_s,
            checks.c.mismatch_rate,
            open_alerts.label("open_alerts"),
        )
        .select_from(names)
        .outerjoin(checks, checks.c.integration == names.c.integration)
        .outerjoin(runs, runs.c.id == last_run)
        .order_by(names.c.integration)
    )
    frame = read_frame(store, stmt)
    worst = frame.pop("worst_rank")
    frame.insert(8, "worst_outcome", [_BY_RANK.get(r) if pd.notna(r) else None for r in worst])
    return frame


def failing_checks(store: ResultStore) -> pd.DataFrame:
    """Every check whose latest outcome is not `passed`, worst first, then longest failing."""
    latest = latest_results.c
    stmt = (
        sa.select(
            latest.integration,
            latest.check,
            latest.kind,
            latest.outcome,
            latest.severity,
            latest.since,
            latest.observed,
            latest.expected,
            latest.reason,
            latest.headline,
            latest.headline_value,
            latest.result_at,
            latest.run_id,
            latest.metrics,  # the findings (records affected, GX's words) the Overview leads with
        )
        .where(latest.outcome != "passed")
        .order_by(outcome_rank(latest.outcome).desc(), latest.since, latest.integration)
    )
    return read_frame(store, stmt)


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


def recent_runs(
    store: ResultStore, integration: str | None = None, limit: int = 50
) -> pd.DataFrame:
    """The newest `limit` runs (of one integration, or all), newest first, with check counts."""
    newest = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
    if integration is not None:
        newest = newest.where(runs.c.integration == integration)
    picked = newest.subquery("picked")
    res = check_results.c
    counts = (
        sa.select(
            res.run_id,
            sa.func.count().label("checks_total"),
            count_where(res.outcome.in_(["failed", "warned"])).label("checks_failing"),
            count_where(res.outcome == "error").label("checks_erroring"),
        )
        .where(res.run_id.in_(sa.select(picked.c.id)))
        .group_by(res.run_id)
        .subquery("counts")
    )
    stmt = (
        sa.select(
            picked.c.id.label("run_id"),
            picked.c.integration,
            picked.c.trigger,
            picked.c.status,
            picked.c.started_at,
            picked.c.finished_at,
            picked.c.reason,
            picked.c.host,
            picked.c.pid,
            sa.func.coalesce(counts.c.checks_total, 0).label("checks_total"),
            sa.func.coalesce(counts.c.checks_failing, 0).label("checks_failing"),
            sa.func.coalesce(counts.c.checks_erroring, 0).label("checks_erroring"),
        )
        .outerjoin(counts, counts.c.run_id == picked.c.id)
        .order_by(picked.c.started_at.desc(), picked.c.id.desc())
    )
    frame = read_frame(store, stmt)
    frame.insert(6, "duration_s", (frame["finished_at"] - frame["started_at"]).dt.total_seconds())
    return frame


def mismatched_keys(
    store: ResultStore,
    integration: str,
    open_only: bool = True,
    *,
    check: str | None = None,
    limit: int = 1000,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Remembered mismatched keys of one integration, oldest first, with their age in seconds
    (until `now` while open, until they were resolved otherwise)."""
    keys = mismatch_keys.c
    stmt = (
        sa.select(
            keys.check,
            keys.key,
            keys.kind,
            keys.fields,
            keys.first_seen,
            keys.last_seen,
            keys.resolved_at,
        )
        .where(keys.integration == integration)
        .order_by(keys.first_seen, keys.id)
        .limit(limit)
    )
    if open_only:
        stmt = stmt.where(keys.resolved_at.is_(None))
    if check is not None:
        stmt = stmt.where(keys.check == check)
    frame = read_frame(store, stmt)
    until = frame["resolved_at"].fillna(pd.Timestamp(now or datetime.now(UTC)))
    frame["age_s"] = (until - frame["first_seen"]).dt.total_seconds()
    return frame


@dataclass(frozen=True)
class CheckDetail:
    """The latest result of one check, for its drill-down page."""

    integration: str
    check: str
    kind: str
    outcome: str
    severity: str
    since: datetime
    result_at: datetime
    run_id: int
    headline: str | None
    headline_value: float | None
    observed: str | None
    expected: str | None
    metrics: dict[str, Any]
    sample: list[dict[str, Any]]
    query: str | None
    reason: str | None
    side: str | None
    duration_s: float


def check_detail(store: ResultStore, integration: str, check: str) -> CheckDetail | None:
    """The latest result of one check with its sample and query, or None if it never ran."""
    latest = latest_results.c
    stmt = sa.select(latest_results).where(latest.integration == integration, latest.check == check)
    with store.engine.connect() as connection:
        row = connection.execute(stmt).mappings().one_or_none()
    if row is None:
        return None
    fields = {name: row[name] for name in CheckDetail.__dataclass_fields__}
    fields["metrics"] = fields["metrics"] or {}
    fields["sample"] = fields["sample"] or []
    return CheckDetail(**fields)
