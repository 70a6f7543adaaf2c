"""The band charts a page drew (AppTest), read back from their Plotly specs."""

from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest


def band_figures(at: AppTest) -> list[dict[str, dict[str, list[float]]]]:
    """Each drawn band chart as {trace name: {"x": …, "y": …}}."""
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [
        {
            str(t.get("name")): {axis: trace_values(t.get(axis)) for axis in ("x", "y")}
            for t in f["data"]
        }
        for f in figures
        if any(t.get("name") == "expected band" for t in f["data"])
    ]


def trace_values(array: object) -> list[float]:
    """A trace's values, whether Plotly wrote them as a list or as base64 typed data."""
    if isinstance(array, dict):
        raw = base64.b64decode(array["bdata"])
        return [float(v) for v in np.frombuffer(raw, dtype=np.dtype(array["dtype"]))]
    return list(array) if isinstance(array, list) else []
