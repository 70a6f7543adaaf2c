"""One duration formatter and one parser (`datasources.durations`): every path that shows a
duration (freshness results, alert messages, `dxq alerts route`, the dashboard) renders the
same seconds the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from alerts.message import duration as message_duration
from alerts.owner import Owner, Role
from alerts.routing import Route, explain_route
from checks.freshness import check_freshness
from checks.result import Severity
from checks.spec import FreshnessSpec
from dashboard.format import duration as page_duration
from datasources.dataset import Dataset, FileSystem
from datasources.durations import format_duration, parse_duration

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.4, "0s"),
        (45, "45s"),
        (60, "1m"),
        (812, "13m 32s"),
        (3600, "1h"),
        (3601, "1h"),
        (3660, "1h 1m"),
        (7200, "2h"),
        (8040, "2h 14m"),
        (86400, "1d"),
        (90061, "1d 1h"),
        (3600 * 26 + 61, "1d 2h"),
        (-90, "-1m 30s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def _freshness_observed(tmp_path: Path, lag_s: float) -> tuple[str | None, str | None]:
    newest = NOW - timedelta(seconds=lag_s)
    pd.DataFrame({"ts": [newest.isoformat()]}).to_csv(tmp_path / "feed.csv", index=False)
    system = FileSystem("feed", str(tmp_path / "feed.csv"), "csv")
    spec = FreshnessSpec(Dataset(system), "ts", lag_s, Severity.ERROR)
    result = check_freshness(spec, NOW)
    return result.observed, result.expected


@pytest.mark.parametrize("seconds", [3601, 8040, 90061, 45])
def test_every_path_renders_the_same(tmp_path: Path, seconds: int) -> None:
    """3,601 s was "1h", "1h", "3601s" and "1h 0m" on the four paths; now one text."""
    text = format_duration(seconds)
    observed, expected = _freshness_observed(tmp_path, seconds)
    assert observed == f"{text} old"
    assert expected == f"at most {text}"
    assert message_duration(seconds) == text
    assert page_duration(float(seconds)) == text
    owners = {"ops": Owner("ops", "Ops", Role.MAINTENANCE, emails=("ops@x",))}
    lines = explain_route(
        {"kind": "data_quality"}, ["ops"], owners, Route(receiver="ops", repeat_interval_s=seconds)
    )
    assert f"repeat every {text}" in lines


def test_missing_values_keep_their_mark_per_medium() -> None:
    assert message_duration(None) == "?"
    assert page_duration(None) == "—"
    assert page_duration(float("nan")) == "—"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), (45, 45), ("1.5h", 5400)],
)
def test_parse_then_format(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("bad", ["1w", "h", True, "", "-5m", -1])
def test_parse_rejects_with_the_accepted_forms(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@pytest.mark.parametrize("bad", ["1m 2h", "1h 1h", "1h x", "1h30"])
def test_parse_rejects_units_out_of_order(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(bad)
