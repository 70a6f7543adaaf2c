"""The scheduler's side of the celery executor: each firing is recorded once in the store
(its cron slot claimed first, so two schedulers yield one task), then handed to the broker
on the firing's queue. While the broker is down firings stay pending in the store and are
sent when it answers again."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from monitor.config.model import Config
from monitor.executor.app import TASK, celery_app
from monitor.run.guarded import RunJob, Trigger
from store import firings, scheduling
from store.store import ResultStore

log = logging.getLogger("dxq.schedule")


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
        firing = firings.Firing(
            key,
            name,
            str(job.trigger),
            job.fire_time,
            self.config.queue_of(name) if name in self.config.integrations else "dxq",
            firings.State.PENDING if self.broker_down_since else firings.State.QUEUED,
        )
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

    def _send(self, firing: firings.Firing, waiting: list[firings.Firing]) -> bool:
        """Hand a queued firing to the broker; when it refuses, the firing waits (pending)
        again and the outage is noted (and alerted once it outlasts a run interval)."""
        try:
            self.app.send_task(TASK, args=[firing.key], queue=firing.queue, retry=False)
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
        from monitor.run.alerting import alert_context

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
