"""What the scheduler and the runs did: recent runs with their check counts, run-now
requests, and the newest scheduler heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from store.frames import count_where, read_frame
from store.schema import (
    check_results,
    heartbeats,
    run_requests,
    runs,
)
from store.store import ResultStore


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


def run_request_list(
    store: ResultStore, integration: str | None = None, limit: int = 20
) -> pd.DataFrame:
    """Run-now requests, newest first."""
    r = run_requests.c
    stmt = (
        sa.select(r.id, r.integration, r.requested_by, r.requested_at, r.status, r.run_id)
        .order_by(r.requested_at.desc(), r.id.desc())
        .limit(limit)
    )
    if integration is not None:
        stmt = stmt.where(r.integration == integration)
    return read_frame(store, stmt)


@dataclass(frozen=True)
class SchedulerStatus:
    """What the newest scheduler heartbeat says."""

    last_tick_at: datetime
    host: str
    pid: int
    state: str  # "running" | "stopped"
    config_error: str | None
    running: tuple[str, ...]
    missed: tuple[str, ...]


def scheduler_status(store: ResultStore) -> SchedulerStatus | None:
    """The newest heartbeat of any scheduler, or None if none ever ran on this store."""
    stmt = sa.select(heartbeats).order_by(heartbeats.c.last_tick_at.desc()).limit(1)
    with store.reading() as connection:
        row = connection.execute(stmt).first()
    if row is None:
        return None
    info = row.info if isinstance(row.info, dict) else {}
    error = info.get("config_error")
    return SchedulerStatus(
        last_tick_at=row.last_tick_at,
        host=str(row.host),
        pid=int(row.pid),
        state=str(info.get("state", "running")),
        config_error=str(error) if error else None,
        running=tuple(str(n) for n in info.get("running") or ()),
        missed=tuple(str(n) for n in info.get("missed") or ()),
    )
