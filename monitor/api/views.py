"""The API's JSON documents, built from the store's reads (the dashboard's queries): one row
of a DataFrame becomes one plain dict with ISO timestamps and no NaN."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from monitor.config.model import Config
from store import activity, alert_lists, health
from store.store import ResultStore

# The columns the API publishes, under the names it publishes them as.
_INTEGRATION = {
    "worst_outcome": "status",
    "last_run_at": "last_run_at",
    "mismatch_rate": "mismatch_rate",
    "freshness_lag_s": "freshness_lag_s",
    "open_alerts": "open_alerts",
}
_CHECK = {
    "check": "check",
    "kind": "kind",
    "outcome": "outcome",
    "severity": "severity",
    "observed": "observed",
    "expected": "expected",
    "side": "side",
    "since": "since",
    "result_at": "result_at",
}
_RUN = {
    "run_id": "id",
    "trigger": "trigger",
    "status": "status",
    "started_at": "started_at",
    "finished_at": "finished_at",
    "duration_s": "duration_s",
    "reason": "reason",
    "host": "host",
    "checks_total": "checks_total",
    "checks_failing": "checks_failing",
    "checks_erroring": "checks_erroring",
}
_ALERT = {
    "id": "id",
    "integration": "integration",
    "check": "check",
    "kind": "kind",
    "severity": "severity",
    "state": "state",
    "opened_at": "since",
    "summary": "summary",
    "acknowledged_by": "acknowledged_by",
    "resolved_at": "resolved_at",
}


def plain(value: Any) -> Any:
    """A JSON value: timestamps as ISO 8601 UTC, NaN/NaT as null, numpy scalars as Python."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows(frame: pd.DataFrame, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    kept = [c for c in columns if c in frame.columns]
    return [
        {columns[c]: plain(v) for c, v in zip(kept, row, strict=True)}
        for row in frame[kept].itertuples(index=False, name=None)
    ]


def integrations(config: Config, store: ResultStore) -> list[dict[str, Any]]:
    """Every integration of the monitor file with its latest state (status null: no runs)."""
    found = {r["integration"]: r for r in _rows(health.overview(store), _with_name(_INTEGRATION))}
    return [_integration(name, config, found.get(name)) for name in config.integrations]


def integration(config: Config, store: ResultStore, name: str) -> dict[str, Any]:
    """One integration with the latest result of each of its checks."""
    found = [
        r
        for r in _rows(health.overview(store), _with_name(_INTEGRATION))
        if r["integration"] == name
    ]
    doc = _integration(name, config, found[0] if found else None)
    doc["checks"] = _rows(health.latest_checks(store, name), _CHECK)
    return doc


def runs(store: ResultStore, name: str, limit: int) -> list[dict[str, Any]]:
    """The newest runs of one integration, newest first."""
    return _rows(activity.recent_runs(store, name, limit), _RUN)


def alerts(store: ResultStore, states: Iterable[str]) -> list[dict[str, Any]]:
    """Alerts in `states` (all when empty), newest first."""
    return _rows(alert_lists.alert_list(store, list(states) or None), _ALERT)


def _with_name(columns: Mapping[str, str]) -> dict[str, str]:
    return {"integration": "integration", **columns}


def _integration(name: str, config: Config, row: dict[str, Any] | None) -> dict[str, Any]:
    spec = config.integrations[name]
    doc: dict[str, Any] = {"name": name, "description": spec.description}
    for published in _INTEGRATION.values():
        doc[published] = row.get(published) if row else None
    doc["open_alerts"] = doc["open_alerts"] or 0
    doc["owners"] = list(spec.owners)
    return doc
