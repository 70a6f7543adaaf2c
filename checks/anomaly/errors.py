"""The one exception tree of `checks.anomaly`: settings or a series it cannot work with."""

from __future__ import annotations


class AnomalyError(ValueError):
    """Anything the anomaly detector refuses; the message names the setting or row and a fix."""


class BadSettings(AnomalyError):
    """A setting out of range (sensitivity, training, min_history, …)."""


class BadSeries(AnomalyError):
    """A series the detector cannot read: lengths differ, or a timestamp or value is unusable."""
