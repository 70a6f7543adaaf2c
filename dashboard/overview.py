"""Render the Overview page: health per integration, in plain words, for business owners."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import sign_in_bar
from dashboard.context import AppContext, app_context, check_systems, owner_names, side_label
from dashboard.data_age import MISMATCH_HELP
from dashboard.findings import SEVERITY_RANK, check_words, finding
from dashboard.format import ago, as_datetime, badge, duration, literal, percent, status_word
from dashboard.landscape_view import SYSTEM_FILTER, apply_map_filter, render_map
from dashboard.navigation import page_file
from dashboard.scheduler_health import render_scheduler_health
from dashboard.sparkline import sparkline_svg
from dashboard.staleness import is_stale

INTEGRATION_PAGE = page_file("integration")
CHECK_PAGE = page_file("check")
# Severity and what was found come first so they stay on screen on a narrow window.
FAILING_COLUMNS = (
    "integration",
    "severity",
    "found",
    "records",
    "check",
    "status",
    "owner",
    "since",
)

# Widths in pixels: a 1400 px window leaves the table 940 px (measured in Chromium), and the
# demo's longest texts need about 1,200, so what was found and the check get the room to be read
# whole in the first 940 px, and integration and severity stay pinned on the left while the
# status, owner and failing-since columns scroll in sideways.
FAILING_CONFIG: dict[str, Any] = {
    "integration": st.column_config.TextColumn("integration", width=105, pinned=True),
    "severity": st.column_config.TextColumn("severity", width=65, pinned=True),
    "found": st.column_config.TextColumn("what was found", width=420),
    "records": st.column_config.TextColumn("records", width=55),
    "check": st.column_config.TextColumn("check", width=250),
    "status": st.column_config.TextColumn("status", width=70),
    "owner": st.column_config.TextColumn("owner", width=300),
    "since": st.column_config.DatetimeColumn("failing since", format="YYYY-MM-DD HH:mm", width=115),
}


def render_overview() -> None:
    ctx = app_context()
    sign_in_bar(ctx.config)
    st.title("Data-exchange health")
    st.caption(
        "Can I trust the data flowing between our systems? One card per integration: "
        "its status, how fresh and how consistent its data is, and who owns it."
    )
    owners = sorted(ctx.config.owners)
    systems = sorted(ctx.config.systems)
    apply_map_filter()  # a system clicked on the map
    left, right = st.columns(2)
    chosen_owners = left.multiselect(
        "Owner",
        owners,
        key="owner",
        bind="query-params",
        placeholder="All owners",
    )
    chosen_systems = right.multiselect(
        "System", systems, key=SYSTEM_FILTER, bind="query-params", placeholder="All systems"
    )
    names = [
        name
        for name, integration in ctx.config.integrations.items()
        if (not chosen_owners or set(chosen_owners) & set(integration.owners))
        and (
            not chosen_systems
            or {integration.source.system, *(t.system for t in integration.all_targets)}
            & set(chosen_systems)
        )
    ]
    _live(ctx, tuple(names))


@st.fragment(run_every="60s")
def _live(ctx: AppContext, names: tuple[str, ...]) -> None:
    path = str(ctx.config_path)
    health = data.overview(path)
    daily = data.daily_health(path)
    failing = failing_table(ctx, data.failing_checks(path))
    now = datetime.now(UTC)
    rows = [card_row(ctx, name, health, now) for name in names]
    render_map(ctx, rows)

    statuses = [row["status"] for row in rows]
    k1, k2, k3, k4, k5 = st.columns(5)
    k1.metric("Healthy", sum(s in ("passed", "warned") for s in statuses))
    k2.metric("Failing", statuses.count("failed"))
    k3.metric("Cannot check", statuses.count("error"))
    k4.metric("Not reporting", sum(row["stale"] for row in rows))
    k5.metric("No runs yet", statuses.count(None))
    st.caption(
        f"Updated {now:%Y-%m-%d %H:%M} UTC · refreshes every minute · "
        "“not reporting” means the next scheduled run is overdue: its timeout and half a "
        "schedule gap have passed (the rule of the missed-run alert)"
    )
    render_scheduler_health(path, now)
    if not rows:
        st.info("No integration matches these filters.")
        return

    columns = st.columns(3)
    for i, row in enumerate(rows):
        with columns[i % 3]:
            found = failing[failing["integration"] == row["name"]]
            _card(row, daily[daily["integration"] == row["name"]], found, now)

    _failing_list(failing[failing["integration"].isin(names)])


def card_row(ctx: AppContext, name: str, health: pd.DataFrame, now: datetime) -> dict[str, Any]:
    """The facts one card shows, from the overview query and the monitor file."""
    integration = ctx.config.integrations[name]
    match = health[health["integration"] == name]
    latest = match.iloc[0].to_dict() if not match.empty else {}
    status = latest.get("worst_outcome")
    if latest.get("last_status") == "running":
        status = "running"
    last_run = as_datetime(latest.get("last_run_at"))
    return {
        "name": name,
        "description": integration.description or "",
        "flow": " → ".join(side_label(ctx.config, name, side) for side in ("source", "target")),
        "status": status if isinstance(status, str) else None,
        "stale": is_stale(integration, last_run, now),
        "schedule": integration.schedule,
        "last_run_at": last_run,
        "checks_total": int(latest.get("checks_total", 0) or 0),
        "checks_failing": int(latest.get("checks_failing", 0) or 0),
        "checks_erroring": int(latest.get("checks_erroring", 0) or 0),
        "open_alerts": int(latest.get("open_alerts", 0) or 0),
        "mismatch_rate": latest.get("mismatch_rate"),
        "mismatch_limit": integration.reconcile.max_mismatch_rate
        if integration.reconcile
        else None,
        "freshness_lag_s": latest.get("freshness_lag_s"),
        "max_age_s": integration.freshness.max_age if integration.freshness else None,
        "freshness_side": integration.freshness.side if integration.freshness else "target",
        "owners": owner_names(ctx.config, name),
    }


def failing_table(ctx: AppContext, failing: pd.DataFrame) -> pd.DataFrame:
    """The failing checks with what each found, its records affected and its plain name,
    most severe first, then most records affected, then longest failing."""
    if failing.empty:
        return failing.assign(found="", records=None, check_name="", owner="", status="")
    rows = []
    for row in failing.to_dict("records"):
        source, target = check_systems(ctx.config, row["integration"], row["check"])
        words = check_words(row["check"], row["kind"], row.get("metrics"), source, target)
        metrics, observed = row.get("metrics"), row.get("observed")
        found = finding(row["kind"], metrics, observed, source, target, words)
        rows.append({"found": found.words, "records": found.records, "check_words": words})
    extra = pd.DataFrame(rows, index=failing.index)
    table = failing.assign(
        found=extra["found"],
        records=extra["records"].astype("Int64"),
        check_name=failing["check"],
        check=extra["check_words"],
        rank=failing["severity"].map(SEVERITY_RANK).fillna(len(SEVERITY_RANK)),
        status=failing["outcome"].map(status_word),
        owner=failing["integration"].map(lambda name: owner_names(ctx.config, name)),
    )
    return table.sort_values(
        ["rank", "records", "since"], ascending=[True, False, True], na_position="last"
    ).reset_index(drop=True)


def _card(row: dict[str, Any], daily: pd.DataFrame, found: pd.DataFrame, now: datetime) -> None:
    with st.container(border=True):
        stale = (
            " :gray-badge[:material/schedule: Not reporting]"
            if row["stale"] and row["status"]
            else ""
        )
        st.markdown(f"**{row['name']}** &nbsp; {badge(row['status'])}{stale}")
        st.caption(f"{row['flow']} · {row['description']}")
        if row["status"] is None:
            st.write("No run has been recorded yet.")
        else:
            _findings(found)
            _anomalies(found)
            st.markdown(
                f"{row['checks_failing']} of {row['checks_total']} checks failing  \n"
                f"Mismatch rate **{percent(row['mismatch_rate'])}** · "
                f"{_against(row['mismatch_rate'], row['mismatch_limit'], percent)}  \n"
                f"Data age at the last run **{duration(row['freshness_lag_s'])}** · "
                f"{_against(row['freshness_lag_s'], row['max_age_s'], duration)}",
                help=f"Mismatch rate: {MISMATCH_HELP} Data age: how old the newest record on the "
                f"{row['freshness_side']} side was when the last run measured it "
                f"({ago(row['last_run_at'], now)}); it has grown since if nothing new arrived.",
            )
            if row["checks_erroring"]:
                st.write(f"{row['checks_erroring']} check(s) could not be evaluated")
            if not daily.empty:
                _spark(row["name"], daily)
        alerts = f"{row['open_alerts']} open alert(s)" if row["open_alerts"] else "no open alerts"
        st.caption(f"Owner: {row['owners']} · {alerts} · last run {ago(row['last_run_at'], now)}")
        st.page_link(
            INTEGRATION_PAGE,
            label=f"Open {row['name']}",
            icon=":material/open_in_new:",
            query_params={"integration": row["name"]},
        )


def _anomalies(found: pd.DataFrame) -> None:
    """The card's open anomalies: watched numbers outside their usual band at the last run
    (the findings above say which and by how much)."""
    count = len(open_anomalies(found))
    if count:
        word = "anomaly" if count == 1 else "anomalies"
        st.markdown(f":orange-badge[:material/monitoring: {count} open {word}]")


def open_anomalies(found: pd.DataFrame) -> list[str]:
    """The watched series of the failing checks in `found` that are anomalies, by name."""
    if found.empty or "kind" not in found:
        return []
    rows = found[found["kind"] == "anomaly"].to_dict("records")
    return [str((r.get("metrics") or {}).get("series") or r["check_name"]) for r in rows]


def _findings(found: pd.DataFrame) -> None:
    """The card's lead: what its failing checks found, worst first (at most three lines)."""
    if found.empty:
        st.markdown(":green[:material/check_circle:] **Nothing wrong found in the last run**")
        return
    lines = [literal(words) for words in found["found"].head(3) if words]
    more = len(found) - 3
    if more > 0:
        lines.append(f"and {more} more failing check(s)")
    st.markdown("  \n".join(f"**{line}**" for line in lines))


