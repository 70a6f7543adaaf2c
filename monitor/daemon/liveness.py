"""Whether work is still alive: runs left `running` by a dead scheduler, the leases it held,
and scheduled integrations that stopped reporting (missed runs)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from alerts.alert import CheckOutcome
from alerts.watchdog import missed_alert
from monitor.daemon.cron import due_by
from store import scheduling
from store.store import ResultStore

log = logging.getLogger("dxq.schedule")

DEFAULT_TIMEOUT_S = 600.0


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def recover(
    store: ResultStore,
    *,
    host: str,
    now: datetime,
    timeouts: Mapping[str, float],
    alive: Callable[[int], bool] = pid_alive,
    process_id: str | None = None,
    started_at: datetime | None = None,
    busy: Callable[[], Collection[str]] | None = None,
) -> list[int]:
    """Fail runs whose scheduler is gone and free what it held; returns the failed run ids.

    A run on this host fails when its process is dead, or when it has this process's pid but
    started before this process (`started_at`: a restarted container reuses PID 1); a lease of
    this pid held under another process id (`process_id`) is freed the same way. A run from
    another host fails only when nobody holds its integration's lease and it started longer ago
    than its timeout plus the lease margin, so a live scheduler elsewhere keeps its runs.

    With `busy` (the integrations this process is running now, read after the store), this
    process's own orphans go too: a run still `running` and a run lease still held for an
    integration it no longer runs, left when the store was away as the run ended.
    """
    from monitor.run.guarded import LEASE_MARGIN_S

    me = os.getpid()
    held = scheduling.lease_holders(store, now)
    running = scheduling.running_runs(store)
    own = scheduling.leases_of(store, process_id) if process_id is not None else {}
    here = set(busy()) if busy is not None else None  # after the reads: no run begins unseen
    if here is not None and process_id is not None:
        held = _free_own_leases(store, held, own, process_id, here)
    dead_owners = [
        owner
        for owner in set(held.values())
        if (pid := scheduling.owner_pid(owner, host)) is not None
        and (
            (pid == me and process_id is not None and owner != process_id)
            or (pid != me and not alive(pid))
        )
    ]
    if scheduling.drop_leases_of(store, dead_owners):
        log.info("freed the leases of stopped schedulers: %s", ", ".join(sorted(dead_owners)))
        held = {name: owner for name, owner in held.items() if owner not in dead_owners}
    failed: list[int] = []
    for run in running:
        process = f"worker {run.worker}" if run.worker else "scheduler"
        reason = f"{process} on {run.host} pid {run.pid} stopped during the run"
        if run.host == host and run.pid is not None:
            if run.pid == me:
                if started_at is None or run.started_at >= started_at:
                    if here is None or run.integration in here:
                        continue
                    reason = f"scheduler on {run.host} pid {run.pid} lost the run's end: {LOST}"
            elif alive(run.pid):
                continue
        else:
            budget = timeouts.get(run.integration, DEFAULT_TIMEOUT_S) + LEASE_MARGIN_S
            if scheduling.run_lease(run.integration) in held or run.started_at > now - timedelta(
                seconds=budget
            ):
                continue
        if scheduling.fail_run(store, run.id, reason, now):
            log.warning("run %s of %s: %s", run.id, run.integration, reason)
            failed.append(run.id)
    leased = [i for name in held if (i := scheduling.leased_integration(name)) is not None]
    requeued = scheduling.requeue_orphans(store, leased)
    if requeued:
        log.info("re-queued %d run request(s) of a stopped scheduler", requeued)
    return failed


LOST = "the results store was unavailable when it ended"


def _free_own_leases(
    store: ResultStore,
    held: dict[str, str],
    own: dict[str, datetime],
    process_id: str,
    here: Collection[str],
) -> dict[str, str]:
    """Give back this process's run leases (`own`, as read before `here`) of integrations it
    no longer runs; a lease taken again since (another `until`) is kept. Returns the leases
    still held."""
    freed = [
        name
        for name, until in own.items()
        if (integration := scheduling.leased_integration(name)) is not None
        and integration not in here
        and scheduling.release_lease(store, name, process_id, until)
    ]
    for name in freed:
        log.warning("%s: freed this scheduler's lease left when %s", name, LOST)
    return {name: owner for name, owner in held.items() if name not in freed}


def missed_outcomes(
    store: ResultStore,
    schedules: Mapping[str, tuple[Any, float]],
    *,
    since: datetime,
    now: datetime,
    scheduled_since: Mapping[str, datetime] | None = None,
    gone: Collection[str] = (),
) -> dict[str, CheckOutcome]:
    """The `missed` outcome of each scheduled integration (integration -> (cron trigger,
    timeout)): failed once `cron.due_by` of its baseline has passed — the baseline is the later
    of its last report and when it got its current schedule (`scheduled_since`, else `since`,
    when the scheduler started). Integrations `gone` from the schedule pass, so their open
    `missed` alerts resolve."""
    reports = scheduling.last_reports(store)
    outcomes = {name: missed_alert(name, now, now, now) for name in gone}
    for name, (trigger, timeout) in schedules.items():
        began = (scheduled_since or {}).get(name)
        last = reports.get(name, since) if began is None else max(reports.get(name, began), began)
        outcomes[name] = missed_alert(name, last, due_by(trigger, last, timeout) or now, now)
    return outcomes
