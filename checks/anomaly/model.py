"""The engine: a robust seasonal baseline scored for every point of a series at once.

Every quantity for point i is computed from points strictly before it (left-closed rolling
windows over time), so scoring a whole series in one vectorised pass gives exactly the verdicts
that judging each point online, on its past alone, gives. Per point i at time t:

1. level `a`: median of the values in the day before t (at least 7 of them), else of the week
   before t (at least 3): a median over whole seasonal cycles, so spikes in it do not move it
   and a level shift that persists for half a day moves it (the shift is re-learned);
2. seasonal offset `o`: median of the past detrended values `e = x - a` of the same calendar
   slot (hour of day, or hour of week) within the training window, at least 3 of them;
3. residual `u = e - o` and scale `sigma`: 1.4826 x the median, over the complete days of the
   training window before t's day, of each day's median |u| (each u computed on its own
   past). The band's width is the size of the detector's real past prediction errors,
   estimation noise included, and a median of daily medians is robust to outliers;
4. `auto` seasonality picks, per point, daily (hour-of-day slots) or weekly (hour-of-week
   slots): the one whose mean |u| over the training window's past days is smaller (weekly,
   noisier with 4 samples a slot in 28 days, must win by 10%).

Rolling medians cost about 0.7 us a point each, so the engine uses three (level and two slot
schemes) and takes its day-level statistics from per-day blocks; `score_batch` scores many
series in one pass.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from checks.anomaly.settings import AnomalySettings, Direction, Seasonality

DAY = 86_400
WEEK = 7 * DAY
MIN_DAY_POINTS = 7  # a day's median needs this many runs; sparser series use the week
MIN_WEEK_POINTS = 3
MIN_SLOT = 2  # past values of a calendar slot before its offset counts
SLOT_SLACK = 3600  # a slot's window reaches this much further: runs start a little late
MIN_SCALE_DAYS = 3  # past days of residuals before a band can be drawn
FLAT_RUN = 3  # repeats of the value before (4 equal values) before a flat-line is one
FLAT_CHANCE = 1e-4  # how unlikely, by the past repeat rate, such a run must be
MAD_TO_SIGMA = 1.4826
RELATIVE_FLOOR = 1e-6  # a constant series still gets a (tiny) band

Floats = NDArray[np.float64]
Seconds = NDArray[np.int64]


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


SCHEMES = (Seasonality.NONE, Seasonality.DAILY, Seasonality.WEEKLY)


def score_series(seconds: Seconds, values: Floats, settings: AnomalySettings) -> Scores:
    """Score every point of one series (strictly increasing epoch seconds, finite values)."""
    if len(seconds) == 0:
        nothing = np.empty(0)
        none = np.empty(0, dtype=bool)
        return Scores(nothing, nothing, nothing, nothing, none, none, np.empty(0, np.int64), none)
    training = int(settings.training.total_seconds())
    index = pd.DatetimeIndex(seconds.astype("datetime64[s]"))
    values = to_log(values)
    detrended = values - _rolling(index, values, WEEK, MIN_WEEK_POINTS).median().to_numpy()
    fits = [
        _fit(seconds, values, detrended, scheme, training)
        for scheme in _schemes(settings.seasonality)
    ]
    residual, sigma, chosen = _choose(fits)
    history = _rolling(index, np.ones(len(values)), training, 1).count().to_numpy()
    flat = _flat(seconds, values, training)
    judged = (history >= settings.min_history) & np.isfinite(residual) & np.isfinite(sigma)
    expected = values - residual
    sigma = np.maximum(sigma, RELATIVE_FLOOR * np.maximum(1.0, np.abs(expected)))
    score = np.where(judged, residual / sigma, np.nan)
    k = settings.sensitivity
    if settings.direction is Direction.SPIKE:
        anomalous = score > k
    elif settings.direction is Direction.DROP:
        anomalous = score < -k
    else:
        anomalous = np.abs(score) > k
    return Scores(
        expected=from_log(np.where(judged, expected, np.nan)),
        low=from_log(np.where(judged, expected - k * sigma, np.nan)),
        high=from_log(np.where(judged, expected + k * sigma, np.nan)),
        score=score,
        anomalous=(anomalous | flat) & judged,
        flat=flat & judged,
        judged=judged,
        scheme=np.where(judged, chosen, -1),
    )


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


def _rolling(index: pd.DatetimeIndex, values: Floats, seconds: int, least: int) -> Any:
    series = pd.Series(values, index=index)
    return series.rolling(pd.Timedelta(seconds=seconds), closed="left", min_periods=least)


def _level(index: pd.DatetimeIndex, seconds: Seconds, values: Floats) -> Floats:
    """Per point, the median of the values of the day before it (>= 7 points), else of the
    week before it (>= 3): the current level of a deseasoned series (NaN values left out)."""
    level: Floats = _rolling(index, values, DAY, MIN_DAY_POINTS).median().to_numpy(copy=True)
    sparse = np.flatnonzero(np.isnan(level) & np.isfinite(values))  # only where it can count
    if len(sparse):
        starts = np.searchsorted(seconds, seconds[sparse] - WEEK, side="left")
        level[sparse] = _window_medians(values, starts, sparse, MIN_WEEK_POINTS)
    return level


def _window_medians(values: Floats, starts: Seconds, ends: Seconds, least: int) -> Floats:
    """Median of the finite values[starts[j]:ends[j]] for each j, NaN under `least` of them."""
    width = int(max(1, (ends - starts).max(initial=1)))
    columns = starts[:, None] + np.arange(width)
    window = np.where(columns < ends[:, None], values[np.minimum(columns, len(values) - 1)], np.nan)
    window.sort(axis=1)  # NaN last
    count = np.isfinite(window).sum(axis=1)
    rows = np.arange(len(ends))
    lo = window[rows, np.maximum(count - 1, 0) // 2]
    hi = window[rows, count // 2]
    return np.where(count >= least, (lo + hi) / 2, np.nan)


def _flat(seconds: Seconds, values: Floats, training: int) -> NDArray[np.bool_]:
    """A flat-line (a feed that stopped, a value no longer updated): the point repeats the
    value before it for a run that the series' own past makes unlikely. With p the share of
    the training window's past points that had this value, a run of r repeats needs
    p^r < FLAT_CHANCE, and r >= FLAT_RUN; values a series often takes (zero counts, a
    constant) need long runs, or never get there."""
    same = np.concatenate(([False], values[1:] == values[:-1]))
    breaks = np.flatnonzero(~same)
    positions = np.arange(len(values))
    run = positions - breaks[np.searchsorted(breaks, positions, "right") - 1]
    _, ids = np.unique(values, return_inverse=True)
    start = int(seconds[0])
    stride = int(seconds[-1]) - start + training + 1  # one value's points never meet another's
    order = np.lexsort((seconds, ids))
    keys = pd.DatetimeIndex((ids[order] * stride + seconds[order] - start).astype("datetime64[s]"))
    equal = np.empty(len(values))
    equal[order] = _rolling(keys, np.ones(len(values)), training, 0).count().to_numpy()
    index = pd.DatetimeIndex(seconds.astype("datetime64[s]"))
    count = _rolling(index, np.ones(len(values)), training, 0).count().to_numpy()
    share = (equal + 1) / (count + 2)
    needed = np.maximum(FLAT_RUN, np.ceil(np.log(FLAT_CHANCE) / np.log(share)))
    flat: NDArray[np.bool_] = run >= needed
    return flat


def _choose(fits: list[_Fit]) -> tuple[Floats, Floats, Seconds]:
    """Residual, sigma and scheme per point: the only fit's, or for `auto` (daily and weekly)
    the one that explains the point better (the smaller |residual| / sigma), so a point is
    anomalous only when both schemes say so. `auto` judges a point only when both can: a
    weekly pattern is not mistaken for anomalies in a series too young to have measured it."""
    if len(fits) == 1:
        (fit,) = fits
        residual = np.where(fit.usable, fit.residual, np.nan)
        return residual, fit.sigma, np.full(len(residual), SCHEMES.index(fit.scheme))
    daily, weekly = fits
    both = daily.usable & weekly.usable
    weekly_fits = np.abs(weekly.residual) * daily.sigma < np.abs(daily.residual) * weekly.sigma
    residual = np.where(both, np.where(weekly_fits, weekly.residual, daily.residual), np.nan)
    sigma = np.where(weekly_fits, weekly.sigma, daily.sigma)
    chosen = np.where(weekly_fits, SCHEMES.index(weekly.scheme), SCHEMES.index(daily.scheme))
    return residual, sigma, chosen


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
    """One slot scheme's residuals and their scale."""

    scheme: Seasonality
    residual: Floats
    sigma: Floats

    @property
    def usable(self) -> NDArray[np.bool_]:
        return np.isfinite(self.residual) & np.isfinite(self.sigma)


