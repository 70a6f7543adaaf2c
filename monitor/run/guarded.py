"""One scheduled or requested run, guarded: a lease so an integration never runs twice at
once, and an overall time budget.

The run itself (waiting for systems, checks, results, alerts) is the runner's one path,
`record_integration`, handed in as `record`; it runs in its own thread under a `RunBudget`, so
every statement timeout is capped at the time left. At the deadline the run is recorded as an
error at once and its statements are cancelled; the lease (and the caller's worker slot) is
kept until the run thread has ended, so a timed-out integration never runs twice at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from datasources.budget import RunBudget, within
from datasources.errors import DatasourceError
from monitor.run.plan import IntegrationPlan
from monitor.run.retry import RETRY
from store import scheduling
from store.errors import StoreError
from store.store import ResultStore

log = logging.getLogger("dxq.schedule")

LEASE_MARGIN_S = 30.0  # a lease outlives its run's budget by this much
RECANCEL_S = 5.0  # how often a timed-out run that has not ended yet is cancelled again

Record = Callable[[IntegrationPlan, str], "int | None"]  # (plan, trigger) -> run id


class Trigger(StrEnum):
    """Why a job runs (stored as the run's `trigger`)."""

    SCHEDULE = "schedule"
    REQUEST = "request"


class RunStatus(StrEnum):
    """What became of a job."""

    RAN = "ran"
    SKIPPED = "skipped"
    TIMED_OUT = "timed_out"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True)
class RunJob:
    """What to run: one integration, why, and (for a cron firing) its scheduled time."""

    plan: IntegrationPlan
    trigger: str  # a Trigger
    fire_time: datetime | None = None


@dataclass
class RunReport:
    """What became of a job: ran (with its run id), skipped, timed out or stopped."""

    integration: str
    status: RunStatus
    run_id: int | None = None
    detail: str = ""
    requests: list[int] = field(default_factory=list)


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
        except StoreError as exc:
            log.error("%s: the run could not be managed: %s", name, exc.line())
            return RunReport(name, RunStatus.FAILED, detail=exc.line())
        except DatasourceError as exc:
            log.error("%s: the run could not be managed: %s", name, exc)
            return RunReport(name, RunStatus.FAILED, detail=str(exc))

    def _execute(self, job: RunJob) -> RunReport:
        plan, name = job.plan, job.plan.name
        now = self.clock()
        if job.fire_time is not None and not scheduling.claim_slot(
            self.store, name, job.fire_time, self.process_id
        ):
            return RunReport(name, RunStatus.SKIPPED, detail="another scheduler took this firing")
        until = now + timedelta(seconds=plan.timeout_s + LEASE_MARGIN_S)
        lease = scheduling.run_lease(name)
        if not scheduling.acquire_lease(self.store, lease, self.process_id, until, now):
            log.info("%s: skipped, a run is already in progress", name)
            return RunReport(name, RunStatus.SKIPPED, detail="a run is already in progress")
        requests: list[int] = []
        try:
            if job.trigger == Trigger.REQUEST:
                requests = scheduling.claim_requests(self.store, name)
                if not requests:
                    detail = "another scheduler took the request"
                    return RunReport(name, RunStatus.SKIPPED, detail=detail)
            report = self._run(job, time.monotonic() + plan.timeout_s)
            report.requests = requests
            scheduling.finish_requests(self.store, requests, report.run_id)
            return report
        finally:
            self._release(lease)

    def _run(self, job: RunJob, deadline: float) -> RunReport:
        plan, name = job.plan, job.plan.name
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
                return RunReport(name, RunStatus.STOPPED, run_id, reason)
            if time.monotonic() >= deadline:
                reason = plan.timed_out
                log.warning("%s: %s", name, reason)
                run_id = self._fail_current(name, reason)
                self._await_end(name, done, budget)
                return RunReport(name, RunStatus.TIMED_OUT, run_id, reason)
        if "error" in outcome:
            log.error("%s: the run failed: %s", name, outcome["error"])
            return RunReport(name, RunStatus.FAILED, detail=str(outcome["error"]))
        ran = outcome.get("run_id")
        return RunReport(name, RunStatus.RAN, ran if isinstance(ran, int) else None)

    def _release(self, lease: str) -> None:
        """Give the lease back, retrying while the store is away; housekeeping frees it if
        every try fails (see monitor/daemon/liveness.py)."""
        for wait in (*RETRY.waits(), None):
            try:
                scheduling.release_lease(self.store, lease, self.process_id)
                return
            except StoreError as exc:
                if wait is None or self.abort.is_set():
                    log.error("%s: the lease could not be given back: %s", lease, exc.line())
                    return
                log.warning("%s: the lease could not be given back yet: %s", lease, exc.line())
                self.abort.wait(wait)

    def _await_end(self, name: str, done: threading.Event, budget: RunBudget) -> None:
        """Cancel a timed-out run's statements and wait, holding the lease, until its thread
        has ended (or the scheduler stops); cancels again and renews the lease meanwhile."""
        while True:
            cancelled = budget.cancel()
            if done.wait(RECANCEL_S) or self.abort.is_set():
                return
            log.warning("%s: the timed-out run has not ended yet (%d connections)", name, cancelled)
            until = self.clock() + timedelta(seconds=LEASE_MARGIN_S)
            try:
                lease = scheduling.run_lease(name)
                scheduling.renew_lease(self.store, lease, self.process_id, until)
            except StoreError as exc:  # keep waiting: the run must end before the lease goes
                log.error("%s: the lease could not be renewed: %s", name, exc.line())

    def _fail_current(self, integration: str, reason: str) -> int | None:
        """Mark this process's running run of `integration` as an error; returns its id, or
        None when there is none or the store is away (housekeeping closes it later)."""
        try:
            mine = [
                r
                for r in scheduling.running_runs(self.store)
                if r.integration == integration and r.host == self.host and r.pid == self.pid
            ]
            for run in mine:
                scheduling.fail_run(self.store, run.id, reason, self.clock())
        except StoreError as exc:
            log.error("%s: the run could not be closed (%s): %s", integration, reason, exc.line())
            return None
        return mine[-1].id if mine else None
