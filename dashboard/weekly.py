"""The "this week" summary on the pages: `store.weekly.week_summary` cached, and drawn as one
row of numbers per integration (the Integration page; the Overview may call `week_of` too)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.context import app_context
from monitor.week_words import healthy_text, mismatch_text, stale_text
from store.weekly import WEEK, week_summary

HELP = {
    "healthy": "Share of this week's finished runs in which every check passed.",
    "mismatch": "The highest mismatch rate any run measured this week.",
    "stale": (
        "The longest stretch this week during which the freshness check kept failing: from "
        "the first failing run to the next run that passed (or until now, while it lasts)."
    ),
    "alerts": "Alerts opened and alerts resolved in the last 7 days.",
}


@st.cache_data(ttl="1m", show_spinner=False)
def weekly(config_path: str, integrations: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The summary of the 7 days up to now of these integrations (every one for None)."""
    names = None if integrations is None else list(integrations)
    return week_summary(app_context().store, datetime.now(UTC), names, period=WEEK)


def week_of(config_path: str, integration: str) -> dict[str, Any] | None:
    """One integration's row of the summary, or None when it neither ran nor alerted."""
    frame = weekly(config_path, (integration,))
    rows = frame[frame["integration"] == integration]
    return None if rows.empty else dict(rows.iloc[0])


def render_week(config_path: str, integration: str) -> None:
    """The "This week" numbers of one integration, with what each means."""
    st.subheader("This week")
    row = week_of(config_path, integration)
    if row is None:
        st.info("No run and no alert in the last 7 days.")
        return
    a, b, c, d = st.columns(4)
    a.metric("Healthy runs", healthy_text(row), help=HELP["healthy"])
    a.caption(f"{row['healthy_runs']} of {row['runs']} runs")
    b.metric("Worst mismatch", mismatch_text(row), help=HELP["mismatch"])
    c.metric("Longest stale period", stale_text(row), help=HELP["stale"])
    if row["stale_now"]:
        c.caption("still stale at the last run")
    d.metric(
        "Alerts opened / resolved",
        f"{row['alerts_opened']} / {row['alerts_resolved']}",
        help=HELP["alerts"],
    )
