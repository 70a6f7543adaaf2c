"""The run's series and the anomaly result of a verdict (checks/anomaly/watch.py): which
numbers become points, how time is counted per system, and how a verdict's score and the
integration's severity choose passed, warned or failed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checks.anomaly.detector import Verdict
from checks.anomaly.settings import AnomalySettings, Seasonality
from checks.anomaly.watch import SeriesKey, anomaly_result, numeric_metrics, run_points
from checks.result import CheckKind, CheckResult, Outcome, Severity

AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
KEY = SeriesKey("volume", "target_rows")


def _verdict(score: float, *, anomalous: bool = True, flat: bool = False) -> Verdict:
    return Verdict(AT, 1000.0, 3000.0, 2900.0, 3100.0, score, anomalous, Seasonality.DAILY, flat)


def test_numbers_are_points_flags_and_text_are_not() -> None:
    metrics = {"rows": 3, "rate": 0.5, "ok": True, "name": "x", "nan": float("nan"),
               "changed_by_field": {"price": 2, "note": "y"}, "keys": [1, 2]}  # fmt: skip
    assert numeric_metrics(metrics) == {"rows": 3.0, "rate": 0.5, "changed_by_field.price": 2.0}


def test_run_points_count_time_per_system_both_sides_for_two_sided_checks() -> None:
    results = [
        CheckResult("freshness", CheckKind.FRESHNESS, Outcome.PASSED, Severity.ERROR,
                    {"lag_seconds": 60}, side="source", duration_s=1.0),
        CheckResult("volume", CheckKind.VOLUME, Outcome.PASSED, Severity.ERROR,
                    {"source_rows": 5}, duration_s=2.0),
    ]  # fmt: skip
    points = run_points(results, AT, 4.5, {"source": "wms", "target": "shop"})
    found = {p.key.name: p.value for p in points}
    assert found == {
        "freshness.lag_seconds": 60.0,
        "volume.source_rows": 5.0,
        "run.duration_s": 4.5,
        "run.duration_s.wms": 3.0,
        "run.duration_s.shop": 2.0,
    }
    assert {p.at for p in points} == {AT}


@pytest.mark.parametrize(
    ("score", "severity", "anomalous", "outcome"),
    [
        (-5.0, Severity.ERROR, True, Outcome.WARNED),  # past the band, under 2 x sensitivity
        (-8.0, Severity.ERROR, True, Outcome.FAILED),
        (-8.0, Severity.CRITICAL, True, Outcome.FAILED),
        (-80.0, Severity.WARNING, True, Outcome.WARNED),  # a warning-level integration
        (-80.0, Severity.ERROR, False, Outcome.PASSED),  # e.g. outside the chosen direction
    ],
)
def test_score_and_severity_choose_the_outcome(
    score: float, severity: Severity, anomalous: bool, outcome: Outcome
) -> None:
    result = anomaly_result(KEY, _verdict(score, anomalous=anomalous), AnomalySettings(), severity)
    assert result.outcome is outcome
    assert result.kind is CheckKind.ANOMALY and result.check == "anomaly(volume.target_rows)"
    m = result.metrics
    assert (m["value"], m["expected_low"], m["expected_high"], m["score"]) == (
        1000.0, 2900.0, 3100.0, score,
    )  # fmt: skip
    assert (m["check"], m["metric"]) == ("volume", "target_rows")
    if outcome is not Outcome.PASSED:
        assert result.reason == "volume.target_rows is 1,000, below its expected 2,900 to 3,100"


def test_a_flat_line_says_so() -> None:
    result = anomaly_result(KEY, _verdict(0.0, flat=True), AnomalySettings(), Severity.ERROR)
    assert result.outcome is Outcome.WARNED
    assert result.reason == (
        "volume.target_rows has stayed at 1,000 for longer than its past makes likely"
    )
