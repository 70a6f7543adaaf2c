"""Runs as `dxq runs` lists them: newest first, with the cron slot and the executing worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from store.schema import runs
from store.store import ResultStore
from store.types import require_utc

RUN_FIELDS = (
    "id",
    "integration",
    "trigger",
    "scheduled_for",
    "started_at",
    "finished_at",
    "outcome",
    "worker",
)


def run_list(
    store: ResultStore,
    *,
    integration: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The newest runs (at most `limit`), as dicts with exactly `RUN_FIELDS`; `outcome` is the
    run's status (`running` while it runs)."""
    r = runs.c
    stmt = sa.select(
        r.id,
        r.integration,
        r.trigger,
        r.scheduled_for,
        r.started_at,
        r.finished_at,
        r.status,
        r.worker,
    )
    if integration is not None:
        stmt = stmt.where(r.integration == integration)
    if since is not None:
        stmt = stmt.where(r.started_at >= require_utc(since, "since"))
    stmt = stmt.order_by(r.started_at.desc(), r.id.desc()).limit(limit)
    with store.transaction() as tx:
        return [dict(zip(RUN_FIELDS, row, strict=True)) for row in tx.connection.execute(stmt)]
