"""Render the Runs page: run history with filters, and "Run now" with its progress."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import actions, data
from dashboard.access import sign_in_bar
from dashboard.context import AppContext, app_context
from dashboard.format import STATUS_BADGE, ago, status_word
from dashboard.scheduler_health import render_scheduler_health

# The filter offers the words the table shows.
RUN_STATUSES = {STATUS_BADGE[s][1]: s for s in ("passed", "warned", "failed", "error", "running")}


def render_runs() -> None:
    ctx = app_context()
    viewer = sign_in_bar(ctx.config)
    st.title("Runs")
    path = str(ctx.config_path)
    render_scheduler_health(path)
    names = list(ctx.config.integrations)
    a, b = st.columns(2)
    chosen = a.selectbox(
        "Integration", ["All", *names], key="runs_integration", bind="query-params"
    )
    statuses = b.multiselect(
        "Status",
        list(RUN_STATUSES),
        key="runs_status",
        bind="query-params",
        placeholder="Any status",
    )
    integration = None if chosen == "All" else str(chosen)
    if integration and not viewer.may_run():
        st.caption("Only owners, on-call and maintenance may run an integration now.")
    elif integration and st.button(f":material/play_arrow: Run {integration} now", type="primary"):
        try:
            request = actions.run_now(ctx.store, integration, viewer.actor)
        except actions.ActionFailed as exc:
            st.error(str(exc))
        else:
            st.session_state["dxq_request"] = request
            st.success(f"Queued request #{request}; the scheduler picks it up on its next tick.")
    if integration is None:
        st.caption("Choose an integration to run it now.")
    _progress(ctx, integration)
    runs = data.recent_runs(path, integration, 200)
    if statuses:
        runs = runs[runs["status"].isin([RUN_STATUSES[s] for s in statuses])]
    if runs.empty:
        st.info("No run matches these filters.")
        return
    st.dataframe(
        runs.assign(
            status=runs["status"].map(status_word),
            reason=runs["reason"].fillna(""),
            host=runs["host"].fillna(""),
        )[list(RUN_COLUMNS)],
        hide_index=True,
        width="stretch",
        column_config=RUN_COLUMNS,
    )


RUN_COLUMNS: dict[str, Any] = {
    "run_id": st.column_config.NumberColumn("run", format="#%d"),
    "integration": "integration",
    "started_at": st.column_config.DatetimeColumn("started (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "trigger": "trigger",
    "status": "status",
    "duration_s": st.column_config.NumberColumn("seconds", format="%.1f"),
    "checks_total": st.column_config.NumberColumn("checks"),
    "checks_failing": st.column_config.NumberColumn("failing"),
    "checks_erroring": st.column_config.NumberColumn("could not run"),
    "reason": st.column_config.TextColumn("reason", width="large"),
    "host": "host",
}


@st.fragment(run_every="3s")
def _progress(ctx: AppContext, integration: str | None) -> None:
    requests = data.run_requests(str(ctx.config_path), integration)
    if requests.empty:
        return
    st.subheader("Run-now requests")
    words = {"queued": "queued", "running": "running", "done": "done"}
    now = datetime.now(UTC)
    for _, row in requests.head(5).iterrows():
        run = f" → run #{int(row['run_id'])}" if pd.notna(row["run_id"]) else ""
        st.write(
            f"#{row['id']} {row['integration']}: {words.get(row['status'], row['status'])}{run} · "
            f"asked by {row['requested_by']} {ago(row['requested_at'].to_pydatetime(), now)}"
        )
