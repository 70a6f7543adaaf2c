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
from monitor.run.alerting import alert_context
from monitor.run.guarded import LEASE_MARGIN_S, RunJob, RunStatus, Trigger, Worker
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.runner import record_integration
from store import firings, scheduling
from store.origin import RunOrigin
from store.store import ResultStore

log = logging.getLogger("dxq.worker")

BEAT_S = 2.0  # how often a worker writes its heartbeat
STALE_S = 10.0  # a worker silent this long is dead: its firings may be taken over
RETRY_BUSY_S = 3.0  # when the firing or the integration is busy elsewhere, try again after


class Busy(MonitorError):
    """The firing runs under a live worker, or its integration runs: deliver again later."""


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
        self.running: set[str] = set()
        self._lock = threading.Lock()

    def dead_workers(self, now: datetime) -> set[str]:
        """Workers whose heartbeat stopped (their process ids)."""
        stale = now - timedelta(seconds=STALE_S)
        return {
            str(row["process_id"])
            for row in firings.worker_beats(self.store)
            if (row.get("info") or {}).get("kind") == "worker" and row["last_tick_at"] < stale
        }

    def execute(self, key: str) -> dict[str, object]:
        """Run the firing `key` once; raises `Busy` when it must be delivered again later."""
        found = firings.get(self.store, key)
        if found is None:
            log.warning("firing %s is not in the store; dropped", key)
            return {"key": key, "status": "unknown"}
        if found.state == firings.State.DONE:
            log.info("firing %s already ran (run %s): not again", key, found.run_id)
            return {"key": key, "status": "duplicate", "run_id": found.run_id}
        plan = self.plans.get(found.integration)
        now = self.clock()
        timeout = plan.timeout_s if plan is not None else 600.0
        until = now + timedelta(seconds=timeout + LEASE_MARGIN_S)
        dead = self.dead_workers(now)
        if not firings.claim(self.store, key, self.process_id, until, now, dead):
            again = firings.get(self.store, key)
            if again is not None and again.state == firings.State.DONE:
                return {"key": key, "status": "duplicate", "run_id": again.run_id}
            raise Busy(f"firing {key} runs under {again.owner if again else '?'}")
        if found.state == firings.State.RUNNING and found.owner:
            self._take_over(found, now)
        if plan is None:
            firings.finish(self.store, key, self.process_id, None)
            log.warning("firing %s: %s is not in the monitor file", key, found.integration)
            return {"key": key, "status": "unknown integration"}
        return self._run(plan, found)

    def _take_over(self, found: firings.Firing, now: datetime) -> None:
        reason = (
            f"worker {found.owner} stopped during the run; the firing was delivered again "
            f"to {self.name}"
        )
        closed = firings.close_abandoned(self.store, found.key, reason, now)
        scheduling.drop_leases_of(self.store, [str(found.owner)])
        log.warning(
            "firing %s: taken over from %s (closed runs %s)", found.key, found.owner, closed
        )

    def _run(self, plan: IntegrationPlan, found: firings.Firing) -> dict[str, object]:
        origin = RunOrigin(self.name, found.key, found.scheduled_for)

        def record(plan: IntegrationPlan, trigger: str) -> int | None:
            run = record_integration(
                plan,
                self.store,
                trigger=trigger,
                clock=self.clock,
                alerting=self.alerting,
                origin=origin,
            )
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
        with self._lock:
            self.running.add(found.key)
        try:
            report = worker.execute(RunJob(plan, trigger))
        finally:
            with self._lock:
                self.running.discard(found.key)
        if report.status is RunStatus.SKIPPED and "in progress" in report.detail:
            firings.release(self.store, found.key, self.process_id)
            raise Busy(f"{plan.name}: {report.detail}")
        if report.status is RunStatus.TIMED_OUT:
            daemon_alerts.record_timeout(
                self.store, self.alerting, plan.name, report.detail, self.clock()
            )
        firings.finish(self.store, found.key, self.process_id, report.run_id)
        log.info(
            "firing %s: %s run_id=%s %s", found.key, report.status, report.run_id, report.detail
        )
        return {"key": found.key, "status": str(report.status), "run_id": report.run_id}

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
