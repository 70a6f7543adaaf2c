"""The Integration page's headline numbers say what they measure: the data age names the side
its freshness check really measured and the time of the run it comes from, and is shown as the
age now (the age then plus the time since); the mismatch rate's help counts missing records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.data_age import MISMATCH_HELP, DataAge, age_caption, age_label, data_age
from datasources.percent import percent
from tests.dashboard.support import open_page
from tests.dashboard.vega_read import titles, vega_specs

T_RUN = datetime(2026, 12, 6, 6, 50, tzinfo=UTC)


def _metric(at: AppTest, starts: str) -> object:
    found = [m for m in at.metric if m.label.startswith(starts)]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


@pytest.mark.usefixtures("demo_dashboard")
@pytest.mark.parametrize(
    ("integration", "side"), [("stock-levels", "source (wms)"), ("orders", "target (erp.")]
)
def test_data_age_names_the_side_measured_and_the_run(integration: str, side: str) -> None:
    at = open_page("integration", integration=integration)
    metric = _metric(at, "Data age")
    assert metric.label.startswith(f"Data age now, {side}"), metric.label  # type: ignore[attr-defined]
    captions = " ".join(c.value for c in at.caption)
    assert "at the last run (" in captions and " UTC) + " in captions and " since" in captions
    specs = " ".join(c.proto.spec for c in at.get("vega_lite_chart"))
    assert f"Data age, {side}" in specs  # the trend names the side too
    mismatch = _metric(at, "Mismatch rate")
    assert "missing" in mismatch.proto.help  # type: ignore[attr-defined]


def _checks(**freshness: object) -> pd.DataFrame:
    rows = [
        {"check": "reconcile", "kind": "reconcile", "side": None, "headline_value": 0.01},
        {"check": "freshness", "kind": "freshness", "result_at": pd.Timestamp(T_RUN)} | freshness,
    ]
    return pd.DataFrame(rows)


def test_age_now_is_the_age_at_the_run_plus_the_time_since() -> None:
    age = data_age(_checks(side="source", headline_value=1500.0))
    assert age == DataAge("source", 1500.0, T_RUN)
    now = T_RUN + timedelta(minutes=23)
    assert age.now_s(now) == 1500 + 23 * 60
    assert age_label("wms", age) == "Data age now, source (wms)"
    assert age_caption(age, now) == "25m at the last run (6 Dec 06:50 UTC) + 23m since"


def test_a_clock_behind_the_run_never_makes_the_data_younger() -> None:
    age = data_age(_checks(side="target", headline_value=60.0))
    assert age is not None and age.now_s(T_RUN - timedelta(minutes=5)) == 60.0


def test_an_age_that_could_not_be_measured_says_so() -> None:
    age = data_age(_checks(side="target", headline_value=None))
    assert age is not None and age.now_s(T_RUN) is None
    assert age_caption(age, T_RUN) == "could not be measured at the last run (6 Dec 06:50 UTC)"
    never = DataAge("target", None, None)
    assert age_caption(never, T_RUN) == "not measured yet"


def test_no_freshness_check_means_no_data_age() -> None:
    assert data_age(_checks(side="target").iloc[:1]) is None
    assert data_age(pd.DataFrame()) is None


def test_mismatch_help_counts_missing_records() -> None:
    assert "missing on one side" in MISMATCH_HELP and "differ" in MISMATCH_HELP


def test_the_integration_page_shows_this_weeks_summary(demo_dashboard: str) -> None:
    """A failing orders run an hour ago (the demo's history may be older than a week): the
    page shows the week as the store's aggregate reads it, in plain numbers."""
    from checks.result import CheckKind, CheckResult, Outcome, Severity
    from store.store import ResultStore
    from store.weekly import week_summary

    now = datetime.now(UTC)
    store = ResultStore.open(demo_dashboard)
    run = store.begin_run("orders", now - timedelta(hours=1), trigger="schedule")
    bad = CheckResult(
        "reconcile", CheckKind.RECONCILE, Outcome.FAILED, Severity.CRITICAL,
        {"mismatch_rate": 0.4321}, headline="mismatch_rate",
    )  # fmt: skip
    store.complete_run(run, now - timedelta(minutes=59), [bad])
    week = week_summary(store, now, ["orders"]).iloc[0]
    store.dispose()
    assert week["runs"] >= 1 and week["worst_mismatch"] == pytest.approx(0.4321)

    at = open_page("integration", integration="orders")
    assert "This week" in [h.value for h in at.subheader]
    healthy = _metric(at, "Healthy runs")
    assert healthy.value == percent(week["healthy_share"], 0)  # type: ignore[attr-defined]
    captions = " ".join(c.value for c in at.caption)
    assert f"{week['healthy_runs']} of {week['runs']} runs" in captions
    assert _metric(at, "Worst mismatch").value == "43.21%"  # type: ignore[attr-defined]
    alerts = _metric(at, "Alerts opened / resolved")
    expected = f"{week['alerts_opened']} / {week['alerts_resolved']}"
    assert alerts.value == expected  # type: ignore[attr-defined]
    _metric(at, "Longest stale period")


@pytest.mark.usefixtures("demo_dashboard")
def test_checks_are_named_in_plain_words_each_once() -> None:
    """product-catalog has "sku values must be unique" on both sides: the side tells them
    apart; no suite path or expect_… name is the check's name, and the heatmap agrees."""
    at = open_page("integration", integration="product-catalog")
    table = at.dataframe[0].value
    rules = list(table["rule"])
    assert len(set(rules)) == len(rules), rules
    assert not [r for r in rules if "expect_" in r or ".json" in r], rules
    assert any(r.endswith("(pim.products)") for r in rules), rules
    assert any("records agree between" in r for r in rules), rules
    assert "suites/pim_products.json" in " ".join(table["check"])  # the monitor file's names
    heatmap = next(c for c in at.get("vega_lite_chart") if "Pass rate per check" in c.proto.spec)
    assert "pim.products" in heatmap.proto.spec and "expect_column" not in heatmap.proto.spec


@pytest.mark.usefixtures("demo_dashboard")
@pytest.mark.parametrize(
    ("integration", "panels"),
    [
        ("customers", ["Mismatch rate"]),
        ("orders", ["Mismatch rate", "Data age, target (erp.", "Row counts: source and target"]),
    ],
)
def test_the_trends_are_one_figure_at_the_full_width(integration: str, panels: list[str]) -> None:
    """The 30-day trends are panels of one Vega-Lite chart over the same days, the pass rate
    per check last (each chart a page draws costs its browser time, Plotly's most of all:
    benchmarks/pages.py); none is squeezed into half the page beside another; no Plotly."""
    at = open_page("integration", integration=integration)
    assert sum(len(column.get("vega_lite_chart")) for column in at.columns) == 0
    assert not at.get("plotly_chart")
    (trends,) = vega_specs(at)
    drawn = titles(trends)
    assert len(drawn) == len(panels) + 1, drawn
    assert all(t.startswith(p) for t, p in zip(drawn, panels, strict=False)), drawn
    assert drawn[-1] == "Pass rate per check and day"
