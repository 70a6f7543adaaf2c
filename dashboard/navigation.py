"""The dashboard's pages, in menu order (file pages, so AppTest.switch_page can reach them)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent / "pages"

PAGES = [
    st.Page(str(HERE / "overview.py"), title="Overview", icon="🏠", default=True),
]
