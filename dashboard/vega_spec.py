"""The parts every Vega-Lite chart of the dashboard is built from: the time axis, the limit
line with its label, the legend, the panel, and panels stacked into one chart. Plain dicts:
DataFrame in, spec out; dashboard/chart_view.py draws them and checks their bounds.

Why Vega-Lite for the trends (benchmarks/pages.py, issue 12 item 1): a page opened in a new tab
evaluates the chunk of each chart library it draws with; Streamlit's Vega-Lite chunk is about
0.8 MB, its Plotly chunk 4.7 MB. The same bounds hold as for the Plotly charts
(dashboard/charts.py): at most MAX_TICKS labels an axis (the time axis's are given as values,
a number axis asks for few enough that d3's nice steps stay within it) and at most MAX_POINTS
points a series (`charts.thin`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from dashboard.charts import DAY_FORMAT, MAX_TICKS

Spec = dict[str, Any]

# d3 picks a step of 1, 2 or 5 times a power of ten at least span / (count * sqrt 2), so an axis
# asking for `count` ticks draws at most floor(count * sqrt 2) + 1 of them: 5 asked, 8 drawn.
NUMBER_TICKS = 5
LIMIT_COLOUR = "#c62828"
# over the plot's left edge, as the legend is: every panel's title starts at the same place
TITLE = {"anchor": "start", "frame": "group", "fontSize": 14, "offset": 6}
LEGEND = {"orient": "top", "direction": "horizontal", "title": None, "labelLimit": 320}
PANEL_WIDTH_PX = 300  # the frontend stretches each panel to the page's width
AXIS_EXTENT_PX = 60  # room for a y axis's labels and title: the panels' plots line up
LABEL_EXTENT_PX = 190  # room for a heatmap's check names, two lines of charts.LABEL_LINE


def most_ticks(count: int) -> int:
    """How many labels an axis asking for `count` ticks can draw at most (d3's nice steps)."""
    return math.floor(count * math.sqrt(2)) + 1


def millis(moment: object) -> int:
    """A time (naive times are UTC) as milliseconds since the epoch, as Vega reads times."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(UTC)
    return int(stamp.value // 1_000_000)


def moment(ms: int) -> Spec:
    """Milliseconds since the epoch as Vega-Lite's DateTime (in UTC), as a scale's domain and
    an axis's values take times (a bare number there is read as a year)."""
    stamp = pd.Timestamp(ms, unit="ms", tz=UTC)
    return {
        "year": stamp.year,
        "month": stamp.month,
        "date": stamp.day,
        "hours": stamp.hour,
        "minutes": stamp.minute,
        "seconds": stamp.second,
        "milliseconds": stamp.microsecond // 1000,
        "utc": True,
    }


def from_moment(when: Spec) -> pd.Timestamp:
    """A Vega-Lite DateTime (as `moment` writes it) as a UTC time."""
    return pd.Timestamp(
        year=when["year"],
        month=when["month"],
        day=when["date"],
        hour=when["hours"],
        minute=when["minutes"],
        second=when["seconds"],
        microsecond=when["milliseconds"] * 1000,
        tz=UTC,
    )


def span(first: object, now: datetime | None, pad: timedelta) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From `first` less `pad` (so its mark is whole) to `now`: an axis never runs past now."""
    end = pd.Timestamp(now or datetime.now(UTC))
    start = pd.Timestamp(first)
    if start.tzinfo is None:
        start = start.tz_localize(UTC)
    return min(start - pad, end - pad), end


def day_ticks(start: pd.Timestamp, end: pd.Timestamp) -> list[Spec]:
    """At most MAX_TICKS midnights (UTC) between `start` and `end`, evenly spaced by whole days,
    the newest kept; `end` itself when no midnight falls between them."""
    midnights = pd.date_range(start.ceil("D"), end.floor("D"), freq="D")
    if len(midnights) == 0:
        return [moment(millis(end))]
    step = math.ceil(len(midnights) / MAX_TICKS)
    return [moment(millis(m)) for m in midnights[::-1][::step][::-1]]


def time_x(field: str, bounds: tuple[pd.Timestamp, pd.Timestamp]) -> Spec:
    """A UTC time axis over `bounds`, labelled day and month ("6 Dec") on whole days."""
    start, end = bounds
    return {
        "field": field,
        "type": "temporal",
        "scale": {"type": "utc", "domain": [moment(millis(start)), moment(millis(end))]},
        "axis": {
            "values": day_ticks(start, end),
            "format": DAY_FORMAT,
            "labelAngle": 0,
            "labelOverlap": True,
            "title": None,
        },
    }


def number_y(field: str, title: str, **scale: Any) -> Spec:
    """A number axis asking for NUMBER_TICKS ticks, its width fixed so stacked panels line up."""
    return {
        "field": field,
        "type": "quantitative",
        "title": title,
        "scale": {"zero": True, **scale},
        "axis": {
            "tickCount": NUMBER_TICKS,
            "minExtent": AXIS_EXTENT_PX,
            "maxExtent": AXIS_EXTENT_PX,
        },
    }


def limit_layers(value: float, label: str) -> list[Spec]:
    """A dashed red line at `value` with its label at the right end, above the line."""
    one: Spec = {"values": [{}]}  # a mark a row: one line, one label
    return [
        {
            "data": one,
            "mark": {"type": "rule", "color": LIMIT_COLOUR, "strokeDash": [6, 4]},
            "encoding": {"y": {"datum": value}},
        },
        {
            "data": one,
            "mark": {
                "type": "text",
                "color": LIMIT_COLOUR,
                "align": "right",
                "baseline": "bottom",
                "dy": -3,
                "fontSize": 11,
            },
            "encoding": {"x": {"value": "width"}, "y": {"datum": value}, "text": {"value": label}},
        },
    ]


def series_colour(names: Sequence[str], colours: Sequence[str], title: str | None = None) -> Spec:
    """A colour legend of named series, each with its colour."""
    return {
        "field": "series",
        "type": "nominal",
        "scale": {"domain": list(names), "range": list(colours)},
        "legend": {**LEGEND, "title": title},
    }


def panel(title: str, height: int, layers: list[Spec]) -> Spec:
    """One chart: its title at the top left and its layers."""
    return {
        "title": {"text": title, **TITLE},
        "width": PANEL_WIDTH_PX,
        "height": height,
        "layer": layers,
    }


def stacked(panels: Sequence[Spec]) -> Spec:
    """`panels` one above the other as one chart (one chart a page costs the browser less than
    several), each with its own y axis, colours and legend, and every time axis over the union
    of the panels' spans, labelled on the same days (the panels' axes are set so in place)."""
    axes = [x for p in panels for x in _axes(p, "x") if "domain" in x.get("scale", {})]
    if axes:
        start = min(from_moment(x["scale"]["domain"][0]) for x in axes)
        end = max(from_moment(x["scale"]["domain"][1]) for x in axes)
        ticks = day_ticks(start, end)
        for x in axes:
            x["scale"]["domain"] = [moment(millis(start)), moment(millis(end))]
            x["axis"]["values"] = ticks
    rows = [y["axis"] for p in panels for y in _axes(p, "y") if "minExtent" in y.get("axis", {})]
    widest = max((axis["minExtent"] for axis in rows), default=AXIS_EXTENT_PX)
    for axis in rows:  # every panel's plot starts where the widest labels end
        axis["minExtent"] = axis["maxExtent"] = widest
    return {
        # as wide as the page: Streamlit gives each panel the page's width for its plot, and
        # fit-x takes the axes and padding off it (without, the right end ran off the page)
        "autosize": {"type": "fit-x", "contains": "padding"},
        "vconcat": list(panels),
        "spacing": 28,
        "resolve": {
            "scale": {  # x too: each its own (equal) span, no union to reconcile
                "x": "independent",
                "color": "independent",
                "strokeDash": "independent",
                "shape": "independent",
                "y": "independent",
            },
            "legend": {"color": "independent", "strokeDash": "independent", "shape": "independent"},
        },
        "config": {"view": {"stroke": None}, "axis": {"labelFontSize": 11}},
    }


def _axes(spec: Spec, channel: str) -> list[Spec]:
    """The `channel` encodings of a panel and its layers, to be set alike across panels."""
    layers = [spec, *spec.get("layer", [])]
    found = [layer.get("encoding", {}).get(channel) for layer in layers]
    return [encoding for encoding in found if isinstance(encoding, dict)]
