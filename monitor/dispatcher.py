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

import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from alerts.delivery import DEFAULT_BACKOFF, BackoffPolicy, DeliveryResult, next_attempt
from alerts.message import build_message
from alerts.sender import deliver
from monitor.alerting import AlertContext, alert_context, record_dead_letter
from monitor.config import Config
from store.outbox import Claimed, claim_due, mark_dead, mark_sent, schedule_retry
from store.store import ResultStore


@dataclass(frozen=True)
class Attempt:
    """What happened to one claimed notification."""

    key: str
    receiver: str
    channel: str
    status: str  # sent | retry | dead | lost (another dispatcher took over the lease)
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
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def dispatch_once(
    store: ResultStore,
    config: Config | AlertContext,
    *,
    now: datetime,
    worker: str,
    limit: int = 50,
    hard_timeout_s: float | None = None,
    rng: random.Random | None = None,
    policy: BackoffPolicy = DEFAULT_BACKOFF,
) -> DispatchReport:
    """Deliver up to `limit` due notifications once each; never raises for a delivery problem.

    The lease lasts the hard timeout of every claimed delivery plus a minute, so a live
    dispatcher never loses it and a crashed one releases it soon after."""
    context = config if isinstance(config, AlertContext) else alert_context(config)
    timeout = hard_timeout_s if hard_timeout_s is not None else context.smtp.timeout + 5.0
    lease_s = timeout * limit + 60.0
    with store.transaction() as tx:
        claimed = claim_due(tx.connection, worker, now, lease_s, limit)
    chance = rng or random.Random()
    attempts = [_dispatch(store, context, c, now, worker, timeout, chance, policy) for c in claimed]
    return DispatchReport(tuple(attempts))


def _dispatch(
    store: ResultStore,
    context: AlertContext,
    claimed: Claimed,
    now: datetime,
    worker: str,
    timeout_s: float,
    rng: random.Random,
    policy: BackoffPolicy,
) -> Attempt:
    n = claimed.notification
    result = attempt(context, claimed, now, timeout_s)
    with store.transaction() as tx:
        if result.delivered:
            mark_sent(tx.connection, claimed.id, now)
            return Attempt(n.key, n.receiver, n.channel, "sent")
        error = result.error or "not delivered"
        retry_at = None
        if result.retryable:
            retry_at = next_attempt(claimed.attempts, now, result.retry_after_s, rng, policy)
        if retry_at is not None:
            kept = schedule_retry(tx.connection, claimed.id, worker, retry_at, error)
            status = "retry" if kept else "lost"
            return Attempt(n.key, n.receiver, n.channel, status, error, retry_at)
        if not result.retryable:
            error = f"permanent: {error}"
        else:
            error = f"gave up after {claimed.attempts} attempts: {error}"
        if not mark_dead(tx.connection, claimed.id, worker, error):
            return Attempt(n.key, n.receiver, n.channel, "lost", error)
        record_dead_letter(tx.connection, context, claimed.alert, n.receiver, n.channel, error, now)
        return Attempt(n.key, n.receiver, n.channel, "dead", error)


def attempt(
    context: AlertContext, claimed: Claimed, now: datetime, timeout_s: float
) -> DeliveryResult:
    """One delivery of a claimed notification, with a hard timeout; records nothing."""
    n = claimed.notification
    owner = context.owners.get(n.receiver)
    address = owner.channel(n.channel) if owner is not None else None
    if address is None:
        return DeliveryResult.permanent(f"{n.receiver} has no {n.channel} channel")
    message = build_message(claimed.alert, n, context.owners, context.dashboard_url)
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
    """Dispatch until nothing is due now or `budget_s` has passed (what `dxq run` does after
    recording); whatever still fails stays in the outbox for `dxq schedule`."""
    name = worker or worker_id()
    deadline = time.monotonic() + budget_s
    attempts: list[Attempt] = []
    while time.monotonic() < deadline:
        left = max(deadline - time.monotonic(), 1.0)
        report = dispatch_once(
            store,
            context,
            now=clock(),
            worker=name,
            hard_timeout_s=min(context.smtp.timeout + 5.0, left),
        )
        attempts.extend(report.attempts)
        if not report.attempts:
            break
    return DispatchReport(tuple(attempts))
