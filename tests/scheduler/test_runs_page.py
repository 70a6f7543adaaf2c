"""The Runs page follows a run-now request live (issue 12 item 10) and shows what a running run
waits for (issue 11 item 4): the table is redrawn from the store, not from a 30-second cache,
while a request or a run is in flight."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from store import scheduling
from store.store import ResultStore
from tests.scheduler.world import integration, make_source, write_monitor_file

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture
def page_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ResultStore]:
    url = f"sqlite:///{tmp_path}/results.db"
    systems = {"shop": {"url": make_source(tmp_path)}}
    config = write_monitor_file(tmp_path / "dxq.yml", url, systems, {"orders": integration()})
    monkeypatch.setenv("DXQ_CONFIG", str(config))
    st.cache_data.clear()
    st.cache_resource.clear()
    store = ResultStore.open(url)
    yield store
    store.dispose()
    st.cache_data.clear()
    st.cache_resource.clear()


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["runs_integration"] = "orders"
    at.switch_page("dashboard/pages/runs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest) -> pd.DataFrame:
    frame: pd.DataFrame = at.dataframe[0].value
    return frame


def _requests(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_a_run_now_request_is_followed_without_a_reload(page_store: ResultStore) -> None:
    now = datetime.now(UTC)
    first = page_store.begin_run("orders", now, "schedule")
    page_store.complete_run(first, now, [])
    request = scheduling.enqueue_run(page_store, "orders", "Dana", now)
    at = _page()
    assert f"#{request} orders: queued" in _requests(at)
    assert list(_table(at)["run_id"]) == [first]

    # the scheduler takes the request; the run waits for a system that cannot be reached
    assert scheduling.claim_requests(page_store, "orders") == [request]
    run_id = page_store.begin_run("orders", datetime.now(UTC), "request")
    waiting = "waiting for system 'erp' (refused); retry 1 of 4 in 0.5 s"
    assert scheduling.note_running(page_store, run_id, waiting)
    at.run()
    assert f"#{request} orders: running" in _requests(at)
    table = _table(at)
    assert list(table["run_id"]) == [run_id, first], "the new run shows at once"
    assert table["status"].iloc[0] == "Running" and table["reason"].iloc[0] == waiting

    page_store.complete_run(run_id, datetime.now(UTC), [])
    scheduling.finish_requests(page_store, [request], run_id)
    at.run()
    assert f"#{request} orders: done → run #{run_id}" in _requests(at)
    table = _table(at)
    assert table["status"].iloc[0] == "Healthy" and table["reason"].iloc[0] == ""


def test_the_requests_and_the_table_refresh_on_a_timer() -> None:
    from dashboard import runs

    source = inspect.getsource(runs)
    assert "@st.fragment(run_every=LIVE_EVERY)\ndef _live(" in source
    assert pd.Timedelta(runs.LIVE_EVERY) <= pd.Timedelta("5s")
