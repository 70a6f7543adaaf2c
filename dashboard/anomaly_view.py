"""Watched series on the Integration and Check pages: each drawn with the detector's expected
band and its anomalies marked, and, for a person who may respond (monitor/access.py), the
two words on a flagged value: "mark as expected" (it leaves the baseline) and "this is a
real problem", each with a reason (monitor/actions.py keeps who, why and when)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from checks.anomaly.watch import SeriesKey
from dashboard.band_chart import band_chart, value_text
from dashboard.chart_view import show
from dashboard.context import AppContext, app_context
from dashboard.flash import perform
from dashboard.format import literal
from dashboard.vega_spec import Spec, stacked
from monitor import actions
from monitor.access import Viewer
from monitor.run.plan import build_anomalies
from store import anomaly_feedback, series

POINTS = 2_000  # newest values read per series (the chart thins them to MAX_POINTS)
TTL = "30s"
HELP = (
    "The shaded band is what the detector expected from this series' own past (its usual "
    "level and its hour-of-day and day-of-week pattern); a marked value fell outside it."
)


def watched(ctx: AppContext, integration: str) -> tuple[SeriesKey, ...]:
    """The series the monitor file has the detector watch for `integration`."""
    spec = build_anomalies(ctx.config, ctx.config.integrations[integration])
    return spec.series if spec is not None else ()


@st.cache_data(ttl=TTL, show_spinner=False)
def _points(config_path: str, integration: str, check: str, metric: str) -> pd.DataFrame:
    return series.series_frame(app_context().store, integration, SeriesKey(check, metric), POINTS)


@st.cache_data(ttl=TTL, show_spinner=False)
def _verdicts(config_path: str, integration: str, check: str, metric: str) -> pd.DataFrame:
    key = SeriesKey(check, metric)
    return series.anomaly_frame(app_context().store, integration, key, POINTS)


@st.cache_data(ttl=TTL, show_spinner=False)
def _feedback(config_path: str, integration: str, check: str, metric: str) -> pd.DataFrame:
    said = anomaly_feedback.feedback_on(
        app_context().store, integration, [SeriesKey(check, metric)]
    )
    return pd.DataFrame(
        [(f.at, f.verdict, f.actor, f.comment, f.created_at) for f in said],
        columns=["at", "verdict", "actor", "comment", "created_at"],
    )


def render_watched(
    ctx: AppContext, viewer: Viewer, integration: str, now: datetime, only: SeriesKey | None = None
) -> None:
    """Every watched series of `integration` (or `only` that one) with its band and its
    anomalies, one figure a panel a series, then each one's feedback buttons."""
    keys = (only,) if only is not None else watched(ctx, integration)
    if not keys:
        return
    st.subheader("Watched numbers")
    st.caption(HELP)
    path = str(ctx.config_path)
    drawn: list[tuple[SeriesKey, pd.DataFrame]] = []
    figures: list[Spec] = []
    for key in keys:
        points = _points(path, integration, key.check, key.metric)
        if points.empty:
            st.caption(f"{key.name}: no value recorded yet.")
            continue
        verdicts = _verdicts(path, integration, key.check, key.metric)
        figures.append(band_chart(points, verdicts, key.name, now=now))
        drawn.append((key, verdicts))
    if figures:  # one chart, a panel a series (vega_spec.stacked)
        show(stacked(figures), "band-" + "-".join(key.name for key, _ in drawn))
    for key, verdicts in drawn:
        if verdicts.empty:
            st.caption(f"{key.name}: still learning, too little history for a verdict yet.")
            continue
        _feedback_form(ctx, viewer, integration, key, verdicts)


def flagged_points(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The anomalous verdicts, newest first."""
    found = verdicts[verdicts["outcome"].isin(["warned", "failed"])]
    return found.sort_values("at", ascending=False).reset_index(drop=True)


def _feedback_form(
    ctx: AppContext, viewer: Viewer, integration: str, key: SeriesKey, verdicts: pd.DataFrame
) -> None:
    flagged = flagged_points(verdicts)
    said = _feedback(str(ctx.config_path), integration, key.check, key.metric)
    if not said.empty:
        with st.expander(f"What people said about {key.name} ({len(said)})"):
            st.dataframe(said, hide_index=True, width="stretch")
    if flagged.empty:
        return
    owners = list(ctx.config.integrations[integration].owners)
    if not viewer.may_respond(owners):
        st.caption(
            "Only the integration's owners, on-call and maintenance may mark anomalies. "
            "Sign in to do so."
        )
        return
    with st.form(f"feedback-{key.name}"):
        labels = [
            f"{row['at']:%Y-%m-%d %H:%M} UTC: {value_text(row['value'])}"
            f" (score {row['score']:+.1f})"
            for row in flagged.to_dict("records")
        ]
        index = st.selectbox(
            f"Anomaly of {literal(key.name)}",
            range(len(labels)),
            format_func=lambda i: labels[i],
        )
        why = st.text_input("Why (required)", key=f"why-{key.name}")
        left, right = st.columns(2)
        expected = left.form_submit_button("Mark as expected")
        real = right.form_submit_button("This is a real problem", type="primary")
    if expected or real:
        at = pd.Timestamp(flagged.loc[int(index or 0), "at"]).to_pydatetime()
        verdict = anomaly_feedback.EXPECTED if expected else anomaly_feedback.REAL
        perform(
            lambda: actions.mark_point(
                app_context().store, integration, key, at, verdict, viewer.actor, why
            )
        )
