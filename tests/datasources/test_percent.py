"""datasources.percent: the one percentage formatter of check results, alerts and the dashboard."""

from __future__ import annotations

import math

import pytest

from datasources.percent import percent


@pytest.mark.parametrize(
    ("rate", "decimals", "text"),
    [
        (0, 2, "0%"),
        (0.0, 2, "0%"),
        (-0.0, 2, "0%"),
        (1, 2, "100%"),
        (1.0, 0, "100%"),
        (0.031, 2, "3.1%"),
        (0.5, 2, "50%"),
        (0.5, 0, "50%"),  # no decimals: no zero to drop
        (37 / 1204, 2, "3.07%"),
        (2 / 3, 1, "66.7%"),
        (0.00004999, 2, "<0.01%"),  # 1 row in 20,000 differs: never 0%
        (1e-9, 2, "<0.01%"),
        (0.004, 0, "<1%"),
        (0.00005, 2, "0.01%"),  # rounds up to the smallest step: shown as it is
        (0.99996, 2, ">99.99%"),  # 4 in 100,000 rows missing: never 100%
        (1 - 1e-9, 2, ">99.99%"),
        (0.996, 0, ">99%"),
        (0.9999, 2, "99.99%"),
        (1.00001, 2, ">100%"),
        (1.5, 2, "150%"),
        (-0.00001, 2, ">-0.01%"),
        (-0.25, 2, "-25%"),
        (sum([0.1] * 10), 2, "100%"),  # 0.9999999999999999: float noise, not a difference
    ],
)
def test_percent(rate: float, decimals: int, text: str) -> None:
    assert percent(rate, decimals) == text


@pytest.mark.parametrize("rate", [None, math.nan, math.inf])
def test_a_missing_rate_is_the_callers_placeholder(rate: float | None) -> None:
    assert percent(rate) == "—"
    assert percent(rate, missing="?") == "?"
