"""Render the Integration page: one data flow's trends, checks, runs and mismatched keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from checks.anomaly.watch import SeriesKey
from dashboard import data, trend_charts
from dashboard.access import sign_in_bar
from dashboard.anomaly_view import render_watched, watched
from dashboard.chart_view import show
from dashboard.context import (
    AppContext,
    app_context,
    check_target,
    integration_facts,
    side_label,
)
from dashboard.data_age import AGE_HELP, MISMATCH_HELP, age_caption, age_label, data_age
from dashboard.findings import check_words
from dashboard.format import badge, duration, percent, record_key, status_word
from dashboard.golden_view import render_golden
from dashboard.latency_view import latency_panel
from dashboard.overview import CHECK_PAGE, card_row
from dashboard.run_now import run_now_button
from dashboard.runs import RUN_COLUMNS
from dashboard.vega_spec import Spec, stacked
from dashboard.weekly import render_week


def pick_integration(ctx: AppContext) -> str:
    """The integration named in the URL (`?integration=NAME`), or the one picked here."""
    names = list(ctx.config.integrations)
    asked = st.query_params.get("integration")
    if asked is not None and asked not in names:
        st.error(f"There is no integration named “{asked}” in {ctx.config_path.name}.")
    index = names.index(asked) if asked in names else 0
    choice = st.selectbox("Integration", names, index=index)
    if st.query_params.get("integration") != choice:
        st.query_params["integration"] = choice
    return str(choice)


def render_integration() -> None:
    ctx = app_context()
    viewer = sign_in_bar(ctx.config)
    if not ctx.config.integrations:
        st.info("The monitor file declares no integrations yet.")
        return
    name = pick_integration(ctx)
    st.title(name)
    now = datetime.now(UTC)
    above, trends, below = st.container(), st.container(), st.container()
    # The trends first, in their place: their chart reaches the browser at once, which then
    # loads Vega-Lite's chunk while the server reads the rest of the page (benchmarks/pages.py
    # measures the whole page; the page draws no Plotly chart, dashboard/vega_spec.py).
    with trends:
        _trends(ctx, name, now)
    with above:
        _headline(ctx, name, now)
        render_week(str(ctx.config_path), name)
        _checks(ctx, name)
        render_golden(ctx, name)  # with `targets`: which systems disagree with the golden record
    with below:
        render_watched(ctx, viewer, name, now)  # `anomalies:`: each series with its band
        _runs(ctx, name)
        _keys(ctx, name)


def _headline(ctx: AppContext, name: str, now: datetime) -> None:
    """Status, who and when in plain words, Run now, and the three headline numbers."""
    path = str(ctx.config_path)
    integration = ctx.config.integrations[name]
    row = card_row(ctx, name, data.overview(path), now)
    st.markdown(
        badge(row["status"])
        + (" :gray-badge[:material/schedule: Not reporting]" if row["stale"] else "")
    )
    st.caption(integration_facts(ctx.config, name))  # plain words: who holds the truth, when
    run_now_button(ctx, name, key="run-now-integration")
    if integration.description:
        st.write(integration.description)
    a, b, c = st.columns(3)
    a.metric("Mismatch rate", percent(row["mismatch_rate"]), help=MISMATCH_HELP)
    age = data_age(data.latest_checks(path, name))
    if age is None:
        b.metric("Data age", "—", help="This integration has no freshness check.")
    else:
        b.metric(
            age_label(side_label(ctx.config, name, age.side), age),
            duration(age.now_s(now)),
            help=AGE_HELP,
        )
        b.caption(age_caption(age, now))
    c.metric("Open alerts", row["open_alerts"])


def _runs(ctx: AppContext, name: str) -> None:
    st.subheader("Recent runs")
    runs = data.recent_runs(str(ctx.config_path), name, 20)
    if runs.empty:
        st.info("No run has been recorded yet.")
        return
    columns = {k: v for k, v in RUN_COLUMNS.items() if k not in ("integration", "host")}
    st.dataframe(
        runs.assign(status=runs["status"].map(status_word), reason=runs["reason"].fillna(""))[
            list(columns)
        ],
        hide_index=True,
        width="stretch",
        column_config=columns,
    )


def check_names(ctx: AppContext, name: str, checks: pd.DataFrame) -> dict[str, str]:
    """Each check's plain name (GX's own words for an expectation, the rule in words for dxq's
    checks). Two checks with the same words are told apart by the side they read ("sku values
    must be unique (pim.products)"); failing that, they keep their own names."""
    side_of = {s: side_label(ctx.config, name, s) for s in ("source", "target")}
    metrics = checks["metrics"] if "metrics" in checks else pd.Series([None] * len(checks))
    sides = checks["side"] if "side" in checks else pd.Series([None] * len(checks))
    rows = list(zip(checks["check"], checks["kind"], metrics, sides, strict=True))
    target_of = {check: check_target(ctx.config, name, check).label for check, *_ in rows}
    words = {  # a check of one of several targets names that target
        check: check_words(check, kind, m, side_of["source"], target_of[check])
        for check, kind, m, _ in rows
    }
    counts = pd.Series(list(words.values())).value_counts()
    for check, _, _, side in rows:
        if counts[words[check]] > 1 and side in side_of:
            words[check] = f"{words[check].rstrip('.')} ({side_of[side]})"
    counts = pd.Series(list(words.values())).value_counts()
    return {check: text if counts[text] == 1 else check for check, text in words.items()}


def _checks(ctx: AppContext, name: str) -> None:
    st.subheader("Checks")
    checks = data.latest_checks(str(ctx.config_path), name)
    if checks.empty:
        st.info("No check of this integration has run yet.")
        return
    names = check_names(ctx, name, checks)
    st.dataframe(
        checks.assign(
            rule=checks["check"].map(names),
            status=checks["outcome"].map(status_word),
            observed=checks["observed"].fillna("—"),
            expected=checks["expected"].fillna("—"),
        )[["rule", "status", "severity", "observed", "expected", "since", "check"]],
        hide_index=True,
        width="stretch",
        column_config={
            "rule": st.column_config.TextColumn("check", width="large"),
            # medium: at 1400 px the expectation stays in view beside what was observed
            "observed": st.column_config.TextColumn("observed", width="medium"),
            "expected": st.column_config.TextColumn("expected", width="medium"),
            "since": st.column_config.DatetimeColumn(
                "in this state since (UTC)", format="YYYY-MM-DD HH:mm"
            ),
            "check": st.column_config.TextColumn(
                "name in the monitor file", help="the check's name in results and alerts"
            ),
        },
    )
    bad = checks[checks["outcome"] != "passed"]
    for check in bad["check"].head(20):
        st.page_link(
            CHECK_PAGE,
            label=f"Investigate: {names[check]}",
            icon=":material/search:",
            query_params={"integration": name, "check": check},
        )


def _trends(ctx: AppContext, name: str, now: datetime) -> None:
    """The 30-day trends as one chart (vega_spec.stacked): mismatch rate, data age,
    latency, row counts (unless drawn with their bands under Watched numbers) and the pass
    rate per check, each a panel over the same days."""
    path = str(ctx.config_path)
    integration = ctx.config.integrations[name]
    trend = data.integration_trend(path, name)
    st.subheader("Last 30 days")
    if trend.empty:
        st.info("No daily history yet: trends appear after the first day of runs.")
        return
    figures: list[Spec] = []
    captions: list[str] = []
    reconcile = _across_targets(trend[trend["kind"] == "reconcile"])
    if not reconcile.empty:
        limit = integration.reconcile.max_mismatch_rate if integration.reconcile else None
        figures.append(
            trend_charts.trend_with_limit(
                reconcile, "avg_value", limit, "Mismatch rate", "%", percent, 100, now=now
            )
        )
    freshness = trend[trend["kind"] == "freshness"]
    if not freshness.empty:
        max_age = integration.freshness.max_age if integration.freshness else None
        age = data_age(data.latest_checks(path, name))
        side = age.side if age else "target"
        title = f"Data age, {side} ({side_label(ctx.config, name, side)})"
        figures.append(
            trend_charts.trend_with_limit(
                freshness, "avg_value", max_age, title, "hours", duration, 1 / 3600, now=now
            )
        )
    latency = latency_panel(ctx, name, now)
    if latency is not None:
        figures.append(latency[0])
        captions.append(latency[1])
    count_check = next((c for c in ("volume", "reconcile") if c in set(trend["check"])), None)
    banded = {SeriesKey(count_check or "", f"{side}_rows") for side in ("source", "target")}
    if count_check and banded <= set(watched(ctx, name)):
        captions.append("Row counts: drawn with their expected bands under Watched numbers below.")
    elif count_check:
        counts = data.row_counts(path, name, count_check)
        if not counts.empty:
            source, target = (side_label(ctx.config, name, s) for s in ("source", "target"))
            figures.append(trend_charts.row_count_chart(counts, source, target, now=now))
    names = check_names(ctx, name, data.latest_checks(path, name))
    figures.append(trend_charts.pass_rate_heatmap(trend, now=now, labels=names))
    show(stacked(figures), "trends")
    for caption in captions:
        st.caption(caption)


def _across_targets(days: pd.DataFrame) -> pd.DataFrame:
    """One row a day: with `targets`, each target's reconcile has its own daily rollup; the
    line is their mean and the worst of any target (one row a day already without)."""
    if days["check"].nunique() <= 1:
        return days
    return days.groupby("day", as_index=False).agg(
        avg_value=("avg_value", "mean"), max_value=("max_value", "max")
    )


def _keys(ctx: AppContext, name: str) -> None:
    st.subheader("Mismatched records")
    keys = data.mismatched_keys(str(ctx.config_path), name)
    if keys.empty:
        st.success("No record is mismatched between the two systems right now.")
        return
    st.caption(f"{len(keys)} record(s) differ, longest-standing first.")
    names = check_names(ctx, name, data.latest_checks(str(ctx.config_path), name))
    table = pd.DataFrame(
        {
            "key": keys["key"].map(record_key),
            "problem": keys["kind"].map(lambda k: str(k).replace("_", " ")),
            "fields": keys["fields"].map(
                lambda f: ", ".join(sorted(f)) if isinstance(f, dict) else ""
            ),
            "wrong for": keys["age_s"].map(duration),
            "first seen": keys["first_seen"],
            "check": keys["check"].map(lambda c: names.get(c, c)),  # in plain words
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "first seen": st.column_config.DatetimeColumn(
                "first seen (UTC)", format="YYYY-MM-DD HH:mm"
            ),
            "check": st.column_config.TextColumn("check", width="large"),
        },
    )
