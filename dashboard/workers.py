"""The celery executor's workers and queues on the Runs page, read as `dxq workers` reads them
(monitor/executor/fleet.py): name, host, queues, concurrency, last heartbeat, runs in flight
and state, then how many firings wait on each queue. A worker that stopped heart-beating is
red, with a line saying what becomes of its runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.context import AppContext
from dashboard.format import ago
from monitor.executor.app import BrokerUnreachable
from monitor.executor.fleet import STALE_S, WorkerState, queue_lengths, queue_names, worker_states

FLEET_EVERY = "5s"  # how often the heartbeats and queues are read again
STATE_WORDS = {"alive": "alive", "dead": "not heart-beating", "stopped": "stopped"}
DEAD_ROW = "background-color: #fde2e1; color: #a4161a"


def workers_frame(workers: list[WorkerState], now: datetime) -> pd.DataFrame:
    """One row per worker, in the page's words."""
    return pd.DataFrame(
        [
            {
                "worker": w.name,
                "host": w.host,
                "queues": ", ".join(w.queues),
                "concurrency": w.concurrency,
                "last heartbeat": ago(w.last_heartbeat, now),
                "runs in flight": w.in_flight,
                "state": STATE_WORDS.get(w.state, w.state),
            }
            for w in workers
        ],
        columns=[
            "worker", "host", "queues", "concurrency", "last heartbeat", "runs in flight", "state",
        ],
    )  # fmt: skip


def render_workers(ctx: AppContext, now: datetime | None = None) -> None:
    """The Workers section, redrawn every few seconds; nothing without `executor:`."""
    if ctx.config.executor is None:
        return
    st.subheader("Workers")
    _fleet(ctx, now)


@st.fragment(run_every=FLEET_EVERY)
def _fleet(ctx: AppContext, now: datetime | None) -> None:
    now = now or datetime.now(UTC)
    workers = worker_states(ctx.store, now)
    if not workers:
        st.warning(
            "No worker has reported: runs wait on the broker until `dxq worker` runs "
            "(executor: celery)."
        )
    else:
        frame = workers_frame(workers, now)
        dead = frame["state"] == STATE_WORDS["dead"]

        def red(row: pd.Series[Any]) -> list[str]:
            return [DEAD_ROW if dead[row.name] else ""] * len(row)

        st.dataframe(frame.style.apply(red, axis=1), hide_index=True, width="stretch")
        for w in workers:
            if w.state == "dead":
                st.error(
                    f"Worker {w.name} on {w.host} stopped heart-beating (last heard from "
                    f"{ago(w.last_heartbeat, now)}; a worker is dead after {STALE_S:.0f} s of "
                    f"silence): the {w.in_flight} run(s) it held are delivered again to a live "
                    "worker serving the same queues."
                )
    try:
        lengths = queue_lengths(ctx.config, queue_names(ctx.config, workers))
    except BrokerUnreachable as exc:
        st.warning(f"Queue lengths unknown: {exc}")
        return
    st.dataframe(
        pd.DataFrame({"queue": list(lengths), "waiting": list(lengths.values())}),
        hide_index=True,
    )
