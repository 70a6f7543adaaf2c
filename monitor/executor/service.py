"""The Celery worker inside `dxq worker`, kept serving: Celery stops a worker on an
"unrecoverable error", and one of them is a known race of kombu's Redis transport when the
broker goes away while a thread of the pool acknowledges a finished run (the channel's
connection is gone: `AttributeError: 'NoneType' object has no attribute 'hostname'`). Such a
stop is not an operator's: the worker starts again on a fresh Celery app (its unacknowledged
runs are delivered again by the broker and taken back through the store). SIGTERM or SIGINT
still stop it for good."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from monitor.config.model import Config
from monitor.executor.app import celery_app
from monitor.executor.runs import WorkerHost
from monitor.executor.tasks import register

log = logging.getLogger("dxq.worker")

RESTART_AFTER_S = 2.0


def serve(config: Config, host: WorkerHost, argv: Sequence[str]) -> None:
    """Run Celery's worker with `argv` until an operator stops it."""
    from celery import signals

    stopping = threading.Event()

    def on_shutdown(**_: object) -> None:
        stopping.set()

    signals.worker_shutting_down.connect(on_shutdown, weak=False)
    try:
        while True:
            app = celery_app(config)
            register(app, host)
            try:
                app.worker_main(list(argv))
                code: object = 0
            except SystemExit as exc:
                code = exc.code
            if stopping.is_set() or host.abort.is_set():
                return
            log.error(
                "the Celery worker stopped by itself (exit %s); it starts again in %.0f s",
                code,
                RESTART_AFTER_S,
            )
            if stopping.wait(RESTART_AFTER_S):
                return
    finally:
        signals.worker_shutting_down.disconnect(on_shutdown)
