"""dxq dashboard: the router only. Pages live in dashboard/pages; start with `dxq dashboard`."""

import streamlit as st

from dashboard.navigation import pages
from store.errors import StoreError

st.set_page_config(page_title="dxq — data-exchange quality", page_icon="🔁", layout="wide")
try:
    st.navigation(pages()).run()
except StoreError as exc:  # the results database went away while the page was reading it
    st.error(f"dxq cannot read its results database: {exc}")
