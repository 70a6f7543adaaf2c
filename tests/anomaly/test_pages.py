"""The pages of a watched series (AppTest, on a store filled through the run path): the Check
page of an anomaly draws the series with its expected band and the anomaly marked, and its
two buttons record who said what and why; a visitor who may not respond sees no buttons; the
Integration page draws every watched series; the Overview card counts open anomalies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st

from dashboard.format import literal
from store.schema import anomaly_feedback
from tests.anomaly.figures import band_figures
from tests.anomaly.stock import EVERY, NORMAL, T0, StockFeed, noise
from tests.dashboard.support import open_page, open_signed_in, text_of

CHECK = "anomaly(volume.target_rows)"
DROP_AT = 24  # the run whose row count drops to a third


@pytest.fixture(scope="module")
def watched_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store with 24 usual runs and one that brought a third of the rows; yields the
    monitor file."""
    tmp = tmp_path_factory.mktemp("pages")
    feed = StockFeed.open(tmp, f"sqlite:///{tmp}/results.db")
    for i in range(DROP_AT):
        feed.run_at(i, NORMAL + noise(i))
    feed.run_at(DROP_AT, NORMAL // 3)
    feed.store.dispose()
    yield tmp / "dxq.yml"


@pytest.fixture
def dashboard(watched_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DXQ_CONFIG", str(watched_store))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield watched_store
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_check_page_draws_the_band_and_records_feedback(dashboard: Path) -> None:
    at = open_page("check", actor="ana", integration="stock", check=CHECK)
    (figure,) = band_figures(at)
    assert not at.get("plotly_chart")  # a Vega-Lite chart: no Plotly loaded (issue 12 item 1)
    assert figure["anomaly (failed)"]["y"] == [NORMAL // 3]  # the dropped run, marked
    assert len(figure["value"]["y"]) == DROP_AT + 1
    low = figure["expected band"]["y"][-1]
    assert NORMAL // 3 < low < NORMAL - 30
    (choice,) = [s for s in at.selectbox if s.label.startswith("Anomaly of")]
    assert len(choice.options) == 1
    at.text_input(key="why-volume.target_rows").input("stock take at the warehouse")
    next(b for b in at.button if b.label == "Mark as expected").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "marked as expected by ana" in " ".join(s.value for s in at.success)
    engine = sa.create_engine(f"sqlite:///{dashboard.parent}/results.db")
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(anomaly_feedback)).mappings().all()
    finally:
        engine.dispose()
    assert [(r["actor"], r["verdict"], r["comment"]) for r in rows] == [
        ("ana", "expected", "stock take at the warehouse")
    ]
    assert rows[0]["at"] == T0 + DROP_AT * EVERY  # the dropped run's point


def test_a_visitor_who_may_not_respond_gets_no_buttons(dashboard: Path) -> None:
    stranger = {"is_logged_in": True, "email": "someone@else.example", "name": "Someone"}
    at = open_signed_in("check", stranger, integration="stock", check=CHECK)
    assert band_figures(at)
    assert not [b for b in at.button if b.label == "Mark as expected"]
    assert "Only the integration's owners, on-call and maintenance may mark" in text_of(at)


def test_the_integration_page_and_overview_show_the_anomaly(dashboard: Path) -> None:
    at = open_page("integration", integration="stock")
    (figure,) = band_figures(at)  # the one watched series, once
    assert figure["anomaly (failed)"]["y"] == [NORMAL // 3]
    overview = open_page("overview")
    text = text_of(overview)
    assert "1 open anomaly" in text
    finding = literal(f"volume.target_rows is {NORMAL // 3:,}, usually")
    assert finding in text  # the card's lead says which number and its usual range
