"""One scheduled or requested run, guarded: a lease so an integration never runs twice at
once, retries while a system refuses connections, and an overall time budget.

Before a run, the worker waits (up to half the budget) for systems that refuse connections. A
run whose only errors are still transient connection errors (refused, reset, timed out
connecting) is run again once, within its budget, after its systems answer again
(`record_retrying`); only the second attempt is recorded.

The run itself (checks, results, alerts) is the runner's `run_and_record`, handed in as
`record`; it runs in its own thread under a `RunBudget`, so every statement timeout is capped
at the time left. At the deadline the run is recorded as an error at once and its statements
are cancelled; the lease (and the caller's worker slot) is kept until the run thread has ended,
so a timed-out integration never runs twice at once.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from checks.result import CheckResult, Outcome
from checks.spec import ReferenceSpec
from datasources import budget as budgets
from datasources.budget import RunBudget, within
from datasources.dataset import Dataset, SqlSystem
from datasources.errors import DatasourceError
from monitor.run.alerting import AlertContext
from monitor.run.plan import IntegrationPlan
from monitor.run.runner import IntegrationRun, record_run, run_integration
from store import scheduling
from store.errors import StoreError
from store.store import ResultStore

log = logging.getLogger("dxq.schedule")

LEASE_MARGIN_S = 30.0  # a lease outlives its run's budget by this much
RECANCEL_S = 5.0  # how often a timed-out run that has not ended yet is cancelled again
RETRY_WAIT_S = 15.0  # the longest a run with transient errors waits for its systems
_TRANSIENT = re.compile(
    r"refused|reset|timed out|timeout expired|server closed|closed the connection|lost connection"
    r"|can't connect|no route|network is unreachable|starting up|shutting down|too many",
    re.IGNORECASE,
)

Record = Callable[[IntegrationPlan, str], "int | None"]  # (plan, trigger) -> run id


@dataclass(frozen=True)
class RunJob:
    """What to run: one integration, why, and (for a cron firing) its scheduled time."""

    plan: IntegrationPlan
    trigger: str  # "schedule" | "request"
    fire_time: datetime | None = None


@dataclass
class RunReport:
    """What became of a job: ran (with its run id), skipped, timed out or stopped."""

    integration: str
    status: str  # "ran" | "skipped" | "timed_out" | "stopped" | "failed"
    run_id: int | None = None
    detail: str = ""
    requests: list[int] = field(default_factory=list)


def lease_name(integration: str) -> str:
    return f"run:{integration}"


def is_transient(error: DatasourceError) -> bool:
    """Whether a connection error is worth retrying (refused, reset, timed out)."""
    return bool(_TRANSIENT.search(str(error)))


class Worker:
    """Executes run jobs for one scheduler process (thread-safe; one call per job)."""

    def __init__(
        self,
        store: ResultStore,
        process_id: str,
        *,
        host: str,
        pid: int,
        record: Record,
        clock: Callable[[], datetime],
        abort: threading.Event,
    ) -> None:
        self.store = store
        self.process_id = process_id
        self.host = host
        self.pid = pid
        self.record = record
        self.clock = clock
        self.abort = abort

    def execute(self, job: RunJob) -> RunReport:
        """Run `job` under a lease and its budget; never raises."""
        name = job.plan.name
        try:
            return self._execute(job)
        except (StoreError, DatasourceError) as exc:
            log.error("%s: the run could not be managed: %s", name, exc)
            return RunReport(name, "failed", detail=str(exc))

    def _execute(self, job: RunJob) -> RunReport:
        plan, name = job.plan, job.plan.name
        now = self.clock()
        if job.fire_time is not None and not scheduling.claim_slot(
            self.store, name, job.fire_time, self.process_id
        ):
            return RunReport(name, "skipped", detail="another scheduler took this firing")
        until = now + timedelta(seconds=plan.timeout_s + LEASE_MARGIN_S)
        if not scheduling.acquire_lease(self.store, lease_name(name), self.process_id, until, now):
            log.info("%s: skipped, a run is already in progress", name)
            return RunReport(name, "skipped", detail="a run is already in progress")
        requests: list[int] = []
        try:
            if job.trigger == "request":
                requests = scheduling.claim_requests(self.store, name)
                if not requests:
                    return RunReport(name, "skipped", detail="another scheduler took the request")
            report = self._run(job, time.monotonic() + plan.timeout_s)
            report.requests = requests
            scheduling.finish_requests(self.store, requests, report.run_id)
            return report
        finally:
            scheduling.release_lease(self.store, lease_name(name), self.process_id)

    def _run(self, job: RunJob, deadline: float) -> RunReport:
        plan, name = job.plan, job.plan.name
        self.wait_for_systems(plan, deadline)
        outcome: dict[str, int | BaseException | None] = {}
        done = threading.Event()
        budget = RunBudget(deadline)

        def target() -> None:
            try:
                with within(budget):
                    outcome["run_id"] = self.record(plan, job.trigger)
            except BaseException as exc:  # reported by the worker, never lost in a thread
                outcome["error"] = exc
            finally:
                done.set()

        thread = threading.Thread(target=target, name=f"run {name}", daemon=True)
        thread.start()
        while not done.wait(min(0.2, max(deadline - time.monotonic(), 0.0))):
            if self.abort.is_set():
                reason = f"scheduler on {self.host} pid {self.pid} stopped during the run"
                run_id = self._fail_current(name, reason)
                budget.cancel()
                return RunReport(name, "stopped", run_id, reason)
            if time.monotonic() >= deadline:
                reason = f"timed out after {plan.timeout_s:g} s"
                log.warning("%s: %s", name, reason)
                run_id = self._fail_current(name, reason)
                self._await_end(name, done, budget)
                return RunReport(name, "timed_out", run_id, reason)
        if "error" in outcome:
            log.error("%s: the run failed: %s", name, outcome["error"])
            return RunReport(name, "failed", detail=str(outcome["error"]))
        ran = outcome.get("run_id")
        return RunReport(name, "ran", ran if isinstance(ran, int) else None)

    def _await_end(self, name: str, done: threading.Event, budget: RunBudget) -> None:
        """Cancel a timed-out run's statements and wait, holding the lease, until its thread
        has ended (or the scheduler stops); cancels again and renews the lease meanwhile."""
        while True:
            cancelled = budget.cancel()
            if done.wait(RECANCEL_S) or self.abort.is_set():
                return
            log.warning("%s: the timed-out run has not ended yet (%d connections)", name, cancelled)
            until = self.clock() + timedelta(seconds=LEASE_MARGIN_S)
            scheduling.renew_lease(self.store, lease_name(name), self.process_id, until)

    def _fail_current(self, integration: str, reason: str) -> int | None:
        """Mark this process's running run of `integration` as an error; returns its id."""
        mine = [
            r
            for r in scheduling.running_runs(self.store)
            if r.integration == integration and r.host == self.host and r.pid == self.pid
        ]
        for run in mine:
            scheduling.fail_run(self.store, run.id, reason, self.clock())
        return mine[-1].id if mine else None

    def wait_for_systems(self, plan: IntegrationPlan, deadline: float) -> None:
        """Retry, with backoff, while a SQL system of the plan refuses connections, up to half
        the budget; permanent errors (bad password, no such database) are left to the run."""
        systems = {
            d.system.name: d.system for d in _datasets(plan) if isinstance(d.system, SqlSystem)
        }
        give_up = time.monotonic() + (deadline - time.monotonic()) / 2
        for system in systems.values():
            backoff = 0.25
            while True:
                error = probe(system)
                if error is None or not is_transient(error):
                    break
                if time.monotonic() + backoff > give_up or self.abort.is_set():
                    log.warning("%s: %s; giving up retrying", plan.name, error)
                    break
                log.info("%s: %s; retrying in %.2g s", plan.name, error, backoff)
                self.abort.wait(backoff)
                backoff = min(backoff * 2, 8.0)


