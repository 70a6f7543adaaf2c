"""A watched series with the detector's expected band, as a Vega-Lite spec (DataFrame in, spec
out): the band shaded behind the values, its anomalies (warned, failed) marked by colour and
shape (charts.OUTCOME_COLOURS, OUTCOME_SYMBOLS), at most MAX_POINTS values and band points (each
stretch keeps its value furthest from the band) and MAX_POINTS marks; the time axis as every
trend's (dashboard/vega_spec.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from dashboard.charts import HOVER_TIME, MAX_POINTS, OUTCOME_COLOURS, OUTCOME_SYMBOLS, thin
from dashboard.vega_spec import Spec, millis, number_y, panel, series_colour, span, time_x
from datasources.numbers import number

BAND_PX = 170
VALUE_COLOUR = "#1565c0"
BAND_COLOUR = "#90caf9"
# Vega's shapes for Plotly's symbol names; Vega has no "x", so it is drawn as a path
SHAPES = {"circle": "circle", "diamond": "diamond", "square": "square"}
X_PATH = "M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z"


def value_text(value: float) -> str:
    """A watched value as the chart's hover and the feedback form (anomaly_view) write it: by
    the one rule for measured numbers (datasources/numbers.py)."""
    return number(value)


def band_chart(
    points: pd.DataFrame, verdicts: pd.DataFrame, title: str, now: datetime | None = None
) -> Spec:
    """A watched series (`points`: at, value) with the detector's expected band (`verdicts`:
    at, expected_low, expected_high, outcome) and its anomalies marked."""
    points = points.assign(at=_utc(points["at"]))
    verdicts = verdicts.assign(at=_utc(verdicts["at"]))
    joined = points.merge(
        verdicts[["at", "expected_low", "expected_high", "outcome"]], on="at", how="left"
    )
    outside = (joined["value"] - joined["expected_high"]).clip(lower=0) + (
        joined["expected_low"] - joined["value"]
    ).clip(lower=0)
    joined = thin(joined, outside.fillna(0))
    flagged = verdicts[verdicts["outcome"].isin(["warned", "failed"])].tail(MAX_POINTS)
    outcomes = [o for o in ("warned", "failed") if (flagged["outcome"] == o).any()]
    names = ["value", "expected band", *(f"anomaly ({o})" for o in outcomes)]
    colours = [VALUE_COLOUR, BAND_COLOUR, *(OUTCOME_COLOURS[o] for o in outcomes)]
    colour = series_colour(names, colours)
    x = time_x("t", span(joined["at"].min(), now, timedelta(hours=1)))
    y = number_y("v", "", zero=False)
    band = joined.dropna(subset=["expected_low", "expected_high"])
    layers: list[Spec] = [
        {
            "data": {"values": [_band_row(r) for r in band.to_dict("records")]},
            "mark": {"type": "area", "opacity": 0.5},
            "encoding": {"x": x, "y": {**y, "field": "lo"}, "y2": {"field": "hi"}, "color": colour},
        },
        {
            "data": {"values": [_value_row(r) for r in joined.to_dict("records")]},
            "mark": {"type": "line", "point": {"size": 10}, "strokeWidth": 1.5, "clip": False},
            "encoding": {
                "x": x,
                "y": y,
                "color": colour,
                "tooltip": [
                    {"field": "when", "title": "when"},
                    {"field": "text", "title": "value"},
                    {"field": "band", "title": "expected"},
                ],
            },
        },
    ]
    if outcomes:
        layers.append(
            {
                "data": {"values": [_flag_row(r) for r in flagged.to_dict("records")]},
                "mark": {"type": "point", "filled": True, "size": 110, "clip": False},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": colour,
                    "shape": {
                        "field": "series",
                        "type": "nominal",
                        "scale": {
                            "domain": [f"anomaly ({o})" for o in outcomes],
                            "range": [_shape(o) for o in outcomes],
                        },
                        "legend": None,
                    },
                    "tooltip": [
                        {"field": "when", "title": "when"},
                        {"field": "series", "title": "verdict"},
                        {"field": "text", "title": "value"},
                    ],
                },
            }
        )
    return panel(title, BAND_PX, layers)


def _shape(outcome: str) -> str:
    symbol = OUTCOME_SYMBOLS[outcome]
    return SHAPES.get(symbol, X_PATH)


def _band_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "t": millis(row["at"]),
        "series": "expected band",
        "lo": float(row["expected_low"]),
        "hi": float(row["expected_high"]),
    }


def _value_row(row: dict[str, Any]) -> dict[str, Any]:
    low, high = row.get("expected_low"), row.get("expected_high")
    band = "—"
    if low is not None and high is not None and pd.notna(low) and pd.notna(high):
        band = f"{value_text(float(low))} to {value_text(float(high))}"
    return {
        "t": millis(row["at"]),
        "series": "value",
        "v": float(row["value"]),
        "text": value_text(float(row["value"])),
        "band": band,
        "when": f"{pd.Timestamp(row['at']):{HOVER_TIME}}",
    }


def _flag_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "t": millis(row["at"]),
        "series": f"anomaly ({row['outcome']})",
        "v": float(row["value"]),
        "text": value_text(float(row["value"])),
        "when": f"{pd.Timestamp(row['at']):{HOVER_TIME}}",
    }


def _utc(times: pd.Series) -> pd.Series:
    """Times as UTC nanoseconds, so series read different ways join on equal instants."""
    return pd.to_datetime(times, utc=True).astype("datetime64[ns, UTC]")
