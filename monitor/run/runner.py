"""Run one integration end to end: evaluate every check against the systems, then record the
run in the results store. Checks never raise; a check that cannot be evaluated is an `error`
result, and one broken integration never stops the others."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from checks.anomaly.watch import SeriesPoint
from checks.result import CheckKind, CheckResult, Outcome, error_result
from checks.spec import CheckSpec, FreshnessSpec, ReconcileSpec, SchemaSpec
from datasources.budget import RunBudget, within
from datasources.budget import current as current_budget
from datasources.errors import Cause
from monitor import garbage
from monitor.run.anomalies import judge_points, measured_points
from monitor.run.api_sources import api_datasets
from monitor.run.registry import check_type
from monitor.run.retry import RETRY, RetryPolicy, Systems, await_systems
from store.errors import RunNotRunning, StoreError
from store.origin import RunOrigin
from store.series import previous_start, record_points

if TYPE_CHECKING:
    from monitor.run.alert_context import AlertContext
    from monitor.run.plan import IntegrationPlan
    from store.store import ResultStore

log = logging.getLogger("dxq.run")


@dataclass(frozen=True)
class IntegrationRun:
    """The outcome of one integration's run, as `dxq run` reports it."""

    integration: str
    started_at: datetime
    finished_at: datetime
    results: tuple[CheckResult, ...]
    run_id: int | None = None
    not_recorded: str | None = None  # why the results could not be stored, when they could not

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
            **({"not_recorded": self.not_recorded} if self.not_recorded else {}),
        }


def evaluate(spec: CheckSpec, now: datetime) -> list[CheckResult]:
    """Evaluate one check through its registered type (monitor/run/registry.py)."""
    started = time.perf_counter()
    kind = check_type(spec)
    try:
        results = kind.evaluate(spec, now)
    except Exception as exc:  # a bug in an engine must not stop the run: report it as data
        reason = f"internal error in the {kind.kind} check: {type(exc).__name__}: {exc}"
        results = [
            error_result(kind.name(spec), kind.kind, spec.severity, reason, cause=Cause.INTERNAL)
        ]
    elapsed = time.perf_counter() - started
    if len(results) == 1 and results[0].duration_s == 0.0:
        results = [dataclasses.replace(results[0], duration_s=round(elapsed, 4))]
    return results


def run_integration(
    plan: IntegrationPlan,
    now: datetime,
    *,
    previous_schema: dict[str, dict[str, str]] | None = None,
    clock: Callable[[], datetime] | None = None,
    since: datetime | None = None,
) -> IntegrationRun:
    """Evaluate every check of one integration at the (possibly simulated) time `now`. Without
    a `clock`, the run finishes at `now` plus the real time the checks took."""
    garbage.release()  # `dxq run` started without collector passes; its checks need them
    started_at = now
    elapsed = time.perf_counter()
    results: list[CheckResult] = []
    with api_datasets(plan.specs) as prepared:  # API datasets read into SQLite for this run
        for spec in prepared:
            if isinstance(spec, list):  # a check whose API dataset could not be read
                results.extend(spec)
                continue
            if isinstance(spec, SchemaSpec) and previous_schema is not None:
                spec = dataclasses.replace(spec, previous=previous_schema)
            if isinstance(spec, FreshnessSpec | ReconcileSpec) and since is not None:
                spec = dataclasses.replace(spec, since=since)  # counts rows new since then
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
    retry: RetryPolicy = RETRY,
) -> list[IntegrationRun]:
    """Run and record each integration in turn (`record_integration`); one that cannot be
    recorded does not stop the others, and every computed result is returned."""
    return [
        record_integration(
            plan, store, trigger=trigger, clock=clock, now=now, alerting=alerting, retry=retry
        )
        for plan in plans
    ]


