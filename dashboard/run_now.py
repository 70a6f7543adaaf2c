"""The "Run now" button of the Check and Integration pages: queues a run request through
`monitor.actions.run_now` (the Runs page's rule: who may, who asked) and says where to follow
it."""

from __future__ import annotations

import streamlit as st

from dashboard.access import current_viewer
from dashboard.context import AppContext, app_context
from dashboard.flash import perform, show_flash
from dashboard.navigation import page_file
from monitor import actions

RUNS_PAGE = page_file("runs")


def run_now_button(ctx: AppContext, integration: str, *, key: str) -> None:
    """A button that asks the scheduler to run `integration` now, for those who may."""
    show_flash()
    viewer = current_viewer(ctx.config)
    if not viewer.may_run():
        st.caption("Only owners, on-call and maintenance may run an integration now.")
        return
    if st.button(f":material/play_arrow: Run {integration} now", key=key):
        perform(lambda: _queue(integration, viewer.actor))
    st.page_link(
        RUNS_PAGE,
        label="Follow run-now requests on the Runs page",
        icon=":material/play_circle:",
        query_params={"runs_integration": integration},
    )


def _queue(integration: str, actor: str) -> str:
    request = actions.run_now(app_context().store, integration, actor)
    return (
        f"Queued request #{request} to run {integration}; the scheduler picks it up on its "
        "next tick and the Runs page shows its progress."
    )
