"""Charts: DataFrame in, Plotly figure out. No Streamlit and no queries here.

Every chart keeps the browser's work bounded, whatever the data: at most MAX_TICKS labels per
axis (Plotly draws each one as SVG text, and 2,000 of them took the Integration page a minute
to draw) and at most MAX_POINTS points per trace (longer series are thinned, keeping the worst
point of each stretch). Time axes label day and month and end at `now`, not a day ahead."""

from __future__ import annotations

import math
import textwrap
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from datasources.durations import format_duration

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
LABEL_LINE = 34  # characters on a line of a heatmap row's label
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


def _day_times(days: pd.Series) -> pd.Series:
    """Calendar days (date objects or strings) as UTC midnights."""
    return pd.to_datetime(days.map(str)).dt.tz_localize(UTC)


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


def sparkline(days: pd.DataFrame) -> go.Figure:
    """A small 30-day line of the share of check results that passed per day, its y range
    fitted to the data (a flat line sits in the middle, not at the top of an empty box)."""
    rates = days["pass_rate"] * 100
    low, high = float(rates.min()), float(rates.max())
    pad = max((high - low) * 0.15, 0.5)
    fig = go.Figure(
        go.Scatter(
            x=days["day"],
            y=rates,
            mode="lines+markers",
            marker={"size": 3},
            line={"width": 1.5, "color": "#1565c0"},
            hovertemplate="%{x|%b %d}: %{y:.1f}% passed<extra></extra>",
        )
    )
    fig.update_layout(
        height=SPARK_HEIGHT,
        margin={"l": 0, "r": 0, "t": 2, "b": 2},
        xaxis={"visible": False},
        yaxis={"visible": False, "range": [low - pad, high + pad], "fixedrange": True},
        showlegend=False,
    )
    return fig


SPARK_HEIGHT = 40


def trend_with_limit(
    frame: pd.DataFrame,
    y: str,
    limit: float | None,
    title: str,
    unit: str,
    scale: float = 1.0,
    now: datetime | None = None,
) -> go.Figure:
    """Daily mean and worst of a metric, with its limit as a dashed red line."""
    frame = thin(frame, frame["max_value"] if "max_value" in frame else frame[y])
    days = _day_times(frame["day"])
    fig = go.Figure()
    fig.add_scatter(
        x=days,
        y=frame[y] * scale,
        name=f"daily mean ({unit})",
        mode="lines+markers",
        cliponaxis=False,
    )
    if "max_value" in frame:
        fig.add_scatter(
            x=days,
            y=frame["max_value"] * scale,
            name=f"daily worst ({unit})",
            mode="lines",
            line={"dash": "dot"},
        )
    if limit is not None:
        fig.add_hline(
            y=limit * scale,
            line={"color": "#c62828", "dash": "dash"},
            annotation_text=f"limit {limit * scale:g} {unit}",
            annotation_position="top right",
        )
    fig.update_yaxes(rangemode="tozero", title=unit)
    if not days.empty:
        _time_axis(fig, days.min(), now, timedelta(hours=12))
        fig.update_xaxes(hoverformat="%-d %b %Y")
    return _layout(fig, title)


def row_count_chart(
    frame: pd.DataFrame, source: str, target: str, now: datetime | None = None
) -> go.Figure:
    """Source and target row counts per run (at most MAX_POINTS runs: where there are more,
    each stretch shows its run with the largest difference)."""
    frame = thin(frame, (frame["source_rows"] - frame["target_rows"]).abs())
    fig = go.Figure()
    fig.add_scatter(
        x=frame["created_at"], y=frame["source_rows"], name=f"source ({source})", cliponaxis=False
    )
    fig.add_scatter(
        x=frame["created_at"],
        y=frame["target_rows"],
        name=f"target ({target})",
        line={"dash": "dash"},
        cliponaxis=False,
    )
    fig.update_yaxes(title="rows", tickformat=",d")
    counts = pd.concat([frame["source_rows"], frame["target_rows"]]).dropna()
    if not counts.empty:
        fig.update_yaxes(**_count_axis(float(counts.min()), float(counts.max())))
        _time_axis(fig, frame["created_at"].min(), now, timedelta(hours=1))
    return _layout(fig, "Row counts: source and target")


def _count_axis(low: float, high: float) -> dict[str, object]:
    """A y axis for whole counts between `low` and `high`: fitted to them (a 5-row gap in 2,000
    rows stays visible), at least 10 rows tall, ticks on whole numbers, at most MAX_TICKS."""
    pad = max((high - low) * 0.1, (10 - (high - low)) / 2, 1.0)
    bottom, top = max(low - pad, 0.0), high + pad
    step = _nice_step((top - bottom) / (MAX_TICKS - 1))
    return {"range": [bottom, top], "dtick": step, "tick0": 0}


def _nice_step(raw: float) -> int:
    """The smallest whole step of 1, 2 or 5 times a power of ten that is at least `raw`."""
    power = 10 ** max(math.floor(math.log10(max(raw, 1.0))), 0)
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)


