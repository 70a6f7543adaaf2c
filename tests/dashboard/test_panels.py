"""Charts stacked into one figure (dashboard/panels.py) keep what each showed alone: its
traces on its own axes, its limit line and label, its title, its ticks and points bounded;
the panels share one time axis spanning them all."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import charts
from dashboard.chart_view import problems
from dashboard.charts import MAX_POINTS, MAX_TICKS
from dashboard.panels import stacked
from tests.dashboard.support import panel_titles
from tests.dashboard.test_charts import NOW, _end, _runs, _trend, ticks_drawn


def _panels() -> list[go.Figure]:
    trend = pd.concat([_trend(30), _trend(30, "freshness")])
    return [
        charts.trend_with_limit(_trend(30), "avg_value", 0.005, "Mismatch rate", "%", 100, now=NOW),
        charts.row_count_chart(_runs(400, 2_000, 1_997), "wms", "shop.stock", now=NOW),
        charts.pass_rate_heatmap(trend, now=NOW),
    ]


def test_each_panel_keeps_its_traces_limit_and_title_on_its_own_axes() -> None:
    panels = _panels()
    fig = stacked(panels)
    assert [len(t.x) for t in fig.data] == [len(t.x) for p in panels for t in p.data]
    rows = [t.xaxis for t in fig.data]
    assert rows == ["x", "x", "x2", "x2", "x3"], rows
    assert [t.yaxis for t in fig.data] == ["y", "y", "y2", "y2", "y3"]
    assert panel_titles(json.loads(fig.to_json())) == [
        "Mismatch rate",
        "Row counts: source and target",
        "Pass rate per check and day",
    ]
    (limit,) = fig.layout.shapes
    assert (limit.yref, limit.y0, limit.xref) == ("y", 0.5, "x domain")
    notes = [a for a in fig.layout.annotations if a.text.startswith("limit")]
    assert [(a.text, a.yref) for a in notes] == [("limit 0.5 %", "y")]
    assert fig.layout.yaxis2.dtick == panels[1].layout.yaxis.dtick  # the whole-count axis
    assert list(fig.layout.yaxis3.ticktext) == list(panels[2].layout.yaxis.ticktext)
    legends = {t.legend for t in fig.data if not isinstance(t, go.Heatmap)}
    assert legends == {"legend", "legend2"}  # each beside its own panel


def test_the_panels_share_one_bounded_time_axis_up_to_now() -> None:
    panels = _panels()
    fig = stacked(panels)
    assert problems(json.loads(fig.to_json())) == []
    go.Figure(json.loads(fig.to_json()))  # composed unvalidated: Plotly's validation passes
    for axis in ("xaxis", "xaxis2", "xaxis3", "yaxis", "yaxis2", "yaxis3"):
        assert ticks_drawn(fig, axis) <= MAX_TICKS or fig.layout[axis].tickmode == "array"
    starts = [_end(p.layout.xaxis.range[0]) for p in panels]
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        shown = fig.layout[axis]
        assert _end(shown.range[0]) == min(starts)
        assert _end(shown.range[1]) == NOW.timestamp() * 1000
        assert shown.showticklabels is True  # dates under every panel
    heights = [d.domain for d in (fig.layout.yaxis, fig.layout.yaxis2, fig.layout.yaxis3)]
    assert all(a[0] > b[1] for a, b in itertools.pairwise(heights))  # no overlap


def test_one_figure_stays_as_it_is_and_an_unbounded_panel_is_still_found() -> None:
    alone = _panels()[0]
    assert stacked([alone]) is alone
    long = go.Figure(go.Scatter(x=np.arange(MAX_POINTS + 1), y=np.arange(MAX_POINTS + 1)))
    found = problems(json.loads(stacked([alone, long]).to_json()))
    assert found == [f"trace 2 (scatter): {MAX_POINTS + 1} points > {MAX_POINTS}"]
