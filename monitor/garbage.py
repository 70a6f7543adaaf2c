"""The garbage collector in dxq's own process: off while the command starts, back on for the
work that allocates and drops objects.

Start-up (importing SQLAlchemy, the drivers and dxq's modules, building the monitor file's
models, opening the store) makes objects that live as long as the process; the collector's
passes over them find nothing to free, yet cost a `dxq run` about 0.1 s of CPU before its
first check (generation-2 and generation-1 passes over every module's objects). So `dxq`
holds the collector while it starts (`hold`), and `release` freezes what start-up made (the
collector never visits it again, as Python's documentation advises for long-lived objects)
and turns the collector back on: a run path releases it before its checks, every command
that keeps running (schedule, worker, api, dashboard) releases it before it serves.

Only `dxq`'s own process holds it (monitor.cli.main); in-process callers (tests, a worker's
runs) never do, and `release` is then nothing."""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_held = False


def hold() -> None:
    """Turn the collector off until `release`."""
    global _held
    with _lock:
        if gc.isenabled():
            gc.disable()
            _held = True


def release() -> None:
    """Freeze the objects made so far and turn the collector back on, when `hold` held it."""
    global _held
    with _lock:
        if _held:
            gc.freeze()
            gc.enable()
            _held = False
