"""Run one integration end to end: evaluate every check against the systems, then record the
run in the results store. Checks never raise; a check that cannot be evaluated is an `error`
result, and one broken integration never stops the others."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from checks.result import CheckKind, CheckResult, Outcome, error_result
from checks.spec import (
    CheckSpec,
    FreshnessSpec,
    ReconcileSpec,
    ReferenceSpec,
    SchemaSpec,
    SuiteSpec,
    VolumeSpec,
)

if TYPE_CHECKING:
    from monitor.run.alerting import AlertContext
    from monitor.run.plan import IntegrationPlan
    from store.store import ResultStore


@dataclass(frozen=True)
class IntegrationRun:
    """The outcome of one integration's run, as `dxq run` reports it."""

    integration: str
    started_at: datetime
    finished_at: datetime
    results: tuple[CheckResult, ...]
    run_id: int | None = None

    @property
    def outcome(self) -> Outcome:
        return Outcome.worst([r.outcome for r in self.results])

    def to_json(self) -> dict[str, Any]:
        return {
            "integration": self.integration,
            "outcome": str(self.outcome),
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "duration_s": round((self.finished_at - self.started_at).total_seconds(), 3),
            "checks": [r.to_json() for r in self.results],
        }


def evaluate(spec: CheckSpec, now: datetime) -> list[CheckResult]:
    """Evaluate one check; the GX adapter is imported only when a suite is evaluated."""
    started = time.perf_counter()
    try:
        results = _dispatch(spec, now)
    except Exception as exc:  # a bug in an engine must not stop the run: report it as data
        results = [_crash_result(spec, exc)]
    elapsed = time.perf_counter() - started
    if len(results) == 1 and results[0].duration_s == 0.0:
        results = [dataclasses.replace(results[0], duration_s=round(elapsed, 4))]
    return results


def _dispatch(spec: CheckSpec, now: datetime) -> list[CheckResult]:
    if isinstance(spec, SuiteSpec):
        from checks.suite import run_suite  # GX costs seconds to import: only when needed

        return run_suite(spec)
    if isinstance(spec, ReconcileSpec):
        from checks.reconcile import reconcile

        return [reconcile(spec, now)]
    if isinstance(spec, FreshnessSpec):
        from checks.freshness import check_freshness

        return [check_freshness(spec, now)]
    if isinstance(spec, VolumeSpec):
        from checks.volume import check_volume

        return [check_volume(spec)]
    if isinstance(spec, ReferenceSpec):
        from checks.references import check_references

        return [check_references(spec)]
    from checks.schema import check_schema

    return [check_schema(spec)]


_KINDS: dict[type, CheckKind] = {
    SuiteSpec: CheckKind.EXPECTATION,
    ReconcileSpec: CheckKind.RECONCILE,
    FreshnessSpec: CheckKind.FRESHNESS,
    VolumeSpec: CheckKind.VOLUME,
    ReferenceSpec: CheckKind.REFERENCES,
    SchemaSpec: CheckKind.SCHEMA,
}


def _crash_result(spec: CheckSpec, exc: Exception) -> CheckResult:
    name = spec.label if isinstance(spec, SuiteSpec) else spec.name
    reason = f"internal error in the {_KINDS[type(spec)]} check: {type(exc).__name__}: {exc}"
    return error_result(name, _KINDS[type(spec)], spec.severity, reason)


def run_integration(
    plan: IntegrationPlan,
    now: datetime,
    *,
    previous_schema: dict[str, dict[str, str]] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> IntegrationRun:
    """Evaluate every check of one integration at the (possibly simulated) time `now`. Without
    a `clock`, the run finishes at `now` plus the real time the checks took."""
    started_at = now
    elapsed = time.perf_counter()
    results: list[CheckResult] = []
    for spec in plan.specs:
        if isinstance(spec, SchemaSpec) and previous_schema is not None:
            spec = dataclasses.replace(spec, previous=previous_schema)
        results.extend(evaluate(spec, now))
    took = timedelta(seconds=time.perf_counter() - elapsed)
    finished_at = clock() if clock is not None else now + took
    return IntegrationRun(plan.name, started_at, max(finished_at, started_at), tuple(results))


def run_and_record(
    plans: Sequence[IntegrationPlan],
    store: ResultStore,
    *,
    trigger: str,
    clock: Callable[[], datetime],
    now: datetime | None = None,
    alerting: AlertContext | None = None,
) -> list[IntegrationRun]:
    """Run each integration and record it; `now` fixes a simulated time (the demo's history).

    The run's results, its schema snapshot and (given `alerting`) its alert changes and outbox
    rows are written in one transaction, at the run's finishing time."""
    runs: list[IntegrationRun] = []
    for plan in plans:
        started = now if now is not None else clock()
        run_id = store.begin_run(plan.name, started, trigger=trigger)
        previous = store.last_schema_snapshot(plan.name)
        run = run_integration(
            plan, started, previous_schema=previous, clock=None if now is not None else clock
        )
        record_run(store, run_id, run, alerting)
        runs.append(dataclasses.replace(run, run_id=run_id))
    return runs


def record_run(
    store: ResultStore, run_id: int, run: IntegrationRun, alerting: AlertContext | None
) -> None:
    """Complete a begun run: results, schema snapshot, alerts and outbox in one transaction."""
    with store.transaction() as tx:
        tx.complete_run(run_id, run.finished_at, list(run.results))
        for result in run.results:
            snapshot = result.metrics.get("snapshot") if result.kind is CheckKind.SCHEMA else None
            if isinstance(snapshot, dict) and snapshot:
                tx.save_schema_snapshot(run.integration, snapshot, run.finished_at)
        if alerting is not None:
            from monitor.run.alerting import outcomes_of, record_alerts

            outcomes = outcomes_of(run.results)
            record_alerts(tx.connection, alerting, run.integration, outcomes, run.finished_at)


def warm_up() -> None:
    """Import the check engines now, so the first firings are not late (GX stays lazy)."""
    import checks.freshness
    import checks.reconcile
    import checks.references
    import checks.schema
    import checks.volume  # noqa: F401