def _spark(name: str, daily: pd.DataFrame) -> None:
    """The 30-day pass-rate line with its latest and lowest values as text beside it."""
    rates = daily["pass_rate"]
    line, figures = st.columns([3, 2], vertical_alignment="center")
    with line:
        st.markdown(sparkline_svg(daily), unsafe_allow_html=True)  # our own SVG, no user text
    figures.caption(
        f"passing: latest **{percent(rates.iloc[-1], 1)}** · lowest {percent(rates.min(), 1)}"
    )
    st.caption("Share of check results passing per day, last 30 days")


def _against(value: Any, limit: float | None, show: Any) -> str:
    if limit is None:
        return "no limit set"
    if value is None or pd.isna(value):
        return f"limit {show(limit)}"
    mark = "over" if float(value) > limit else "within"
    return f"{':red[over]' if mark == 'over' else 'within'} limit {show(limit)}"


def _failing_list(table: pd.DataFrame) -> None:
    st.subheader("Failing checks")
    if table.empty:
        st.success("No check is failing. Every integration passed its last run.")
        return
    st.caption("Most severe first, then the most records affected.")
    shown = table.assign(records=table["records"].map(lambda n: "—" if pd.isna(n) else f"{n:,}"))
    event = st.dataframe(
        shown[list(FAILING_COLUMNS)],
        hide_index=True,
        width="stretch",
        key="failing",
        on_select="rerun",
        selection_mode="single-row",
        column_config=FAILING_CONFIG,
    )
    rows = event["selection"]["rows"] if event else []
    if rows:
        picked = table.iloc[rows[0]]
        st.page_link(
            CHECK_PAGE,
            label=f"Open {literal(picked['check'])} ({picked['integration']})",
            icon=":material/arrow_forward:",
            query_params={"integration": picked["integration"], "check": picked["check_name"]},
        )
    else:
        st.caption("Select a row to open that check.")
