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
MIN_SLOT = 3  # past values of a calendar slot before its offset counts
SLOT_SLACK = 3600  # a slot's window reaches this much further: runs start a little late
MIN_SCALE_DAYS = 3  # past days of residuals before a band can be drawn
FLAT_RUN = 3  # repeats of the value before (4 equal values) before a flat-line is one
FLAT_CHANCE = 1e-4  # how unlikely, by the past repeat rate, such a run must be
MAD_TO_SIGMA = 1.4826
AUTO_MARGIN = 0.9
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
    detrended = values - _level(index, seconds, values)
    days = seconds // DAY
    fits = [
        _fit(seconds, days, detrended, scheme, training, index, settings.sensitivity)
        for scheme in _schemes(settings.seasonality)
    ]
    residual, sigma, chosen = _choose(fits)
    history = _rolling(index, np.ones(len(values)), training, 1).count().to_numpy()
    flat = _flat(index, values, training)
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
    """Median of the day before each point (>= 7 points), else of the week before (>= 3)."""
    level: Floats = _rolling(index, values, DAY, MIN_DAY_POINTS).median().to_numpy(copy=True)
    sparse = np.flatnonzero(np.isnan(level))
    if len(sparse):
        starts = np.searchsorted(seconds, seconds[sparse] - WEEK, side="left")
        level[sparse] = _window_medians(values, starts, sparse, MIN_WEEK_POINTS)
    return level


def _window_medians(values: Floats, starts: Seconds, ends: Seconds, least: int) -> Floats:
    """Median of values[starts[j]:ends[j]] for each j, NaN under `least` values."""
    width = int(max(1, (ends - starts).max(initial=1)))
    columns = starts[:, None] + np.arange(width)
    inside = columns < ends[:, None]
    window = np.where(inside, values[np.minimum(columns, len(values) - 1)], np.nan)
    window.sort(axis=1)
    count = inside.sum(axis=1)
    rows = np.arange(len(ends))
    lo = window[rows, np.maximum(count - 1, 0) // 2]
    hi = window[rows, count // 2]
    return np.where(count >= least, (lo + hi) / 2, np.nan)


def _flat(index: pd.DatetimeIndex, values: Floats, training: int) -> NDArray[np.bool_]:
    """A flat-line (a feed that stopped, a value no longer updated): the point repeats the
    value before it for a run that the series' own past makes unlikely. With a past repeat
    rate p (a point equal to the one before it, over the training window), a run of r
    repeats needs p^r < FLAT_CHANCE, and r >= FLAT_RUN; a series that often repeats itself
    (small counts, constants) needs long runs, or never gets there."""
    same = np.concatenate(([False], values[1:] == values[:-1]))
    breaks = np.flatnonzero(~same)
    run = (
        np.arange(len(values))
        - breaks[np.searchsorted(breaks, np.arange(len(values)), "right") - 1]
    )
    window = _rolling(index, same.astype(np.float64), training, 1)
    repeats, count = window.sum().to_numpy(), window.count().to_numpy()
    rate = (repeats + 1) / (count + 2)
    needed = np.maximum(FLAT_RUN, np.ceil(np.log(FLAT_CHANCE) / np.log(rate)))
    flat: NDArray[np.bool_] = run >= needed
    return flat


def _choose(fits: list[_Fit]) -> tuple[Floats, Floats, Seconds]:
    """Residual, sigma and scheme per point: the only fit, or for `auto` (daily, weekly) the
    one that raised fewer alarms on the training window's past days, and on a tie the weekly
    one only when its mean |residual| is smaller by AUTO_MARGIN. `auto` judges a point only
    once the weekly scheme has been measured (on MIN_SCALE_DAYS past days), so a weekly
    pattern is not mistaken for anomalies in a young series; daily serves the points whose
    hour-of-week slot lacks values."""
    if len(fits) == 1:
        (fit,) = fits
        return fit.residual, fit.sigma, np.full(len(fit.residual), SCHEMES.index(fit.scheme))
    daily, weekly = fits
    weekly_wins = weekly.usable & (
        (weekly.alarms < daily.alarms)
        | ((weekly.alarms == daily.alarms) & (weekly.spread < AUTO_MARGIN * daily.spread))
    )
    daily_serves = ~weekly_wins & daily.usable & np.isfinite(weekly.alarms)
    residual = np.where(weekly_wins, weekly.residual, np.nan)
    residual = np.where(daily_serves, daily.residual, residual)
    sigma = np.where(weekly_wins, weekly.sigma, daily.sigma)
    chosen = np.where(weekly_wins, SCHEMES.index(weekly.scheme), SCHEMES.index(daily.scheme))
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
    scheme: Seasonality
    residual: Floats
    sigma: Floats
    spread: Floats  # mean |residual| of the past days, to compare schemes
    alarms: Floats  # points beyond the band on the past days, to compare schemes

    @property
    def usable(self) -> NDArray[np.bool_]:
        return np.isfinite(self.residual) & np.isfinite(self.sigma) & np.isfinite(self.alarms)


def _fit(
    seconds: Seconds,
    days: Seconds,
    detrended: Floats,
    scheme: Seasonality,
    training: int,
    index: pd.DatetimeIndex,
    sensitivity: float,
) -> _Fit:
    slots = _slots(seconds, scheme)
    order = np.lexsort((seconds, slots))
    start = int(seconds[0])
    stride = int(seconds[-1]) - start + training + SLOT_SLACK + 1  # slots never share a window
    keys = slots[order] * stride + (seconds[order] - start)
    by_slot = pd.DatetimeIndex(keys.astype("datetime64[s]"))
    offsets = np.empty(len(seconds))
    reach = training + SLOT_SLACK
    offsets[order] = _rolling(by_slot, detrended[order], reach, MIN_SLOT).median().to_numpy()
    residual = detrended - offsets
    size = pd.Series(np.abs(residual)).groupby(days)
    day_medians = size.median()
    day_numbers = day_medians.index.to_numpy()
    day_index = pd.DatetimeIndex((day_numbers * DAY).astype("datetime64[s]"))
    position = np.searchsorted(day_numbers, days)
    medians = _rolling(day_index, day_medians.to_numpy(), training, MIN_SCALE_DAYS)
    sigma = MAD_TO_SIGMA * medians.median().to_numpy()[position]
    means = _rolling(day_index, size.mean().to_numpy(), training, MIN_SCALE_DAYS)
    measured = np.isfinite(residual) & np.isfinite(sigma)
    beyond = np.where(measured, np.abs(residual) > sensitivity * sigma, np.nan)
    per_day = pd.Series(beyond).groupby(days).sum(min_count=1).to_numpy()
    alarms = _rolling(day_index, per_day, training, MIN_SCALE_DAYS).sum()
    return _Fit(
        scheme=scheme,
        residual=residual,
        sigma=sigma,
        spread=means.mean().to_numpy()[position],
        alarms=alarms.to_numpy()[position],
    )
