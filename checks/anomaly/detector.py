"""The detector's two doors: `judge` one new point on its history (what a run does), and
`stream` a whole series through it point by point (what a backtest does). Both give the same
verdict for the same point: `stream` is `judge` applied to every point on the points before it,
computed in one vectorised pass."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from checks.anomaly.errors import BadSeries
from checks.anomaly.model import SCHEMES, Scores, score_series
from checks.anomaly.settings import AnomalySettings, Seasonality

# The furthest a verdict reaches back: the drift's scale (a training window) of its excess,
# whose usual change (another) compares levels a week apart, each level a median of up to a
# week of deseasoned values, whose slot offsets (a third training window, an hour more) use
# values less a week's median; two day-aligned windows add up to a day each. 3 x training +
# 23 days and an hour, rounded up.
LOOKBACK_MARGIN = timedelta(days=28)


@dataclass(frozen=True)
class Point:
    """One observation of a metric: when it was measured (timezone-aware) and its value."""

    at: datetime
    value: float


@dataclass(frozen=True)
class Verdict:
    """The detector's judgement of one point: the expected value and band (low, high) learnt
    from its past, the score (signed: the distance from the expected value in robust standard
    deviations of past errors, negative below it) and whether it is anomalous under the
    settings' sensitivity and direction, because it is a flat-line (`flat`: the value
    repeated for a run its past makes unlikely, as when a feed stops; any direction) or
    because the level is drifting (`drift`: a gradual change over the past week beyond the
    sensitivity, in robust standard deviations of its past week-on-week changes)."""

    at: datetime
    value: float
    expected: float
    low: float
    high: float
    score: float
    anomalous: bool
    seasonality: Seasonality
    flat: bool = False
    drift: bool = False


def lookback(settings: AnomalySettings) -> timedelta:
    """How much history can change a verdict: a caller that loads history (a run, from the
    store) needs no older points than this before the new one."""
    return 3 * settings.training + LOOKBACK_MARGIN


def judge(
    history: Iterable[Point],
    point: Point,
    settings: AnomalySettings,
    excluded: Collection[datetime] = frozenset(),
) -> Verdict | None:
    """The verdict on `point` given the points measured before it (later ones are ignored)
    less those whose timestamps are in `excluded` (marked "expected": they leave the
    baseline); None while there is too little history (`min_history`, and a few days and
    same-hour values for the seasonal baseline)."""
    _check(point)
    since = point.at - lookback(settings)
    skip = _instants(excluded)
    past = [p for p in history if since <= p.at < point.at and _instant(p.at) not in skip]
    past.sort(key=lambda p: p.at)
    scores = _score([*past, point], settings)
    return _verdict(point, scores, len(past))


def stream(
    points: Iterable[Point],
    settings: AnomalySettings,
    excluded: Collection[datetime] = frozenset(),
) -> list[Verdict | None]:
    """The verdict on every point (in time order) as if each had arrived online: judged on the
    points before it, those in `excluded` left out of everyone's baseline (they are still
    judged themselves). Raises BadSeries for two points at the same second."""
    ordered = sorted(points, key=lambda p: p.at)
    skip = _instants(excluded)
    kept = [p for p in ordered if _instant(p.at) not in skip]
    scores = _score(kept, settings)
    by_instant = {
        _instant(p.at): _verdict(p, scores, i) for i, p in enumerate(kept)
    }  # one pass for all kept points; excluded ones are judged one by one on their past
    verdicts: list[Verdict | None] = []
    for p in ordered:
        if _instant(p.at) in skip:
            verdicts.append(judge(kept, p, settings))
        else:
            verdicts.append(by_instant[_instant(p.at)])
    return verdicts


def _score(points: Sequence[Point], settings: AnomalySettings) -> Scores:
    seconds = np.array([_instant(p.at) for p in points], dtype=np.int64)
    values = np.array([p.value for p in points], dtype=np.float64)
    for p in points:
        _check(p)
    repeated = np.flatnonzero(np.diff(seconds) <= 0)
    if len(repeated):
        at = points[int(repeated[0]) + 1].at.isoformat()
        raise BadSeries(f"two points at {at}: give one value per timestamp (to the second)")
    return score_series(seconds, values, settings)


def _verdict(point: Point, scores: Scores, i: int) -> Verdict | None:
    if not scores.judged[i]:
        return None
    return Verdict(
        at=point.at,
        value=point.value,
        expected=float(scores.expected[i]),
        low=float(scores.low[i]),
        high=float(scores.high[i]),
        score=float(scores.score[i]),
        anomalous=bool(scores.anomalous[i]),
        seasonality=SCHEMES[int(scores.scheme[i])],
        flat=bool(scores.flat[i]),
        drift=bool(scores.drift[i]),
    )


def _check(point: Point) -> None:
    if point.at.tzinfo is None:
        raise BadSeries(f"{point.at.isoformat()}: give timezone-aware timestamps")
    if not math.isfinite(point.value):
        raise BadSeries(f"{point.at.isoformat()}: value {point.value} is not a finite number")


def _instant(at: datetime) -> int:
    return math.floor(at.astimezone(UTC).timestamp())


def _instants(excluded: Collection[datetime]) -> set[int]:
    for at in excluded:
        if at.tzinfo is None:
            raise BadSeries(f"excluded {at.isoformat()}: give timezone-aware timestamps")
    return {_instant(at) for at in excluded}
