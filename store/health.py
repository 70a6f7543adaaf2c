"""How each integration stands now: the overview row per integration, the checks not passing,
the latest result of every check, and the 30-day health strips (from `daily_rollups`)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from checks.result import Outcome
from store.frames import count_where, outcome_rank, read_frame, within_days
from store.schema import alerts, daily_rollups, latest_results, runs
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


def daily_health(store: ResultStore, days: int = 30, *, today: date | None = None) -> pd.DataFrame:
    """Per integration and UTC day over the last `days`: runs of checks by outcome and the
    share that passed (summed over the integration's checks in `daily_rollups`)."""
    roll = daily_rollups.c
    stmt = (
        sa.select(
            roll.integration,
            roll.day,
            sa.func.sum(roll.runs).label("results"),
            sa.func.sum(roll.passed).label("passed"),
            sa.func.sum(roll.warned).label("warned"),
            sa.func.sum(roll.failed).label("failed"),
            sa.func.sum(roll.errors).label("errors"),
        )
        .where(within_days(roll.day, days, today))
        .group_by(roll.integration, roll.day)
        .order_by(roll.integration, roll.day)
    )
    frame = read_frame(store, stmt)
    frame["pass_rate"] = (frame["passed"] + frame["warned"]) / frame["results"]
    return frame


def latest_checks(store: ResultStore, integration: str) -> pd.DataFrame:
    """The latest result of every check of one integration, worst first."""
    latest = latest_results.c
    stmt = (
        sa.select(
            latest.check,
            latest.kind,
            latest.outcome,
            latest.severity,
            latest.observed,
            latest.expected,
            latest.since,
            latest.result_at,
            latest.side,
            latest.headline_value,
            latest.metrics,
        )
        .where(latest.integration == integration)
        .order_by(outcome_rank(latest.outcome).desc(), latest.check)
    )
    return read_frame(store, stmt)
