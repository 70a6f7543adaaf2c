"""Every chart every page sends keeps the browser's work bounded (dashboard/chart_view.py):
at most MAX_POINTS points a series, MAX_CELLS cells a heatmap, MAX_TICKS ticks an axis may
draw, Plotly figures and Vega-Lite specs alike. Read from the charts Streamlit sends, so a chart
added to any page later is held to it too; and the Check page opened from a link loads no
chart until its history is opened."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from dashboard.chart_view import MAX_CELLS, problems
from dashboard.charts import MAX_POINTS, MAX_TICKS
from monitor.config.loading import load_config
from tests.dashboard.support import open_page
from tests.dashboard.vega_read import titles, vega_specs


def _problems(at: AppTest) -> dict[str, list[str]]:
    charts = [*at.get("plotly_chart"), *at.get("vega_lite_chart")]
    specs = [json.loads(chart.proto.spec) for chart in charts]
    assert specs, "no chart on the page"
    found = {}
    for i, spec in enumerate(specs):
        if problems(spec):
            found[f"chart {i}"] = problems(spec)
    return found


def test_problems_names_each_bound_broken() -> None:
    fig = go.Figure(go.Scatter(x=np.arange(MAX_POINTS + 1), y=np.arange(MAX_POINTS + 1.0)))
    fig.add_heatmap(z=np.ones((MAX_CELLS // 100 + 1, 100)))
    fig.update_yaxes(nticks=MAX_TICKS + 1)
    found = problems(json.loads(fig.to_json()))
    assert [f.split(":")[0] for f in found] == ["trace 0 (scatter)", "trace 1 (heatmap)", "yaxis"]
    bounded = go.Figure(go.Scatter(x=np.arange(MAX_POINTS), y=np.arange(MAX_POINTS)))
    assert problems(json.loads(bounded.to_json())) == []


def test_every_chart_of_overview_and_integration_pages_is_bounded(
    demo_dashboard: str, demo_env: dict[str, str]
) -> None:
    assert _problems(open_page("overview")) == {}
    config = load_config(Path(demo_env["DXQ_CONFIG"]), demo_env)
    for name in config.integrations:
        assert _problems(open_page("integration", integration=name)) == {}, name


def test_check_page_draws_its_history_only_when_opened(demo_dashboard: str) -> None:
    closed = open_page("check", integration="orders", check="volume")
    labels = [e.proto.label for e in closed.expander]
    assert any(label.startswith("Recent results: ") for label in labels), labels
    assert not [c for c in closed.get("plotly_chart") if "Recent results" in c.proto.spec]
    opened = open_page("check", integration="orders", check="volume", history="true")
    assert any("Recent results" in c.proto.spec for c in opened.get("plotly_chart"))
    assert _problems(opened) == {}


def test_row_counts_watched_with_their_bands_are_drawn_once(demo_dashboard: str) -> None:
    """stock-levels watches both row counts (`anomalies:`), so they are drawn with their bands
    under Watched numbers and not again as the plain "Row counts" chart; orders watches none.
    Each page draws its 30-day trends as one chart, its watched series as one more."""
    stock_page = open_page("integration", integration="stock-levels")
    stock = [titles(s) for s in vega_specs(stock_page)]
    assert len(stock) == 2, stock
    trends, watched = stock
    assert trends[0] == "Mismatch rate" and trends[-1] == "Pass rate per check and day", trends
    assert not [t for t in trends if t.startswith("Row counts")], trends
    assert watched == ["volume.source_rows", "volume.target_rows"], watched
    orders = [titles(s) for s in vega_specs(open_page("integration", integration="orders"))]
    assert len(orders) == 1, orders
    assert [t for t in orders[0] if t.startswith("Row counts")], orders
