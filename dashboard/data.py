"""Cached reads for the pages: thin `st.cache_data` wrappers over store.queries (SQL aggregates).
The TTL is short because the scheduler writes new results continuously."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context import app_context
from store import queries

TTL = "30s"


@st.cache_data(ttl=TTL, show_spinner=False)
def overview(config_path: str) -> pd.DataFrame:
    return queries.overview(app_context().store)


@st.cache_data(ttl=TTL, show_spinner=False)
def failing_checks(config_path: str) -> pd.DataFrame:
    return queries.failing_checks(app_context().store)
