"""Charts: DataFrame in, Plotly figure out (the Check page's recent results), and the bounds
and outcome colours every chart keeps. No Streamlit and no queries.
The Integration page's trends and watched series are Vega-Lite specs (dashboard/trend_charts.py,
band_chart.py) and the Overview's sparklines SVG pictures (dashboard/sparkline.py): a page
drawn without Plotly loads no Plotly in the browser.

Every chart keeps the browser's work bounded, whatever the data: at most MAX_TICKS labels per
axis (each one is SVG text, and 2,000 of them took the Integration page a minute to draw) and
at most MAX_POINTS points per series (longer series are thinned, keeping the worst point of
each stretch). Time axes label day and month and end at `now`, not a day ahead."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

OUTCOME_COLOURS = {
    "passed": "#2e7d32",
    "warned": "#ef6c00",
    "failed": "#c62828",
    "error": "#6a1b9a",
}
OUTCOME_RANK = {"passed": 0, "warned": 1, "failed": 2, "error": 3}
# shape as well as colour, so an outcome never shows by colour alone
OUTCOME_SYMBOLS = {"passed": "circle", "warned": "diamond", "failed": "x", "error": "square"}
NO_RESULT_COLOUR = "#757575"  # no run yet, running, or an outcome without a colour
MAX_TICKS = 8
MAX_POINTS = 200
LABEL_LINE = 34  # characters on a line of a heatmap row's label (trend_charts)
DAY_FORMAT = "%-d %b"  # "6 Dec": the day always shows, whatever the zoom
HOVER_TIME = "%-d %b %Y %H:%M UTC"


def _layout(fig: go.Figure, title: str, height: int = 260) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
        hovermode="x unified",
    )
    fig.update_yaxes(nticks=MAX_TICKS)
    return fig


def _time_axis(fig: go.Figure, first: object, now: datetime | None, pad: timedelta) -> None:
    """A date axis from `first` (less `pad`, so its mark is whole) to `now`: at most MAX_TICKS
    labels, each with day and month, level so none hides behind its neighbour or the legend."""
    end = now or datetime.now(UTC)
    start = pd.Timestamp(first)
    if start.tzinfo is None:
        start = start.tz_localize(UTC)
    start = min(start - pad, pd.Timestamp(end) - pad)
    fig.update_xaxes(
        type="date",
        range=[_plotly_time(start), _plotly_time(pd.Timestamp(end))],
        nticks=MAX_TICKS,
        tickformat=DAY_FORMAT,
        tickangle=0,
        hoverformat=HOVER_TIME,
    )


def _plotly_time(moment: pd.Timestamp) -> str:
    """Plotly reads naive ISO times; every time here is UTC."""
    return str(moment.tz_convert(UTC).tz_localize(None).isoformat())


def thin(frame: pd.DataFrame, worst: pd.Series | None = None) -> pd.DataFrame:
    """At most MAX_POINTS rows, in order: the rows split into MAX_POINTS even stretches and
    each keeps its row with the largest `worst` (its last row without one), so spikes stay."""
    if len(frame) <= MAX_POINTS:
        return frame
    stretch = np.arange(len(frame)) * MAX_POINTS // len(frame)
    if worst is None:
        picked = pd.Series(np.arange(len(frame))).groupby(stretch).max()
    else:
        picked = pd.Series(worst.to_numpy(dtype=float)).fillna(-math.inf).groupby(stretch).idxmax()
    return frame.iloc[picked.to_numpy()]


def history_strip(history: pd.DataFrame, now: datetime | None = None) -> go.Figure:
    """One mark per recent result, coloured and shaped by outcome (not by colour alone); at
    most MAX_POINTS marks, the worst outcome of each stretch kept."""
    history = history.sort_values("created_at")
    history = thin(history, history["outcome"].map(OUTCOME_RANK).fillna(0))
    fig = go.Figure()
    for outcome, part in history.groupby("outcome"):
        fig.add_scatter(
            x=part["created_at"],
            y=[1] * len(part),
            mode="markers",
            name=str(outcome),
            marker={
                "size": 12,
                "color": OUTCOME_COLOURS.get(str(outcome), NO_RESULT_COLOUR),
                "symbol": OUTCOME_SYMBOLS.get(str(outcome), "circle"),
            },
            customdata=part[["observed"]],
            hovertemplate="%{x|" + HOVER_TIME + "}<br>%{customdata[0]}<extra></extra>",
            cliponaxis=False,
        )
    fig.update_yaxes(visible=False)
    if not history.empty:
        _time_axis(fig, history["created_at"].min(), now, timedelta(hours=1))
    fig = _layout(fig, "Recent results (newest right)", height=170)
    fig.update_layout(  # above the marks: below, it would hide the first date
        hovermode="closest",
        legend={"yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    return fig
