"""The dispatcher: delivers the outbox.

Each pass claims due notifications under a lease, builds each message from the alert as it was
decided, hands it to its channel with a hard timeout and records the outcome: `sent`; `pending`
again after exponential backoff with jitter (connection errors, timeouts, 5xx, 429 honouring
Retry-After); or `dead` (other 4xx, no such channel, too many attempts), which raises a
dead-letter alert to maintenance through another channel. The idempotency key of a notification
never changes, so every re-send (after a crash, too) carries the same `Idempotency-Key` header
and e-mail `Message-ID`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from alerts.delivery import DEFAULT_BACKOFF, BackoffPolicy, DeliveryResult, next_attempt
from datasources.printable import one_line
from monitor.config.model import Config
from monitor.run.alert_context import AlertContext, alert_context
from monitor.run.alerting import record_dead_letter, record_delivered
from store.errors import StoreError
from store.outbox import Claimed, any_due, claim_due, mark_dead, mark_sent, schedule_retry
from store.store import ResultStore

log = logging.getLogger("dxq.dispatch")


class AttemptStatus(StrEnum):
    """What became of one claimed notification."""

    SENT = "sent"
    RETRY = "retry"  # pending again, after a backoff
    DEAD = "dead"  # given up: a dead-letter alert was raised
    LOST = "lost"  # another dispatcher took over the lease


@dataclass(frozen=True)
class Attempt:
    """What happened to one claimed notification."""

    key: str
    receiver: str
    channel: str
    status: AttemptStatus
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class DispatchReport:
    """The attempts of one dispatcher pass."""

    attempts: tuple[Attempt, ...] = ()

    def count(self, status: str) -> int:
        """How many attempts ended with `status`."""
        return sum(1 for a in self.attempts if a.status == status)


def worker_id() -> str:
    """A name for this dispatcher, unique per process and call."""
    from store import scheduling  # the daemon's module: a run loads it only to send

    return scheduling.process_id()


LEASE_MARGIN_S = 30.0  # a claim's lease: the hard timeout of its one send plus this
CONCURRENCY = 4  # receivers served at once in one pass
MIN_SEND_S = 0.5  # the shortest hard timeout a send gets when the budget runs out


@dataclass
class _Pass:
    """The shared state of one dispatcher pass: who is being served, what was done."""

    store: ResultStore
    context: AlertContext
    worker: str
    clock: Callable[[], datetime]
    timeout_s: float
    limit: int
    deadline: float | None
    rng: random.Random
    policy: BackoffPolicy
    busy: set[str] = field(default_factory=set)
    claimed: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def left_s(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def serve(self) -> None:
        """Serve until done (`_serve`); a store that goes away ends this thread's part of the
        pass with one line in the log (what it claimed is claimed again after its lease)."""
        try:
            self._serve()
        except StoreError as exc:
            log.error("dispatcher %s: results store: %s", self.worker, exc.line())

    def _serve(self) -> None:
        """Claim one due notification at a time (of a receiver nobody here is serving), send
        it and record it, until nothing is due, `limit` is reached or the budget is spent."""
        while True:
            left = self.left_s()
            if left is not None and left <= 0:
                return
            timeout = self.timeout_s if left is None else max(min(self.timeout_s, left), MIN_SEND_S)
            with self.lock:  # one claim at a time: a receiver's messages keep their order
                if self.claimed >= self.limit:
                    return
                with self.store.transaction() as tx:
                    found = claim_due(
                        tx.connection,
                        self.worker,
                        self.clock(),
                        timeout + LEASE_MARGIN_S,
                        1,
                        exclude=self.busy,
                    )
                if not found:
                    return
                claimed = found[0]
                receiver = claimed.notification.receiver
                self.claimed += 1
                self.busy.add(receiver)
            try:
                done = _dispatch(self, claimed, timeout)
            finally:
                with self.lock:
                    self.busy.discard(receiver)
            with self.lock:
                self.attempts.append(done)


def dispatch_once(
    store: ResultStore,
    config: Config | AlertContext,
    *,
    worker: str,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
    limit: int = 50,
    hard_timeout_s: float | None = None,
    budget_s: float | None = None,
    concurrency: int = CONCURRENCY,
    rng: random.Random | None = None,
    policy: BackoffPolicy = DEFAULT_BACKOFF,
) -> DispatchReport:
    """Deliver up to `limit` due notifications once each; never raises for a delivery problem.

    Notifications are claimed one at a time with a lease of one send's hard timeout plus a
    margin, read from `clock` (or the fixed `now`) at the claim, so a crashed dispatcher
    releases them soon. Up to `concurrency` receivers are served at once, each receiver by one
    thread, so a receiver that never answers holds up only itself. With `budget_s` the pass
    stops claiming when it is spent, and no send outlasts it by more than `MIN_SEND_S`."""
    context = config if isinstance(config, AlertContext) else alert_context(config)
    timeout = hard_timeout_s if hard_timeout_s is not None else context.smtp.timeout + 5.0
    read = clock or ((lambda: now) if now is not None else _utcnow)
    deadline = None if budget_s is None else time.monotonic() + budget_s
    state = _Pass(
        store, context, worker, read, timeout, limit, deadline, rng or random.Random(), policy
    )
    threads = [
        threading.Thread(target=state.serve, name=f"dxq-dispatch-{i}", daemon=True)
        for i in range(max(concurrency, 1))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return DispatchReport(tuple(state.attempts))


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _dispatch(state: _Pass, claimed: Claimed, timeout_s: float) -> Attempt:
    n = claimed.notification
    result = attempt(state.context, claimed, state.clock(), timeout_s)
    now = state.clock()  # after the send: a Retry-After counts from the answer
    with state.store.transaction() as tx:
        if result.delivered:
            mark_sent(tx.connection, claimed.id, now)
            record_delivered(tx.connection, n.receiver, n.channel, now)
            return Attempt(n.key, n.receiver, n.channel, AttemptStatus.SENT)
        error = result.error or "not delivered"
        retry_at = None
        if result.retryable:
            retry_at = next_attempt(
                claimed.attempts, now, result.retry_after_s, state.rng, state.policy
            )
        if retry_at is not None:
            kept = schedule_retry(tx.connection, claimed.id, state.worker, retry_at, error)
            status = AttemptStatus.RETRY if kept else AttemptStatus.LOST
            done = Attempt(n.key, n.receiver, n.channel, status, error, retry_at)
            _log_failed(claimed, done)
            return done
        if not result.retryable:
            error = f"permanent: {error}"
        else:
            error = f"gave up after {claimed.attempts} attempts: {error}"
        if not mark_dead(tx.connection, claimed.id, state.worker, error):
            return Attempt(n.key, n.receiver, n.channel, AttemptStatus.LOST, error)
        record_dead_letter(
            tx.connection, state.context, claimed.alert, n.receiver, n.channel, error, now
        )
        done = Attempt(n.key, n.receiver, n.channel, AttemptStatus.DEAD, error)
        _log_failed(claimed, done)
        return done


def _log_failed(claimed: Claimed, done: Attempt) -> None:
    """One log line per failed attempt, with its reason and what happens next."""
    n = claimed.notification
    what = f"notification #{claimed.id} ({n.kind}) to {n.receiver} by {n.channel}"
    error = one_line(done.error or "unknown error")  # a server's answer: one log line
    if done.status is AttemptStatus.RETRY and done.next_attempt_at is not None:
        log.warning(
            "%s: attempt %d failed: %s; retrying at %s UTC",
            what,
            claimed.attempts,
            error,
            f"{done.next_attempt_at:%H:%M:%S}",
        )
    elif done.status is AttemptStatus.DEAD:
        log.error("%s: attempt %d failed: %s; dead letter", what, claimed.attempts, error)


def attempt(
    context: AlertContext, claimed: Claimed, now: datetime, timeout_s: float
) -> DeliveryResult:
    """One delivery of a claimed notification, with a hard timeout; records nothing."""
    # Imported for a send only: the channels (smtplib, HTTP) cost every `dxq run` start-up
    # time, and most runs send nothing.
    from alerts.message import build_message
    from alerts.sender import deliver

    n = claimed.notification
    owner = context.owners.get(n.receiver)
    address = owner.channel(n.channel) if owner is not None else None
    if address is None:
        return DeliveryResult.permanent(f"{n.receiver} has no {n.channel} channel")
    message = build_message(
        claimed.alert, n, context.owners, context.dashboard_url, context.partners
    )
    return run_with_timeout(lambda: deliver(address, message, context.smtp, now), timeout_s)


def run_with_timeout(send: Callable[[], DeliveryResult], timeout_s: float) -> DeliveryResult:
    """Run one delivery in a daemon thread; a retryable failure if it outlasts `timeout_s`."""
    box: list[DeliveryResult] = []

    def target() -> None:
        try:
            box.append(send())
        except Exception as exc:  # a bug in a channel must not stop the dispatcher
            box.append(DeliveryResult.retry(f"{type(exc).__name__}: {exc}"))

    thread = threading.Thread(target=target, name="dxq-delivery", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not box:
        return DeliveryResult.retry(f"no answer within the hard timeout of {timeout_s:g}s")
    return box[0]


def deliver_due(
    store: ResultStore,
    context: AlertContext,
    *,
    clock: Callable[[], datetime],
    worker: str | None = None,
    budget_s: float = 20.0,
) -> DispatchReport:
    """Dispatch what is due within `budget_s` (what `dxq run` does after recording); whatever
    still fails stays in the outbox for `dxq schedule`. When nothing is due (most runs), one
    read says so and no dispatcher threads start."""
    try:
        with store.reading() as connection:
            if not any_due(connection, clock()):
                return DispatchReport()
    except StoreError as exc:  # as a pass's claim would: one line, the run goes on
        log.error("dispatcher: results store: %s", exc.line())
        return DispatchReport()
    return dispatch_once(
        store, context, worker=worker or worker_id(), clock=clock, budget_s=budget_s, limit=1000
    )
