"""AppTest fixtures: the dashboard pointed at a private copy of the session's demo store (so
tests may acknowledge and silence), caches cleared before and after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from tests.dashboard.support import copy_store


@pytest.fixture
def demo_dashboard(
    demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """The environment of a dashboard on a copy of the demo; yields the copy's URL."""
    url = copy_store(demo_env["DXQ_STORE_URL"], tmp_path / "results.db")
    monkeypatch.setenv("DXQ_DEMO_DIR", demo_env["DXQ_DEMO_DIR"])
    monkeypatch.setenv("DXQ_STORE_URL", url)
    monkeypatch.setenv("DXQ_CONFIG", demo_env["DXQ_CONFIG"])  # the demo's copy
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()
