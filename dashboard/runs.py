"""Render the Runs page: run history with filters, and "Run now" with its progress."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import sign_in_bar
from dashboard.context import AppContext, app_context
from dashboard.format import STATUS_BADGE, ago, status_word
from dashboard.scheduler_health import render_scheduler_health
from dashboard.workers import render_workers
from monitor import actions

# The filter offers the words the table shows.
RUN_STATUSES = {STATUS_BADGE[s][1]: s for s in ("passed", "warned", "failed", "error", "running")}


def render_runs() -> None:
    ctx = app_context()
    viewer = sign_in_bar(ctx.config)
    st.title("Runs")
    path = str(ctx.config_path)
    render_scheduler_health(path)
    render_workers(ctx)
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
    _live(ctx, integration, tuple(RUN_STATUSES[s] for s in statuses))


LIVE_EVERY = "3s"  # how often the requests and the runs table are read again


@st.fragment(run_every=LIVE_EVERY)
def _live(ctx: AppContext, integration: str | None, statuses: tuple[str, ...]) -> None:
    """Run-now requests and the runs table, redrawn every few seconds without a reload: a
    request goes queued -> running -> done, and a running run shows what it waits for (its
    reason, e.g. a system that cannot be reached) until it ends."""
    path = str(ctx.config_path)
    requests = _progress(ctx, integration)
    runs = data.recent_runs(path, integration, 200)
    seen = tuple(requests["status"]) if not requests.empty else ()
    moving = "running" in set(runs["status"]) or any(s != "done" for s in seen)
    if moving or st.session_state.get("dxq_runs_seen") != seen:
        data.recent_runs.clear()  # the store changes under a live request or run: read it now
        runs = data.recent_runs(path, integration, 200)
    st.session_state["dxq_runs_seen"] = seen
    if statuses:
        runs = runs[runs["status"].isin(statuses)]
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


def _progress(ctx: AppContext, integration: str | None) -> pd.DataFrame:
    """The newest run-now requests and where they are; returns them (uncached)."""
    requests = data.run_requests(str(ctx.config_path), integration)
    if requests.empty:
        return requests
    st.subheader("Run-now requests")
    words = {"queued": "queued", "running": "running", "done": "done"}
    now = datetime.now(UTC)
    for _, row in requests.head(5).iterrows():
        run = f" → run #{int(row['run_id'])}" if pd.notna(row["run_id"]) else ""
        st.write(
            f"#{row['id']} {row['integration']}: {words.get(row['status'], row['status'])}{run} · "
            f"asked by {row['requested_by']} {ago(row['requested_at'].to_pydatetime(), now)}"
        )
    return requests
