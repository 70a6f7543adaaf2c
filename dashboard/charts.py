"""Charts: DataFrame in, Plotly figure out. No Streamlit and no queries here."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

OUTCOME_COLOURS = {
    "passed": "#2e7d32",
    "warned": "#ef6c00",
    "failed": "#c62828",
    "error": "#6a1b9a",
}


def _layout(fig: go.Figure, title: str, height: int = 260) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.25},
        hovermode="x unified",
    )
    return fig


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
    frame: pd.DataFrame, y: str, limit: float | None, title: str, unit: str, scale: float = 1.0
) -> go.Figure:
    """Daily mean and worst of a metric, with its limit as a dashed red line."""
    fig = go.Figure()
    fig.add_scatter(
        x=frame["day"], y=frame[y] * scale, name=f"daily mean ({unit})", mode="lines+markers"
    )
    if "max_value" in frame:
        fig.add_scatter(
            x=frame["day"],
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
    fig.update_xaxes(tickformat="%b %d", dtick=86_400_000)
    return _layout(fig, title)


def row_count_chart(frame: pd.DataFrame, source: str, target: str) -> go.Figure:
    """Source and target row counts per run."""
    fig = go.Figure()
    fig.add_scatter(x=frame["created_at"], y=frame["source_rows"], name=f"source ({source})")
    fig.add_scatter(
        x=frame["created_at"],
        y=frame["target_rows"],
        name=f"target ({target})",
        line={"dash": "dash"},
    )
    fig.update_yaxes(title="rows", tickformat=",d", rangemode="tozero")
    span = pd.concat([frame["source_rows"], frame["target_rows"]]).dropna()
    if not span.empty and span.max() - span.min() < 10:
        fig.update_yaxes(dtick=1)  # a few rows: whole-number ticks only
    return _layout(fig, "Row counts: source and target")


def pass_rate_heatmap(trend: pd.DataFrame) -> go.Figure:
    """Checks down, days across, the share of runs that passed in each cell."""
    grid = trend.pivot_table(index="check", columns="day", values="pass_rate", aggfunc="mean")
    labels = [name if len(name) <= 60 else f"…{name[-59:]}" for name in grid.index]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy() * 100,
            x=[str(d) for d in grid.columns],
            y=labels,
            zmin=0,
            zmax=100,
            colorscale=[[0, "#c62828"], [0.5, "#fdd835"], [1, "#2e7d32"]],
            colorbar={"title": "% passed"},
            hovertemplate="%{y}<br>%{x}: %{z:.0f}% passed<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    return _layout(fig, "Pass rate per check and day", height=max(260, 26 * len(grid) + 90))


def history_strip(history: pd.DataFrame) -> go.Figure:
    """One mark per recent result, coloured and shaped by outcome (not by colour alone)."""
    symbols = {"passed": "circle", "warned": "diamond", "failed": "x", "error": "square"}
    fig = go.Figure()
    for outcome, part in history.groupby("outcome"):
        fig.add_scatter(
            x=part["created_at"],
            y=[1] * len(part),
            mode="markers",
            name=str(outcome),
            marker={
                "size": 12,
                "color": OUTCOME_COLOURS.get(str(outcome), "#757575"),
                "symbol": symbols.get(str(outcome), "circle"),
            },
            customdata=part[["observed"]],
            hovertemplate="%{x}<br>%{customdata[0]}<extra></extra>",
        )
    fig.update_yaxes(visible=False)
    return _layout(fig, "Recent results (newest right)", height=170)
