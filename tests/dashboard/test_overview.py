"""The Overview page through Streamlit's AppTest, on the demo's real recorded history."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.mark.usefixtures("demo_dashboard")
def test_overview_shows_every_integration_and_the_failing_checks() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Data-exchange health"
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["❌ Failing"]) >= 1
    text = " ".join(md.value for md in at.markdown)
    for name in ("product-catalog", "stock-levels", "orders", "customers", "payments"):
        assert name in text
    failing = at.dataframe[0].value
    assert not failing.empty
    assert {"integration", "check", "status", "owner"} <= set(failing.columns)
    assert (failing["owner"] != "nobody").all()
    assert failing["status"].str.contains("Failing|Warning|Cannot check").all()


def test_a_broken_monitor_file_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "dxq.yml"
    bad.write_text("version: 1\nintegrations: {x: {source: nowhere.t, target: nowhere.u}}\n")
    monkeypatch.setenv("DXQ_CONFIG", str(bad))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "nowhere" in at.error[0].value
    assert f"{bad}:2" in at.error[0].value


def test_an_empty_store_says_no_runs_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    sqlite3.connect(tmp_path / "sys.db").execute("create table t (id integer)").connection.close()
    config = tmp_path / "dxq.yml"
    config.write_text(
        f"version: 1\nstore: sqlite:///{tmp_path}/results.db\n"
        "systems: {s: {url: 'sqlite:///sys.db'}}\n"
        "integrations: {flow: {source: s.t, target: s.t, key: id}}\n"
    )
    monkeypatch.setenv("DXQ_CONFIG", str(config))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert labels["❔ No runs yet"] == "1"
    assert any("No run has been recorded yet" in md.value for md in at.markdown)
