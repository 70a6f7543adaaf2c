"""The dashboard's figures keep the browser's work bounded, whatever the data.

The Integration page took 16-65 s to draw because the "Row counts" chart, with source and target
fewer than 10 rows apart, asked Plotly for a tick on every whole number from 0 to 2,000. These
tests read the figures themselves: how many ticks each axis can draw, how many points each trace
holds, and what the date axes show and where they end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from numbers import Real
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts
from dashboard.charts import MAX_POINTS, MAX_TICKS

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


def test_row_counts_a_few_rows_apart_draw_a_few_ticks_not_two_thousand() -> None:
    """The shape that cost a minute: 2,000 rows each side, at most 5 apart."""
    frame = _runs(30, 2000, [2000 - (i % 6) for i in range(30)])
    fig = charts.row_count_chart(frame, "wms", "shop.stock", now=NOW)
    assert ticks_drawn(fig, "yaxis") <= MAX_TICKS  # before: 2,001 (dtick 1 from 0 to 2,000)
    assert_bounded(fig)
    low, high = fig.layout.yaxis.range
    assert low <= 1995 and high >= 2000 and high - low < 20  # the gap stays visible
    assert float(fig.layout.yaxis.dtick) == int(fig.layout.yaxis.dtick)  # whole rows


@pytest.mark.parametrize(
    ("source", "target"),
    [(0, 0), (3, 0), (2000, 2000), (1_000_000, 999_990), (10, 5_000_000), (7, 7)],
)
def test_row_count_axis_is_bounded_and_whole_for_any_counts(source: int, target: int) -> None:
    fig = charts.row_count_chart(_runs(5, source, target), "a", "b", now=NOW)
    assert_bounded(fig)
    low, high = fig.layout.yaxis.range
    assert 0 <= low <= min(source, target) and high >= max(source, target)
    assert ticks_drawn(fig, "yaxis") >= 3  # still a readable scale
    assert float(fig.layout.yaxis.dtick).is_integer()


def test_a_long_row_count_history_is_thinned_and_keeps_its_worst_run() -> None:
    source = [5000] * 20_000
    target = [5000] * 20_000
    target[12_345] = 4000  # one run with 1,000 rows missing
    fig = charts.row_count_chart(_runs(20_000, source, target), "a", "b", now=NOW)
    assert_bounded(fig)
    assert 4000 in list(fig.data[1].y)


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
    tomorrow."""
    fig = charts.trend_with_limit(_trend(days), "avg_value", 0.005, "Mismatch", "%", 100, now=NOW)
    assert_bounded(fig)
    x = fig.layout.xaxis
    assert "d" in x.tickformat and "b" in x.tickformat and x.tickangle == 0
    assert _end(x.range[1]) == NOW.timestamp() * 1000
    assert _end(x.range[0]) <= _end(fig.data[0].x[0])  # the first day is inside


def test_the_heatmap_is_bounded_and_ends_now() -> None:
    trend = pd.concat([_trend(30, f"check {i}") for i in range(12)])
    fig = charts.pass_rate_heatmap(trend, now=NOW)
    x = fig.layout.xaxis
    assert x.type == "date" and x.nticks <= MAX_TICKS and "d" in x.tickformat
    assert _end(x.range[1]) == NOW.timestamp() * 1000
    assert len(fig.data[0].x) == 30  # one column per day, not per label
    # every check keeps its row label (a tick cap would hide every other check's name)
    assert set(fig.layout.yaxis.ticktext) == {f"check {i}" for i in range(12)}
    assert fig.layout.height >= 26 * 12


def test_a_trend_of_one_old_day_still_ends_now() -> None:
    """A flow that stopped reporting a week ago: the axis shows the gap up to now."""
    old = pd.DataFrame(
        [{"day": date(2026, 11, 29), "check": "c", "avg_value": 1.0, "max_value": 2.0}]
    )
    fig = charts.trend_with_limit(old, "avg_value", None, "Data age", "hours", now=NOW)
    assert _end(fig.layout.xaxis.range[1]) == NOW.timestamp() * 1000
    assert _end(fig.layout.xaxis.range[0]) < _end(fig.data[0].x[0])


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
    fig = charts.pass_rate_heatmap(trend, now=NOW, labels=same)
    assert len(fig.data[0].z) == 2  # two checks, two rows, even with one label
    assert list(fig.layout.yaxis.ticktext) == ["sku unique", "sku unique"]
    long = {"a.json: expect_x(sku)": "w" * 100}
    shown = charts.pass_rate_heatmap(trend, now=NOW, labels=long).layout.yaxis.ticktext
    assert shown[0] == "w" * 34 + "<br>" + "w" * 33 + "…"  # two lines, the rest in the hover
    assert shown[1] == "b.json: expect_x(sku)"
    two = charts.pass_rate_heatmap(trend, now=NOW, labels={"a.json: expect_x(sku)": "w " * 20})
    assert two.layout.yaxis.ticktext[0] == "w " * 16 + "w<br>" + "w " * 2 + "w"
