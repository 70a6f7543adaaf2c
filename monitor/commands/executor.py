"""The celery executor's commands: `dxq worker` executes runs, `dxq runs` lists runs with the
worker that executed each, `dxq workers` shows the workers' heartbeats."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from datasources.printable import one_line
from monitor.commands.metrics_options import (
    add_metrics_options,
    metrics_endpoint,
    start_metrics,
)
from monitor.errors import MonitorError

if TYPE_CHECKING:  # the parser is built on every `dxq` start: no pydantic models for it
    from monitor.config.model import Config

Loader = Callable[[Any], "Config"]


def declare_executor_commands(sub: Any, load: Loader) -> None:
    """Add `worker`, `runs` and `workers` to dxq's subcommands (argparse's subparsers)."""

    def command(name: str, help_: str, run: Callable[[Any], int]) -> Any:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("-c", "--config", metavar="FILE", help="monitor file")
        p.set_defaults(command=run, load=load)
        return p

    p = command("worker", "execute runs handed out by `dxq schedule` (executor: celery)", _worker)
    p.add_argument("--concurrency", type=int, default=4, metavar="N", help="runs at once (4)")
    p.add_argument("--queues", default="dxq", metavar="A,B", help="queues to serve (dxq)")
    p.add_argument("--name", metavar="NAME", help="worker name (default dxq-PID@HOST)")
    add_metrics_options(p)
    p = command("runs", "list recent runs with their cron slot and worker", _runs)
    p.add_argument("--integration", metavar="NAME", help="only this integration's runs")
    p.add_argument("--since", metavar="ISO", help="runs started at or after this time")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N runs (50)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    command("workers", "list the workers with their queues, heartbeat and runs", _workers)


def _worker(args: Any) -> int:
    from monitor.executor.app import celery_app, check_broker
    from monitor.executor.fleet import BEAT_S
    from monitor.executor.runs import WorkerHost
    from monitor.executor.service import serve

    config: Config = args.load(args)
    if config.executor is None:
        raise MonitorError("dxq worker needs 'executor: {kind: celery, broker: ...}' in the file")
    if args.concurrency < 1:
        raise MonitorError("--concurrency must be at least 1")
    queues = tuple(q.strip() for q in args.queues.split(",") if q.strip())
    name = args.name or f"dxq-{os.getpid()}@{socket.gethostname()}"
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    metrics = metrics_endpoint(args)
    app = celery_app(config)
    check_broker(app, config.executor.broker)
    host = WorkerHost(config, name, queues or ("dxq",), args.concurrency)
    if metrics is not None and not start_metrics(host.store, metrics):
        return 2
    stop = threading.Event()

    def beating() -> None:
        while not stop.wait(BEAT_S):
            _quietly(host.beat)

    _quietly(host.beat)
    thread = threading.Thread(target=beating, name="dxq-heartbeat", daemon=True)
    thread.start()
    argv = [
        "worker",
        "--pool=threads",
        f"--concurrency={args.concurrency}",
        f"--queues={','.join(host.queues)}",
        f"--hostname={name if '@' in name else name + '@%h'}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    try:
        serve(config, host, argv)
    finally:
        stop.set()
        _quietly(lambda: host.beat(state="stopped"))
    return 0


def _quietly(step: Callable[[], object]) -> None:
    from store.errors import StoreError

    try:
        step()
    except StoreError as exc:
        logging.getLogger("dxq.worker").error("results store: %s", exc.line())


def _runs(args: Any) -> int:
    from store.run_list import RUN_FIELDS, run_list
    from store.store import ResultStore

    config: Config = args.load(args)
    since = _instant(args.since) if args.since else None
    if args.limit < 1:
        raise MonitorError("--limit must be at least 1")
    store = ResultStore.open(config.store, existing=True)
    rows = run_list(store, integration=args.integration, since=since, limit=args.limit)
    shown = [{k: _text(row[k]) for k in RUN_FIELDS} for row in rows]
    if args.format == "json":
        doc = [
            {k: row[k] if k == "id" else shown[i][k] for k in RUN_FIELDS}
            for i, row in enumerate(rows)
        ]
        print(json.dumps(doc, indent=2))
    else:
        print(_table(RUN_FIELDS, [[s[k] or "-" for k in RUN_FIELDS] for s in shown]))
    return 0


def _workers(args: Any) -> int:
    from monitor.executor.app import BrokerUnreachable
    from monitor.executor.fleet import queue_lengths, queue_names, worker_states
    from store.store import ResultStore

    config: Config = args.load(args)
    store = ResultStore.open(config.store, existing=True)
    workers = worker_states(store, datetime.now(UTC))
    header = ("name", "host", "queues", "concurrency", "last_heartbeat", "in_flight", "state")
    rows = [
        [
            one_line(w.name) or "-",
            one_line(w.host),
            one_line(",".join(w.queues)) or "-",
            str(w.concurrency or "-"),
            _text(w.last_heartbeat) or "-",
            str(w.in_flight),
            w.state,
        ]
        for w in workers
    ]
    print(_table(header, rows) if rows else "no workers have reported")
    if config.executor is None:
        return 0
    queues = queue_names(config, workers)
    try:
        lengths = queue_lengths(config, queues)
    except BrokerUnreachable as exc:
        print(f"\nqueue lengths unknown: {exc}")
        return 0
    print()
    print(_table(("queue", "waiting"), [[one_line(q), str(lengths[q])] for q in queues]))
    return 0


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MonitorError(f"--since {text!r}: give an ISO time, e.g. 2026-12-06T08:00Z") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return one_line(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in (header, *rows)
    ]
    return "\n".join(lines)
