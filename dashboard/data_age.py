"""The data age an integration's freshness check measured, in words that say what it is: the
side really measured (the check's own `side`, not an assumed target), the age at the last run
with that run's time, and the age now at most (the age then plus the time since, as nothing
newer may have arrived)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from dashboard.format import as_datetime, duration

MISMATCH_HELP = (
    "Share of the compared records that are missing on one side or differ in a compared "
    "field, at the last run (records still within the grace period are left out)."
)


@dataclass(frozen=True)
class DataAge:
    """What the latest freshness result says: `side` ("source" or "target") measured
    `at_run_s` seconds old at `measured_at` (None when it could not be measured)."""

    side: str
    at_run_s: float | None
    measured_at: datetime | None

    def now_s(self, now: datetime) -> float | None:
        """The age now if nothing newer arrived since the run: an upper bound."""
        if self.at_run_s is None or self.measured_at is None:
            return None
        return self.at_run_s + max((now - self.measured_at).total_seconds(), 0.0)


def data_age(checks: pd.DataFrame) -> DataAge | None:
    """The freshness reading among an integration's latest results (`reads.latest_checks`:
    kind, side, headline_value, result_at), or None when it has no freshness check."""
    if checks.empty or "kind" not in checks:
        return None
    rows = checks[checks["kind"] == "freshness"]
    if rows.empty:
        return None
    row = rows.iloc[0]
    value = row.get("headline_value")
    side = row.get("side")
    return DataAge(
        side=str(side) if isinstance(side, str) and side else "target",
        at_run_s=None if value is None or pd.isna(value) else float(value),
        measured_at=as_datetime(row.get("result_at")),
    )


def age_label(side_name: str, age: DataAge) -> str:
    """The metric's label: "Data age now, source (wms)"."""
    return f"Data age now, {age.side} ({side_name})"


def age_caption(age: DataAge, now: datetime) -> str:
    """ "25m at the last run (6 Dec 06:50 UTC) + 23m since" or why there is no age."""
    if age.measured_at is None:
        return "not measured yet"
    when = f"{age.measured_at.astimezone(UTC):%-d %b %H:%M} UTC"
    if age.at_run_s is None:
        return f"could not be measured at the last run ({when})"
    since = max((now - age.measured_at).total_seconds(), 0.0)
    return f"{duration(age.at_run_s)} at the last run ({when}) + {duration(since)} since"


AGE_HELP = (
    "How old the newest record on the measured side is. Measured at each run; shown here as "
    "the age at the last run plus the time since, so it is the age now if nothing newer has "
    "arrived since the run (newer records make it younger)."
)
