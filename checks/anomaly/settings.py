"""Declarative settings of the anomaly detector, separate from the engine that applies them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from checks.anomaly.errors import BadSettings
from datasources.durations import format_duration


class Seasonality(StrEnum):
    """Which calendar pattern the baseline learns: `daily` (hour of day), `weekly` (hour of
    week, i.e. day of week for daily runs), `none`, or `auto` (measured per point, below)."""

    AUTO = "auto"
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"


class Direction(StrEnum):
    """Which side of the band is an anomaly: above (`spike`), below (`drop`) or `both`."""

    SPIKE = "spike"
    DROP = "drop"
    BOTH = "both"


@dataclass(frozen=True)
class AnomalySettings:
    """What the detector is asked to do for one series.

    `sensitivity` is the half-width of the expected band in robust standard deviations of the
    series' own past prediction errors (as in Elementary: higher means fewer alerts).
    `training` is how far back the baseline looks; `min_history` how many past points (in the
    training window, marked-expected points left out) a point needs before it gets a verdict.
    """

    sensitivity: float = 4.0
    direction: Direction = Direction.BOTH
    training: timedelta = timedelta(days=28)
    min_history: int = 14
    seasonality: Seasonality = Seasonality.AUTO

    def __post_init__(self) -> None:
        if not 0.5 <= self.sensitivity <= 20:
            raise BadSettings(
                f"sensitivity {self.sensitivity}: give a number of standard deviations "
                "from 0.5 to 20 (default 4)"
            )
        if self.training < timedelta(days=1):
            shown = format_duration(self.training.total_seconds())
            raise BadSettings(f"training {shown}: give at least one day (default 28d)")
        if self.min_history < 3:
            raise BadSettings(f"min_history {self.min_history}: give at least 3 points")
        # StrEnum fields accept their plain values too ("both"), checked here once
        object.__setattr__(self, "direction", _member(Direction, self.direction, "direction"))
        object.__setattr__(
            self, "seasonality", _member(Seasonality, self.seasonality, "seasonality")
        )


E = TypeVar("E", bound=StrEnum)


def _member(kind: type[E], value: object, key: str) -> E:
    try:
        return kind(str(value))
    except ValueError:
        allowed = "|".join(kind)
        raise BadSettings(f"{key} {value!r}: allowed: {allowed}") from None
