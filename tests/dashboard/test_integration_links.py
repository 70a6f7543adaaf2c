"""Deep links to the Integration page through AppTest, on a copy of the demo store (its
headline numbers are in test_integration_page.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from store.schema import latest_results
from tests.dashboard.support import open_page
from tests.dashboard.vega_read import titles

pytestmark = pytest.mark.usefixtures("demo_dashboard")


@pytest.fixture
def failing(demo_dashboard: str) -> pd.DataFrame:
    """The failing checks of the demo copy, by their stored names."""
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        frame = pd.DataFrame(
            c.execute(sa.select(latest_results).where(latest_results.c.outcome != "passed"))
            .mappings()
            .all()
        )
    engine.dispose()
    assert not frame.empty
    return frame


def _links(at: AppTest) -> list[str]:
    return [link.proto.query_string for link in at.get("page_link")]


def test_integration_deep_link_shows_trends_checks_and_mismatched_keys(
    failing: pd.DataFrame,
) -> None:
    name = failing[failing["check"] == "reconcile"].iloc[0]["integration"]
    at = open_page("integration", integration=name)
    assert at.title[0].value == name
    assert at.selectbox[0].value == name
    charts = at.get("vega_lite_chart")
    panels = titles(json.loads(charts[0].proto.spec))  # one chart, stacked panels
    assert len(panels) >= 3, panels  # mismatch trend, freshness/row counts, heatmap
    specs = " ".join(c.proto.spec for c in charts)
    assert "Mismatch rate" in specs and "Pass rate per check and day" in specs
    assert "limit" in specs  # the limit line's annotation
    checks, runs, keys = (d.value for d in at.dataframe[:3])
    assert set(failing[failing["integration"] == name]["check"]) <= set(checks["check"])
    assert not runs.empty
    assert not keys.empty and keys["wrong for"].str.len().gt(0).all()
    assert keys["check"].str.startswith("records agree").all(), set(keys["check"])  # plain words
    assert any("check=reconcile" in q for q in _links(at))


def test_unknown_integration_in_the_link_is_an_error_and_falls_back() -> None:
    at = open_page("integration", integration="no-such-flow")
    assert "no-such-flow" in at.error[0].value
    assert at.title[0].value == at.selectbox[0].value
