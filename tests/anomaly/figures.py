"""The band charts a page drew (AppTest), read back from their Plotly specs."""

from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest


def band_figures(at: AppTest) -> list[dict[str, dict[str, list[float]]]]:
    """Each drawn band chart as {trace name: {"x": …, "y": …}}: a figure's own, or each of its
    panels when it stacks several series (dashboard/panels.py: a panel's traces share an x
    axis)."""
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    panels: list[dict[str, dict[str, list[float]]]] = []
    for figure in figures:
        by_axis: dict[str, dict[str, dict[str, list[float]]]] = {}
        for t in figure["data"]:
            values = {axis: trace_values(t.get(axis)) for axis in ("x", "y")}
            by_axis.setdefault(t.get("xaxis", "x"), {})[str(t.get("name"))] = values
        panels += [p for p in by_axis.values() if "expected band" in p]
    return panels


def trace_values(array: object) -> list[float]:
    """A trace's values, whether Plotly wrote them as a list or as base64 typed data."""
    if isinstance(array, dict):
        raw = base64.b64decode(array["bdata"])
        return [float(v) for v in np.frombuffer(raw, dtype=np.dtype(array["dtype"]))]
    return list(array) if isinstance(array, list) else []
