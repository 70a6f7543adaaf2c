"""Leases, cron slots, run requests, heartbeats and stale runs in the results store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor.daemon.cron import build_trigger
from monitor.daemon.liveness import missed_outcomes, pid_alive, recover
from store import scheduling
from store.schema import heartbeats
from store.store import ResultStore

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
HOST = socket.gethostname()


def test_a_lease_has_one_holder_until_it_expires(store: ResultStore, unique: str) -> None:
    until = T0 + timedelta(seconds=60)
    assert scheduling.acquire_lease(store, unique, "a", until, T0)
    assert not scheduling.acquire_lease(store, unique, "b", until, T0 + timedelta(seconds=59))
    assert not scheduling.acquire_lease(store, unique, "a", until, T0), "not re-entrant"
    assert scheduling.lease_holders(store, T0)[unique] == "a"
    assert not scheduling.renew_lease(store, unique, "b", until)
    later = T0 + timedelta(seconds=61)
    assert scheduling.acquire_lease(store, unique, "b", later + timedelta(seconds=60), later)
    assert not scheduling.release_lease(store, unique, "a")
    assert scheduling.renew_lease(store, unique, "b", later + timedelta(seconds=600))
    assert scheduling.release_lease(store, unique, "b")
    assert scheduling.acquire_lease(store, unique, "c", until, T0)


def test_a_cron_slot_is_claimed_once(store: ResultStore, unique: str) -> None:
    assert scheduling.claim_slot(store, unique, T0, "a")
    assert not scheduling.claim_slot(store, unique, T0, "b")
    assert not scheduling.claim_slot(store, unique, T0 - timedelta(seconds=1), "b")
    assert scheduling.claim_slot(store, unique, T0 + timedelta(seconds=1), "b")


def test_run_requests_are_claimed_by_one_process(store: ResultStore, unique: str) -> None:
    first = scheduling.enqueue_run(store, unique, "ann", T0)
    second = scheduling.enqueue_run(store, unique, "bob", T0 + timedelta(seconds=1))
    queued = [r for r in scheduling.queued_requests(store) if r.integration == unique]
    assert [(r.id, r.requested_by) for r in queued] == [(first, "ann"), (second, "bob")]
    assert scheduling.claim_requests(store, unique) == [first, second]
    assert scheduling.claim_requests(store, unique) == []
    # the claimer died before finishing: without a lease on the integration they come back
    assert scheduling.requeue_orphans(store, [unique]) == 0
    assert scheduling.requeue_orphans(store, []) >= 2
    assert scheduling.claim_requests(store, unique) == [first, second]
    run_id = store.begin_run(unique, T0)
    scheduling.finish_requests(store, [first, second], run_id)
    assert scheduling.requeue_orphans(store, []) == 0
    assert not [r for r in scheduling.queued_requests(store) if r.integration == unique]


def test_a_heartbeat_is_one_row_per_process(store: ResultStore, unique: str) -> None:
    for n in range(2):
        scheduling.beat(
            store,
            unique,
            host="h",
            pid=7,
            started_at=T0,
            now=T0 + timedelta(seconds=n),
            info={"config_error": None if n else "bad"},
        )
    with store.reading() as connection:
        stmt = sa.select(heartbeats).where(heartbeats.c.process_id == unique)
        rows = [dict(r) for r in connection.execute(stmt).mappings()]
    assert len(rows) == 1
    assert rows[0]["last_tick_at"] == T0 + timedelta(seconds=1)
    assert rows[0]["info"] == {"config_error": None}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_recover_fails_only_runs_whose_scheduler_is_gone(store: ResultStore, unique: str) -> None:
    now = datetime.now(UTC)
    dead = _dead_pid()
    assert not pid_alive(dead) and pid_alive(os.getpid())
    with store.transaction() as tx:
        crashed = tx.begin_run(f"{unique}-a", now, "schedule", host=HOST, pid=dead)
        mine = tx.begin_run(f"{unique}-b", now, "schedule", host=HOST, pid=os.getpid())
        remote_old = tx.begin_run(f"{unique}-c", now - timedelta(hours=1), host="far", pid=1)
        remote_held = tx.begin_run(f"{unique}-d", now - timedelta(hours=1), host="far", pid=2)
        remote_new = tx.begin_run(f"{unique}-e", now, "schedule", host="far", pid=3)
    dead_owner = f"{HOST}:{dead}:abc"
    scheduling.acquire_lease(store, f"run:{unique}-a", dead_owner, now + timedelta(hours=1), now)
    scheduling.acquire_lease(store, f"run:{unique}-d", "far:2:x", now + timedelta(hours=1), now)
    failed = recover(store, host=HOST, now=now, timeouts={f"{unique}-c": 60.0})
    assert crashed in failed and remote_old in failed
    assert not {mine, remote_held, remote_new} & set(failed)
    held = scheduling.lease_holders(store, now)
    assert f"run:{unique}-a" not in held, "the dead scheduler's lease is freed"
    assert held[f"run:{unique}-d"] == "far:2:x"
    runs = {r.id for r in scheduling.running_runs(store)}
    assert crashed not in runs and mine in runs
    reason = f"scheduler on {HOST} pid {dead} stopped during the run"
    assert not scheduling.fail_run(store, crashed, reason, now), "already failed"
    assert scheduling.owner_pid(dead_owner, HOST) == dead
    assert scheduling.owner_pid("far:2:x", HOST) is None


@pytest.mark.parametrize(("age_s", "outcome"), [(100, "passed"), (200, "failed")])
def test_a_scheduled_integration_is_missed_after_its_next_firing_timeout_and_half_a_gap(
    store: ResultStore, unique: str, age_s: int, outcome: str
) -> None:
    now = datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)
    run_id = store.begin_run(unique, now - timedelta(seconds=age_s + 1))
    store.complete_run(run_id, now - timedelta(seconds=age_s), [])
    every_minute = build_trigger("* * * * *", "UTC")
    found = missed_outcomes(store, {unique: (every_minute, 90.0)}, since=now, now=now)
    # 200 s ago (11:57:10): due at 11:58 + 90 s + 30 s = 12:00:00; 100 s ago: due 12:01:00
    assert found[unique].outcome == outcome
    schedules = {f"{unique}-new": (every_minute, 90.0)}
    never = missed_outcomes(store, schedules, since=now, now=now)
    assert never[f"{unique}-new"].outcome == "passed", "counted from the scheduler's start"


def test_missed_counts_from_when_the_schedule_began_and_gone_ones_pass(
    store: ResultStore, unique: str
) -> None:
    now = datetime.now(UTC)
    started = now - timedelta(hours=1)
    schedules = {unique: (build_trigger("* * * * *", "UTC"), 30.0)}
    stale = missed_outcomes(store, schedules, since=started, now=now)
    assert stale[unique].outcome == "failed", "scheduled an hour ago and never reported"
    added = {unique: now - timedelta(seconds=10)}
    fresh = missed_outcomes(store, schedules, since=started, now=now, scheduled_since=added)
    assert fresh[unique].outcome == "passed", "added by a reload 10 s ago"
    gone = missed_outcomes(store, {}, since=started, now=now, gone=[f"{unique}-x"])
    assert gone[f"{unique}-x"].outcome == "passed"
