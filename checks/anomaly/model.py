"""The engine: a robust seasonal baseline scored for every point of a series at once.

Every quantity for point i is computed from points strictly before it (left-closed rolling
windows over time, `windows.py`), so scoring a whole series in one vectorised pass gives
exactly the verdicts that judging each point online, on its past alone, gives. Values are
first taken to y = sign(x) log(1 + |x|), so multiplicative patterns (counts, lags) become
additive and the band is relative. Per point i at time t, for a slot scheme (hour of day, or
hour of week):

1. detrend: e = y - the median of the week before t (whole weekly cycles, so no season);
2. offset o: the median of the past e of t's slot within the training window (>= 2 values,
   the window an hour longer so late runs keep their slot);
3. level: the median of the deseasoned past values y - o of the day before t (>= 7 values,
   else of the week before, >= 3). Medians are not moved by a few spikes; a shift that
   persists for half a day moves the level: the shift is confirmed and re-learned;
4. residual u = y - (level + o) and scale sigma: 1.4826 x the median, over the complete days
   of the training window before t's day, of each day's median |u|: the size of the
   detector's own past errors (estimation noise included), robust to the anomalies in them;
   never under 0.5% of the expected value (`sigma_floor`: a constant series has MAD = 0);
5. `auto` fits daily and weekly and takes, per point, the one that explains it better (the
   smaller |u| / sigma): anomalous only when both schemes say so, and judged only once both
   can judge (17 days of hourly history; daily alone judges from day 5);
6. besides: flat-lines (`flatline.py`) and slow drifts of the level (`drift.py`).

Each rolling median costs about 0.5 us a point; the engine uses five (the week's median, and
offsets and level per scheme), takes day-level statistics from per-day blocks, and
`score_batch` scores many series in one pass.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from checks.anomaly.drift import DRIFT_DAYS, drift_scores
from checks.anomaly.flatline import flat_lines
from checks.anomaly.settings import AnomalySettings, Direction, Seasonality
from checks.anomaly.windows import (
    DAY,
    MAD_TO_SIGMA,
    MIN_WEEK_POINTS,
    WEEK,
    Floats,
    Seconds,
    day_lags,
    instants,
    level,
    past_days,
    per_group,
    rolling,
)

SLOT_SLACK = 3600  # a slot's window reaches this much further: runs start a little late
MIN_SLOT = 2  # past values of a calendar slot before its offset counts
LEVEL_SPREAD = 0.005  # sigma: at least this share of the value (docs/monitor-file.md#anomalies)
RELATIVE_FLOOR = 1e-6  # and never 0: a series constant at 0 still gets a (tiny) band


@dataclass(frozen=True)
class Scores:
    """Per point of a series: the band and score (NaN where there is no verdict), whether it
    is anomalous, and the seasonality used (an index into SCHEMES; -1 without a verdict)."""

    expected: Floats
    low: Floats
    high: Floats
    score: Floats
    anomalous: NDArray[np.bool_]
    judged: NDArray[np.bool_]
    scheme: NDArray[np.int64]
    flat: NDArray[np.bool_]
    drift: NDArray[np.bool_]


SCHEMES = (Seasonality.NONE, Seasonality.DAILY, Seasonality.WEEKLY)


def score_series(seconds: Seconds, values: Floats, settings: AnomalySettings) -> Scores:
    """Score every point of one series (strictly increasing epoch seconds, finite values)."""
    if len(seconds) == 0:
        no = np.empty(0, dtype=bool)
        nan = np.empty(0)
        return Scores(nan, nan, nan, nan, no, no, np.empty(0, np.int64), no, no)
    training = int(settings.training.total_seconds())
    index = instants(seconds)
    values = to_log(values)
    detrended = values - rolling(index, values, WEEK, MIN_WEEK_POINTS).median().to_numpy()
    lags = day_lags(seconds, DRIFT_DAYS)
    fits = [
        _fit(seconds, values, detrended, scheme, training, lags)
        for scheme in _schemes(settings.seasonality)
    ]
    residual, sigma, drift, chosen = _choose(fits)
    history = rolling(index, np.ones(len(values)), training, 1).count().to_numpy()
    judged = (history >= settings.min_history) & np.isfinite(residual) & np.isfinite(sigma)
    expected = values - residual
    sigma = np.maximum(sigma, sigma_floor(expected))
    score = np.where(judged, residual / sigma, np.nan)
    k = settings.sensitivity
    beyond, drifting = _beyond(score, k, settings.direction), _beyond(drift, k, settings.direction)
    flat = flat_lines(seconds, values, training)
    return Scores(
        expected=from_log(np.where(judged, expected, np.nan)),
        low=from_log(np.where(judged, expected - k * sigma, np.nan)),
        high=from_log(np.where(judged, expected + k * sigma, np.nan)),
        score=score,
        anomalous=(beyond | drifting | flat) & judged,
        judged=judged,
        scheme=np.where(judged, chosen, -1),
        flat=flat & judged,
        drift=drifting & judged,
    )


def sigma_floor(expected: Floats) -> Floats:
    """The least scale of a band around `expected` (log space), so that a series whose past
    errors are all about 0 (a constant count) does not flag every tiny change: the step of
    `expected` by LEVEL_SPREAD of its value, |x| to |x| (1 + LEVEL_SPREAD). With the default
    sensitivity 4 a constant 1,000 is expected within about 980 to 1,020."""
    size = np.abs(from_log(expected))
    spread = np.log1p(LEVEL_SPREAD * size / (1.0 + size))
    return np.maximum(spread, RELATIVE_FLOOR * np.maximum(1.0, np.abs(expected)))


def _beyond(score: Floats, k: float, direction: Direction) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        if direction is Direction.SPIKE:
            return score > k
        if direction is Direction.DROP:
            return score < -k
        return np.abs(score) > k


def score_batch(series: list[tuple[Seconds, Floats]], settings: AnomalySettings) -> list[Scores]:
    """Score many series in one pass: they are laid end to end, whole weeks apart and further
    apart than any window reaches, so each is scored exactly as alone (the pandas calls then
    cost once, not once per series)."""
    if not series:
        return []
    reach = int(settings.training.total_seconds()) + 2 * WEEK
    parts: list[Seconds] = []
    offset = 0
    for seconds, _ in series:
        shift = offset - int(seconds[0]) // WEEK * WEEK if len(seconds) else 0
        parts.append(seconds + shift)
        if len(seconds):
            offset = -(-(int(seconds[-1]) + shift + reach) // WEEK) * WEEK
    joined = score_series(np.concatenate(parts), np.concatenate([v for _, v in series]), settings)
    bounds = np.cumsum([0] + [len(v) for _, v in series])
    return [
        Scores(*(getattr(joined, name)[lo:hi] for name in Scores.__dataclass_fields__))
        for lo, hi in itertools.pairwise(bounds)
    ]


def to_log(values: Floats) -> Floats:
    """sign(x) log(1 + |x|): multiplicative patterns of counts and lags become additive, while
    values near zero (rates) stay nearly as they are; defined for every real number."""
    return np.sign(values) * np.log1p(np.abs(values))


def from_log(values: Floats) -> Floats:
    """The inverse of `to_log`."""
    return np.sign(values) * np.expm1(np.abs(values))


def _choose(fits: list[_Fit]) -> tuple[Floats, Floats, Floats, Seconds]:
    """Residual, sigma, drift score and scheme per point: the only fit's, or for `auto`
    (daily and weekly) the one that explains the point better (the smaller |residual| /
    sigma; the smaller |drift|), so a point is anomalous only when both schemes say so.
    `auto` judges a point only when both can: a weekly pattern is not mistaken for anomalies
    in a series too young to have measured it."""
    if len(fits) == 1:
        (fit,) = fits
        residual = np.where(fit.usable, fit.residual, np.nan)
        return residual, fit.sigma, fit.drift, np.full(len(residual), SCHEMES.index(fit.scheme))
    daily, weekly = fits
    both = daily.usable & weekly.usable
    weekly_fits = np.abs(weekly.residual) * daily.sigma < np.abs(daily.residual) * weekly.sigma
    residual = np.where(both, np.where(weekly_fits, weekly.residual, daily.residual), np.nan)
    sigma = np.where(weekly_fits, weekly.sigma, daily.sigma)
    drift = np.where(np.abs(weekly.drift) < np.abs(daily.drift), weekly.drift, daily.drift)
    chosen = np.where(weekly_fits, SCHEMES.index(weekly.scheme), SCHEMES.index(daily.scheme))
    return residual, sigma, drift, chosen


def _schemes(seasonality: Seasonality) -> list[Seasonality]:
    if seasonality is Seasonality.AUTO:
        return [Seasonality.DAILY, Seasonality.WEEKLY]
    return [seasonality]


def _slots(seconds: Seconds, scheme: Seasonality) -> Seconds:
    hour = (seconds // 3600) % 24
    if scheme is Seasonality.DAILY:
        return hour
    if scheme is Seasonality.WEEKLY:
        return ((seconds // DAY + 3) % 7) * 24 + hour  # Monday 00h is slot 0 (1970-01-01: Thu)
    return np.zeros(len(seconds), dtype=np.int64)


@dataclass(frozen=True)
class _Fit:
    """One slot scheme's residuals, their scale, and its drift scores."""

    scheme: Seasonality
    residual: Floats
    sigma: Floats
    drift: Floats

    @property
    def usable(self) -> NDArray[np.bool_]:
        return np.isfinite(self.residual) & np.isfinite(self.sigma)


def _fit(
    seconds: Seconds,
    values: Floats,
    detrended: Floats,
    scheme: Seasonality,
    training: int,
    lags: list[NDArray[np.intp]],
) -> _Fit:
    """Offsets of the scheme's slots (median of the slot's detrended past values in the
    training window), the level of the deseasoned values, the residual and its scale."""
    slots = _slots(seconds, scheme)
    reach = training + SLOT_SLACK
    offsets = per_group(seconds, slots, detrended, reach, MIN_SLOT, "median")
    deseasoned = values - offsets
    current = level(instants(seconds), seconds, deseasoned)
    residual = deseasoned - current
    sigma = MAD_TO_SIGMA * past_days(seconds, np.abs(residual), training)
    return _Fit(scheme, residual, sigma, drift_scores(seconds, current, lags, training))
