"""The scheduler's commands: `dxq schedule` starts the daemon, `dxq run --queue` asks it to
run integrations now."""

from __future__ import annotations

import getpass
import logging
import socket
import sys
from collections.abc import Mapping

from monitor.commands.metrics_options import start_metrics
from monitor.config.loading import load_config
from monitor.config.model import Config
from monitor.daemon.scheduler import Options, Scheduler, utcnow
from monitor.errors import MonitorError
from monitor.metrics import MetricsEndpoint
from store import scheduling
from store.errors import StoreError
from store.store import ResultStore


def schedule(
    options: Options, env: Mapping[str, str], *, metrics: MetricsEndpoint | None = None
) -> int:
    """`dxq schedule`: load the monitor file, then serve until stopped (and serve Prometheus
    metrics from the store beside it when `metrics` says where)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if options.workers < 1:
        raise MonitorError("--workers must be at least 1")
    config = load_config(options.config_path, env)
    backend = store_backend(config.store)
    if backend not in ("postgresql", "sqlite"):
        print(
            f"dxq: the scheduler needs a PostgreSQL or SQLite results store, not {backend}",
            file=sys.stderr,
        )
        return 2
    if config.executor is not None:
        from monitor.executor.app import celery_app, check_broker

        check_broker(celery_app(config), config.executor.broker)
    try:
        scheduler = Scheduler(options, config, env=env)
    except StoreError as exc:
        print(f"dxq: {exc}", file=sys.stderr)
        return 2
    if metrics is not None and not start_metrics(
        ResultStore.open(config.store, migrate=False), metrics
    ):
        return 2
    return scheduler.serve()


def store_backend(url: str) -> str:
    """The database kind of a results store URL ("postgresql", "sqlite", "mysql", ...)."""
    import sqlalchemy as sa

    try:
        return sa.make_url(url).get_backend_name()
    except sa.exc.ArgumentError:
        return "an unreadable URL"


def queue_runs(config: Config, integrations: list[str]) -> int:
    """`dxq run --queue`: ask the scheduler to run these integrations now."""
    store = ResultStore.open(config.store)
    requested_by = f"{getpass.getuser()}@{socket.gethostname()}"
    for name in integrations:
        request_id = scheduling.enqueue_run(store, name, requested_by, utcnow())
        print(f"queued {name} (request {request_id})")
    return 0
