"""The dashboard's router: st.navigation over dashboard/pages. Streamlit runs a script from top
to bottom on every rerun, so the scripts it is started with (dashboard/entry/streamlit_app.py
for `dxq dashboard`, the clone's streamlit_app.py) call `main()` each time."""

from __future__ import annotations

import streamlit as st

from dashboard.access import name_field, refuse_foreign_host
from dashboard.navigation import pages
from store.errors import StoreError


def main() -> None:
    """Draw one run of the dashboard: page setup, the host check, the menu and the page."""
    st.set_page_config(page_title="dxq — data-exchange quality", page_icon="🔁", layout="wide")
    refuse_foreign_host()  # DNS rebinding: a local dashboard answers only to local names
    try:
        page = st.navigation(pages())
        name_field()  # here, not in a page, so the name stays when the page changes
        page.run()
    except StoreError as exc:  # the results database went away while the page was reading it
        st.error(f"dxq cannot read its results database: {exc}")
