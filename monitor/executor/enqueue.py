"""The scheduler's side of the celery executor: each firing is recorded once in the store
(its cron slot claimed first, so two schedulers yield one task), then handed to the broker
on the firing's queue. While the broker is down firings stay pending in the store and are
sent when it answers again.

Firings that fall due together (one cron slot of many integrations) are recorded in one
transaction per `BATCH` and sent through one broker producer: the cron clock hands each firing
to `fire`, and a sender thread takes whatever has gathered since its last pass. Each firing is
still recorded at most once (its slot claimed and its unique key inserted, as one at a time),
and sent only once its transaction committed, so a worker always finds it in the store."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.config.model import Config
from monitor.executor.app import TASK, celery_app
from monitor.run.guarded import RunJob, Trigger
from store import firings, scheduling
from store.store import ResultStore

log = logging.getLogger("dxq.schedule")

BATCH = 200  # firings recorded in one transaction, then sent before the next are recorded


class Enqueuer:
    """Hands `dxq schedule`'s firings to Celery (thread-safe)."""

    def __init__(
        self, store: ResultStore, config: Config, owner: str, clock: Callable[[], datetime]
    ) -> None:
        self.store, self.config, self.owner, self.clock = store, config, owner, clock
        self.app: Any = celery_app(config)
        self._lock = threading.Lock()
        self.broker_down_since: datetime | None = None
        self._alerted: set[str] = set()  # integrations alerted in this outage
        self._due: list[RunJob] = []  # cron firings handed to `fire`, not yet recorded
        self._wake = threading.Condition()
        self._sender: threading.Thread | None = None
        self._sending = False
        self._closed = False

    def fire(self, job: RunJob) -> None:
        """Hand a cron firing to the sender thread (never blocks the cron clock)."""
        with self._wake:
            if self._closed:
                return
            self._due.append(job)
            if self._sender is None:
                self._sender = threading.Thread(target=self._send_loop, name="dxq-enqueue")
                self._sender.daemon = True
                self._sender.start()
            self._wake.notify()

    def close(self, timeout: float) -> bool:
        """Take no more firings; wait up to `timeout` s until those handed in were recorded
        and sent. True when none is left."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        return self.drained(timeout)

    def drained(self, timeout: float) -> bool:
        """Wait up to `timeout` s until every firing handed to `fire` was recorded and sent."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._due and not self._sending, timeout)

    def _send_loop(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._due or self._closed)
                if not self._due:
                    return
                jobs, self._due, self._sending = self._due, [], True
            try:
                self.submit_all(jobs)
            except Exception as exc:  # a store outage: these firings count as missed runs
                detail = " ".join(str(exc).split()) or type(exc).__name__
                log.error("schedule: %d firing(s) could not be recorded: %s", len(jobs), detail)
            finally:
                with self._wake:
                    self._sending = False
                    self._wake.notify_all()

    def submit_all(self, jobs: Sequence[RunJob]) -> list[bool]:
        """Record the cron firings of `jobs`, `BATCH` to a transaction (slots claimed in key
        order, so two schedulers recording the same slots wait for each other instead of
        deadlocking), and send each batch's firings recorded here through one producer;
        True for each job recorded here. Other jobs go through `submit`."""
        recorded: dict[int, bool] = {}
        cron = sorted(
            ((k, self._firing(job)) for k, job in enumerate(jobs) if job.fire_time is not None),
            key=lambda pair: pair[1].key,
        )
        for start in range(0, len(cron), BATCH):
            state = firings.State.PENDING if self.broker_down_since else firings.State.QUEUED
            chunk = [(k, replace(f, state=state)) for k, f in cron[start : start + BATCH]]
            with self.store.transaction() as tx:
                for k, firing in chunk:
                    recorded[k] = firings.record_in(tx.connection, firing, self.clock(), self.owner)
            mine = [firing for k, firing in chunk if recorded[k]]
            if taken := len(chunk) - len(mine):
                log.info("schedule: %d firing(s) taken by another scheduler", taken)
            if mine and mine[0].state == firings.State.PENDING:
                self.flush()  # the broker was down: oldest first
            elif mine:
                with self._lock:
                    self._send_all(mine)
        return [recorded[k] if k in recorded else self.submit(job) for k, job in enumerate(jobs)]

    def submit(self, job: RunJob) -> bool:
        """Record the job's firing (once) and send what is pending; True when recorded here."""
        name = job.plan.name
        if job.fire_time is not None:
            key = firings.firing_key(name, job.fire_time)
        elif job.trigger == Trigger.REQUEST:
            ids = [r.id for r in scheduling.queued_requests(self.store) if r.integration == name]
            if not ids:
                return False
            key = firings.firing_key(name, None, min(ids))
        else:
            return False
        firing = self._firing(job, key)
        slot_owner = self.owner if job.fire_time is not None else None  # claimed in one go
        if not firings.record(self.store, firing, self.clock(), slot_owner):
            log.info("schedule %s: firing %s taken by another scheduler", name, key)
            return False
        if firing.state == firings.State.PENDING:
            self.flush()  # the broker was down: oldest first
        else:  # recorded as queued by this scheduler alone: send it now
            with self._lock:
                self._send(firing, [firing])
        return True

    def _firing(self, job: RunJob, key: str | None = None) -> firings.Firing:
        """The firing to record for `job` (a cron firing's key from its slot)."""
        name = job.plan.name
        return firings.Firing(
            key or firings.firing_key(name, job.fire_time),
            name,
            str(job.trigger),
            job.fire_time,
            self.config.queue_of(name) if name in self.config.integrations else "dxq",
            firings.State.PENDING if self.broker_down_since else firings.State.QUEUED,
        )

    def flush(self) -> int:
        """Send the pending firings, oldest first, until the broker refuses; returns how many
        were sent."""
        sent = 0
        with self._lock:
            waiting = firings.pending(self.store)
            for firing in waiting:
                if not firings.take_for_sending(self.store, firing.key):
                    continue  # another scheduler sends it
                if not self._send(firing, waiting):
                    return sent
                sent += 1
            if sent and self.broker_down_since is not None:
                log.info("broker: answers again; pending firings sent")
                self.broker_down_since = None
                self._alerted.clear()
        return sent

    def _send_all(self, queued: list[firings.Firing]) -> None:
        """Send firings recorded as queued through one producer; from the first the broker
        refuses, they wait (pending) again, as with `_send`."""
        sent = 0
        try:
            with self.app.producer_or_acquire() as producer:
                sent = self._send_each(queued, producer)
        except Exception:  # kombu's outage errors share no base class; no producer was had
            sent += self._send_each(queued[sent:], None)  # one at a time notes the outage
        for later in queued[sent + 1 :]:
            firings.back_to_pending(self.store, later.key)

    def _send_each(self, queued: list[firings.Firing], producer: Any) -> int:
        """Send in turn until the broker refuses one; returns how many were sent."""
        for sent, firing in enumerate(queued):
            if not self._send(firing, queued[sent:], producer):
                return sent
        return len(queued)

    def _send(
        self, firing: firings.Firing, waiting: list[firings.Firing], producer: Any = None
    ) -> bool:
        """Hand a queued firing to the broker; when it refuses, the firing waits (pending)
        again and the outage is noted (and alerted once it outlasts a run interval)."""
        try:
            self.app.send_task(
                TASK, args=[firing.key], queue=firing.queue, retry=False, producer=producer
            )
        except Exception as exc:  # kombu's outage errors share no base class
            firings.back_to_pending(self.store, firing.key)
            if self.broker_down_since is None:
                self.broker_down_since = self.clock()
            detail = " ".join(str(exc).split()) or type(exc).__name__
            log.error("broker: %s; %d firing(s) wait in the store", detail, len(waiting))
            self._alert_outage(waiting, detail)
            return False
        return True

    def _alert_outage(self, waiting: list[firings.Firing], detail: str) -> None:
        """Once an integration's next firing came while an earlier one still waits (the
        outage outlasted a run interval), raise its `run_error` alert, once per outage."""
        from monitor.daemon.daemon_alerts import record_run_error
        from monitor.run.alert_context import alert_context

        counts = Counter(f.integration for f in waiting)
        since = self.broker_down_since or self.clock()
        reason = (
            f"the broker has not taken runs since {since:%Y-%m-%d %H:%M:%S} UTC ({detail}); "
            "firings wait in the results store and are sent when it answers"
        )
        for name, n in counts.items():
            if n >= 2 and name not in self._alerted and name in self.config.integrations:
                record_run_error(
                    self.store, alert_context(self.config), name, "broker", reason, self.clock()
                )
                self._alerted.add(name)
