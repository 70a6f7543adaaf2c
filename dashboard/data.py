"""Cached reads for the pages: thin `st.cache_data` wrappers over the store's reads
(store/health, trends, drilldown, activity, alert_lists: SQL aggregates). Keyed by the
monitor file's path, so two stores never share an entry; the TTL is short because the
scheduler writes new results continuously."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.context import app_context
from store import activity, alert_lists, drilldown, health, trends
from store.drilldown import CheckDetail

TTL = "30s"


@st.cache_data(ttl=TTL, show_spinner=False)
def overview(config_path: str) -> pd.DataFrame:
    return health.overview(app_context().store)


@st.cache_data(ttl=TTL, show_spinner=False)
def failing_checks(config_path: str) -> pd.DataFrame:
    return health.failing_checks(app_context().store)


@st.cache_data(ttl="5m", show_spinner=False)
def daily_health(config_path: str, days: int = 30) -> pd.DataFrame:
    return health.daily_health(app_context().store, days)


@st.cache_data(ttl=TTL, show_spinner=False)
def integration_trend(config_path: str, integration: str, days: int = 30) -> pd.DataFrame:
    return trends.integration_trend(app_context().store, integration, days)


@st.cache_data(ttl=TTL, show_spinner=False)
def row_counts(config_path: str, integration: str, check: str) -> pd.DataFrame:
    return trends.row_counts(app_context().store, integration, check)


@st.cache_data(ttl=TTL, show_spinner=False)
def metric_history(
    config_path: str, integration: str, check: str, names: tuple[str, ...]
) -> pd.DataFrame:
    return trends.metric_history(app_context().store, integration, check, names)


@st.cache_data(ttl=TTL, show_spinner=False)
def recent_runs(config_path: str, integration: str | None, limit: int = 50) -> pd.DataFrame:
    return activity.recent_runs(app_context().store, integration, limit)


@st.cache_data(ttl=TTL, show_spinner=False)
def mismatched_keys(config_path: str, integration: str, check: str | None = None) -> pd.DataFrame:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return drilldown.mismatched_keys(app_context().store, integration, check=check, now=now)


@st.cache_data(ttl=TTL, show_spinner=False)
def check_detail(config_path: str, integration: str, check: str) -> CheckDetail | None:
    return drilldown.check_detail(app_context().store, integration, check)


@st.cache_data(ttl=TTL, show_spinner=False)
def check_history(config_path: str, integration: str, check: str) -> pd.DataFrame:
    return trends.check_history(app_context().store, integration, check)


def alerts(
    config_path: str,
    states: tuple[str, ...] = (),
    integration: str | None = None,
    check: str | None = None,
    integrations: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Not cached: acknowledging must show at once."""
    return alert_lists.alert_list(
        app_context().store,
        states or None,
        integration=integration,
        integrations=integrations,
        check=check,
    )


def alert_stats(config_path: str) -> dict[str, float | None]:
    return alert_lists.alert_stats(app_context().store)


def open_alert_labels(config_path: str) -> list[dict[str, str]]:
    return alert_lists.open_alert_labels(app_context().store)


def alert_history(config_path: str, alert_id: int) -> pd.DataFrame:
    return alert_lists.alert_history(app_context().store, alert_id)


def silences(config_path: str) -> pd.DataFrame:
    return alert_lists.silence_list(app_context().store)


def deliveries(config_path: str, statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    return alert_lists.delivery_list(app_context().store, statuses or None)


def delivery_counts(config_path: str) -> dict[str, int]:
    return alert_lists.delivery_counts(app_context().store)


def run_requests(config_path: str, integration: str | None = None) -> pd.DataFrame:
    return activity.run_request_list(app_context().store, integration)


def scheduler_status(config_path: str) -> activity.SchedulerStatus | None:
    return activity.scheduler_status(app_context().store)


def clear() -> None:
    """Forget every cached read (after this session changed the store)."""
    st.cache_data.clear()


@st.cache_data(ttl=TTL, show_spinner=False)
def latest_checks(config_path: str, integration: str) -> pd.DataFrame:
    return health.latest_checks(app_context().store, integration)
