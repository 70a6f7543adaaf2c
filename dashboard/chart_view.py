"""Drawing a chart on a page: the one call every page uses (`show`), so every chart gets the
same browser-side limits. Plotly figures come from dashboard/charts.py, Vega-Lite specs (the
Integration page's trends and watched series) from dashboard/trend_charts.py and band_chart.py;
both bound their ticks and points (MAX_TICKS, MAX_POINTS, `thin`); `problems` says where a
figure or spec breaks those bounds (tests/dashboard/test_chart_limits.py runs it on every chart
of every page).

Why it matters (benchmarks/pages.py, issue 12 item 1): the first chart of a page costs the
browser Plotly's whole bundle (4.7 MB of JavaScript evaluated on each page opened in a new
tab), each further chart its own drawing, and each point and tick label its SVG. So: few
figures a page (one figure with several traces rather than several small figures), bounded
points, and no chart where a number says it (a sparkline needs no mode bar or hover layer).
Streamlit's Vega-Lite chunk is about 0.8 MB: a page drawn only with Vega-Lite specs loads no
Plotly at all (floors in benchmarks/pages.py: one small Vega-Lite chart in a new tab costs
about half what one small Plotly chart does)."""

from __future__ import annotations

import base64
import math
from collections import Counter
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard.charts import MAX_POINTS, MAX_TICKS
from dashboard.vega_spec import Spec, most_ticks

# Plotly's own config: no logo; the mode bar only on hover (Plotly's default).
CONFIG: dict[str, Any] = {"displaylogo": False}
# A picture, not an instrument: no mode bar, no hover, zoom or drag layers to build.
STATIC: dict[str, Any] = {**CONFIG, "staticPlot": True, "displayModeBar": False}
MAX_CELLS = 40 * 400  # a heatmap's z values: checks times days
# vega-embed draws SVG rather than its default canvas: the drawn titles and tick labels are
# text a browser test can read (tests/e2e/test_charts_browser.py); the marks stay few (bounded)
# (Streamlit's frontend passes on a spec's usermeta.embedOptions renderer, padding and theme)
VEGA_EMBED = {"renderer": "svg"}


def show(
    fig: go.Figure | Spec,
    key: str,
    *,
    where: Any = None,
    static: bool = False,
    height: int | None = None,
) -> None:
    """Draw `fig` (a Plotly figure or a Vega-Lite spec) in `where` (a column or container; the
    page itself by default), at the figure's height unless `height` is given. `static` for small
    Plotly pictures (sparklines)."""
    target = where if where is not None else st
    if isinstance(fig, dict):
        spec = {**fig, "usermeta": {"embedOptions": VEGA_EMBED}}
        target.vega_lite_chart(spec, key=key, width="stretch")
        return
    options: dict[str, Any] = {"config": STATIC if static else CONFIG, "key": key}
    if height is not None:
        options["height"] = height
    target.plotly_chart(fig, **options)


def problems(spec: dict[str, Any]) -> list[str]:
    """Where a figure (its Plotly JSON) or a Vega-Lite spec breaks the bounds: a trace or a
    layer's data with more than MAX_POINTS points (a heatmap with more than MAX_CELLS cells), an
    axis that may draw more than MAX_TICKS tick labels. Empty when it keeps them."""
    if "layout" not in spec and not isinstance(spec.get("data"), list):
        return _vega_problems(spec, "chart")
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


def _vega_problems(spec: dict[str, Any], name: str) -> list[str]:
    """A Vega-Lite spec's broken bounds, each view and layer by its title or place: its inline
    data rows (a rect mark, a heatmap, may hold MAX_CELLS), and each number or time axis: its
    tick values, or as many labels as d3 may draw for its tick count (vega_spec.most_ticks); an
    axis with neither is unbounded. Category axes (a heatmap's checks) draw a label a row."""
    found: list[str] = []
    title = spec.get("title")
    name = (title.get("text") if isinstance(title, dict) else title) or name
    rows = spec.get("data", {}).get("values") if isinstance(spec.get("data"), dict) else None
    mark = spec.get("mark")
    kind = mark.get("type") if isinstance(mark, dict) else mark
    if rows:  # a series a "series" value (a heatmap: all its cells)
        bound = MAX_CELLS if kind == "rect" else MAX_POINTS
        per_series = Counter(str(row.get("series", "")) for row in rows)
        for series, points in per_series.items():
            if points > bound:
                found.append(
                    f"{name} ({kind} {series}): {points} points > {bound}".replace(" )", ")")
                )
    for channel, encoding in spec.get("encoding", {}).items():
        if channel not in ("x", "y") or encoding.get("type") not in ("quantitative", "temporal"):
            continue
        axis = encoding.get("axis") or {}
        values, count = axis.get("values"), axis.get("tickCount")
        drawn = len(values) if values is not None else most_ticks(count) if count else math.inf
        if drawn > MAX_TICKS:
            found.append(f"{name} ({kind}) {channel} axis: up to {drawn} ticks > {MAX_TICKS}")
    for part in ("layer", "vconcat", "hconcat", "concat"):
        for i, sub in enumerate(spec.get(part, [])):
            found += _vega_problems(sub, f"{name} {part} {i}")
    return found
