"""Anomaly detection over a metric's history (provisional docstring)."""

from checks.anomaly.detector import Point, Verdict, judge, lookback, stream
from checks.anomaly.errors import AnomalyError, BadSeries, BadSettings
from checks.anomaly.model import Scores, score_batch, score_series
from checks.anomaly.settings import AnomalySettings, Direction, Seasonality

__all__ = [
    "AnomalyError",
    "AnomalySettings",
    "BadSeries",
    "BadSettings",
    "Direction",
    "Point",
    "Scores",
    "Seasonality",
    "Verdict",
    "judge",
    "lookback",
    "score_batch",
    "score_series",
    "stream",
]
