"""Reading back the Vega-Lite charts a page sent (AppTest): each chart's panels by title, and
each panel's series as {series name: {"x": times in ms, "y": values}} (dashboard/vega_spec.py:
a panel's layers carry their rows inline, each row its "series", "t" and "v", a band its "lo"
and "hi")."""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

from dashboard.vega_spec import from_moment, millis


def vega_specs(at: AppTest) -> list[dict[str, Any]]:
    """Every Vega-Lite chart the page drew, as its spec."""
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def panels(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """A chart's panels, top to bottom (one when it does not stack several)."""
    return list(spec.get("vconcat", [spec]))


def title(panel: dict[str, Any]) -> str:
    own = panel.get("title", "")
    return str(own.get("text", "") if isinstance(own, dict) else own)


def titles(spec: dict[str, Any]) -> list[str]:
    return [title(p) for p in panels(spec)]


def series(panel: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """A panel's series by name: x (ms) and y of each row, in order; a band's y is its lower
    edge (as the Plotly band's named trace was)."""
    found: dict[str, dict[str, list[float]]] = {}
    for layer in panel.get("layer", [panel]):
        for row in layer.get("data", {}).get("values", []):
            if "series" not in row:
                continue
            drawn = found.setdefault(str(row["series"]), {"x": [], "y": []})
            drawn["x"].append(float(row["t"]))
            drawn["y"].append(float(row["v"] if "v" in row else row["lo"]))
    return found


def time_span(panel: dict[str, Any]) -> tuple[int, int]:
    """A panel's time axis span (ms): its first data layer's x scale domain."""
    for layer in panel.get("layer", [panel]):
        x = layer.get("encoding", {}).get("x", {})
        if "domain" in x.get("scale", {}):
            start, end = x["scale"]["domain"]
            return millis(from_moment(start)), millis(from_moment(end))
    raise AssertionError(f"no time axis in {title(panel)}")


def tick_values(panel: dict[str, Any], channel: str = "x") -> list[Any]:
    """The tick values a panel's axis gives (its first data layer's)."""
    for layer in panel.get("layer", [panel]):
        axis = layer.get("encoding", {}).get(channel, {}).get("axis") or {}
        if "values" in axis:
            return list(axis["values"])
    return []
