"""The dashboard's pages, in menu order (file pages, so AppTest.switch_page can reach them).
The Suites page joins the menu once its file exists."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

HERE = Path(__file__).resolve().parent / "pages"


def page_file(name: str) -> str:
    """A page's file as an absolute path, for st.page_link: Streamlit reads a relative one from
    the directory of the script it was started with, which is the clone's root for
    streamlit_app.py but dashboard/entry/ for an installed dxq (monitor/commands/serving.py)."""
    return str(HERE / f"{name}.py")


def pages() -> list[StreamlitPage]:
    """The st.Page list for st.navigation."""
    found = [
        st.Page(str(HERE / "overview.py"), title="Overview", icon=":material/home:", default=True),
        st.Page(str(HERE / "integration.py"), title="Integration", icon=":material/sync_alt:"),
        st.Page(str(HERE / "check.py"), title="Check", icon=":material/search:"),
        st.Page(str(HERE / "alerts.py"), title="Alerts", icon=":material/notifications:"),
        st.Page(str(HERE / "runs.py"), title="Runs", icon=":material/play_circle:"),
    ]
    if (HERE / "suites.py").exists():
        found.append(st.Page(str(HERE / "suites.py"), title="Suites", icon=":material/edit_note:"))
    return found
