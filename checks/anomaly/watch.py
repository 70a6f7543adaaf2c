"""What a run watches and what it concludes: the series of a run's numbers, the declaration of
the series an integration watches (`AnomalySpec`), and the `anomaly` result of one verdict.

Light on purpose (no numpy, no pandas): the run path imports it for every run, and the
detector itself only when an integration watches a series (docs/monitor-file.md#anomalies)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from checks.anomaly.settings import AnomalySettings, Direction
from checks.result import CheckKind, CheckResult, Outcome, Severity
from datasources.numbers import number

if TYPE_CHECKING:
    from checks.anomaly.detector import Verdict

RUN = "run"  # the check name of a run's own numbers: duration_s, duration_s.<system>
FAIL_FACTOR = 2.0  # |score| >= FAIL_FACTOR x sensitivity fails (else warns), unless warning-level


@dataclass(frozen=True, order=True)
class SeriesKey:
    """One series of an integration: a check and one of its numeric metrics (a nested one
    as `changed_by_field.price`)."""

    check: str
    metric: str

    @property
    def name(self) -> str:
        """`volume.target_rows`: how the monitor file and the pages name it."""
        return f"{self.check}.{self.metric}"

    @property
    def anomaly_check(self) -> str:
        """The name of the anomaly result judging this series: `anomaly(volume.target_rows)`."""
        return f"anomaly({self.name})"


@dataclass(frozen=True)
class SeriesPoint:
    """One value of one series, measured by the run that started at `at`."""

    key: SeriesKey
    at: datetime
    value: float


@dataclass(frozen=True)
class AnomalySpec:
    """The series an integration watches and how the detector judges them."""

    settings: AnomalySettings
    series: tuple[SeriesKey, ...]


def numeric_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers of a result's metrics, nested dicts of numbers one level deep
    (`changed_by_field.price`); flags (booleans) are not numbers here."""
    found: dict[str, float] = {}
    for name, value in metrics.items():
        if _number(value):
            found[name] = float(value)
        elif isinstance(value, Mapping):
            for inner, item in value.items():
                if _number(item):
                    found[f"{name}.{inner}"] = float(item)
    return found


def run_points(
    results: Iterable[CheckResult],
    at: datetime,
    duration_s: float,
    systems: Mapping[str, str],
) -> list[SeriesPoint]:
    """Every number a run measured, as points at the run's start `at`: each result's numeric
    metrics, the run's duration, and the time its checks spent on each system (`systems`:
    side -> system name; a check of both sides counts for both)."""
    points: list[SeriesPoint] = []
    per_system: dict[str, float] = {}
    for result in results:
        for metric, value in numeric_metrics(result.metrics).items():
            points.append(SeriesPoint(SeriesKey(result.check, metric), at, value))
        sides = [result.side] if result.side in systems else list(systems)
        for side in sides:
            system = systems[str(side)]
            per_system[system] = per_system.get(system, 0.0) + result.duration_s
    points.append(SeriesPoint(SeriesKey(RUN, "duration_s"), at, max(duration_s, 0.0)))
    for system, seconds in per_system.items():
        points.append(SeriesPoint(SeriesKey(RUN, f"duration_s.{system}"), at, seconds))
    return points


def anomaly_result(
    key: SeriesKey,
    verdict: Verdict,
    settings: AnomalySettings,
    severity: Severity,
) -> CheckResult:
    """The `anomaly` result of one verdict: passed inside the band; outside it (in the
    settings' direction), or a flat-line or drift, warned, or failed when the score reaches
    FAIL_FACTOR x sensitivity and the integration's severity is not `warning`."""
    outcome = Outcome.PASSED
    strong = abs(verdict.score) >= FAIL_FACTOR * settings.sensitivity
    if verdict.anomalous:
        outcome = Outcome.for_failure(severity) if strong else Outcome.WARNED
    why = "flat" if verdict.flat else "drift" if verdict.drift else "band"
    metrics: dict[str, Any] = {
        "series": key.name,
        "check": key.check,
        "metric": key.metric,
        "value": verdict.value,
        "expected": verdict.expected,
        "expected_low": verdict.low,
        "expected_high": verdict.high,
        "score": round(verdict.score, 3),
        "at": verdict.at.isoformat(),
        "why": why,
        "sensitivity": settings.sensitivity,
        "direction": str(settings.direction),
    }
    observed = f"{number(verdict.value)} (score {verdict.score:+.1f})"
    reason = None
    if outcome is not Outcome.PASSED:
        reason = _reason(key, verdict, why)
    return CheckResult(
        check=key.anomaly_check,
        kind=CheckKind.ANOMALY,
        outcome=outcome,
        severity=severity,
        metrics=metrics,
        headline="score",
        observed=observed,
        expected=f"{number(verdict.low)} to {number(verdict.high)} ({_sides(settings.direction)})",
        reason=reason,
    )


def _reason(key: SeriesKey, verdict: Verdict, why: str) -> str:
    if why == "flat":
        value = number(verdict.value)
        return f"{key.name} has stayed at {value} for longer than its past makes likely"
    if why == "drift":
        return (
            f"{key.name} is drifting: {number(verdict.value)}, usually {number(verdict.expected)}"
        )
    word = "above" if verdict.value > verdict.high else "below"
    return (
        f"{key.name} is {number(verdict.value)}, {word} its expected "
        f"{number(verdict.low)} to {number(verdict.high)}"
    )


def _sides(direction: Direction) -> str:
    return {"spike": "spikes alarm", "drop": "drops alarm", "both": "both sides alarm"}[
        str(direction)
    ]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
