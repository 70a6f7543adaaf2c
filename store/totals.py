"""The store's current totals for monitoring systems (the Prometheus endpoint): the worst
outcome per integration and check kind, mismatch rates, freshness lags, run counts and
durations, open alerts, the outbox and the scheduler's heartbeat. Every figure is read from
the store, so any number of processes exporting it report the same truth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from store.frames import count_where, outcome_rank, seconds_between
from store.schema import alerts, heartbeats, latest_results, notifications, runs
from store.store import ResultStore


@dataclass(frozen=True)
class RunDurations:
    """Finished runs of one integration: how many took at most each bound, their count and
    total seconds (the cumulative buckets of a histogram)."""

    integration: str
    at_most: tuple[int, ...]  # one count per bound, cumulative
    count: int
    total_s: float


@dataclass(frozen=True)
class Totals:
    """One consistent read of everything the metrics endpoint exports."""

    integration_rank: dict[str, int]  # worst latest outcome rank (passed 0 … error 3)
    kind_rank: dict[tuple[str, str], int]  # (integration, check kind) -> worst rank
    mismatch_rate: dict[str, float]
    freshness_lag_s: dict[tuple[str, str], float]  # (integration, side) -> seconds
    last_run_at: dict[str, datetime]
    runs_total: dict[tuple[str, str], int]  # (integration, status) -> finished runs
    durations: tuple[RunDurations, ...]
    open_alerts: dict[tuple[str, str], int]  # (severity, kind) -> firing or acknowledged
    notifications: dict[str, int]  # status -> count
    last_heartbeat_at: datetime | None


def read_totals(store: ResultStore, bounds: Sequence[float]) -> Totals:
    """Read every total in one connection; `bounds` are the run-duration buckets (seconds)."""
    latest = latest_results.c
    with store.reading() as connection:
        kinds = connection.execute(
            sa.select(
                latest.integration, latest.kind, sa.func.max(outcome_rank(latest.outcome))
            ).group_by(latest.integration, latest.kind)
        ).all()
        headline = connection.execute(
            sa.select(latest.integration, latest.kind, latest.side, latest.headline_value).where(
                latest.kind.in_(("reconcile", "freshness")), latest.headline_value.is_not(None)
            )
        ).all()
        return Totals(
            integration_rank=_worst_per_integration(kinds),
            kind_rank={(str(i), str(k)): int(r) for i, k, r in kinds},
            mismatch_rate=_largest(
                (str(i), float(v)) for i, k, _, v in headline if k == "reconcile"
            ),
            freshness_lag_s=_largest(
                ((str(i), str(s or "target")), float(v))
                for i, k, s, v in headline
                if k == "freshness"
            ),
            last_run_at={
                str(i): at
                for i, at in connection.execute(
                    sa.select(runs.c.integration, sa.func.max(runs.c.started_at)).group_by(
                        runs.c.integration
                    )
                )
            },
            runs_total={
                (str(i), str(s)): int(n)
                for i, s, n in connection.execute(
                    sa.select(runs.c.integration, runs.c.status, sa.func.count())
                    .where(runs.c.status != "running")
                    .group_by(runs.c.integration, runs.c.status)
                )
            },
            durations=_durations(connection, bounds),
            open_alerts={
                (str(s), str(k)): int(n)
                for s, k, n in connection.execute(
                    sa.select(alerts.c.severity, alerts.c.kind, sa.func.count())
                    .where(alerts.c.state.in_(("firing", "acknowledged")))
                    .group_by(alerts.c.severity, alerts.c.kind)
                )
            },
            notifications={
                str(s): int(n)
                for s, n in connection.execute(
                    sa.select(notifications.c.status, sa.func.count()).group_by(
                        notifications.c.status
                    )
                )
            },
            last_heartbeat_at=connection.execute(
                sa.select(sa.func.max(heartbeats.c.last_tick_at))
            ).scalar(),
        )


def _worst_per_integration(kinds: Sequence[Any]) -> dict[str, int]:
    worst: dict[str, int] = {}
    for integration, _kind, rank in kinds:
        worst[str(integration)] = max(worst.get(str(integration), 0), int(rank))
    return worst


def _largest(pairs: Any) -> dict[Any, float]:
    """Per key the largest value (an integration with two reconcile checks reports its worst)."""
    out: dict[Any, float] = {}
    for key, value in pairs:
        out[key] = max(out.get(key, value), value)
    return out


def _durations(connection: sa.Connection, bounds: Sequence[float]) -> tuple[RunDurations, ...]:
    """Cumulative duration buckets per integration in one aggregate over finished runs."""
    seconds = seconds_between(connection.dialect.name, runs.c.started_at, runs.c.finished_at)
    columns = [count_where(seconds <= bound).label(f"b{i}") for i, bound in enumerate(bounds)]
    stmt = (
        sa.select(
            runs.c.integration,
            *columns,
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(seconds), 0.0).label("total"),
        )
        .where(runs.c.finished_at.is_not(None))
        .group_by(runs.c.integration)
    )
    out = []
    for row in connection.execute(stmt):
        counts = tuple(int(row[i + 1]) for i in range(len(bounds)))
        out.append(RunDurations(str(row.integration), counts, int(row.n), float(row.total)))
    return tuple(out)
