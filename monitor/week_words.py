"""The "this week" figures in words, shared by the dashboard's This week panel and the weekly
digest e-mail, so both say the same thing about the same row of `store.weekly.week_summary`.

Each function takes one row (a mapping with the summary's columns) and returns its text; a
figure that does not exist (no finished run, no reconcile result, no freshness check) is "—"."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from datasources.durations import format_duration
from datasources.percent import percent

NONE = "—"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def healthy_text(row: Mapping[str, Any]) -> str:
    """The share of the week's finished runs that were healthy: "86%"."""
    share = row["healthy_share"]
    return NONE if _missing(share) else percent(share, 0)


def stale_text(row: Mapping[str, Any]) -> str:
    """The longest stale period: "never stale", "2h 1m"."""
    seconds = row["longest_stale_s"]
    if _missing(seconds):
        return NONE
    return "never stale" if seconds == 0 else format_duration(float(seconds))


def mismatch_text(row: Mapping[str, Any]) -> str:
    """The worst mismatch rate measured: "0.5%"."""
    rate = row["worst_mismatch"]
    return NONE if _missing(rate) else percent(rate)


def runs_text(row: Mapping[str, Any]) -> str:
    """ "12 of 14 runs healthy"."""
    return f"{int(row['healthy_runs'])} of {int(row['runs'])} runs healthy"


def alerts_text(row: Mapping[str, Any]) -> str:
    """ "1 opened / 1 resolved"."""
    return f"{int(row['alerts_opened'])} opened / {int(row['alerts_resolved'])} resolved"


def healthy_all_week(row: Mapping[str, Any]) -> bool:
    """Every finished run of the week passed (and there was at least one)."""
    return int(row["runs"]) > 0 and int(row["healthy_runs"]) == int(row["runs"])
