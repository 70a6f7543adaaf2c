"""Several charts drawn as one figure: panels stacked on one shared time axis.

A page pays for each figure it draws (benchmarks/pages.py, issue 12 item 1: about 0.2 s each
in a new tab, on top of Plotly's bundle), so the Integration page draws its 30-day trends as
one figure and its watched series as another. The panels are the figures dashboard/charts.py
builds (their ticks and points bounded, their limit lines and labels kept), moved into the
rows of one figure: each keeps its title (left) and its own legend (right) above it, its y
axis and its lines; the x axis is shared (zoom one panel, all follow) and labelled under every
panel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

GAP_PX = 64  # between panels: the date labels of one, the title of the next
TOP_PX = 30  # above the first panel: its title
BOTTOM_PX = 30  # under the last: its date labels
CHROME_PX = 100  # what a single figure spends outside its plot (title, legend, margins)
MIN_PLOT_PX = 120


def stacked(figures: Sequence[go.Figure]) -> go.Figure:
    """`figures` as the rows of one figure, in order (one figure is returned as it is).

    Composed as Plotly JSON and wrapped once without validating it again: every part comes
    from a figure Plotly has validated, and validating the whole anew (make_subplots, then
    each trace, axis and shape added) cost the page about 0.25 s per figure on this machine."""
    if len(figures) == 1:
        return figures[0]
    specs = [f.to_plotly_json() for f in figures]
    heights = [max(int(f.layout.height or 260) - CHROME_PX, MIN_PLOT_PX) for f in figures]
    plot_px = sum(heights) + GAP_PX * (len(figures) - 1)
    layout: dict[str, Any] = {
        "template": specs[0]["layout"].get("template"),
        "height": plot_px + TOP_PX + BOTTOM_PX,
        "margin": {"l": 10, "r": 10, "t": TOP_PX, "b": BOTTOM_PX},
        "hovermode": "x unified",
        "shapes": [],
        "annotations": [],
    }
    data: list[dict[str, Any]] = []
    top = 1.0
    for row, (spec, height) in enumerate(zip(specs, heights, strict=True), start=1):
        low = max(top - height / plot_px, 0.0)
        data += _panel(spec, layout, row, (low, top))
        top = low - GAP_PX / plot_px
    ranges = [r for s in specs if (r := s["layout"].get("xaxis", {}).get("range"))]
    for row in range(1, len(specs) + 1):  # the union of the panels' spans, shared
        axis = layout[_name("xaxis", row)]
        if ranges:
            starts, ends = [r[0] for r in ranges], [r[1] for r in ranges]
            axis["range"] = [min(starts, key=pd.Timestamp), max(ends, key=pd.Timestamp)]
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _panel(
    spec: dict[str, Any], layout: dict[str, Any], row: int, domain: tuple[float, float]
) -> list[dict[str, Any]]:
    """Place one figure's (Plotly JSON) axes, lines, notes and title in row `row` of `layout`
    at `domain` (its share of the height, bottom to top), its legend above that row on the
    right and a heatmap's colour bar beside it; return its traces, moved to that row."""
    x, y = _name("x", row), _name("y", row)
    legend = _name("legend", row)
    low, high = domain
    own = spec["layout"]
    layout[_name("xaxis", row)] = {
        **_axis(own.get("xaxis", {}), keep_range=False),
        "anchor": y,
        "domain": [0.0, 1.0],
        "showticklabels": True,  # dates under every panel
        **({"matches": "x"} if row > 1 else {}),  # zoom one panel, all follow
    }
    layout[_name("yaxis", row)] = {
        **_axis(own.get("yaxis", {}), keep_range=True),
        "anchor": x,
        "domain": [low, high],
    }
    layout[legend] = {
        "x": 1,
        "xanchor": "right",
        "y": high,
        "yanchor": "bottom",
        "orientation": "h",
        "font": {"size": 11},
    }
    layout["shapes"] += [_refs(shape, x, y) for shape in own.get("shapes", [])]
    layout["annotations"] += [_refs(note, x, y) for note in own.get("annotations", [])]
    layout["annotations"].append(
        {
            "text": own.get("title", {}).get("text", ""),
            "font": {"size": 14},
            "showarrow": False,
            "x": 0,
            "xanchor": "left",
            "xref": "paper",
            "y": high,
            "yanchor": "bottom",
            "yref": "paper",
        }
    )
    traces = []
    for trace in spec["data"]:
        moved = {**trace, "xaxis": x, "yaxis": y}
        if trace.get("type") == "heatmap":
            bar = {"y": high, "yanchor": "top", "len": high - low, "lenmode": "fraction"}
            moved["colorbar"] = {**trace.get("colorbar", {}), **bar}
        else:
            moved["legend"] = legend
        traces.append(moved)
    return traces


def _name(kind: str, row: int) -> str:
    """Plotly's name of row `row`'s axis or legend: "xaxis", "xaxis2", "y3", "legend2"."""
    return kind if row == 1 else f"{kind}{row}"


def _axis(axis: dict[str, Any], *, keep_range: bool) -> dict[str, Any]:
    """An axis's settings without its place (domain, anchor), and without its span unless
    `keep_range` (a y axis keeps its own; the shared x axis spans every panel's)."""
    settings = dict(axis)
    for key in ("domain", "anchor", "matches", *(() if keep_range else ("range",))):
        settings.pop(key, None)
    return settings


def _refs(item: dict[str, Any], x: str, y: str) -> dict[str, Any]:
    """A shape's or note's axis references ("x", "y domain") moved to axes `x` and `y`."""
    moved = dict(item)
    for key, axis in (("xref", x), ("yref", y)):
        ref = moved.get(key)
        if isinstance(ref, str) and ref.split(" ")[0] in ("x", "y"):
            moved[key] = " ".join([axis, *ref.split(" ")[1:]])
    return moved
