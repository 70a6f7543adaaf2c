"""The dashboard's figures (Plotly) and specs (Vega-Lite) keep the browser's work bounded,
whatever the data.

The Integration page took 16-65 s to draw because the "Row counts" chart, with source and target
fewer than 10 rows apart, asked Plotly for a tick on every whole number from 0 to 2,000. These
tests read the figures and specs themselves: how many ticks each axis can draw, how many points
each series holds, and what the date axes show and where they end."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from numbers import Real
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts, trend_charts
from dashboard.chart_view import problems
from dashboard.charts import MAX_POINTS, MAX_TICKS
from dashboard.vega_spec import from_moment
from datasources.percent import percent
from tests.dashboard import vega_read

NOW = datetime(2026, 12, 6, 7, 10, tzinfo=UTC)
DAY_MS = 86_400_000


def _values(fig: go.Figure, letter: str) -> list[float]:
    """The numbers (or times, in ms) a figure's traces put on its x or y axis."""
    found: list[float] = []
    for trace in fig.data:
        values = getattr(trace, letter)
        for v in [] if values is None else values:
            if isinstance(v, Real):
                found.append(float(v))
            else:
                found.append(pd.Timestamp(v).value / 1e6)
    return found


def _end(value: Any) -> float:
    if isinstance(value, Real):
        return float(value)
    stamp = pd.Timestamp(value)
    return float((stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp).value) / 1e6


def ticks_drawn(fig: go.Figure, axis: str) -> float:
    """The most tick labels Plotly can draw on `axis` ("xaxis", "yaxis") of `fig`: the span of
    the axis (its fixed range, or the data's, from zero when `rangemode` is "tozero") over a
    fixed `dtick`; otherwise the `nticks` cap. An axis with neither has no bound at all."""
    layout = fig.layout[axis]
    if layout.visible is False:
        return 0
    if layout.tickmode == "array":
        return len(layout.tickvals or [])
    if layout.dtick is not None:
        if layout.range is not None:
            low, high = (_end(v) for v in layout.range)
        else:
            values = _values(fig, axis[0]) + [0.0] * (layout.rangemode == "tozero")
            low, high = min(values), max(values)
        return (high - low) / float(layout.dtick) + 1
    return float(layout.nticks) if layout.nticks else float("inf")


def assert_bounded(fig: go.Figure) -> None:
    for axis in ("xaxis", "yaxis"):
        assert ticks_drawn(fig, axis) <= MAX_TICKS, (axis, fig.layout[axis])
    for trace in fig.data:
        assert len(trace.x) <= MAX_POINTS, (trace.name, len(trace.x))


def _runs(n: int, source: list[int] | int, target: list[int] | int) -> pd.DataFrame:
    times = pd.date_range(end=NOW - timedelta(minutes=5), periods=n, freq="30min", tz=UTC)
    return pd.DataFrame({"created_at": times, "source_rows": source, "target_rows": target})


def _trend(days: int = 30, check: str = "reconcile") -> pd.DataFrame:
    today = NOW.date()
    rows = [
        {
            "day": today - timedelta(days=d),
            "check": check,
            "avg_value": 0.001 * d,
            "max_value": 0.002 * d,
            "pass_rate": 1.0 if d % 7 else 0.5,
        }
        for d in reversed(range(days))
    ]
    return pd.DataFrame(rows)


def vega_bounded(spec: dict[str, Any]) -> None:
    """A Vega-Lite spec keeps the bounds (dashboard/chart_view.problems) and every time axis
    labels at most MAX_TICKS whole days, each once, and ends at NOW."""
    assert problems(spec) == [], problems(spec)
    for panel in vega_read.panels(spec):
        if not vega_read.tick_values(panel):
            continue
        ticks = [from_moment(t) for t in vega_read.tick_values(panel)]
        labels = [f"{t:%-d %b}" for t in ticks]
        assert len(labels) <= MAX_TICKS and len(set(labels)) == len(labels), labels
        assert vega_read.time_span(panel)[1] == NOW.timestamp() * 1000


def _y_ticks(panel: dict[str, Any]) -> list[int]:
    return [int(v) for v in vega_read.tick_values(panel, "y")]


