"""Is anybody watching? The scheduler's heartbeat in plain words, on Overview and Runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from dashboard import data
from dashboard.format import ago

# The scheduler beats every few seconds; a beat older than this means it is not running.
STALE_AFTER = timedelta(minutes=3)


def render_scheduler_health(config_path: str, now: datetime | None = None) -> None:
    """A warning when no scheduler runs or it stopped, an error when it ignores a broken monitor
    file, otherwise one quiet line."""
    status = data.scheduler_status(config_path)
    now = now or datetime.now(UTC)
    if status is None:
        st.warning(
            "No scheduler has reported yet: scheduled runs, “Run now” and alert delivery need "
            "`dxq schedule` running."
        )
        return
    if status.config_error:
        st.error(
            "The scheduler keeps running the previous configuration because the monitor file "
            f"has problems — fix them and it picks the file up by itself:\n\n{status.config_error}"
        )
    if status.state == "stopped" or now - status.last_tick_at > STALE_AFTER:
        st.warning(
            f"The scheduler is not running (last heard from {ago(status.last_tick_at, now)} on "
            f"{status.host}): nothing is checked on schedule until `dxq schedule` runs again."
        )
        return
    running = f" · running now: {', '.join(status.running)}" if status.running else ""
    st.caption(f"Scheduler on {status.host} last ticked {ago(status.last_tick_at, now)}{running}.")
