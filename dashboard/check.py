"""Render the Check page for on-call: what the check means, observed against expected, the
history, sample records, the query that reproduces them, and the alert with acknowledge."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from checks.anomaly.watch import SeriesKey
from dashboard import charts, data, sample
from dashboard.access import sign_in_bar
from dashboard.anomaly_view import render_watched
from dashboard.chart_view import show
from dashboard.context import AppContext, app_context, check_systems, owner_names, side_label
from dashboard.flash import perform, show_flash
from dashboard.format import ago, as_datetime, badge, duration, literal, status_word
from dashboard.integration import check_names, pick_integration
from dashboard.run_now import run_now_button
from monitor import actions
from monitor.access import Viewer
from store.drilldown import CheckDetail

MEANINGS = {
    "freshness": "Is the newest record on the {side} side recent enough?",
    "volume": "Do both systems hold about the same number of records?",
    "reconcile": "Do the records matched by key agree field by field between the two systems?",
    "references": "Does every referenced value exist in the other system?",
    "schema": "Are the columns and their types unchanged and compatible on both sides?",
    "latency": "Do changes made in the source reach the target quickly enough (p95)?",
    "expectation": "A data rule from a Great Expectations suite, checked on the {side} side.",
    "anomaly": "Is this number within what its own history makes usual?",
}
PENDING = (
    "Pending: the check failed, but the alert waits for {n} consecutive failures before it "
    "fires (and notifies anyone)."
)


def render_check() -> None:
    ctx = app_context()
    viewer = sign_in_bar(ctx.config)
    if not ctx.config.integrations:
        st.info("The monitor file declares no integrations yet.")
        return
    name = pick_integration(ctx)
    checks = data.latest_checks(str(ctx.config_path), name)
    if checks.empty:
        st.info(f"No check of {name} has run yet.")
        return
    names = list(checks["check"])
    asked = st.query_params.get("check")
    if asked is not None and asked not in names:
        st.error(f"{literal(name)} has no check named “{literal(asked)}” (or it never ran).")
    words = check_names(ctx, name, checks)  # plain names; the URL keeps the check's own
    index = names.index(asked) if asked in names else 0
    check = str(st.selectbox("Check", names, index=index, format_func=lambda c: words.get(c, c)))
    if st.query_params.get("check") != check:
        st.query_params["check"] = check
    detail = data.check_detail(str(ctx.config_path), name, check)
    if detail is None:
        st.info("This check has not run yet.")
        return
    show_flash()
    _summary(ctx, detail, words.get(check, check))
    run_now_button(ctx, detail.integration, key="run-now-check")
    _alert(ctx, viewer, detail)
    if detail.kind == "anomaly":  # the judged series with its band and the feedback buttons
        key = SeriesKey(str(detail.metrics.get("check")), str(detail.metrics.get("metric")))
        render_watched(ctx, viewer, detail.integration, datetime.now(UTC), only=key)
    _history(ctx, detail)
    _sample(ctx, detail)


def _summary(ctx: AppContext, d: CheckDetail, title: str) -> None:
    # Titled by the check's plain name (integration.check_names), not by its suite path and
    # expect_… name or its kind; the check's own name stays in the caption.
    st.title(literal(title))
    if title != d.check:
        what = "Suite and expectation" if d.kind == "expectation" else "Check"
        st.caption(f"{what}: {literal(d.check)}")
    st.markdown(
        f"{badge(d.outcome)} &nbsp; severity **{literal(d.severity)}** · "
        f"integration **{literal(d.integration)}**"
    )
    side = result_side(ctx, d)
    shown = side_label(ctx.config, d.integration, side) if side else "checked"
    st.write(MEANINGS.get(d.kind, "A check of the data exchange.").format(side=shown))
    left, right = st.columns(2)
    with left.container(border=True):
        st.caption(f"Observed at the last run ({ago(as_datetime(d.result_at))})")
        st.markdown(f"**{literal(d.observed or '—')}**")
    with right.container(border=True):
        st.caption("Expected")
        st.markdown(f"**{literal(d.expected or '—')}**")
    if d.reason:
        (st.error if d.outcome == "error" else st.warning)(literal(d.reason))
    since = as_datetime(d.since)
    st.caption(
        f"In this state since {since:%Y-%m-%d %H:%M} UTC ({ago(since)}) · last checked "
        f"{ago(as_datetime(d.result_at))} in run #{d.run_id} · took {duration(d.duration_s)} · "
        f"owner: {owner_names(ctx.config, d.integration)}"
        if since
        else ""
    )


def pending_text(ctx: AppContext, integration: str) -> str:
    """What "pending" means for the alerts of `integration`."""
    return PENDING.format(n=ctx.config.integrations[integration].alert.after_failures)


def result_side(ctx: AppContext, d: CheckDetail) -> str | None:
    """The side a one-sided check measured: the result's own `side`, else (for results stored
    before checks recorded it) the side the monitor file gives the freshness check."""
    if d.side in ("source", "target"):
        return d.side
    integration = ctx.config.integrations[d.integration]
    if d.kind == "freshness" and integration.freshness is not None:
        return str(integration.freshness.side)
    return None


def _alert(ctx: AppContext, viewer: Viewer, d: CheckDetail) -> None:
    st.subheader("Alert")
    found = data.alerts(str(ctx.config_path), integration=d.integration, check=d.check)
    if found.empty:
        st.info("No alert has been raised for this check.")
        return
    alert = found.iloc[0]
    state = str(alert["state"])
    words = {
        "firing": ":material/notifications_active: Firing",
        "acknowledged": ":material/visibility: Acknowledged",
        "resolved": ":material/check_circle: Resolved",
        "pending": ":material/hourglass_top: Pending",
    }
    st.markdown(f"**{words.get(state, state)}** · opened {ago(as_datetime(alert['opened_at']))}")
    if state == "pending":
        st.caption(pending_text(ctx, d.integration))
    if state == "acknowledged":
        st.write(
            f"Acknowledged by **{literal(alert['acknowledged_by'])}** "
            f"{ago(as_datetime(alert['acknowledged_at']))}."
        )
    owners = list(ctx.config.integrations[d.integration].owners)
    if state == "firing" and not viewer.actor:
        st.caption("Type your name in the sidebar to acknowledge.")
    if state == "firing":
        if not viewer.may_respond(owners):
            st.caption(
                "Only the integration's owners, on-call and maintenance may acknowledge. "
                "Sign in to do so."
            )
        else:
            with st.form("acknowledge"):
                comment = st.text_input("Comment (optional)")
                if st.form_submit_button("Acknowledge", type="primary"):
                    perform(
                        lambda: actions.acknowledge(
                            app_context().store, int(alert["id"]), viewer.actor, comment
                        )
                    )
    if state != "resolved" and viewer.may_respond(owners):
        with st.expander("Silence this check"), st.form("silence"):
            hours = st.number_input("For how many hours", 1.0, 24.0 * 14, 4.0)
            why = st.text_input("Why (required)")
            if st.form_submit_button("Silence"):
                perform(
                    lambda: actions.silence(
                        app_context().store,
                        {"integration": d.integration, "check": d.check},
                        float(hours),
                        viewer.actor,
                        why,
                    )
                )
    history = data.alert_history(str(ctx.config_path), int(alert["id"]))
    if not history.empty:
        with st.expander(f"Alert history ({len(history)} events, who did what)"):
            st.dataframe(
                history.assign(detail=history["detail"].map(_detail_text))[
                    ["at", "actor", "event", "detail"]
                ],
                hide_index=True,
                width="stretch",
            )


def _history(ctx: AppContext, d: CheckDetail) -> None:
    """The recent results: counted in the expander's label, drawn once it is opened (the
    chart alone would cost a page opened from an alert link Plotly's whole bundle, see
    dashboard/chart_view.py); `?history=true` in the URL opens it."""
    history = data.check_history(str(ctx.config_path), d.integration, d.check)
    if history.empty:
        return
    section = st.expander(
        history_label(history), key="history", bind="query-params", icon=":material/timeline:"
    )
    if section.open:
        show(charts.history_strip(history), key="history-strip", where=section)


def history_label(history: pd.DataFrame) -> str:
    """ "Recent results: 30 runs, 18 Failing, 12 Healthy (newest 6 Dec 14:00 UTC)"."""
    counts = history["outcome"].value_counts()
    parts = ", ".join(f"{n} {status_word(str(outcome))}" for outcome, n in counts.items())
    newest = as_datetime(history["created_at"].max())
    when = f" (newest {newest:%-d %b %H:%M} UTC)" if newest else ""
    return f"Recent results: {len(history)} runs, {parts}{when}"


def _sample(ctx: AppContext, d: CheckDetail) -> None:
    st.subheader("Sample records")
    if not d.sample:
        st.caption("No sample was kept for this result (nothing failed, or the check keeps none).")
    else:
        source, target = check_systems(ctx.config, d.integration, d.check)
        table = sample.sample_table(d.sample, source, target)
        if d.kind == "reconcile":
            st.caption(
                f"Each field's value in {source} and in {target}; the fields that differ are "
                f"named in “differs in” and shaded. {sample.MISSING} = the record is not in "
                f"that system, {sample.EMPTY} = the field holds no value. Fields marked pii "
                "are masked."
            )
        else:
            st.caption(
                f"Some of the records that break the rule. {sample.EMPTY} = the field holds no "
                "value. Fields marked pii are masked."
            )
        st.dataframe(sample.styled(table, source, target), hide_index=True, width="stretch")
    queries = reproduce_queries(ctx, d)
    if queries:
        st.subheader("Reproduce")
        st.caption("Run these on the named system to see the records (copy button at the right).")
        for where, query in queries:
            st.markdown(f"Run on **{where}**")
            st.code(query, language="sql", wrap_lines=True)


def reproduce_queries(ctx: AppContext, d: CheckDetail) -> list[tuple[str, str]]:
    """(where to run it, query) pairs: both sides when the result carries per-side queries,
    else the one query on the side it targets."""
    per_side = d.metrics.get("queries")
    if isinstance(per_side, dict):
        found = [
            (_where(ctx, d, side), str(per_side[side]))
            for side in ("source", "target")
            if per_side.get(side)
        ]
        if found:
            return found
    if not d.query:
        return []
    return [(_where(ctx, d, _query_side(ctx, d)), d.query)]


def _query_side(ctx: AppContext, d: CheckDetail) -> str:
    side = result_side(ctx, d)
    if side is not None:
        return side
    # Reconcile and the two-sided checks select on the target unless it is exported files.
    system = ctx.config.systems.get(check_systems(ctx.config, d.integration, d.check)[1])
    return "source" if system is not None and system.url is None else "target"


def _where(ctx: AppContext, d: CheckDetail, side: str) -> str:
    systems = check_systems(ctx.config, d.integration, d.check)
    return f"{systems[0] if side == 'source' else systems[1]} ({side})"


def _detail_text(detail: object) -> str:
    if isinstance(detail, dict):
        return ", ".join(f"{k}: {v}" for k, v in detail.items())
    return "" if detail is None else str(detail)