def pass_rate_heatmap(
    trend: pd.DataFrame, now: datetime | None = None, labels: dict[str, str] | None = None
) -> go.Figure:
    """Checks down (named by `labels` where given), days across, the share of runs that
    passed in each cell. Each cell covers its day (noon-centred), so the newest ends at `now`,
    the part of today that has passed."""
    grid = trend.pivot_table(index="check", columns="day", values="pass_rate", aggfunc="mean")
    names = [(labels or {}).get(check, check) for check in grid.index]
    labels_shown = [_row_label(name) for name in names]
    row_px = 34 if any("<br>" in label for label in labels_shown) else 26
    days = _day_times(pd.Series(list(grid.columns), dtype=object))
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy() * 100,
            x=days + pd.Timedelta(hours=12),
            y=list(range(len(grid))),
            zmin=0,
            zmax=100,
            colorscale=[[0, "#c62828"], [0.5, "#fdd835"], [1, "#2e7d32"]],
            colorbar={"title": "% passed"},
            customdata=[[name] * len(grid.columns) for name in names],
            hovertemplate="%{customdata}<br>%{x|%-d %b %Y}: %{z:.0f}% passed<extra></extra>",
        )
    )
    if not days.empty:
        _time_axis(fig, days.min(), now, timedelta(0))
    fig = _layout(fig, "Pass rate per check and day", height=max(260, row_px * len(grid) + 90))
    # every check's name: the chart grows a row's height a check, so the labels never crowd
    fig.update_yaxes(
        tickmode="array",
        tickvals=list(range(len(grid))),
        ticktext=labels_shown,
        tickfont={"size": 11},
        nticks=None,
    )
    return fig


def _row_label(name: str) -> str:
    """A heatmap row's label: on two lines of LABEL_LINE characters at most (a narrow label
    leaves the charts stacked with the heatmap their width: dashboard/panels.py), the rest
    cut with "…" (the whole name is in the cell's hover text)."""
    lines = textwrap.wrap(name, LABEL_LINE) or [name]
    if len(lines) > 2:
        lines = [lines[0], f"{lines[1][: LABEL_LINE - 1]}…"]
    return "<br>".join(lines)


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


def latency_chart(
    frame: pd.DataFrame, max_p95_s: float | None, now: datetime | None = None
) -> go.Figure:
    """p50 and p95 latency per run in minutes, the SLA (`max_p95_s`) as a dashed red line; at
    most MAX_POINTS runs (where there are more, each stretch shows its run with the highest p95)."""
    frame = thin(frame, frame["p95_s"])
    fig = go.Figure()
    for name, dash in (("p95", None), ("p50", "dot")):
        fig.add_scatter(
            x=frame["created_at"],
            y=frame[f"{name}_s"] / 60,
            name=f"{name} (minutes)",
            mode="lines+markers",
            marker={"size": 4},
            line={"dash": dash},
            cliponaxis=False,
        )
    if max_p95_s is not None:
        fig.add_hline(
            y=max_p95_s / 60,
            line={"color": "#c62828", "dash": "dash"},
            annotation_text=f"SLA: p95 at most {format_duration(max_p95_s)}",
            annotation_position="top right",
        )
    fig.update_yaxes(rangemode="tozero", title="minutes")
    if not frame.empty:
        _time_axis(fig, frame["created_at"].min(), now, timedelta(hours=1))
    return _layout(fig, "Propagation latency per run: p50 and p95")


def band_chart(
    points: pd.DataFrame, verdicts: pd.DataFrame, title: str, now: datetime | None = None
) -> go.Figure:
    """A watched series (`points`: at, value) with the detector's expected band (`verdicts`:
    at, expected_low, expected_high, outcome) shaded behind it and its anomalies (warned,
    failed) marked by colour and shape. At most MAX_POINTS values and band points (each
    stretch keeps its value furthest from the band) and MAX_POINTS marks."""
    points = points.assign(at=_utc(points["at"]))
    verdicts = verdicts.assign(at=_utc(verdicts["at"]))
    joined = points.merge(
        verdicts[["at", "expected_low", "expected_high", "outcome"]], on="at", how="left"
    )
    outside = (joined["value"] - joined["expected_high"]).clip(lower=0) + (
        joined["expected_low"] - joined["value"]
    ).clip(lower=0)
    joined = thin(joined, outside.fillna(0))
    fig = go.Figure()
    band = joined.dropna(subset=["expected_low", "expected_high"])
    fig.add_scatter(  # the band's upper edge; the lower one fills up to it
        x=band["at"],
        y=band["expected_high"],
        mode="lines",
        line={"width": 0},
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=band["at"],
        y=band["expected_low"],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor="rgba(21, 101, 192, 0.15)",
        name="expected band",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=joined["at"],
        y=joined["value"],
        name="value",
        mode="lines+markers",
        marker={"size": 3},
        line={"color": "#1565c0", "width": 1.5},
        cliponaxis=False,
    )
    flagged = verdicts[verdicts["outcome"].isin(["warned", "failed"])].tail(MAX_POINTS)
    for outcome, part in flagged.groupby("outcome"):
        fig.add_scatter(
            x=part["at"],
            y=part["value"],
            mode="markers",
            name=f"anomaly ({outcome})",
            marker={
                "size": 11,
                "color": OUTCOME_COLOURS[str(outcome)],
                "symbol": OUTCOME_SYMBOLS[str(outcome)],
            },
            cliponaxis=False,
        )
    if not joined.empty:
        _time_axis(fig, joined["at"].min(), now, timedelta(hours=1))
    return _layout(fig, title, height=280)


def _utc(times: pd.Series) -> pd.Series:
    """Times as UTC nanoseconds, so series read different ways join on equal instants."""
    return pd.to_datetime(times, utc=True).astype("datetime64[ns, UTC]")
