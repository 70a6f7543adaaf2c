"""How a run waits for its systems, by the one retry policy (`datasources.retry_policy`, shared
with the HTTP reader): while a SQL system of the integration cannot be reached, a bounded
number of quick probes with backoff (well under a minute in all), then the run goes on
and records what it finds, so an `error` result and a `run_error` alert come out at once and
the next slot tries again.

A system that answered a moment ago (a connection of it came back from use within the last
second, `datasources.idle_ping.answered_within`) is not probed before the run: on a busy
worker that probe was a connection checkout and three statements a run for nothing. Should it
have gone away meanwhile, the run's own checks meet the same connection error, translated to
the same cause (`datasources.connection.translate_error`); the run path then waits for it
after the checks and runs them again, as it would have after a failed probe.

The first probes of an integration's systems run at once, one thread each (in the run's
context, so its budget applies): connecting to one system waits on the network while another
connects, and a run of PostgreSQL and MariaDB starts its checks sooner. The waiting and the
later probes go one system at a time, as before; once a system was waited for, the others are
probed again rather than trusted on what they answered before the wait.

Whether an error is worth waiting for is read from its machine-readable cause
(`datasources.errors.Cause`), never from its English text."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum

from checks.spec import ReferenceSpec
from datasources.api_dataset import ApiSystem
from datasources.budget import each_within
from datasources.dataset import Dataset, SqlSystem
from datasources.errors import Cause, DatasourceError
from datasources.retry_policy import NO_RETRY, RETRY, RetryPolicy, give_up_at, may_wait
from monitor.run.plan import IntegrationPlan

__all__ = ["NO_RETRY", "RETRY", "RetryPolicy", "Systems", "await_systems", "sql_systems"]

log = logging.getLogger("dxq.schedule")


class Systems(StrEnum):
    """What the probes found."""

    ANSWERED = "answered"  # every system answered the first probe
    TRUSTED = "trusted"  # not every system was probed: they answered a moment ago
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


def answered_lately(system: SqlSystem) -> bool:
    """Whether `system` answered a moment ago (`datasources.idle_ping.answered_within`)."""
    from datasources.connection import engine_for
    from datasources.idle_ping import answered_within

    try:
        return answered_within(engine_for(system))
    except DatasourceError:  # a URL no engine can be made of: the probe reports it
        return False


def sql_systems(plan: IntegrationPlan) -> list[SqlSystem]:
    """The SQL systems every check of the plan reads, referenced tables included."""
    found: list[Dataset] = [plan.source, plan.target]
    found += [s.referenced for s in plan.specs if isinstance(s, ReferenceSpec)]
    systems = {
        d.system.name: d.system
        for d in found
        if isinstance(d.system, SqlSystem) and not isinstance(d.system, ApiSystem)
    }
    return list(systems.values())


def await_systems(
    plan: IntegrationPlan,
    policy: RetryPolicy = RETRY,
    waiting: Waiting | None = None,
    *,
    trust_lately: bool = False,
) -> Systems:
    """Probe the plan's SQL systems, retrying as `policy` says while one cannot be reached.
    Stops early when the current run budget is cancelled or half of it is spent. With
    `trust_lately`, a system that answered a moment ago is not probed (`Systems.TRUSTED`)."""
    give_up = give_up_at()
    waited = trusted = False
    systems = sql_systems(plan)
    for system, (lately, first) in zip(systems, _first_answers(systems, trust_lately), strict=True):
        if lately:
            trusted = True
            continue
        error = probe(system) if waited else first  # after a wait, what it says now
        waits = policy.waits()
        attempt = 0
        while error is not None and is_transient(error):
            if attempt >= len(waits):
                log.warning("%s: %s; gave up after %d retries", plan.name, error, attempt)
                return Systems.DOWN
            wait = waits[attempt]
            if not may_wait(wait, give_up):
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
            error = probe(system)
    if waited:
        return Systems.RECOVERED
    return Systems.TRUSTED if trusted else Systems.ANSWERED


def _first_answers(
    systems: Sequence[SqlSystem], trust_lately: bool
) -> list[tuple[bool, DatasourceError | None]]:
    """For each system, all at once: whether it answered lately (then it is not probed), and
    its first probe's error (None when it answers)."""

    def first(system: SqlSystem) -> tuple[bool, DatasourceError | None]:
        if trust_lately and answered_lately(system):
            return True, None
        return False, probe(system)

    if len(systems) < 2:
        return [first(system) for system in systems]
    with ThreadPoolExecutor(len(systems), thread_name_prefix="dxq-probe") as pool:
        return each_within(pool, first, systems)  # the run's budget goes with each probe
