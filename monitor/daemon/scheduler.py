"""The `dxq schedule` daemon: cron firings and run-now requests go to a bounded worker pool;
a dispatch thread delivers the alert outbox; a housekeeping thread ticks escalations, detects
missed runs and frees what dead schedulers left behind; the monitor file is re-read when it
changes; a heartbeat in the store tells the dashboard the daemon is alive."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from monitor.config.loading import load_config
from monitor.config.model import Config
from monitor.daemon import daemon_alerts
from monitor.daemon.cron_clock import CronClock
from monitor.daemon.digests import send_due
from monitor.daemon.liveness import missed_outcomes, recover
from monitor.errors import ConfigError
from monitor.run.alert_context import alert_context
from monitor.run.guarded import RunJob, RunReport, RunStatus, Trigger, Worker
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.registry import warm_up
from monitor.run.runner import record_integration
from store import scheduling
from store.errors import StoreError
from store.store import ResultStore

if TYPE_CHECKING:
    from monitor.executor.enqueue import Enqueuer

log = logging.getLogger("dxq.schedule")
DISPATCH_BATCH = 50
DISPATCH_BUDGET_S = 60.0  # one dispatch pass; the next one sees a reloaded monitor file


@dataclass(frozen=True)
class Options:
    """How the daemon runs; the intervals are in seconds."""

    config_path: Path
    workers: int = 2
    cron_seconds: bool = False  # test and demo aid, see monitor/daemon/cron.py
    poll: float = 1.0  # run-now requests
    reload: float = 2.0  # monitor-file changes, heartbeat
    dispatch: float = 3.0  # alert outbox
    watch: float = 10.0  # escalation ticks, missed runs, stale runs
    grace: float = 10.0  # how long a stop waits for running runs


def utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """One `dxq schedule` process."""

    def __init__(
        self,
        options: Options,
        config: Config,
        *,
        env: Mapping[str, str],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.options, self.env, self.clock = options, env, clock
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.process_id = scheduling.process_id(self.host, self.pid)
        self.started_at = clock()
        self.stopping, self.abort = threading.Event(), threading.Event()
        self._signalled = 0  # the first SIGTERM/SIGINT received (set by the handler only)
        self.store = ResultStore.open(config.store)
        self.config = config
        self.alerting = alert_context(config)
        self.plans: dict[str, IntegrationPlan] = {}
        self.config_error: str | None = None
        self.missed: list[str] = []
        self._mtime = self._stat()
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(options.workers, thread_name_prefix="dxq-run")
        self.worker = Worker(
            self.store,
            self.process_id,
            host=self.host,
            pid=self.pid,
            record=self._record,
            clock=clock,
            abort=self.abort,
        )
        self.clock_ = CronClock(self._on_fire, seconds=options.cron_seconds)
        self.enqueuer: Enqueuer | None = None  # executor: celery hands runs to workers
        if config.executor is not None:
            from monitor.executor.enqueue import Enqueuer

            self.enqueuer = Enqueuer(self.store, config, self.process_id, clock)
        self._apply(config)

    def _record(self, plan: IntegrationPlan, trigger: str) -> int | None:
        """The one run path, with the monitor file's alerting as it is now."""
        run = record_integration(
            plan, self.store, trigger=trigger, clock=self.clock, alerting=self.alerting
        )
        return run.run_id

    # -- the main loop ------------------------------------------------------------------

    def serve(self) -> int:
        """Run until SIGTERM or SIGINT, then stop cleanly; returns the exit code."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        log.info("scheduler %s started (%d workers)", self.process_id, self.options.workers)
        warm_up()
        self._housekeep()
        self.clock_.start()
        housekeeping = threading.Thread(target=self._housekeeping_loop, name="dxq-housekeeping")
        housekeeping.start()
        dispatching = threading.Thread(target=self._dispatch_loop, name="dxq-dispatch")
        dispatching.start()
        next_reload = 0.0
        while not self._should_stop():
            self._guard(self._poll_requests)
            if time.monotonic() >= next_reload:
                self._guard(self._reload_if_changed)
                self._guard(self._beat)
                next_reload = time.monotonic() + self.options.reload
            self._nap(self.options.poll)
        if self._signalled:
            log.info("received %s: stopping", signal.Signals(self._signalled).name)
        self.stop()
        self._shutdown()
        housekeeping.join(timeout=self.options.grace)
        dispatching.join(timeout=self.options.grace)
        return 0

    def stop(self) -> None:
        self.stopping.set()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        """Only note the signal: taking a lock here (Event.set, logging) could deadlock with
        the interrupted main thread; repeats are ignored. The main loop polls the flag."""
        if not self._signalled:
            self._signalled = signum

    def _should_stop(self) -> bool:
        return bool(self._signalled) or self.stopping.is_set()

    def _nap(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking early once a stop was asked for."""
        until = time.monotonic() + seconds
        while not self._should_stop() and (left := until - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))

    def _shutdown(self) -> None:
        self.clock_.stop()
        if self.enqueuer is not None and not self.enqueuer.close(self.options.grace):
            log.warning("stopping with firings not yet handed to the broker")
        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + self.options.grace
        while self._busy and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._busy:
            log.warning("stopping with runs in progress: %s", ", ".join(sorted(self._busy)))
            self.abort.set()
            while self._busy and time.monotonic() < deadline + 5:
                time.sleep(0.05)
        self._guard(lambda: self._beat(state="stopped"))
        log.info("scheduler %s stopped", self.process_id)

    def _guard(self, step: Callable[[], object]) -> None:
        """Run one periodic step; a store outage is logged and retried on the next tick."""
        try:
            step()
        except StoreError as exc:
            log.error("results store: %s", exc.line())
        except Exception:
            log.exception("unexpected error in the scheduler")

    # -- work ---------------------------------------------------------------------------

    def _on_fire(self, integration: str, fire_time: datetime) -> None:
        plan = self.plans.get(integration)
        if plan is not None and self.enqueuer is not None:
            self.enqueuer.fire(RunJob(plan, Trigger.SCHEDULE, fire_time))  # batched
        elif plan is not None:
            self.submit(RunJob(plan, Trigger.SCHEDULE, fire_time))

    def submit(self, job: RunJob) -> bool:
        """Hand a job to the pool unless the integration is already busy here (to the
        broker with the celery executor)."""
        if self.enqueuer is not None:
            return self.enqueuer.submit(job)
        name = job.plan.name
        with self._lock:
            if self.stopping.is_set():
                return False
            if name in self._busy:
                if job.fire_time is not None:
                    slot = job.fire_time.isoformat()
                    log.info(
                        "schedule %s: skipped slot=%s run_id=None still running here", name, slot
                    )
                return False
            self._busy.add(name)
        future = self._pool.submit(self._execute, job)
        future.add_done_callback(lambda f: self._release(name) if f.cancelled() else None)
        return True

    def _busy_now(self) -> set[str]:
        with self._lock:
            return set(self._busy)

    def _release(self, name: str) -> None:
        with self._lock:
            self._busy.discard(name)

    def _execute(self, job: RunJob) -> RunReport:
        try:
            report = self.worker.execute(job)
            now, name = self.clock(), report.integration
            if report.status is RunStatus.TIMED_OUT:
                self._guard(
                    lambda: daemon_alerts.record_timeout(
                        self.store, self.alerting, name, report.detail, now
                    )
                )
            slot = job.fire_time.isoformat() if job.fire_time else "-"
            log.info(
                "%s %s: %s slot=%s run_id=%s %s",
                job.trigger,
                report.integration,
                report.status,
                slot,
                report.run_id,
                report.detail,
            )
            return report
        finally:
            self._release(job.plan.name)

    def _poll_requests(self) -> None:
        unknown: list[int] = []
        settled = self.clock() - timedelta(seconds=3 * self.options.reload)
        for request in scheduling.queued_requests(self.store):
            plan = self.plans.get(request.integration)
            if plan is None:
                if request.requested_at < settled and self._mtime is not None:
                    log.warning(
                        "run request %d: %s is not in the monitor file; dropped",
                        request.id,
                        request.integration,
                    )
                    unknown.append(request.id)
                continue  # it may be in the monitor file at the next reload
            self.submit(RunJob(plan, Trigger.REQUEST))
        scheduling.drop_requests(self.store, unknown)
        if self.enqueuer is not None:
            self.enqueuer.flush()

    # -- configuration ------------------------------------------------------------------

    def _stat(self) -> tuple[float, int] | None:
        try:
            st = self.options.config_path.stat()
        except OSError:
            return None
        return (st.st_mtime, st.st_size)

    def _reload_if_changed(self) -> None:
        mtime = self._stat()
        if mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            config = load_config(self.options.config_path, self.env)
            plan_integrations(config)
        except ConfigError as exc:
            self.config_error = str(exc)
            log.error("the monitor file changed but is invalid; keeping the old one:\n%s", exc)
            return
        if config.store != self.config.store:
            log.warning("the results store changed in the monitor file: restart to use it")
        self._apply(config)
        log.info("monitor file reloaded: %d integrations", len(self.plans))

    def _apply(self, config: Config) -> None:
        self.config = config
        if self.enqueuer is not None:
            self.enqueuer.config = config
        self.alerting = alert_context(config)
        self.plans = {plan.name: plan for plan in plan_integrations(config)}
        self.config_error = None
        self.clock_.sync(
            {p.name: (p.schedule, p.timezone) for p in self.plans.values() if p.schedule},
            self.clock(),
        )

    # -- housekeeping -------------------------------------------------------------------

    def _housekeeping_loop(self) -> None:
        while not self.stopping.wait(self.options.watch):
            self._housekeep()

    def _dispatch_loop(self) -> None:
        """The outbox on its own thread: a receiver that never answers delays no housekeeping."""
        while not self.stopping.wait(self.options.dispatch):
            self._guard(self._dispatch)

    def _housekeep(self) -> None:
        timeouts = {name: plan.timeout_s for name, plan in self.plans.items()}
        self._guard(
            lambda: recover(
                self.store,
                host=self.host,
                now=self.clock(),
                timeouts=timeouts,
                process_id=self.process_id,
                started_at=self.started_at,
                busy=self._busy_now,
            )
        )
        self._guard(self._check_missed)
        self._guard(self._tick_alerts)
        self._guard(lambda: send_due(self.store, self.config, self.clock(), self.process_id))

    def _check_missed(self) -> None:
        now = self.clock()
        schedules = {
            name: (self.clock_.triggers[name], plan.timeout_s)
            for name, plan in self.plans.items()
            if name in self.clock_.triggers
        }
        gone = scheduling.open_missed(self.store) - set(schedules)
        outcomes = missed_outcomes(
            self.store,
            schedules,
            since=self.started_at,
            now=now,
            scheduled_since=self.clock_.since,
            gone=gone,
        )
        self.missed = sorted(n for n, o in outcomes.items() if o.outcome == "failed")
        for name in self.missed:
            log.warning("%s: %s", name, outcomes[name].reason)
        daemon_alerts.record_missed(self.store, self.alerting, outcomes, now)

    def _tick_alerts(self) -> None:
        daemon_alerts.tick_alerts(self.store, self.clock())

    def _dispatch(self) -> None:
        from monitor.daemon.dispatcher import dispatch_once

        while not self.stopping.is_set():
            report = dispatch_once(
                self.store,
                self.alerting,
                clock=self.clock,
                worker=self.process_id,
                limit=DISPATCH_BATCH,
                budget_s=DISPATCH_BUDGET_S,
            )
            if len(report.attempts) < DISPATCH_BATCH:
                break

    def _beat(self, state: str = "running") -> None:
        info: dict[str, Any] = {
            "state": state,
            "config": str(self.options.config_path),
            "config_error": self.config_error,
            "workers": self.options.workers,
            "integrations": len(self.plans),
            "scheduled": sorted(self.clock_.triggers),
            "running": sorted(self._busy),
            "missed": self.missed,
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
