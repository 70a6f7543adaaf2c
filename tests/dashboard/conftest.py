"""AppTest fixtures: the dashboard pointed at the session's demo store, caches cleared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st

from monitor.demo import DEMO_CONFIG


@pytest.fixture
def demo_dashboard(demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("DXQ_DEMO_DIR", "DXQ_STORE_URL"):
        monkeypatch.setenv(name, demo_env[name])
    monkeypatch.setenv("DXQ_CONFIG", str(DEMO_CONFIG))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