def record_integration(
    plan: IntegrationPlan,
    store: ResultStore,
    *,
    trigger: str,
    clock: Callable[[], datetime],
    now: datetime | None = None,
    alerting: AlertContext | None = None,
    retry: RetryPolicy = RETRY,
    budget: RunBudget | None = None,
    origin: RunOrigin | None = None,
) -> IntegrationRun:
    """The one path that runs an integration and records it, for `dxq run`, the scheduler's
    worker and any other executor: given a plan, a store and (optionally) a run budget.

    1. The run is recorded as `running`.
    2. Systems that cannot be reached are waited for as `retry` says; the wait shows as the
       running run's reason (the Runs page). A system that answered a moment ago is not
       probed (monitor/run/retry.py).
    3. Every check is evaluated. When checks erred because a system could not be reached
       (cause `unreachable`) and it answers again within the policy, the checks run once
       more; only that attempt counts. Every number the run measured becomes a point of
       its series, and each series the integration watches (`anomalies:`) has its new point
       judged on its past: `anomaly` results (monitor/run/anomalies.py).
    4. Results, series points, schema snapshot, alert changes and outbox rows commit in one
       transaction at the run's finishing time. When that fails (a value the store refuses,
       a locked or lost store), the run is closed as `error` with the reason in a fresh
       transaction, and the computed results are still returned (`not_recorded` says why).

    `now` fixes a simulated time (the demo's history); `origin` names the celery worker and
    firing of a run it executes. Never raises `StoreError`."""
    if budget is not None:
        with within(budget):
            return record_integration(
                plan,
                store,
                trigger=trigger,
                clock=clock,
                now=now,
                alerting=alerting,
                retry=retry,
                origin=origin,
            )
    started = now if now is not None else clock()
    run_clock = None if now is not None else clock
    try:
        run_id = store.begin_run(plan.name, started, trigger=trigger, origin=origin)
        schema = any(isinstance(s, SchemaSpec) for s in plan.specs)
        previous = store.last_schema_snapshot(plan.name) if schema else None  # only it reads it
        dated = any(isinstance(s, FreshnessSpec | ReconcileSpec) for s in plan.specs)
        since = previous_start(store, plan.name, started) if dated else None
    except StoreError as exc:
        why = f"the run could not be recorded: {exc.line()}"
        log.error("%s: %s", plan.name, why)
        run = run_integration(plan, started, clock=run_clock)
        return dataclasses.replace(run, not_recorded=why)

    def waiting(note: str) -> None:
        from store import scheduling  # the daemon's module: for a run that waits only

        try:
            scheduling.note_running(store, run_id, note)
        except StoreError as exc:
            log.error("%s: run %d: the wait could not be shown: %s", plan.name, run_id, exc.line())

    systems = await_systems(plan, retry, waiting, trust_lately=True)
    run = run_integration(plan, started, previous_schema=previous, clock=run_clock, since=since)
    if systems is not Systems.DOWN and any(r.cause is Cause.UNREACHABLE for r in run.results):
        after = await_systems(plan, retry, waiting)
        if _run_again(after, systems):
            log.warning(
                "%s: a system was unreachable during the run (then: %s): rerun", plan.name, after
            )
            run = run_integration(
                plan, started, previous_schema=previous, clock=run_clock, since=since
            )
    points = measured_points(plan, run)
    judged = judge_points(store, plan, points)  # the anomaly results of watched series
    run = dataclasses.replace(run, results=run.results + tuple(judged))
    failed = _complete(store, run_id, run, alerting, _timed_out(plan, run), points)
    return dataclasses.replace(run, run_id=run_id, not_recorded=failed)


def _run_again(after: Systems, before: Systems) -> bool:
    """Whether checks that could not reach a system run once more: it answered after a wait;
    or it was not probed before the run, so these checks were the probe, and the checks run
    after the waiting as they would have after a failed probe (the same results and reasons,
    a system still down included)."""
    return after is Systems.RECOVERED or before is Systems.TRUSTED


def _timed_out(plan: IntegrationPlan, run: IntegrationRun) -> str | None:
    """The run's reason when checks erred because its budget ran out: the statement timeouts
    are capped at the deadline, so a hung query can end the run a moment before the worker
    notices the deadline; both then say the same."""
    budget = current_budget()
    erred = any(r.outcome is Outcome.ERROR for r in run.results)
    return plan.timed_out if budget is not None and budget.expired() and erred else None


def _complete(
    store: ResultStore,
    run_id: int,
    run: IntegrationRun,
    alerting: AlertContext | None,
    reason: str | None = None,
    points: Sequence[SeriesPoint] = (),
) -> str | None:
    """Complete a begun run: results, series points, schema snapshot, alerts and outbox in
    one transaction. When that fails, close the run as `error` in a fresh transaction;
    returns why, or None."""
    try:
        with store.transaction() as tx:
            tx.complete_run(run_id, run.finished_at, list(run.results), reason)
            record_points(tx.connection, run_id, run.integration, points)
            for result in run.results:
                snapshot = (
                    result.metrics.get("snapshot") if result.kind is CheckKind.SCHEMA else None
                )
                if isinstance(snapshot, dict) and snapshot:
                    tx.save_schema_snapshot(run.integration, snapshot, run.finished_at)
            if alerting is not None:
                from monitor.run.alerting import outcomes_of, record_alerts

                outcomes = outcomes_of(run.results)
                record_alerts(tx.connection, alerting, run.integration, outcomes, run.finished_at)
    except RunNotRunning as exc:  # closed meanwhile, e.g. as timed out by the worker
        log.warning("%s: %s", run.integration, exc.line())
        return exc.line()
    except StoreError as exc:
        reason = f"the results could not be recorded: {exc.line()}"
        log.error("%s: run %d: %s", run.integration, run_id, reason)
        from store import scheduling  # for a run that could not be recorded only

        try:
            scheduling.fail_run(store, run_id, reason, run.finished_at)
        except StoreError as again:
            log.error(
                "%s: run %d could not be closed either (housekeeping closes it): %s",
                run.integration,
                run_id,
                again.line(),
            )
        return reason
    return None
