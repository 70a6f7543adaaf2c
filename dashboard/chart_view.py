"""Drawing a Plotly figure on a page: the one call every page uses (`show`), so every chart gets
the same browser-side limits. Figures come from dashboard/charts.py, which bounds their ticks
and points (MAX_TICKS, MAX_POINTS, `thin`); `problems` says where a figure breaks those bounds
(tests/dashboard/test_chart_limits.py runs it on every chart of every page).

Why it matters (benchmarks/pages.py, issue 12 item 1): the first chart of a page costs the
browser Plotly's whole bundle (4.7 MB of JavaScript evaluated on each page opened in a new
tab), each further chart its own drawing, and each point and tick label its SVG. So: few
figures a page (one figure with several traces rather than several small figures), bounded
points, and no chart where a number says it (a sparkline needs no mode bar or hover layer)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard.charts import MAX_POINTS, MAX_TICKS

# Plotly's own config: no logo; the mode bar only on hover (Plotly's default).
CONFIG: dict[str, Any] = {"displaylogo": False}
# A picture, not an instrument: no mode bar, no hover, zoom or drag layers to build.
STATIC: dict[str, Any] = {**CONFIG, "staticPlot": True, "displayModeBar": False}
MAX_CELLS = 40 * 400  # a heatmap's z values: checks times days


def show(
    fig: go.Figure, key: str, *, where: Any = None, static: bool = False, height: int | None = None
) -> None:
    """Draw `fig` in `where` (a column or container; the page itself by default), at the
    figure's height unless `height` is given. `static` for small pictures (sparklines)."""
    target = where if where is not None else st
    options: dict[str, Any] = {"config": STATIC if static else CONFIG, "key": key}
    if height is not None:
        options["height"] = height
    target.plotly_chart(fig, **options)


def problems(spec: dict[str, Any]) -> list[str]:
    """Where a figure (its Plotly JSON) breaks the bounds: a trace with more than MAX_POINTS
    points (a heatmap with more than MAX_CELLS cells), an axis asking for more than MAX_TICKS
    ticks. Empty when the figure keeps them."""
    found = []
    for i, trace in enumerate(spec.get("data", [])):
        name = f"trace {i} ({' '.join(filter(None, (trace.get('type'), trace.get('name'))))})"
        if trace.get("z") is not None:
            cells = _size(trace["z"])
            if cells > MAX_CELLS:
                found.append(f"{name}: {cells} cells > {MAX_CELLS}")
            continue
        points = max(_size(trace.get("x")), _size(trace.get("y")))
        if points > MAX_POINTS:
            found.append(f"{name}: {points} points > {MAX_POINTS}")
    for key, axis in spec.get("layout", {}).items():
        ticks = axis.get("nticks") if isinstance(axis, dict) else None
        if key.startswith(("xaxis", "yaxis")) and (ticks or 0) > MAX_TICKS:
            found.append(f"{key}: nticks {axis['nticks']} > {MAX_TICKS}")
    return found


def _size(data: Any) -> int:
    """How many values a trace's array holds, plain or in Plotly's typed-array form
    ({"dtype", "bdata", "shape"})."""
    if data is None:
        return 0
    if isinstance(data, dict) and "bdata" in data:
        return int(np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).size)
    if isinstance(data, list | tuple):
        return sum(_size(item) if isinstance(item, list | tuple) else 1 for item in data)
    return 1
