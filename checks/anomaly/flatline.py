"""Flat-lines: a feed that stopped, a value no longer updated."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from checks.anomaly.windows import Floats, Seconds, instants, per_group, rolling

FLAT_RUN = 3  # repeats of the value before (4 equal values) before a flat-line is one
FLAT_CHANCE = 1e-4  # how unlikely, by the series' past, such a run must be


def flat_lines(seconds: Seconds, values: Floats, training: int) -> NDArray[np.bool_]:
    """Per point, whether it repeats the value before it for a run that the series' own past
    makes unlikely. With p the share of the training window's past points that had this
    value, a run of r repeats needs p^r < FLAT_CHANCE, and r >= FLAT_RUN; values a series
    often takes (zero counts, a constant) need long runs, or never get there."""
    same = np.concatenate(([False], values[1:] == values[:-1]))
    breaks = np.flatnonzero(~same)
    positions = np.arange(len(values))
    run = positions - breaks[np.searchsorted(breaks, positions, "right") - 1]
    _, ids = np.unique(values, return_inverse=True)
    ones = np.ones(len(values))
    equal = per_group(seconds, ids.astype(np.int64), ones, training, 0, "count")
    count = rolling(instants(seconds), ones, training, 0).count().to_numpy()
    share = (equal + 1) / (count + 2)
    needed = np.maximum(FLAT_RUN, np.ceil(np.log(FLAT_CHANCE) / np.log(share)))
    flat: NDArray[np.bool_] = run >= needed
    return flat
