"""The Integration page's 30-day trends and watched series as Vega-Lite specs: DataFrame in,
spec out (no Streamlit, no queries). Each keeps what its Plotly figure showed: its title, its
limit line with a label, its legend, a time axis labelled day and month that ends at `now`,
hover text written by the project's own formatters; at most MAX_POINTS points a series
(`charts.thin`, the worst point of each stretch kept) and MAX_TICKS labels an axis
(dashboard/vega_spec.py). The panels are stacked into one chart by `vega_spec.stacked`."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from dashboard.charts import HOVER_TIME, LABEL_LINE, MAX_TICKS, thin
from dashboard.vega_spec import (
    LABEL_EXTENT_PX,
    LEGEND,
    Spec,
    limit_layers,
    millis,
    number_y,
    panel,
    series_colour,
    span,
    time_x,
)
from datasources.durations import format_duration
from datasources.percent import percent

DAY_HOVER = "%-d %b %Y"
LINE_COLOURS = ("#1565c0", "#ef6c00")  # first and second series of a panel
PANEL_PX = 160  # a trend panel's plot
Text = Callable[[float], str]


def _hover(moment: object, fmt: str = HOVER_TIME) -> str:
    return f"{pd.Timestamp(moment):{fmt}}"


def _lines(rows: list[dict[str, Any]], names: list[str], x: Spec, y: Spec) -> Spec:
    """Named series drawn as lines with points, each its colour and dash, hover on the points."""
    return {
        "data": {"values": rows},
        "mark": {"type": "line", "point": {"size": 16}, "clip": False, "strokeWidth": 1.5},
        "encoding": {
            "x": x,
            "y": y,
            "color": {
                **series_colour(names, LINE_COLOURS[: len(names)]),
                "legend": {**LEGEND, "symbolType": "stroke"},
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "scale": {"domain": names, "range": [[1, 0], [2, 3]][: len(names)]},
                "legend": {**LEGEND, "symbolType": "stroke"},  # one legend with the colours
            },
            "tooltip": [
                {"field": "when", "title": "when"},
                {"field": "series", "title": "series"},
                {"field": "text", "title": "value"},
            ],
        },
    }


def trend_with_limit(
    frame: pd.DataFrame,
    y: str,
    limit: float | None,
    title: str,
    unit: str,
    text: Text,
    scale: float = 1.0,
    now: datetime | None = None,
) -> Spec:
    """Daily mean and worst of a metric (in `unit`, the stored value times `scale`; hover text
    by `text` of the stored value), with its limit as a dashed red line labelled by `text`."""
    frame = thin(frame, frame["max_value"] if "max_value" in frame else frame[y])
    columns = [(y, f"daily mean ({unit})")]
    if "max_value" in frame:
        columns.append(("max_value", f"daily worst ({unit})"))
    rows = [
        {
            "t": millis(day),
            "series": name,
            "v": float(row[column]) * scale,
            "text": text(float(row[column])),
            "when": _hover(day, DAY_HOVER),
        }
        for day, row in zip(frame["day"].map(str), frame.to_dict("records"), strict=True)
        for column, name in columns
        if pd.notna(row[column])
    ]
    x = time_x("t", span(frame["day"].map(str).min(), now, timedelta(hours=12)))
    layers = [_lines(rows, [name for _, name in columns], x, number_y("v", unit))]
    if limit is not None:
        layers += limit_layers(limit * scale, f"limit {text(limit)}")
    return panel(title, PANEL_PX, layers)


def latency_chart(
    frame: pd.DataFrame, max_p95_s: float | None, now: datetime | None = None
) -> Spec:
    """p50 and p95 latency per run in minutes, the SLA (`max_p95_s`) as a dashed red line; at
    most MAX_POINTS runs (where there are more, each stretch shows its run with the highest p95)."""
    frame = thin(frame, frame["p95_s"])
    rows = [
        {
            "t": millis(row["created_at"]),
            "series": f"{name} (minutes)",
            "v": float(row[f"{name}_s"]) / 60,
            "text": format_duration(float(row[f"{name}_s"])),
            "when": _hover(row["created_at"]),
        }
        for row in frame.to_dict("records")
        for name in ("p95", "p50")
        if pd.notna(row[f"{name}_s"])
    ]
    x = time_x("t", span(frame["created_at"].min(), now, timedelta(hours=1)))
    layers = [_lines(rows, ["p95 (minutes)", "p50 (minutes)"], x, number_y("v", "minutes"))]
    if max_p95_s is not None:
        layers += limit_layers(max_p95_s / 60, f"SLA: p95 at most {format_duration(max_p95_s)}")
    return panel("Propagation latency per run: p50 and p95", PANEL_PX, layers)


def row_count_chart(
    frame: pd.DataFrame, source: str, target: str, now: datetime | None = None
) -> Spec:
    """Source and target row counts per run (at most MAX_POINTS runs: where there are more,
    each stretch shows its run with the largest difference), on a whole-count axis fitted to
    them (a 5-row gap in 2,000 rows stays visible) with at most MAX_TICKS ticks."""
    frame = thin(frame, (frame["source_rows"] - frame["target_rows"]).abs())
    names = [f"source ({source})", f"target ({target})"]
    rows = [
        {
            "t": millis(row["created_at"]),
            "series": name,
            "v": int(row[column]),
            "text": f"{int(row[column]):,} rows",
            "when": _hover(row["created_at"]),
        }
        for row in frame.to_dict("records")
        for column, name in zip(("source_rows", "target_rows"), names, strict=True)
        if pd.notna(row[column])
    ]
    counts = pd.concat([frame["source_rows"], frame["target_rows"]]).dropna()
    y = number_y("v", "rows")
    if not counts.empty:
        low, high, ticks = count_axis(float(counts.min()), float(counts.max()))
        y["scale"] = {"domain": [low, high], "zero": False, "nice": False}
        y["axis"] = {**y["axis"], "values": ticks, "format": ",d"}
        del y["axis"]["tickCount"]
    x = time_x("t", span(frame["created_at"].min(), now, timedelta(hours=1)))
    return panel("Row counts: source and target", PANEL_PX, [_lines(rows, names, x, y)])


def count_axis(low: float, high: float) -> tuple[float, float, list[int]]:
    """A span for whole counts between `low` and `high` and its ticks: fitted to them (a 5-row
    gap in 2,000 rows stays visible), at least 10 rows tall, ticks on whole numbers, at most
    MAX_TICKS of them."""
    pad = max((high - low) * 0.1, (10 - (high - low)) / 2, 1.0)
    bottom, top = max(low - pad, 0.0), high + pad
    step = _nice_step((top - bottom) / (MAX_TICKS - 1))
    first = math.ceil(bottom / step) * step
    return bottom, top, list(range(first, math.floor(top) + 1, step))


def _nice_step(raw: float) -> int:
    """The smallest whole step of 1, 2, 2.5 (from 25 up) or 5 times a power of ten that is at
    least `raw` (2.5 keeps a 1,300-row span at 5 ticks of 250, not 2 of 500)."""
    power = 10 ** max(math.floor(math.log10(max(raw, 1.0))), 0)
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw and float(factor * power).is_integer():
            return int(factor * power)
    return int(10 * power)


def pass_rate_heatmap(
    trend: pd.DataFrame, now: datetime | None = None, labels: dict[str, str] | None = None
) -> Spec:
    """Checks down (named by `labels` where given, each on at most two lines), days across,
    the share of runs that passed in each cell; each cell covers its day, the newest up to
    `now` (the part of today that has passed)."""
    grid = trend.groupby(["check", "day"], as_index=False)["pass_rate"].mean()
    names = {check: (labels or {}).get(check, check) for check in grid["check"].unique()}
    order = sorted(names)  # one row a check, in the check's order
    days = grid["day"].map(str)
    bounds = span(days.min(), now, timedelta(0)) if len(grid) else span(now, now, timedelta(0))
    end = bounds[1]
    rows = [
        {
            "t": millis(day),
            "t2": min(millis(pd.Timestamp(day) + pd.Timedelta(days=1)), millis(end)),
            "row": f"{order.index(row['check']):03d}|{_row_label(names[row['check']])}",
            "check": names[row["check"]],
            "pct": float(row["pass_rate"]) * 100,
            "text": f"{percent(float(row['pass_rate']), 0)} passed",
            "when": _hover(day, DAY_HOVER),
        }
        for day, row in zip(days, grid.to_dict("records"), strict=True)
    ]
    two_lines = any("\n" in _row_label(n) for n in names.values())
    row_px = 34 if two_lines else 26
    layer = {
        "data": {"values": rows},
        "mark": {"type": "rect", "stroke": "white", "strokeWidth": 0.5},
        "encoding": {
            "x": time_x("t", bounds),
            "x2": {"field": "t2"},
            "y": {
                "field": "row",  # "007|name": the order, then the label (names may repeat)
                "type": "ordinal",
                "title": None,
                "sort": "ascending",
                "axis": {
                    "labelExpr": "split(substring(datum.value, 4), '\\n')",
                    "labelLimit": LABEL_EXTENT_PX - 10,
                    "minExtent": LABEL_EXTENT_PX,
                    "maxExtent": LABEL_EXTENT_PX,
                    "labelFontSize": 11,
                },
            },
            "color": {
                "field": "pct",
                "type": "quantitative",
                "title": "% passed",
                "scale": {"domain": [0, 100], "range": ["#c62828", "#fdd835", "#2e7d32"]},
                "legend": {**LEGEND, "title": "% passed", "gradientLength": 160},
            },
            "tooltip": [
                {"field": "check", "title": "check"},
                {"field": "when", "title": "day"},
                {"field": "text", "title": "runs"},
            ],
        },
    }
    return panel("Pass rate per check and day", max(row_px * len(order), 60), [layer])


def _row_label(name: str) -> str:
    """A heatmap row's label: on two lines of LABEL_LINE characters at most, the rest cut with
    "…" (the whole name is in the cell's hover text)."""
    lines = textwrap.wrap(name, LABEL_LINE) or [name]
    if len(lines) > 2:
        lines = [lines[0], f"{lines[1][: LABEL_LINE - 1]}…"]
    return "\n".join(lines)
