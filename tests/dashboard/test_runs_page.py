"""The Runs page through AppTest on a copy of the demo store: history, filters, Run now."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from store.schema import run_requests
from tests.dashboard.support import open_page, text_of

pytestmark = pytest.mark.usefixtures("demo_dashboard")


def test_run_now_queues_a_request_and_shows_it(demo_dashboard: str) -> None:
    at = open_page("runs", actor="Dana On-Call")
    assert any("No scheduler" in w.value for w in at.warning) or "Scheduler last" in text_of(at)
    runs = at.dataframe[0].value
    assert not runs.empty and runs["integration"].nunique() > 1
    at.selectbox(key="runs_integration").select("orders").run()
    assert set(at.dataframe[0].value["integration"]) == {"orders"}
    next(b for b in at.button if "Run orders now" in b.label).click().run()
    assert not at.exception
    assert any("Queued request" in s.value for s in at.success)
    assert "queued" in " ".join(m.value for m in at.markdown)
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        assert c.execute(
            sa.select(run_requests.c.status).where(run_requests.c.integration == "orders")
        ).scalars().all() == ["queued"]
    engine.dispose()


def test_runs_status_filter_with_no_match_says_so() -> None:
    at = open_page("runs")
    at.multiselect(key="runs_status").select("Running").run()
    assert any("No run matches" in i.value for i in at.info)
