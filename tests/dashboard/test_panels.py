"""Charts stacked into one (dashboard/vega_spec.stacked) keep what each showed alone: its
series, its limit line and label, its title, its ticks and points bounded; the panels share one
time span up to now, labelled on the same days, their plots lined up."""

from __future__ import annotations

import pandas as pd

from dashboard import trend_charts
from dashboard.chart_view import problems
from dashboard.charts import MAX_POINTS
from dashboard.vega_spec import AXIS_EXTENT_PX, LABEL_EXTENT_PX, Spec, stacked
from datasources.percent import percent
from tests.dashboard import vega_read
from tests.dashboard.test_charts import NOW, _runs, _trend, vega_bounded


def _panels() -> list[Spec]:
    trend = pd.concat([_trend(30), _trend(30, "freshness")])
    return [
        trend_charts.trend_with_limit(
            _trend(30), "avg_value", 0.005, "Mismatch rate", "%", percent, 100, now=NOW
        ),
        trend_charts.row_count_chart(_runs(400, 2_000, 1_997), "wms", "shop.stock", now=NOW),
        trend_charts.pass_rate_heatmap(trend, now=NOW),
    ]


def test_each_panel_keeps_its_series_limit_and_title() -> None:
    alone = _panels()
    series = [vega_read.series(p) for p in alone]
    spec = stacked(_panels())
    assert vega_read.titles(spec) == [
        "Mismatch rate",
        "Row counts: source and target",
        "Pass rate per check and day",
    ]
    assert [vega_read.series(p) for p in vega_read.panels(spec)] == series
    assert "limit 0.5%" in str(spec["vconcat"][0]["layer"][2]["encoding"]["text"])
    assert spec["resolve"]["scale"]["color"] == "independent"  # each its own legend
    assert spec["autosize"]["type"] == "fit-x"  # as wide as the page, not past it


def test_the_panels_share_one_bounded_time_span_up_to_now_and_line_up() -> None:
    panels = _panels()
    starts = [vega_read.time_span(p)[0] for p in panels]
    spec = stacked(panels)
    vega_bounded(spec)
    spans = {vega_read.time_span(p) for p in vega_read.panels(spec)}
    assert spans == {(min(starts), NOW.timestamp() * 1000)}
    ticks = {str(vega_read.tick_values(p)) for p in vega_read.panels(spec)}
    assert len(ticks) == 1  # the same days labelled under every panel
    extents = {
        (layer["encoding"]["y"]["axis"]["minExtent"], layer["encoding"]["y"]["axis"]["maxExtent"])
        for p in vega_read.panels(spec)
        for layer in p["layer"]
        if "axis" in layer.get("encoding", {}).get("y", {})
    }
    assert extents == {(LABEL_EXTENT_PX, LABEL_EXTENT_PX)} and LABEL_EXTENT_PX > AXIS_EXTENT_PX


def test_an_unbounded_panel_is_still_found_in_the_stack() -> None:
    long = trend_charts.row_count_chart(_runs(5, 10, 10), "a", "b", now=NOW)
    long["layer"][0]["data"]["values"] *= MAX_POINTS
    found = problems(stacked([_panels()[0], long]))
    assert found == [
        f"Row counts: source and target layer 0 (line {side}): {5 * MAX_POINTS} points"
        f" > {MAX_POINTS}"
        for side in ("source (a)", "target (b)")
    ]
