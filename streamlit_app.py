"""dxq dashboard: the router only. Pages live in dashboard/pages; start with `dxq dashboard`."""

import streamlit as st

from dashboard.access import name_field, refuse_foreign_host
from dashboard.navigation import pages
from store.errors import StoreError

st.set_page_config(page_title="dxq — data-exchange quality", page_icon="🔁", layout="wide")
refuse_foreign_host()  # DNS rebinding: a local dashboard answers only to local names
try:
    page = st.navigation(pages())
    name_field()  # here, not in a page, so the name stays when the page changes
    page.run()
except StoreError as exc:  # the results database went away while the page was reading it
    st.error(f"dxq cannot read its results database: {exc}")
