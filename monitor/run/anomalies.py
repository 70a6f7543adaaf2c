"""The anomaly step of a run: after the checks, every number the run measured becomes a point
of its series (stored with the run), and each series the integration watches has its new
point judged on its stored past alone (online), less the points people marked as expected.
Each verdict is a CheckResult of kind `anomaly`, so it is stored, alerted, routed (label
`kind=anomaly`) and resolved like any check (docs/monitor-file.md#anomalies).

The detector (numpy, pandas) is imported only when an integration watches a series."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from checks.anomaly.watch import AnomalySpec, SeriesKey, SeriesPoint, anomaly_result, run_points
from checks.result import CheckKind, CheckResult, Severity, error_result
from datasources.errors import Cause
from store.anomaly_feedback import expected_points, feedback_on
from store.errors import StoreError
from store.series import series_history

if TYPE_CHECKING:
    from monitor.run.plan import IntegrationPlan
    from monitor.run.runner import IntegrationRun
    from store.store import ResultStore

log = logging.getLogger("dxq.run")


def measured_points(plan: IntegrationPlan, run: IntegrationRun) -> list[SeriesPoint]:
    """Every number `run` measured, as points at its start."""
    systems = {"source": plan.source.system.name, "target": plan.target.system.name}
    duration = (run.finished_at - run.started_at).total_seconds()
    return run_points(run.results, run.started_at, duration, systems)


def judge_points(
    store: ResultStore, plan: IntegrationPlan, points: Sequence[SeriesPoint]
) -> list[CheckResult]:
    """The `anomaly` results of the watched series' new points (none while a series has too
    little history). A store that cannot be read skips the step (the run's own write fails
    then too); a defect in the detector is an `error` result, never an exception."""
    spec = plan.anomalies
    if spec is None:
        return []
    new = {p.key: p for p in points if p.key in spec.series}
    if not new:
        return []
    try:
        return _judged(store, plan.name, plan.severity, spec, new)
    except StoreError as exc:
        log.error("%s: anomalies not judged: %s", plan.name, exc.line())
        return []


def _judged(
    store: ResultStore,
    integration: str,
    severity: Severity,
    spec: AnomalySpec,
    new: dict[SeriesKey, SeriesPoint],
) -> list[CheckResult]:
    from checks.anomaly.detector import Point, judge, lookback

    at = min(p.at for p in new.values())
    since = at - lookback(spec.settings)
    keys = sorted(new)
    history = series_history(store, integration, keys, since, at)
    excluded = expected_points(feedback_on(store, integration, keys, since))
    results: list[CheckResult] = []
    for key in keys:
        point = new[key]
        past = _one_per_second(history[key])
        try:
            verdict = judge(
                [Point(t, v) for t, v in past],
                Point(point.at, point.value),
                spec.settings,
                excluded.get(key, set()),
            )
        except Exception as exc:  # a defect must not stop the run: report it as data
            reason = f"internal error judging {key.name}: {type(exc).__name__}: {exc}"
            results.append(
                error_result(
                    key.anomaly_check, CheckKind.ANOMALY, severity, reason, cause=Cause.INTERNAL
                )
            )
            continue
        if verdict is not None:
            results.append(anomaly_result(key, verdict, spec.settings, severity))
    return results


def _one_per_second(points: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """The detector takes one value per second: of runs started in the same second (tests,
    retries), the last one recorded counts."""
    kept: dict[int, tuple[datetime, float]] = {}
    for at, value in points:
        kept[math.floor(at.timestamp())] = (at, value)
    return list(kept.values())
