"""The alternative measured against checks.anomaly in benchmarks/anomalies.py --stl N: STL
(statsmodels, robust) refitted online once a day on the past 28 days (with --mstl, MSTL with
daily and weekly periods once three weeks are there), in the same log(1 + |x|) space,
flagging a point beyond 4 robust standard deviations of the fit's residuals from trend +
seasonal carried one day forward. statsmodels is not a dependency of dxq: install it beside
the venv to run this (PYTHONPATH=/tmp/sm after `pip install --target /tmp/sm statsmodels`)."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

HOUR, DAY = 3600, 86_400
TRAINING_DAYS, FIRST_DAY, SENSITIVITY = 28, 14, 4.0


def stl_flags(
    seconds: NDArray[np.int64], values: NDArray[np.float64], weekly: bool
) -> NDArray[np.bool_]:
    """Flagged points of one series, each day judged by a fit on the days before it: STL with
    a daily period, or with `weekly` MSTL (daily and weekly) once three weeks are there."""
    seasonal: Any = importlib.import_module("statsmodels.tsa.seasonal")
    start = int(seconds[0]) // DAY * DAY
    slots = (seconds - start) // HOUR
    grid = np.full(int(slots[-1]) + 1, np.nan)
    grid[slots] = np.sign(values) * np.log1p(np.abs(values))
    flags = np.zeros(len(seconds), dtype=bool)
    for day in range(FIRST_DAY, len(grid) // 24 + 1):
        past = grid[max(0, day - TRAINING_DAYS) * 24 : day * 24]
        known = np.flatnonzero(np.isfinite(past))
        if len(known) < 7 * 24:
            continue
        filled = np.interp(np.arange(len(past)), known, past[known])
        if weekly and len(filled) >= 3 * 168:
            fit = seasonal.MSTL(filled, periods=(24, 168), stl_kwargs={"robust": True}).fit()
            parts = np.asarray(fit.seasonal)
            ahead = parts[-24:, 0] + parts[-168:-144, 1]
        else:
            fit = seasonal.STL(filled, period=24, robust=True).fit()
            ahead = np.asarray(fit.seasonal)[-24:]
        forecast = np.asarray(fit.trend)[-1] + ahead
        resid = np.asarray(fit.resid)
        sigma = 1.4826 * np.median(np.abs(resid - np.median(resid)))
        today = np.flatnonzero((slots >= day * 24) & (slots < day * 24 + 24))
        observed = grid[slots[today]]
        flags[today] = np.abs(observed - forecast[slots[today] - day * 24]) > SENSITIVITY * sigma
    return flags
