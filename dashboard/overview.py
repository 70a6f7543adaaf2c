"""Render the Overview page: health per integration, in plain words, for business owners."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.context import AppContext, app_context
from dashboard.format import ago, badge, duration, percent, status_word


def render_overview() -> None:
    ctx = app_context()
    st.title("Data-exchange health")
    st.caption(
        "Can I trust the data flowing between our systems? One card per integration: "
        "its status, how fresh and how consistent its data is, and who owns it."
    )
    _live(ctx)


@st.fragment(run_every="60s")
def _live(ctx: AppContext) -> None:
    path = str(ctx.config_path)
    health = data.overview(path)
    failing = data.failing_checks(path)
    now = datetime.now(UTC)
    rows = [_card_row(ctx, name, health) for name in ctx.config.integrations]

    statuses = [row["status"] for row in rows]
    k1, k2, k3, k4 = st.columns(4)
    k1.metric("✅ Healthy", sum(s in ("passed", "warned") for s in statuses))
    k2.metric("❌ Failing", statuses.count("failed"))
    k3.metric("⛔ Cannot check", statuses.count("error"))
    k4.metric("❔ No runs yet", statuses.count(None))
    st.caption(f"Updated {now:%Y-%m-%d %H:%M} UTC · refreshes every minute")

    columns = st.columns(3)
    for i, row in enumerate(rows):
        with columns[i % 3]:
            _card(row, now)

    st.subheader("Failing checks")
    if failing.empty:
        st.success("No check is failing. Every integration passed its last run.")
        return
    table = failing.assign(
        status=failing["outcome"].map(status_word),
        owner=failing["integration"].map(lambda name: _owner_names(ctx, name)),
    )
    st.dataframe(
        table[["integration", "check", "status", "severity", "observed", "since", "owner"]],
        hide_index=True,
        width="stretch",
        column_config={
            "since": st.column_config.DatetimeColumn("failing since", format="YYYY-MM-DD HH:mm"),
            "check": st.column_config.TextColumn("check", width="large"),
        },
    )


def _card_row(ctx: AppContext, name: str, health: pd.DataFrame) -> dict[str, Any]:
    integration = ctx.config.integrations[name]
    match = health[health["integration"] == name]
    latest = match.iloc[0].to_dict() if not match.empty else {}
    status = latest.get("status") if latest else None
    return {
        "name": name,
        "description": integration.description or "",
        "flow": f"{_side(integration.source)} → {_side(integration.target)}",
        "status": status if isinstance(status, str) else None,
        "last_run_at": latest.get("last_run_at"),
        "checks_total": latest.get("checks_total", 0),
        "checks_failing": latest.get("checks_failing", 0),
        "checks_erroring": latest.get("checks_erroring", 0),
        "mismatch_rate": latest.get("mismatch_rate"),
        "freshness_lag_s": latest.get("freshness_lag_s"),
        "owners": _owner_names(ctx, name),
    }


def _card(row: dict[str, Any], now: datetime) -> None:
    with st.container(border=True):
        st.markdown(f"**{row['name']}** &nbsp; {badge(row['status'])}")
        st.caption(f"{row['flow']} · {row['description']}")
        if row["status"] is None:
            st.write("No run has been recorded yet.")
        else:
            a, b, c = st.columns(3)
            a.metric("Failing checks", f"{row['checks_failing']} of {row['checks_total']}")
            b.metric("Mismatch rate", percent(row["mismatch_rate"]))
            c.metric("Data age", duration(row["freshness_lag_s"]))
            if row["checks_erroring"]:
                st.write(f"⛔ {row['checks_erroring']} check(s) could not be evaluated")
        last = row["last_run_at"]
        st.caption(f"Owner: {row['owners']} · last run {ago(_as_dt(last), now)}")


def _side(ref: Any) -> str:
    if getattr(ref, "table", None):
        return f"{ref.system}.{ref.table}"
    return f"{ref.system} (query)" if getattr(ref, "query", None) else str(ref.system)


def _owner_names(ctx: AppContext, integration: str) -> str:
    owners = ctx.config.integrations[integration].owners
    names = [ctx.config.owners[o].name or o if o in ctx.config.owners else o for o in owners]
    return ", ".join(names) or "nobody"


def _as_dt(value: Any) -> datetime | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value if isinstance(value, datetime) else None
