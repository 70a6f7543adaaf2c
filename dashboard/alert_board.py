"""Render the Alerts page: open, acknowledged, resolved and silenced alerts with their owners
and timings, notification delivery with dead letters, silences, and the route tester."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from alerts.alert import ALL_CHECKS
from alerts.matcher import LABELS, describe, split_matchers
from alerts.message import check_words, kind_words
from alerts.silence import Silence
from dashboard import data
from dashboard.access import sign_in_bar
from dashboard.context import AppContext, app_context, owner_names
from dashboard.flash import perform, show_flash
from dashboard.format import duration, literal
from dashboard.integration import check_names
from dashboard.overview import CHECK_PAGE, INTEGRATION_PAGE
from monitor import actions
from monitor.access import Viewer
from monitor.commands.alerts import explain_labels
from monitor.run.alert_context import alert_context
from store import alert_state

STATES = ["firing", "acknowledged", "pending", "resolved", "silenced"]
OPEN_STATES = ("firing", "acknowledged", "pending")
DELIVERY_COLUMNS: dict[str, Any] = {
    "id": st.column_config.NumberColumn("notification", format="#%d"),
    "last_error": st.column_config.TextColumn("last error", width="large"),
    "created_at": st.column_config.DatetimeColumn("created (UTC)", format="YYYY-MM-DD HH:mm"),
    "sent_at": st.column_config.DatetimeColumn("sent (UTC)", format="YYYY-MM-DD HH:mm"),
}


def render_alerts() -> None:
    ctx = app_context()
    viewer = sign_in_bar(ctx.config)
    st.title("Alerts")
    show_flash()
    st.caption("Every open problem, who owns it and whether someone is on it.")
    path = str(ctx.config_path)
    now = datetime.now(UTC)
    silences = _active_silences(ctx, now)
    _kpis(path, silences, now)
    a, b, c = st.columns([2, 2, 1])
    states = a.multiselect(
        "State", STATES, default=["firing", "acknowledged"], key="state", bind="query-params"
    )
    a.caption(
        "Pending: the check failed, but its alert waits for the integration's number of "
        "consecutive failures (`alert: after_failures`) before it fires."
    )
    owners = b.multiselect(
        "Owner",
        sorted(ctx.config.owners),
        key="alert_owner",
        bind="query-params",
        placeholder="All owners",
    )
    mine = c.toggle("Mine", key="mine", help="Alerts of integrations you own or acknowledged.")
    alerts = _alerts(ctx, viewer, states, owners, mine)
    alerts["silenced"] = [
        state != "resolved" and any(s.covers(_labels(labels), now) for s in silences)
        for state, labels in zip(alerts["state"], alerts["labels"], strict=True)
    ]
    if states and "silenced" in states:
        keep = alerts["state"].isin(states) | alerts["silenced"]
        alerts = alerts[keep]
    alerts["owner"] = [
        owner_names(ctx.config, i) if i in ctx.config.integrations else "—"
        for i in alerts["integration"]
    ]
    _table(alerts, _check_names(ctx, alerts))
    tabs = st.tabs(["Delivery", "Silences", "Route tester"])
    with tabs[0]:
        _delivery(ctx, viewer, path)
    with tabs[1]:
        _silences(ctx, viewer, silences)
    with tabs[2]:
        _route_tester(ctx)


def _labels(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _active_silences(ctx: AppContext, now: datetime) -> list[Silence]:
    with ctx.store.reading() as connection:
        return alert_state.active_silences(connection, now)


def _kpis(path: str, silences: list[Silence], now: datetime) -> None:
    """Counts and mean times over all alerts, computed in SQL."""
    stats = data.alert_stats(path)
    silenced = sum(
        any(s.covers(labels, now) for s in silences)
        for labels in (data.open_alert_labels(path) if silences else [])
    )
    k = st.columns(6)
    k[0].metric("Firing", int(stats["firing"] or 0))
    k[1].metric("Acknowledged", int(stats["acknowledged"] or 0))
    k[2].metric("Pending", int(stats["pending"] or 0))
    k[3].metric("Silenced", silenced)
    k[4].metric(
        "Mean time to ack",
        duration(stats["to_ack"]),
        help="Mean time to acknowledge: from an alert's opening to someone taking it.",
    )
    k[5].metric("Mean time to resolve", duration(stats["to_resolve"]))


def _alerts(
    ctx: AppContext, viewer: Viewer, states: list[str], owners: list[str], mine: bool
) -> pd.DataFrame:
    """The newest 500 alerts matching the filters, filtered in SQL (silenced: open states)."""
    wanted = [s for s in states if s != "silenced"]
    if "silenced" in states:
        wanted = sorted(set(wanted) | set(OPEN_STATES))
    integrations: set[str] | None = None
    if owners:
        integrations = _owned(ctx, set(owners))
    frame = data.alerts(
        str(ctx.config_path),
        tuple(wanted),
        integrations=tuple(sorted(integrations)) if integrations is not None else None,
    ).copy()
    if mine:
        yours = _owned(ctx, set(viewer.owner_ids))
        keep = frame["integration"].isin(yours) | (frame["acknowledged_by"] == viewer.actor)
        frame = frame[keep].copy()
    return frame


def _owned(ctx: AppContext, who: set[str]) -> set[str]:
    return {name for name, spec in ctx.config.integrations.items() if who & set(spec.owners)}


def _check_names(ctx: AppContext, alerts: pd.DataFrame) -> pd.Series:
    """Each alert's check by its plain name, as the Integration page's Checks table names it
    (integration.check_names); a check that no longer runs keeps its own name, and a run
    that could not run at all is "the whole run" (alerts.message.check_words)."""
    path = str(ctx.config_path)
    names: dict[tuple[str, str], str] = {}
    for name in set(alerts["integration"]) & set(ctx.config.integrations):
        checks = data.latest_checks(path, name)
        if not checks.empty:
            names |= {(name, c): w for c, w in check_names(ctx, name, checks).items()}
    return pd.Series(
        [
            names.get((i, c), check_words(c))
            for i, c in zip(alerts["integration"], alerts["check"], strict=True)
        ],
        index=alerts.index,
        dtype=object,
    )


def _table(alerts: pd.DataFrame, names: pd.Series) -> None:
    if alerts.empty:
        st.success("No alert matches these filters.")
        return
    table = alerts.assign(
        check=names,
        kind=[
            kind_words(kind, _labels(labels).get("kind"))
            for kind, labels in zip(alerts["kind"], alerts["labels"], strict=True)
        ],
        state=alerts["state"] + alerts["silenced"].map(lambda s: " (silenced)" if s else ""),
        to_ack=alerts["to_acknowledge_s"].map(duration),
        to_resolve=alerts["to_resolve_s"].map(duration),
        acknowledged_by=alerts["acknowledged_by"].fillna("—"),
        summary=alerts["summary"].fillna(""),
    )
    st.dataframe(
        table[
            [
                "integration",
                "check",
                "kind",
                "severity",
                "state",
                "owner",
                "opened_at",
                "acknowledged_by",
                "to_ack",
                "to_resolve",
                "summary",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "to_ack": "time to acknowledge",
            "acknowledged_by": "acknowledged by",
            "to_resolve": "time to resolve",
            "check": st.column_config.TextColumn("check", width="large"),
            "kind": st.column_config.TextColumn("about"),
            "opened_at": st.column_config.DatetimeColumn("opened (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )
    for _, row in alerts[alerts["state"] != "resolved"].head(10).iterrows():
        if row["check"]:
            whole_run = row["check"] == ALL_CHECKS  # no check page: the integration's runs
            st.page_link(
                INTEGRATION_PAGE if whole_run else CHECK_PAGE,
                label=literal(f"{row['integration']} · {names[row.name]}"),
                icon=":material/search:",
                query_params={"integration": row["integration"]}
                | ({} if whole_run else {"check": row["check"]}),
            )


def _delivery(ctx: AppContext, viewer: Viewer, path: str) -> None:
    counts = data.delivery_counts(path)
    k = st.columns(4)
    k[0].metric("Waiting", counts["pending"] + counts["sending"])
    k[1].metric("Delivered", counts["sent"], help="Really handed to a channel.")
    k[2].metric("Dead letters", counts["dead"])
    if counts["recorded"]:
        k[3].metric(
            "Recorded (demo history)",
            counts["recorded"],
            help="Notifications of the demo's simulated history: recorded, never sent.",
        )
    retrying = _retrying(path) if counts["pending"] + counts["sending"] else pd.DataFrame()
    if not retrying.empty:
        st.warning(
            f"{len(retrying)} notification(s) failed and are being retried; the last error of "
            "each is below."
        )
        st.dataframe(
            retrying,
            hide_index=True,
            width="stretch",
            column_config={
                **DELIVERY_COLUMNS,
                "retrying": st.column_config.TextColumn("retrying", width="large"),
                "next_attempt_at": st.column_config.DatetimeColumn(
                    "next attempt (UTC)", format="YYYY-MM-DD HH:mm:ss"
                ),
            },
        )
    if not counts["dead"]:
        st.caption(
            "No notification has failed for good yet."
            if not retrying.empty
            else "No notification has failed for good."
        )
    else:
        st.warning("These notifications could not be delivered; maintenance has been alerted.")
        dead = data.deliveries(path, ("dead",))
        st.dataframe(
            dead[
                [
                    "id",
                    "integration",
                    "check",
                    "receiver",
                    "channel",
                    "attempts",
                    "last_error",
                    "created_at",
                ]
            ],
            hide_index=True,
            width="stretch",
            column_config=DELIVERY_COLUMNS,
        )
        if viewer.may_respond([]):
            left, right = st.columns([3, 1])
            chosen = left.selectbox(
                "Dead letter to send again (after fixing the channel)",
                dead["id"].tolist(),
                format_func=lambda i: _dead_label(dead, i),
                key="retry_id",
            )
            if right.button("Retry delivery", key="retry") and chosen is not None:
                perform(
                    functools.partial(actions.retry_delivery, ctx.store, int(chosen), viewer.actor)
                )
    recent = data.deliveries(path)
    if not recent.empty:
        st.caption("Newest notifications")
        st.dataframe(
            recent.assign(sent_at=_sent(recent))[
                [
                    "id",
                    "integration",
                    "receiver",
                    "channel",
                    "status",
                    "attempts",
                    "created_at",
                    "sent_at",
                ]
            ].head(50),
            hide_index=True,
            width="stretch",
            column_config={**DELIVERY_COLUMNS, "sent_at": "sent (UTC)"},
        )


def _sent(notifications: pd.DataFrame) -> pd.Series:
    """When each notification was really sent: "recorded, not sent" for the demo history's
    (status `recorded`), blank for one not sent yet."""
    sent = notifications["sent_at"].map(
        lambda at: "" if pd.isna(at) else f"{pd.Timestamp(at):%Y-%m-%d %H:%M}"
    )
    return sent.where(notifications["status"] != "recorded", "recorded, not sent")


def _retrying(path: str) -> pd.DataFrame:
    """Waiting notifications that failed at least once: "retrying: <the last error>"."""
    waiting = data.deliveries(path, ("pending", "sending"))
    failed = waiting[waiting["last_error"].notna() & (waiting["attempts"] > 0)]
    return failed.assign(retrying="retrying: " + failed["last_error"].astype(str))[
        ["id", "integration", "receiver", "channel", "attempts", "retrying", "next_attempt_at"]
    ]


def _silences(ctx: AppContext, viewer: Viewer, active: list[Silence]) -> None:
    if not active:
        st.caption("No silence is in force.")
    for silence in active:
        left, right = st.columns([5, 1])
        shown = describe(silence.matchers)
        left.markdown(  # matchers, author and comment are data: shown as typed
            f":material/notifications_off: **{literal(shown)}**"
            f" until {silence.ends_at:%Y-%m-%d %H:%M} UTC · "
            f"by {literal(silence.author)}: “{literal(silence.comment)}”"
        )
        if viewer.may_respond([]) and right.button("Expire", key=f"expire-{silence.id}"):
            perform(
                functools.partial(actions.expire, ctx.store, int(silence.id or 0), viewer.actor)
            )
    if not viewer.may_respond([]):
        return
    with st.form("new-silence"):
        st.markdown("**New silence**")
        a, b, c = st.columns(3)
        integration = a.selectbox(
            "Integration", ["", *ctx.config.integrations], key="silence_integration"
        )
        check = b.text_input("Check (empty: every check)", key="silence_check")
        severity = c.selectbox("Severity", ["", "critical", "error", "warning"])
        hours = st.number_input("Hours", 1.0, 24.0 * 30, 4.0)
        comment = st.text_input("Comment (required)", key="silence_comment")
        if st.form_submit_button("Create silence"):
            labels = {"integration": integration or "", "check": check, "severity": severity or ""}
            if not any(labels.values()):
                st.error("Choose at least an integration, a check or a severity.")
            else:
                perform(
                    lambda: actions.silence(ctx.store, labels, float(hours), viewer.actor, comment)
                )


def _route_tester(ctx: AppContext) -> None:
    st.caption(
        f"Who receives an alert with these labels? Labels: {', '.join(LABELS)}. Write "
        "label=value, separated by blanks; quote a value with blanks (check='row count')."
    )
    text = st.text_input(
        "Labels", placeholder="integration=orders severity=critical", key="route_labels"
    )
    if not text.strip():
        return
    answer = explain_labels(alert_context(ctx.config), split_matchers(text))
    if answer.problems:
        st.error("\n\n".join(literal(problem) for problem in answer.problems))
        return
    st.code("\n".join(answer.lines), language=None)
    for warning in answer.warnings:
        st.warning(warning)


def _dead_label(dead: pd.DataFrame, notification_id: object) -> str:
    row = dead[dead["id"] == notification_id].iloc[0]
    return f"#{notification_id} {row['integration']} → {row['receiver']} ({row['channel']})"
