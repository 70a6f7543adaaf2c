"""Helpers shared by the dashboard's AppTest modules and the browser tests: a copy of the demo
store, a page run as the local user or as a visitor of a dashboard with sign-in, and the
page's text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback"}


def copy_store(url: str, target: Path) -> str:
    """A SQLite copy of the demo's results store (the backup API copies WAL content too)."""
    source = sa.make_url(url).database
    assert source, url
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


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


def open_signed_in(page: str, user: dict[str, object], **params: str) -> AppTest:
    """Run `page` of a dashboard with sign-in configured, as `user` (st.user's fields)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(f"dashboard/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text_of(at: AppTest) -> str:
    """Every markdown, caption and title text of the page, joined."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return " ".join([*parts, *(t.value for t in at.title)])
