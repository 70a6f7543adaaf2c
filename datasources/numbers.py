"""The one way a measured number (a watched series' value, its expected band) is written, in
anomaly check results, alert messages, the dashboard's charts and its words: whole numbers and
anything of 100 or more with thousands separators and no decimals ("1,234,567"), smaller
fractional values to three significant digits ("0.125", "42.5"). Never scientific notation for a
row count. (Fractions shown as percentages: datasources/percent.py.)"""

from __future__ import annotations

import math


def number(value: float) -> str:
    """`value` as people read a measured number; "—" for NaN or an infinite value."""
    if not math.isfinite(value):
        return "—"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"
