"""The Integration page's latency trend: p50 and p95 of each run's latency check against its
SLA (checks/latency.py says what they measure)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from dashboard import data, trend_charts
from dashboard.context import AppContext
from dashboard.format import duration
from dashboard.vega_spec import Spec

LATENCY_HELP = (
    "How long a change made in the source takes to show in the target: each run measures the "
    "records changed within {window} before it; a record still waiting counts with its wait so far."
)


def latency_panel(ctx: AppContext, name: str, now: datetime) -> tuple[Spec, str] | None:
    """The trend and a line on the latest run, when the integration declares `latency` and a
    run has measured it (the page draws it among its other trends: vega_spec.stacked)."""
    latency = ctx.config.integrations[name].latency
    if latency is None:
        return None
    path = str(ctx.config_path)
    history = data.metric_history(path, name, "latency", ("p50_s", "p95_s", "waiting"))
    if history.empty:
        return None
    last = history.iloc[-1]
    waiting = 0 if pd.isna(last["waiting"]) else int(last["waiting"])
    caption = (
        f"Latency, latest run: p95 {duration(last['p95_s'])}, p50 {duration(last['p50_s'])}, "
        f"{waiting:,} record(s) still waiting. "
        + LATENCY_HELP.format(window=duration(latency.window))
    )
    return trend_charts.latency_chart(history, latency.max_p95, now=now), caption