def record_retrying(
    store: ResultStore,
    plan: IntegrationPlan,
    trigger: str,
    alerting: AlertContext | None,
    clock: Callable[[], datetime],
) -> int:
    """Run one integration and record it (as the runner's `run_and_record`), running it again
    once when its only errors are transient connection errors and its systems answer again
    within the run's budget; returns the run id."""
    started = clock()
    run_id = store.begin_run(plan.name, started, trigger=trigger)
    previous = store.last_schema_snapshot(plan.name)
    run = run_integration(plan, started, previous_schema=previous, clock=clock)
    if transient_only(run) and await_systems(plan):
        log.warning("%s: transient connection errors, the systems answer again: rerun", plan.name)
        run = run_integration(plan, started, previous_schema=previous, clock=clock)
    record_run(store, run_id, run, alerting)
    return run_id


def transient_only(run: IntegrationRun) -> bool:
    """Whether the run has errors and every one is a transient connection error."""
    errors = [r for r in run.results if r.outcome is Outcome.ERROR]
    return bool(errors) and all(_is_transient_result(r) for r in errors)


def _is_transient_result(result: CheckResult) -> bool:
    reason = result.reason or ""
    return "is unreachable" in reason and bool(_TRANSIENT.search(reason))


def await_systems(plan: IntegrationPlan) -> bool:
    """Probe the plan's SQL systems, with backoff, until all answer; gives up (False) after
    RETRY_WAIT_S or when waiting longer would leave less than half the run's budget left."""
    budget = budgets.current()
    now = time.monotonic()
    left = budget.deadline - now if budget is not None else 2 * RETRY_WAIT_S
    give_up = now + min(RETRY_WAIT_S, left / 2)
    systems = {d.system.name: d.system for d in _datasets(plan) if isinstance(d.system, SqlSystem)}
    backoff = 0.1
    for system in systems.values():
        while (error := probe(system)) is not None:
            if not is_transient(error) or time.monotonic() + backoff > give_up:
                log.warning("%s: %s; not rerunning", plan.name, error)
                return False
            if budget is not None and budget.cancelled:
                return False
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
    return bool(systems) and (budget is None or not budget.spent())


def _datasets(plan: IntegrationPlan) -> list[Dataset]:
    """Every dataset the plan's checks read, referenced tables included."""
    found = [plan.source, plan.target]
    found += [s.referenced for s in plan.specs if isinstance(s, ReferenceSpec)]
    return found


def probe(system: SqlSystem) -> DatasourceError | None:
    """Connect to a SQL system and run `SELECT 1`; the error, or None when it answers."""
    import sqlalchemy as sa

    from datasources.connection import read_only

    try:
        with read_only(system) as conn:
            conn.execute(sa.text("SELECT 1"))
    except DatasourceError as exc:
        return exc
    return None
