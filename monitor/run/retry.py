"""The one retry policy of a run: while a SQL system of the integration cannot be reached, a
bounded number of quick probes with backoff (well under a minute in all), then the run goes on
and records what it finds, so an `error` result and a `run_error` alert come out at once and
the next slot tries again.

Whether an error is worth waiting for is read from its machine-readable cause
(`datasources.errors.Cause`), never from its English text."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from checks.spec import ReferenceSpec
from datasources import budget as budgets
from datasources.dataset import Dataset, SqlSystem
from datasources.errors import Cause, DatasourceError
from monitor.run.plan import IntegrationPlan

log = logging.getLogger("dxq.schedule")


@dataclass(frozen=True)
class RetryPolicy:
    """How long a run waits for systems that cannot be reached: `attempts` probes after the
    first, waiting `first_wait_s`, doubling up to `max_wait_s`; never past half the run's
    budget left."""

    attempts: int = 4
    first_wait_s: float = 0.5
    max_wait_s: float = 4.0

    def waits(self) -> list[float]:
        """The waits before each retry (0.5, 1, 2, 4 s by default: 7.5 s in all)."""
        return [min(self.first_wait_s * 2**i, self.max_wait_s) for i in range(self.attempts)]


RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=0)


class Systems(StrEnum):
    """What the probes found."""

    ANSWERED = "answered"  # every system answered the first probe
    RECOVERED = "recovered"  # a system answered after waiting for it
    DOWN = "down"  # a system still could not be reached when the waiting ended


Waiting = Callable[[str], None]  # told what the run waits for, before each wait


def is_transient(error: DatasourceError) -> bool:
    """Whether an error may pass by waiting: the system could not be reached."""
    return error.cause is Cause.UNREACHABLE


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


def sql_systems(plan: IntegrationPlan) -> list[SqlSystem]:
    """The SQL systems every check of the plan reads, referenced tables included."""
    found: list[Dataset] = [plan.source, plan.target]
    found += [s.referenced for s in plan.specs if isinstance(s, ReferenceSpec)]
    systems = {d.system.name: d.system for d in found if isinstance(d.system, SqlSystem)}
    return list(systems.values())


def await_systems(
    plan: IntegrationPlan, policy: RetryPolicy = RETRY, waiting: Waiting | None = None
) -> Systems:
    """Probe the plan's SQL systems, retrying as `policy` says while one cannot be reached.
    Stops early when the current run budget is cancelled or half of it is spent."""
    budget = budgets.current()
    now = time.monotonic()
    give_up = now + (budget.deadline - now) / 2 if budget is not None else float("inf")
    waited = False
    for system in sql_systems(plan):
        waits = policy.waits()
        attempt = 0
        while (error := probe(system)) is not None and is_transient(error):
            if attempt >= len(waits):
                log.warning("%s: %s; gave up after %d retries", plan.name, error, attempt)
                return Systems.DOWN
            wait = waits[attempt]
            if (budget is not None and budget.cancelled) or time.monotonic() + wait > give_up:
                log.warning("%s: %s; no budget left to wait", plan.name, error)
                return Systems.DOWN
            attempt += 1
            note = (
                f"waiting for system {system.name!r} ({error}); "
                f"retry {attempt} of {len(waits)} in {wait:g} s"
            )
            log.info("%s: %s", plan.name, note)
            if waiting is not None:
                waiting(note)
            time.sleep(wait)
            waited = True
    return Systems.RECOVERED if waited else Systems.ANSWERED
