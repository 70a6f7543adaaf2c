"""The Overview page through Streamlit's AppTest, on the demo's real recorded history."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.findings import Finding, check_words, finding
from dashboard.format import literal, percent
from dashboard.sparkline import HEIGHT, spark_range, sparkline_svg
from store import health
from store.schema import latest_results
from store.store import ResultStore
from tests.dashboard.support import APP, open_page, text_of

NAMES = ("product-catalog", "stock-levels", "orders", "customers", "payments", "shipments")


@pytest.mark.usefixtures("demo_dashboard")
def test_overview_shows_every_integration_and_the_failing_checks() -> None:
    at = open_page()
    assert at.title[0].value == "Data-exchange health"
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["Failing"]) >= 1
    text = text_of(at)
    for name in NAMES:
        assert f"**{name}**" in text
    assert "checks failing" in text and "limit" in text
    failing = at.dataframe[0].value
    assert not failing.empty
    assert list(failing.columns[:4]) == ["integration", "severity", "found", "records"]
    assert (failing["owner"] != "nobody").all()
    assert failing["status"].isin(["Failing", "Warning", "Cannot check"]).all()
    assert len(at.get("plotly_chart")) == 1  # the map; the sparklines are SVG pictures
    sparks = [m.value for m in at.markdown if m.value.startswith("<svg")]
    assert len(sparks) == len(NAMES) and all("passed</title>" in s for s in sparks)
    links = [link.proto.query_string for link in at.get("page_link")]
    assert any("integration=orders" in q for q in links)


@pytest.mark.usefixtures("demo_dashboard")
def test_owner_filter_keeps_only_their_integrations() -> None:
    at = open_page()
    at.multiselect(key="owner").select("finance").run()
    assert not at.exception
    text = text_of(at)
    assert "**orders**" in text and "**payments**" in text
    assert "**product-catalog**" not in text and "**stock-levels**" not in text
    failing = at.dataframe[0].value
    assert set(failing["integration"]) <= {"orders", "payments"}


@pytest.mark.usefixtures("demo_dashboard")
def test_a_system_filter_matching_nothing_says_so() -> None:
    at = open_page()
    at.multiselect(key="system").select("psp")
    at.multiselect(key="owner").select("crm-owner").run()
    assert any("No integration matches" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Failing"] == "0"


@pytest.mark.usefixtures("demo_dashboard")
def test_selecting_a_failing_row_links_to_its_check_page() -> None:
    at = open_page()
    failing = at.dataframe[0].value
    at.session_state["failing"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    first = failing.iloc[0]
    queries = [link.proto.query_string for link in at.get("page_link")]
    assert any("check=" in q and first["integration"] in q for q in queries), queries


def test_a_broken_monitor_file_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "dxq.yml"
    bad.write_text("version: 1\nintegrations: {x: {source: nowhere.t, target: nowhere.u}}\n")
    monkeypatch.setenv("DXQ_CONFIG", str(bad))
    st.cache_resource.clear()
    at = open_page()
    assert "nowhere" in at.error[0].value
    assert f"{bad}:2" in at.error[0].value


def test_an_empty_store_says_no_runs_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite3.connect(tmp_path / "sys.db").execute("create table t (id integer)").connection.close()
    config = tmp_path / "dxq.yml"
    config.write_text(
        f"version: 1\nstore: sqlite:///{tmp_path}/results.db\n"
        "systems: {s: {url: 'sqlite:///sys.db'}}\n"
        "integrations: {flow: {source: s.t, target: s.t, key: id, schedule: '*/5 * * * *'}}\n"
    )
    monkeypatch.setenv("DXQ_CONFIG", str(config))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page()
    labels = {m.label: m.value for m in at.metric}
    assert labels["No runs yet"] == "1"
    assert labels["Not reporting"] == "1"  # scheduled, and never reported
    assert any("No run has been recorded yet" in md.value for md in at.markdown)
    assert any("No check is failing" in s.value for s in at.success)
    for page in ("integration", "check", "alerts", "runs"):
        st.cache_data.clear()
        other = open_page(page, integration="flow")
        assert other.info or other.success or other.warning, page


def test_an_unreachable_results_database_is_an_error_not_a_traceback(
    demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from demo.command import DEMO_CONFIG

    monkeypatch.setenv("DXQ_DEMO_DIR", demo_env["DXQ_DEMO_DIR"])
    monkeypatch.setenv("DXQ_STORE_URL", "postgresql+psycopg://dxq:hunter2@127.0.0.1:1/results")
    monkeypatch.setenv("DXQ_CONFIG", str(DEMO_CONFIG))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "results database" in at.error[0].value
    assert "hunter2" not in at.error[0].value


def _latest_failing(url: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        rows = c.execute(sa.select(latest_results).where(latest_results.c.outcome != "passed"))
        found = [dict(r) for r in rows.mappings()]
    engine.dispose()
    return found


def test_failing_checks_sort_by_severity_then_records_affected(demo_dashboard: str) -> None:
    table = open_page().dataframe[0].value
    rank = table["severity"].map({"critical": 0, "error": 1, "warning": 2})
    assert rank.is_monotonic_increasing, table[["severity", "records"]]
    for _, group in table.groupby("severity"):
        counts = [int(n.replace(",", "")) for n in group["records"] if n != "—"]
        assert counts == sorted(counts, reverse=True), group[["severity", "records"]]
    stored = _latest_failing(demo_dashboard)
    assert len(table) == len(stored)
    catalog = next(
        r for r in stored if (r["integration"], r["check"]) == ("product-catalog", "reconcile")
    )
    m = catalog["metrics"]
    row = table[
        (table["integration"] == "product-catalog") & table["found"].str.contains("different")
    ]
    assert row["records"].map(lambda n: int(n.replace(",", ""))).tolist() == [
        m["missing_in_target"] + m["missing_in_source"] + m["changed"]
    ]
    assert not table["check"].str.contains("expect_|suites/").any(), table["check"]


def test_a_card_leads_with_what_was_found(demo_dashboard: str) -> None:
    stored = _latest_failing(demo_dashboard)
    catalog = next(
        r for r in stored if (r["integration"], r["check"]) == ("product-catalog", "reconcile")
    )
    by_field = {f: n for f, n in catalog["metrics"]["changed_by_field"].items() if n}
    assert by_field, "the demo's catalogue has wrong prices"
    text = text_of(open_page())
    card = text[text.index("**product-catalog**") :]
    for field, count in by_field.items():
        words = literal(f"{count} with a different {field}")
        assert words in card, card[:400]
        assert card.index(words) < card.index("checks failing")  # the finding leads


def test_findings_in_words_for_each_kind() -> None:
    catalog = finding(
        "reconcile",
        {
            "missing_in_target": 2,
            "missing_in_source": 0,
            "changed": 20,
            "changed_by_field": {"name": 0, "unit_price": 16, "state": 4},
        },
        "1%",
        "pim",
        "shop",
    )
    assert catalog == Finding(
        "2 missing in shop · 16 with a different unit_price · 4 with a different state", 22
    )
    rule = finding("expectation", {"unexpected_count": 2}, "x", "shop", "crm")
    assert rule == Finding("2 record(s) break the rule", 2)
    named = finding(
        "expectation", {"unexpected_count": 2}, "x", "a", "b", "email values must be unique."
    )
    assert named.words == "2 record(s) break “email values must be unique”"
    fresh = finding("freshness", {"lag_seconds": 18900.0}, "x", "wms", "shop")
    assert fresh.records is None and "5h 15m" in fresh.words
    assert (
        finding("schema", {}, "column price changed type", "a", "b").words
        == "column price changed type"
    )
    assert (
        check_words(
            "suites/x.json: expect_column_values_to_be_unique(email)",
            "expectation",
            {"description": "email values must be unique."},
            "a",
            "b",
        )
        == "email values must be unique."
    )
    assert (
        check_words(
            "suites/x.json: expect_column_values_to_be_unique(email)", "expectation", {}, "a", "b"
        )
        == "email: column values to be unique"
    )
    assert (
        check_words("reconcile", "reconcile", {}, "shop", "erp")
        == "records agree between shop and erp"
    )
    metrics = {"check": "reconcile", "metric": "changed_by_field.price"}
    assert (  # an anomaly check names its number: from its metrics, else from its name
        check_words("anomaly(reconcile.changed_by_field.price)", "anomaly", metrics, "a", "b")
        == "records with a different price within its usual range"
    )
    assert (
        check_words("anomaly(volume.target_rows)", "anomaly", None, "shop", "erp.orders")
        == "row count of erp.orders within its usual range"
    )
    assert check_words("anomaly", "anomaly", {}, "a", "b") == "numbers within their usual range"


@pytest.mark.usefixtures("demo_dashboard")
def test_card_tooltips_say_what_the_numbers_count_and_when() -> None:
    at = open_page()
    helps = {m.value.split("checks failing")[0]: m.help for m in at.markdown if m.help}
    assert helps, "the cards' figures carry a tooltip"
    text = " ".join(h for h in helps.values() if h)
    assert "share of matched records that differ" not in text
    assert "missing on one side or differ in a compared field" in text
    assert "source side was when the last run measured it" in text  # stock-levels: the wms side
    assert "target side was when the last run measured it" in text
    assert "Data age at the last run" in text_of(at)


def test_sparkline_fits_its_range_to_the_data() -> None:
    days = pd.DataFrame({"day": pd.date_range("2026-11-01", periods=5), "pass_rate": [1.0] * 5})
    low, high = spark_range(days["pass_rate"])
    assert 0.99 <= low < 1 < high <= 1.01  # a flat 100% line sits mid-box, not at the top
    ys = [float(p.split(",")[1]) for p in _polyline(sparkline_svg(days))]
    assert ys == [HEIGHT / 2] * 5
    days["pass_rate"] = [0.9, 0.95, 1.0, 0.8, 0.99]
    low, high = spark_range(days["pass_rate"])
    assert 0.75 < low < 0.8 and 1.0 < high < 1.05
    svg = sparkline_svg(days)
    ys = [float(p.split(",")[1]) for p in _polyline(svg)]
    assert ys.index(max(ys)) == 3 and ys.index(min(ys)) == 2  # 80% lowest on the page, 100% top
    assert all(0 < y < HEIGHT for y in ys)
    assert "<title>4 Nov: 80% passed</title>" in svg
    assert (
        'aria-label="Share of check results passing per day over 5 day(s): latest 99%, lowest 80%'
        in svg
    )


def _polyline(svg: str) -> list[str]:
    return svg.split('<polyline points="')[1].split('"')[0].split()


@pytest.mark.usefixtures("demo_dashboard")
def test_each_card_shows_its_latest_and_lowest_daily_pass_rate(demo_dashboard: str) -> None:
    store = ResultStore.open(demo_dashboard)
    daily = health.daily_health(store, 30)
    store.dispose()
    shown = [c.value for c in open_page().caption if c.value.startswith("passing: latest")]
    expected = []
    for name in NAMES:
        rates = daily[daily["integration"] == name]["pass_rate"]
        assert len(rates) >= 2, name  # the demo's history has days
        latest, lowest = percent(rates.iloc[-1], 1), percent(rates.min(), 1)
        expected.append(f"passing: latest **{latest}** · lowest {lowest}")
    assert sorted(shown) == sorted(expected)
    assert any(r < 1 for r in daily["pass_rate"])  # the numbers are not all the trivial 100%


# The main column of a 1400 px window, less the row-selection box (measured in Chromium).
TABLE_PX = 940 - 34


@pytest.mark.usefixtures("demo_dashboard")
def test_failing_checks_keep_severity_and_the_words_in_view_at_1400_px() -> None:
    at = open_page()
    frame = at.dataframe[0]
    config = json.loads(frame.proto.columns)
    columns = list(frame.value.columns)
    assert columns[:2] == ["integration", "severity"]
    assert all(config[c].get("pinned") for c in columns[:2])  # stay while the table scrolls
    first_view = columns[: columns.index("check") + 1]  # through what was found and the check
    assert sum(config[c]["width"] for c in first_view) <= TABLE_PX, config
    assert all(isinstance(config[c].get("width"), int) for c in columns), config
