"""What a `dxq worker` process does with one firing: claim it in the store (so a firing
delivered twice runs once), take over one whose worker died (closing its abandoned `running`
row with a reason), then execute it through the scheduler's guarded run (lease, budget,
cancellation) and the one run path `record_integration`, naming this worker on the run."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from monitor.config.model import Config
from monitor.daemon import daemon_alerts
from monitor.errors import MonitorError
from monitor.executor.fleet import dead_owners
from monitor.run.alert_context import alert_context
from monitor.run.guarded import LEASE_MARGIN_S, RunJob, RunStatus, Trigger, Worker
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.runner import record_integration
from store import firings, scheduling
from store.origin import RunOrigin
from store.store import ResultStore

log = logging.getLogger("dxq.worker")

RETRY_BUSY_S = 3.0  # when the firing or the integration is busy elsewhere, try again after


class Busy(MonitorError):
    """The firing runs under a live worker, or its integration runs: deliver again later."""


class NotRecorded(MonitorError):
    """The run's results could not be written (the store went away): run the firing again
    once the store answers."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class WorkerHost:
    """One `dxq worker` process: its monitor file, store and identity."""

    config: Config
    name: str
    queues: tuple[str, ...]
    concurrency: int
    clock: Callable[[], datetime] = utcnow
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    def __post_init__(self) -> None:
        self.process_id = scheduling.process_id(self.host, self.pid)
        self.store = ResultStore.open(self.config.store)
        self.alerting = alert_context(self.config)
        self.plans: dict[str, IntegrationPlan] = {p.name: p for p in plan_integrations(self.config)}
        self.started_at = self.clock()
        self.abort = threading.Event()
        self.running: dict[str, str] = {}  # firing key -> integration, claimed here
        self.unfinished: dict[str, int | None] = {}  # recorded runs not yet marked done
        self._lock = threading.Lock()

    def execute(self, key: str) -> dict[str, object]:
        """Run the firing `key` once; raises `Busy` when it must be delivered again later."""
        if key in self.unfinished:  # ran and recorded here; only marking it done failed
            return self._finish(key, self.unfinished[key], "ran")
        name = firings.integration_of(key)
        plan = self.plans.get(name)
        now = self.clock()
        timeout = plan.timeout_s if plan is not None else 600.0
        until = now + timedelta(seconds=timeout + LEASE_MARGIN_S)
        with self._lock:
            if key in self.running:
                raise Busy(f"firing {key} runs in this worker")
            self.running[key] = name
        try:
            taken = firings.take(self.store, key, self.process_id, until)  # the usual case
            found = taken if taken is not None else self._take_back(key, until, now)
            if isinstance(found, dict):
                return found
            if plan is None:
                log.warning("firing %s: %s is not in the monitor file", key, found.integration)
                return self._finish(key, None, "unknown integration")
            return self._run(plan, found)
        finally:
            with self._lock:
                self.running.pop(key, None)

    def _take_back(
        self, key: str, until: datetime, now: datetime
    ) -> firings.Firing | dict[str, object]:
        """A firing that was not waiting: done already (a duplicate delivery), or running
        under a worker that stopped heart-beating, or under this worker when a store outage
        cut its attempt short: take it over. Raises `Busy` while a live worker runs it."""
        found = firings.get(self.store, key)
        if found is None:
            log.warning("firing %s is not in the store; dropped", key)
            return {"key": key, "status": "unknown"}
        if found.state == firings.State.DONE:
            log.info("firing %s already ran (run %s): not again", key, found.run_id)
            return {"key": key, "status": "duplicate", "run_id": found.run_id}
        dead = dead_owners(self.store, now) | {self.process_id}  # not running here: see execute
        if not firings.claim(self.store, key, self.process_id, until, now, dead):
            again = firings.get(self.store, key)
            if again is not None and again.state == firings.State.DONE:
                return {"key": key, "status": "duplicate", "run_id": again.run_id}
            raise Busy(f"firing {key} runs under {again.owner if again else '?'}")
        if found.state == firings.State.RUNNING and found.owner:
            self._take_over(found, now)
        return found

    def _take_over(self, found: firings.Firing, now: datetime) -> None:
        owner = str(found.owner)
        if owner == self.process_id:
            reason = (
                f"the results store went away during the run on {self.name}; the firing runs again"
            )
        else:
            reason = (
                f"worker {owner} stopped during the run; the firing was delivered again "
                f"to {self.name}"
            )
        closed = firings.close_abandoned(self.store, found.key, reason, now)
        if owner != self.process_id:
            scheduling.drop_leases_of(self.store, [owner])
        else:  # this process's own lease of the cut-short attempt, unless it runs again here
            with self._lock:
                busy = [k for k, i in self.running.items() if i == found.integration]
            if busy == [found.key]:
                lease = scheduling.run_lease(found.integration)
                scheduling.release_lease(self.store, lease, self.process_id)
        log.warning(
            "firing %s: taken over from %s (closed runs %s)", found.key, found.owner, closed
        )

    def _run(self, plan: IntegrationPlan, found: firings.Firing) -> dict[str, object]:
        origin = RunOrigin(self.name, found.key, found.scheduled_for)

        lost: list[str] = []

        def record(plan: IntegrationPlan, trigger: str) -> int | None:
            run = record_integration(
                plan,
                self.store,
                trigger=trigger,
                clock=self.clock,
                alerting=self.alerting,
                origin=origin,
            )
            if run.not_recorded is not None:
                lost.append(run.not_recorded)
            return run.run_id

        worker = Worker(
            self.store,
            self.process_id,
            host=self.host,
            pid=self.pid,
            record=record,
            clock=self.clock,
            abort=self.abort,
        )
        trigger = Trigger.REQUEST if found.trigger == Trigger.REQUEST else Trigger.SCHEDULE
        report = worker.execute(RunJob(plan, trigger))
        if report.status is RunStatus.RAN and lost:
            raise NotRecorded(f"firing {found.key}: {lost[0]}; it runs again")
        if report.status is RunStatus.SKIPPED and "in progress" in report.detail:
            firings.release(self.store, found.key, self.process_id)
            raise Busy(f"{plan.name}: {report.detail}")
        if report.status is RunStatus.TIMED_OUT:
            daemon_alerts.record_timeout(
                self.store, self.alerting, plan.name, report.detail, self.clock()
            )
        log.info(
            "firing %s: %s run_id=%s %s", found.key, report.status, report.run_id, report.detail
        )
        return self._finish(found.key, report.run_id, str(report.status))

    def _finish(self, key: str, run_id: int | None, status: str) -> dict[str, object]:
        """Mark the firing done; while the store cannot take that, remember the run so the
        retried task only marks it (the run itself is recorded)."""
        with self._lock:
            self.unfinished[key] = run_id
        firings.finish(self.store, key, self.process_id, run_id)
        with self._lock:
            self.unfinished.pop(key, None)
        return {"key": key, "status": status, "run_id": run_id}

    def beat(self, state: str = "running") -> None:
        with self._lock:
            running = sorted(self.running)
        info = {
            "kind": "worker",
            "state": state,
            "name": self.name,
            "queues": list(self.queues),
            "concurrency": self.concurrency,
            "running": running,
        }
        scheduling.beat(
            self.store,
            self.process_id,
            host=self.host,
            pid=self.pid,
            started_at=self.started_at,
            now=self.clock(),
            info=info,
        )
