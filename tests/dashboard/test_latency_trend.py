"""The latency trend of the Integration page: p50 and p95 per run against the SLA line, bounded
in ticks and points whatever the history; read back from the store's metrics, and shown for
the demo's product catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from checks.result import CheckKind, CheckResult, Outcome, Severity
from dashboard import trend_charts
from dashboard.charts import MAX_POINTS
from datasources.durations import format_duration
from store import trends
from store.store import ResultStore
from tests.dashboard import vega_read
from tests.dashboard.support import open_page
from tests.dashboard.test_charts import NOW, vega_bounded


def _history(n: int) -> pd.DataFrame:
    times = pd.date_range(end=NOW - timedelta(minutes=5), periods=n, freq="30min", tz=UTC)
    p95 = [300.0 + (i % 7) * 30 for i in range(n)]
    return pd.DataFrame(
        {"created_at": times, "p50_s": [v / 2 for v in p95], "p95_s": p95, "waiting": 0}
    )


def test_the_trend_draws_p50_and_p95_in_minutes_with_the_sla_line() -> None:
    frame = _history(40)
    panel = trend_charts.latency_chart(frame, 900.0, now=NOW)
    vega_bounded(panel)
    drawn = vega_read.series(panel)
    assert list(drawn) == ["p95 (minutes)", "p50 (minutes)"]
    assert drawn["p95 (minutes)"]["y"] == [v / 60 for v in frame["p95_s"]]
    rule, label = panel["layer"][1:]
    assert rule["encoding"]["y"]["datum"] == 15.0 and rule["mark"]["strokeDash"]
    assert label["encoding"]["text"]["value"] == "SLA: p95 at most 15m"
    hover = {row["text"] for row in panel["layer"][0]["data"]["values"]}
    assert format_duration(300.0) in hover  # hover in the project's durations, not minutes


def test_a_long_history_is_thinned_and_keeps_its_slowest_run() -> None:
    frame = _history(20_000)
    frame.loc[12_345, "p95_s"] = 7_200.0  # one run two hours slow
    panel = trend_charts.latency_chart(frame, 900.0, now=NOW)
    vega_bounded(panel)
    p95 = vega_read.series(panel)["p95 (minutes)"]["y"]
    assert len(p95) <= MAX_POINTS and 120.0 in p95


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_metric_history_reads_the_runs_latency_oldest_first(
    engine: str, sqlite_url: str, request: pytest.FixtureRequest
) -> None:
    url = sqlite_url if engine == "sqlite" else request.getfixturevalue("pg_url")
    store = ResultStore.open(url)
    flow = f"flow-{id(store)}"
    start = datetime(2026, 11, 1, tzinfo=UTC)
    p95s = [600.0, 1200.0, None, 480.0]  # the third run could not measure
    for i, p95 in enumerate(p95s):
        at = start + timedelta(hours=i)
        run = store.begin_run(flow, at)
        metrics = {"p50_s": None if p95 is None else p95 / 2, "p95_s": p95, "waiting": i}
        result = CheckResult(
            "latency", CheckKind.LATENCY, Outcome.PASSED, Severity.ERROR, metrics, "p95_s"
        )
        store.complete_run(run, at, [result])
    frame = trends.metric_history(store, flow, "latency", ("p50_s", "p95_s"))
    assert list(frame["p95_s"]) == [600.0, 1200.0, 480.0]
    assert list(frame["p50_s"]) == [300.0, 600.0, 240.0]
    assert trends.metric_history(store, flow, "nothing", ("p95_s",)).empty
    store.dispose()


@pytest.mark.usefixtures("demo_dashboard")
def test_the_demo_catalogue_page_shows_the_latency_trend() -> None:
    at = open_page("integration", integration="product-catalog")
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    [latency] = [s for s in specs if "Propagation latency" in s]
    assert "SLA: p95 at most 15m" in latency and "p95 (minutes)" in latency
    captions = " ".join(c.value for c in at.caption)
    assert "Latency, latest run: p95 " in captions and "still waiting" in captions
    other = open_page("integration", integration="customers")  # no latency declared
    assert not any("Propagation latency" in c.proto.spec for c in other.get("vega_lite_chart"))


@pytest.mark.usefixtures("demo_dashboard")
def test_the_latency_check_page_says_what_it_measures() -> None:
    at = open_page("check", integration="product-catalog", check="latency")
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "reach the target quickly enough" in text, text[:500]
    assert "p95 at most 15m" in text.replace("\\", "")  # expected, as the check states it
