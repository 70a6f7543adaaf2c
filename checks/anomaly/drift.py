"""Slow drifts: a level that creeps day after day further than its past week-on-week changes
allow. The level itself follows any change within about half a day (that is how a level shift
is re-learned), so a drift is judged on the level's own history instead."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from checks.anomaly.windows import MAD_TO_SIGMA, Floats, Seconds, lagged, past_days

DRIFT_DAYS = 7  # the change is measured over this many days
DRIFT_STEP = 0.5  # one day bringing more of the change than this makes it a shift, not a drift
RECENT_DAYS = 2  # the drift must still be under way over these last days:
ONGOING = 0.5  # they must bring at least this share of their part of the change
TINY = 1e-9


def drift_scores(
    seconds: Seconds, level: Floats, lags: list[NDArray[np.intp]], training: int
) -> Floats:
    """Per point, signed: the level's change over the past DRIFT_DAYS less its usual change
    (the median over the training window's past days: the trend), in robust standard
    deviations of that change. 0 where the change is not gradual (one day brought more than
    DRIFT_STEP of it: a level shift, already re-learned) or not ongoing (the last RECENT_DAYS
    brought less than ONGOING of their share of the change: the drift has stopped, and the level has
    learnt where it stopped). `lags`: `day_lags(seconds, DRIFT_DAYS)`."""
    back = [lagged(level, positions) for positions in lags]
    change = back[0] - back[-1]
    usual = past_days(seconds, change, training)
    excess = change - usual
    spread = MAD_TO_SIGMA * past_days(seconds, np.abs(excess), training)
    with np.errstate(invalid="ignore"):
        steps = np.abs(back[0] - back[1])
        for later, earlier in itertools.pairwise(back[1:]):
            steps = np.fmax(steps, np.abs(later - earlier))
        steps[np.isnan(change)] = np.nan
        gradual = steps < DRIFT_STEP * np.abs(excess)
        recent = (back[0] - back[RECENT_DAYS]) * np.sign(excess)
        ongoing = recent > ONGOING * np.abs(excess) * RECENT_DAYS / DRIFT_DAYS
    scores: Floats = np.where(gradual & ongoing, excess / np.maximum(spread, TINY), 0.0)
    return scores