def test_row_counts_a_few_rows_apart_draw_a_few_ticks_not_two_thousand() -> None:
    """The shape that cost a minute: 2,000 rows each side, at most 5 apart."""
    frame = _runs(30, 2000, [2000 - (i % 6) for i in range(30)])
    panel = trend_charts.row_count_chart(frame, "wms", "shop.stock", now=NOW)
    vega_bounded(panel)
    ticks = _y_ticks(panel)  # before: 2,001 (a tick a row from 0 to 2,000)
    assert 3 <= len(ticks) <= MAX_TICKS and ticks[0] <= 1995 and ticks[-1] >= 2000
    low, high = panel["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert low <= 1995 and high >= 2000 and high - low < 20  # the gap stays visible


@pytest.mark.parametrize(
    ("source", "target"),
    [(0, 0), (3, 0), (2000, 2000), (1_000_000, 999_990), (10, 5_000_000), (7, 7), (120, 1300)],
)
def test_row_count_axis_is_bounded_and_whole_for_any_counts(source: int, target: int) -> None:
    panel = trend_charts.row_count_chart(_runs(5, source, target), "a", "b", now=NOW)
    vega_bounded(panel)
    low, high = panel["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert 0 <= low <= min(source, target) and high >= max(source, target)
    ticks = _y_ticks(panel)
    assert 3 <= len(ticks) <= MAX_TICKS  # still a readable scale, in whole rows
    assert all(low <= t <= high for t in ticks)


def test_a_long_row_count_history_is_thinned_and_keeps_its_worst_run() -> None:
    source = [5000] * 20_000
    target = [5000] * 20_000
    target[12_345] = 4000  # one run with 1,000 rows missing
    panel = trend_charts.row_count_chart(_runs(20_000, source, target), "a", "b", now=NOW)
    vega_bounded(panel)
    drawn = vega_read.series(panel)
    assert len(drawn["target (b)"]["y"]) == MAX_POINTS and 4000 in drawn["target (b)"]["y"]
    assert "4,000 rows" in json.dumps(panel)  # the hover text, as counts are written


def test_a_spec_past_a_bound_is_found() -> None:
    panel = trend_charts.row_count_chart(_runs(5, 10, 10), "a", "b", now=NOW)
    layer = panel["layer"][0]
    layer["data"]["values"] *= MAX_POINTS  # 5 x 200 rows a series
    del layer["encoding"]["x"]["axis"]["values"]
    found = problems(panel)
    assert found == [
        f"Row counts: source and target layer 0 (line source (a)): {5 * MAX_POINTS} points"
        f" > {MAX_POINTS}",
        f"Row counts: source and target layer 0 (line target (b)): {5 * MAX_POINTS} points"
        f" > {MAX_POINTS}",
        f"Row counts: source and target layer 0 (line) x axis: up to inf ticks > {MAX_TICKS}",
    ]


def test_a_long_check_history_is_thinned_and_keeps_its_failures() -> None:
    n = 5_000
    history = pd.DataFrame(
        {
            "created_at": pd.date_range(end=NOW, periods=n, freq="h", tz=UTC)[::-1],
            "outcome": ["passed"] * n,
            "observed": ["ok"] * n,
        }
    )
    history.loc[1234, "outcome"] = "failed"
    history.loc[4321, "outcome"] = "error"
    fig = charts.history_strip(history, now=NOW)
    assert sum(len(t.x) for t in fig.data) <= MAX_POINTS
    assert {t.name for t in fig.data} == {"passed", "failed", "error"}
    assert ticks_drawn(fig, "xaxis") <= MAX_TICKS


def test_a_short_check_history_keeps_every_result() -> None:
    history = pd.DataFrame(
        {
            "created_at": pd.date_range(end=NOW, periods=30, freq="D", tz=UTC),
            "outcome": ["passed", "failed", "warned"] * 10,
            "observed": ["x"] * 30,
        }
    )
    fig = charts.history_strip(history, now=NOW)
    assert sum(len(t.x) for t in fig.data) == 30


@pytest.mark.parametrize("days", [1, 30, 365])
def test_daily_trends_label_day_and_month_and_end_now(days: int) -> None:
    """30 daily ticks on a narrow chart turned every label into "Nov"; the axis ran to
    tomorrow. The limit is a labelled line; hover text is the project's percent."""
    panel = trend_charts.trend_with_limit(
        _trend(days), "avg_value", 0.005, "Mismatch", "%", percent, 100, now=NOW
    )
    vega_bounded(panel)
    x = panel["layer"][0]["encoding"]["x"]
    assert x["axis"]["format"] == charts.DAY_FORMAT and x["scale"]["type"] == "utc"
    first = min(vega_read.series(panel)["daily mean (%)"]["x"])
    assert vega_read.time_span(panel)[0] <= first  # the first day is inside
    rule, label = panel["layer"][1:]
    assert rule["mark"]["type"] == "rule" and rule["encoding"]["y"]["datum"] == 0.5
    assert label["encoding"]["text"]["value"] == "limit 0.5%"
    texts = {r["text"] for r in panel["layer"][0]["data"]["values"]}
    assert texts <= {percent(k * d / 1000) for d in range(days) for k in (1, 2)}, texts


def test_the_heatmap_is_bounded_and_ends_now() -> None:
    trend = pd.concat([_trend(30, f"check {i}") for i in range(12)])
    panel = trend_charts.pass_rate_heatmap(trend, now=NOW)
    vega_bounded(panel)
    cells = panel["layer"][0]["data"]["values"]
    assert len({c["t"] for c in cells}) == 30  # one column per day, not per label
    assert max(c["t2"] for c in cells) == NOW.timestamp() * 1000  # today: up to now
    # every check keeps its row (a tick cap would hide every other check's name)
    assert {c["check"] for c in cells} == {f"check {i}" for i in range(12)}
    assert {c["text"] for c in cells} == {"100% passed", "50% passed"}  # percent(), 0 decimals
    assert panel["height"] >= 26 * 12


def test_a_trend_of_one_old_day_still_ends_now() -> None:
    """A flow that stopped reporting a week ago: the axis shows the gap up to now."""
    old = pd.DataFrame(
        [{"day": date(2026, 11, 29), "check": "c", "avg_value": 1.0, "max_value": 2.0}]
    )
    panel = trend_charts.trend_with_limit(old, "avg_value", None, "Data age", "hours", str, now=NOW)
    vega_bounded(panel)
    start, end = vega_read.time_span(panel)
    assert (
        end == NOW.timestamp() * 1000
        and start < vega_read.series(panel)["daily mean (hours)"]["x"][0]
    )
    assert len(panel["layer"]) == 1  # no limit, no line


def test_thin_leaves_short_frames_alone_and_picks_the_worst_of_each_stretch() -> None:
    short = pd.DataFrame({"v": range(MAX_POINTS)})
    assert charts.thin(short, short["v"]).equals(short)
    empty = pd.DataFrame({"v": []})
    assert charts.thin(empty).empty
    long = pd.DataFrame({"v": [float("nan")] * (MAX_POINTS * 10)})
    long.loc[7, "v"] = 1.0
    thinned = charts.thin(long, long["v"])
    assert len(thinned) == MAX_POINTS and 7 in thinned.index  # NaN never beats a value
    assert list(thinned.index) == sorted(thinned.index)  # order kept
    plain = charts.thin(pd.DataFrame({"v": range(1000)}))
    assert len(plain) == MAX_POINTS and plain["v"].iloc[-1] == 999  # the newest stays


def test_heatmap_rows_take_their_labels_and_never_merge() -> None:
    trend = pd.concat([_trend(3, "a.json: expect_x(sku)"), _trend(3, "b.json: expect_x(sku)")])
    same = {"a.json: expect_x(sku)": "sku unique", "b.json: expect_x(sku)": "sku unique"}

    def rows(labels: dict[str, str]) -> list[str]:
        panel = trend_charts.pass_rate_heatmap(trend, now=NOW, labels=labels)
        return sorted({c["row"] for c in panel["layer"][0]["data"]["values"]})

    assert rows(same) == ["000|sku unique", "001|sku unique"]  # two checks, two rows
    shown = rows({"a.json: expect_x(sku)": "w" * 100})
    assert shown[0] == "000|" + "w" * 34 + "\n" + "w" * 33 + "…"  # two lines, the rest in the hover
    assert shown[1] == "001|b.json: expect_x(sku)"
    two = rows({"a.json: expect_x(sku)": "w " * 20})
    assert two[0] == "000|" + "w " * 16 + "w\n" + "w " * 2 + "w"