def _fit(
    seconds: Seconds,
    values: Floats,
    detrended: Floats,
    scheme: Seasonality,
    training: int,
) -> _Fit:
    """Offsets of the scheme's slots (median of the slot's detrended past values in the
    training window), the level of the deseasoned values, the residual and its scale."""
    slots = _slots(seconds, scheme)
    order = np.lexsort((seconds, slots))
    start = int(seconds[0])
    stride = int(seconds[-1]) - start + training + SLOT_SLACK + 1  # slots never share a window
    keys = slots[order] * stride + (seconds[order] - start)
    by_slot = pd.DatetimeIndex(keys.astype("datetime64[s]"))
    offsets = np.empty(len(seconds))
    reach = training + SLOT_SLACK
    offsets[order] = _rolling(by_slot, detrended[order], reach, MIN_SLOT).median().to_numpy()
    deseasoned = values - offsets
    index = pd.DatetimeIndex(seconds.astype("datetime64[s]"))
    residual = deseasoned - _level(index, seconds, deseasoned)
    sigma = MAD_TO_SIGMA * _past_days(seconds // DAY, np.abs(residual), training)
    return _Fit(scheme=scheme, residual=residual, sigma=sigma)


def _past_days(days: Seconds, values: Floats, training: int) -> Floats:
    """Per point, the median of the daily medians of the complete days before its own within
    the training window (at least MIN_SCALE_DAYS of them); NaN values are left out."""
    per_day = pd.Series(values).groupby(days).median()
    numbers = per_day.index.to_numpy()
    index = pd.DatetimeIndex((numbers * DAY).astype("datetime64[s]"))
    window = _rolling(index, per_day.to_numpy(np.float64), training, MIN_SCALE_DAYS)
    past: Floats = window.median().to_numpy()[np.searchsorted(numbers, days)]
    return past
