"""The band charts a page drew (AppTest), read back from their Vega-Lite specs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.dashboard.vega_read import panels, series, vega_specs


def band_figures(at: AppTest) -> list[dict[str, dict[str, list[float]]]]:
    """Each drawn band chart as {series name: {"x": …, "y": …}}: each panel of the Vega-Lite
    chart the page stacks its watched series in (dashboard/band_chart.py; a band's y is its
    lower edge)."""
    return [
        drawn
        for spec in vega_specs(at)
        for panel in panels(spec)
        if "expected band" in (drawn := series(panel))
    ]
