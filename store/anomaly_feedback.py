"""What people said about judged points of a series: `expected` (the point leaves the
detector's baseline) or `real` (a real problem), each with who, why and when. The row is its
own audit record: feedback is only ever added, and the newest word on a point counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from checks.anomaly.watch import SeriesKey
from store.schema import anomaly_feedback
from store.store import ResultStore
from store.types import require_utc

EXPECTED, REAL = "expected", "real"


@dataclass(frozen=True)
class Feedback:
    """One person's word on one point of a series."""

    key: SeriesKey
    at: datetime  # the point's time (its run's start)
    verdict: str  # expected | real
    actor: str
    comment: str
    created_at: datetime


def add_feedback(connection: sa.Connection, integration: str, feedback: Feedback) -> int:
    """Record `feedback` on the caller's transaction; returns its id."""
    if feedback.verdict not in (EXPECTED, REAL):
        raise ValueError(f"verdict {feedback.verdict!r}: give {EXPECTED} or {REAL}")
    row = {
        "integration": integration,
        "check": feedback.key.check,
        "metric": feedback.key.metric,
        "at": require_utc(feedback.at, "at"),
        "verdict": feedback.verdict,
        "actor": feedback.actor,
        "comment": feedback.comment,
        "created_at": require_utc(feedback.created_at, "created_at"),
    }
    stmt = anomaly_feedback.insert().returning(anomaly_feedback.c.id)
    return int(connection.execute(stmt, row).scalar_one())


def feedback_on(
    store: ResultStore, integration: str, keys: list[SeriesKey], since: datetime | None = None
) -> list[Feedback]:
    """Every word on the points of these series (from `since`), oldest first."""
    if not keys:
        return []
    f = anomaly_feedback.c
    stmt = sa.select(f.check, f.metric, f.at, f.verdict, f.actor, f.comment, f.created_at).where(
        f.integration == integration,
        sa.tuple_(f.check, f.metric).in_([(k.check, k.metric) for k in keys]),
    )
    if since is not None:
        stmt = stmt.where(f.at >= require_utc(since, "since"))
    with store.reading() as connection:
        rows = connection.execute(stmt.order_by(f.created_at, f.id)).all()
    return [
        Feedback(SeriesKey(r.check, r.metric), r.at, r.verdict, r.actor, r.comment, r.created_at)
        for r in rows
    ]


def expected_points(feedback: list[Feedback]) -> dict[SeriesKey, set[datetime]]:
    """Per series, the points whose newest word is `expected`: they leave the baseline."""
    newest: dict[tuple[SeriesKey, datetime], str] = {}
    for item in feedback:  # oldest first: the newest word wins
        newest[(item.key, item.at)] = item.verdict
    found: dict[SeriesKey, set[datetime]] = {}
    for (key, at), verdict in newest.items():
        if verdict == EXPECTED:
            found.setdefault(key, set()).add(at)
    return found
