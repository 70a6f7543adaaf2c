"""One check up close: its latest result with both sides' details, and the records its
reconcile found mismatched, with how long each has been wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from store.frames import read_frame
from store.schema import latest_results, mismatch_keys
from store.store import ResultStore


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
    with store.reading() as connection:
        row = connection.execute(stmt).mappings().one_or_none()
    if row is None:
        return None
    fields = {name: row[name] for name in CheckDetail.__dataclass_fields__}
    fields["metrics"] = fields["metrics"] or {}
    fields["sample"] = fields["sample"] or []
    return CheckDetail(**fields)
