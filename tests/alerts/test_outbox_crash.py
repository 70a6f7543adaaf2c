"""Crash safety of the outbox: a dispatcher process killed with SIGKILL after claiming, or after
sending but before recording it, loses nothing; the lease keeps others off until it expires;
the re-send carries the same idempotency key. Real subprocesses, real receivers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.daemon.dispatcher import dispatch_once
from tests.alerts.outbox_support import (
    T0,
    Setup,
    fail,
    outbox,
)

ROOT = Path(__file__).resolve().parents[2]
LEASE_S = 60


def crash(setup: Setup, mode: str) -> None:
    """Start a doomed dispatcher, wait until it has claimed (or sent), then SIGKILL it."""
    command = [
        sys.executable, "-m", "tests.alerts.outbox_worker",
        str(setup.config_path), mode, T0.isoformat(), str(LEASE_S),
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()
        assert line == f"{mode} 1", proc.stderr.read().decode() if proc.stderr else line
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("mode", ["claim", "send"])
def test_a_killed_dispatcher_loses_nothing_and_resends_with_the_same_key(
    setup: Setup, mode: str
) -> None:
    (notification,) = fail(setup).notifications
    crash(setup, mode)
    (row,) = outbox(setup.store)
    assert (row.status, row.lease_owner, row.attempts) == ("sending", "doomed-worker", 1)
    sent_before = len(setup.receiver.at("/shop"))
    assert sent_before == (1 if mode == "send" else 0)

    during_lease = T0 + timedelta(seconds=LEASE_S - 1)
    assert dispatch_once(setup.store, setup.config, now=during_lease, worker="w2").attempts == ()
    assert len(setup.receiver.at("/shop")) == sent_before

    after_lease = T0 + timedelta(seconds=LEASE_S)
    report = dispatch_once(setup.store, setup.config, now=after_lease, worker="w2")
    assert [a.status for a in report.attempts] == ["sent"]
    seen = setup.receiver.at("/shop")
    assert len(seen) == sent_before + 1
    assert {s.key for s in seen} == {notification.key}
    (row,) = outbox(setup.store)
    assert (row.status, row.attempts, row.lease_owner) == ("sent", 2, None)
    later = after_lease + timedelta(hours=1)
    assert dispatch_once(setup.store, setup.config, now=later, worker="w3").attempts == ()
