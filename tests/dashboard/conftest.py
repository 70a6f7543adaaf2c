"""AppTest fixtures: the dashboard pointed at a private copy of the session's demo store (so
tests may acknowledge and silence), caches cleared before and after."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from demo.command import DEMO_CONFIG

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def copy_store(url: str, target: Path) -> str:
    """A SQLite copy of the demo's results store (the backup API copies WAL content too)."""
    source = sa.make_url(url).database
    assert source, url
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@pytest.fixture
def demo_dashboard(
    demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """The environment of a dashboard on a copy of the demo; yields the copy's URL."""
    url = copy_store(demo_env["DXQ_STORE_URL"], tmp_path / "results.db")
    monkeypatch.setenv("DXQ_DEMO_DIR", demo_env["DXQ_DEMO_DIR"])
    monkeypatch.setenv("DXQ_STORE_URL", url)
    monkeypatch.setenv("DXQ_CONFIG", str(DEMO_CONFIG))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(
    page: str | None = None, *, actor: str | None = None, **params: str | list[str]
) -> AppTest:
    """Run the app on `page` (a file under dashboard/pages) with these query parameters, the
    sidebar's "Your name" filled with `actor` when given."""
    at = AppTest.from_file(APP, default_timeout=60)
    if actor is not None:
        at.session_state["dxq_actor"] = actor
    for name, value in params.items():
        at.query_params[name] = value
    if page is not None:
        at.switch_page(f"dashboard/pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text_of(at: AppTest) -> str:
    """Every markdown, caption and title text of the page, joined."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return " ".join([*parts, *(t.value for t in at.title)])
