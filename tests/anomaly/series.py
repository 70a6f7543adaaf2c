"""Synthetic hourly series for the anomaly tests: a level, a daily wave, an optional weekend
dip and seeded multiplicative noise, as Points."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from checks.anomaly.detector import Point

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)


def expected_value(i: int, level: float = 1000.0, wave: float = 0.5, weekend: float = 1.0) -> float:
    """The clean value of hour i: the level, a daily wave peaking at 12:00 and a weekend
    factor on Saturdays and Sundays."""
    hour, day = i % 24, i // 24
    factor = weekend if day % 7 >= 5 else 1.0
    return level * (1 + wave * math.sin(2 * math.pi * (hour - 6) / 24)) * factor


def hourly(
    days: int,
    *,
    level: float = 1000.0,
    wave: float = 0.5,
    weekend: float = 1.0,
    noise: float = 0.03,
    seed: int = 1,
) -> list[Point]:
    """`days` of hourly points from START."""
    rng = random.Random(seed)
    return [
        Point(
            START + i * HOUR,
            expected_value(i, level, wave, weekend) * (1 + noise * rng.gauss(0, 1)),
        )
        for i in range(days * 24)
    ]


def at_hour(points: list[Point], i: int, value: float) -> list[Point]:
    """A copy of points with hour i's value replaced."""
    copy = list(points)
    copy[i] = Point(copy[i].at, value)
    return copy


def csv_text(points: list[Point], timestamp: str = "timestamp", value: str = "value") -> str:
    """The points as CSV with a header."""
    rows = [f"{timestamp},{value}"] + [f"{p.at.isoformat()},{p.value!r}" for p in points]
    return "\n".join(rows) + "\n"
