"""Rolling statistics over a series' past, vectorised: every value for point i is computed from
points strictly before it (left-closed windows over time), which is what makes scoring a whole
series at once give exactly the online verdicts. Medians and counts only: a rolling mean keeps
a running sum whose last bits depend on where the series starts, so a trimmed history (a run
loads `lookback`) would not give bit-for-bit the same verdicts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

DAY = 86_400
WEEK = 7 * DAY
MIN_DAY_POINTS = 7  # a day's median needs this many runs; sparser series use the week
MIN_WEEK_POINTS = 3
MIN_SCALE_DAYS = 3  # past days of residuals before a band can be drawn
MAD_TO_SIGMA = 1.4826  # a median absolute deviation in standard deviations of a normal

Floats = NDArray[np.float64]
Seconds = NDArray[np.int64]


def instants(seconds: Seconds) -> pd.DatetimeIndex:
    """Epoch seconds as the index pandas' time-based windows need."""
    return pd.DatetimeIndex(seconds.astype("datetime64[s]"))


def rolling(index: pd.DatetimeIndex, values: Floats, seconds: int, least: int) -> Any:
    """The window over the `seconds` before each point (the point itself left out) that
    yields a value once it holds `least` non-NaN values."""
    series = pd.Series(values, index=index)
    return series.rolling(pd.Timedelta(seconds=seconds), closed="left", min_periods=least)


def per_group(
    seconds: Seconds, groups: Seconds, values: Floats, reach: int, least: int, how: str
) -> Floats:
    """`how` ("median" or "count") of the values of the same group (a calendar slot, a
    value) within `reach` seconds before each point: the groups are laid end to end on one
    time axis, further apart than `reach`, so one rolling pass serves them all."""
    order = np.lexsort((seconds, groups))
    start = int(seconds[0])
    stride = int(seconds[-1]) - start + reach + 1
    keys = instants(groups[order] * stride + (seconds[order] - start))
    result = np.empty(len(seconds))
    result[order] = getattr(rolling(keys, values[order], reach, least), how)().to_numpy()
    return result


def level(index: pd.DatetimeIndex, seconds: Seconds, values: Floats) -> Floats:
    """Per point, the median of the values of the day before it (>= 7 points), else of the
    week before it (>= 3): the current level of a deseasoned series (NaN values left out)."""
    found: Floats = rolling(index, values, DAY, MIN_DAY_POINTS).median().to_numpy(copy=True)
    sparse = np.flatnonzero(np.isnan(found) & np.isfinite(values))  # only where it can count
    if len(sparse):
        starts = np.searchsorted(seconds, seconds[sparse] - WEEK, side="left")
        found[sparse] = window_medians(values, starts, sparse, MIN_WEEK_POINTS)
    return found


def window_medians(values: Floats, starts: Seconds, ends: Seconds, least: int) -> Floats:
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


def past_days(seconds: Seconds, values: Floats, training: int) -> Floats:
    """Per point, the median of the daily medians of the complete days before its own within
    the training window (at least MIN_SCALE_DAYS of them); NaN values are left out. Robust to
    outliers, and cheap: one value a day goes through the rolling median."""
    days = seconds // DAY
    daily = pd.Series(values).groupby(days).median()
    numbers = daily.index.to_numpy()
    window = rolling(instants(numbers * DAY), daily.to_numpy(np.float64), training, MIN_SCALE_DAYS)
    past: Floats = window.median().to_numpy()[np.searchsorted(numbers, days)]
    return past


def day_lags(seconds: Seconds, days: int) -> list[NDArray[np.intp]]:
    """For k = 0..days, per point, the position of a point about k days earlier (-1 if none):
    k = 0 is the point itself, k = 1 the last point at or before a day earlier, and k + 1
    the point a day before the k-th one's (a gather, cheaper than a search per k)."""
    one_day = np.searchsorted(seconds, seconds - DAY, side="right") - 1
    lags = [np.arange(len(seconds)), one_day]
    for _ in range(days - 1):
        previous = lags[-1]
        lags.append(np.where(previous >= 0, one_day[np.maximum(previous, 0)], -1))
    return lags


def lagged(values: Floats, positions: NDArray[np.intp]) -> Floats:
    """values at `positions` (from `day_lags`), NaN where there is none."""
    return np.where(positions >= 0, values[np.maximum(positions, 0)], np.nan)
