"""dxq dashboard: the router only. Pages live in dashboard/pages; start with `dxq dashboard`."""

import streamlit as st

from dashboard.navigation import pages

st.set_page_config(page_title="dxq — data-exchange quality", page_icon="🔁", layout="wide")
st.navigation(pages()).run()
