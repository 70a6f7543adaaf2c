"""The Overview card's 30-day pass-rate line as a small inline SVG picture: DataFrame in, SVG
text out. No Streamlit here.

Why not a chart library: a sparkline is a picture, not an instrument, and each Plotly figure
cost the Overview its own drawing in the browser (six cards, six figures; benchmarks/pages.py,
issue 12 item 1), while SVG text costs the browser nothing to load. Each day is a dot with its
date and share in a native tooltip (`<title>`)."""

from __future__ import annotations

import html

import pandas as pd

from dashboard.charts import DAY_FORMAT
from dashboard.format import percent

WIDTH = 240  # the SVG's own units; it scales to its column's width
HEIGHT = 40
PAD_PX = 3  # room for the dots at the edges
LINE = "#1565c0"


def spark_range(rates: pd.Series) -> tuple[float, float]:
    """The y range for `rates` (fractions): the data's span plus 15% each side, at least half
    a percentage point, so a flat line sits mid-box, not at the top of an empty one."""
    low, high = float(rates.min()), float(rates.max())
    pad = max((high - low) * 0.15, 0.005)
    return low - pad, high + pad


def sparkline_svg(days: pd.DataFrame) -> str:
    """The share of check results that passed per day (`days`: day, pass_rate), oldest first,
    as one SVG element with a line, a dot a day and an accessible summary."""
    days = days.sort_values("day")
    rates = days["pass_rate"].astype(float)
    low, high = spark_range(rates)
    span_x = max(len(days) - 1, 1)
    points = []
    for i, rate in enumerate(rates):
        x = PAD_PX + (WIDTH - 2 * PAD_PX) * (i / span_x if len(days) > 1 else 0.5)
        y = PAD_PX + (HEIGHT - 2 * PAD_PX) * (high - rate) / (high - low)
        points.append((round(x, 1), round(y, 1)))
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="2.5" fill="{LINE}"><title>'
        f"{html.escape(_day(day))}: {html.escape(percent(rate, 1))} passed</title></circle>"
        for (x, y), day, rate in zip(points, days["day"], rates, strict=True)
    )
    line = " ".join(f"{x},{y}" for x, y in points)
    label = (
        f"Share of check results passing per day over {len(days)} day(s): "
        f"latest {percent(rates.iloc[-1], 1)}, lowest {percent(rates.min(), 1)}"
    )
    return (
        f'<svg role="img" aria-label="{html.escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" height="{HEIGHT}" preserveAspectRatio="none" '
        'xmlns="http://www.w3.org/2000/svg">'
        f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="1.5" '
        'vector-effect="non-scaling-stroke"/>'
        f"{dots}</svg>"
    )


def _day(day: object) -> str:
    return str(pd.Timestamp(str(day)).strftime(DAY_FORMAT))
