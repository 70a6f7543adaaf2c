"""The workers and queues of the celery executor as people see them (`dxq workers` and the
dashboard's Runs page read the same): each `dxq worker` from its heartbeat in the store (alive,
dead when silent for `STALE_S`, stopped), its runs in flight, and how many firings wait on each
queue of the broker."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.config.model import Config
from store import firings
from store.store import ResultStore

BEAT_S = 2.0  # how often a worker writes its heartbeat
STALE_S = 10.0  # a worker silent this long is dead: its firings may be taken over


@dataclass(frozen=True)
class WorkerState:
    """One `dxq worker` as its last heartbeat shows it."""

    process_id: str
    name: str
    host: str
    queues: tuple[str, ...]
    concurrency: int | None
    last_heartbeat: datetime
    in_flight: int
    state: str  # "alive" | "dead" (silent for STALE_S) | "stopped" (shut down cleanly)


def worker_states(store: ResultStore, now: datetime) -> list[WorkerState]:
    """Every worker that ever heart-beat into the store, newest heartbeat first."""
    flying = firings.in_flight(store)
    found = []
    for beat in firings.worker_beats(store):
        info: dict[str, Any] = beat.get("info") or {}
        silent = now - beat["last_tick_at"] > timedelta(seconds=STALE_S)
        state = "stopped" if info.get("state") == "stopped" else ("dead" if silent else "alive")
        concurrency = info.get("concurrency")
        found.append(
            WorkerState(
                process_id=str(beat["process_id"]),
                name=str(info.get("name", "")),
                host=str(beat["host"]),
                queues=tuple(str(q) for q in info.get("queues") or ()),
                concurrency=concurrency if isinstance(concurrency, int) else None,
                last_heartbeat=beat["last_tick_at"],
                in_flight=flying.get(str(beat["process_id"]), 0),
                state=state,
            )
        )
    return found


def dead_owners(store: ResultStore, now: datetime) -> set[str]:
    """The process ids of workers whose heartbeat stopped: their firings may be taken over."""
    return {w.process_id for w in worker_states(store, now) if w.state != "alive"}


def queue_names(config: Config, workers: Iterable[WorkerState] = ()) -> list[str]:
    """The queues runs go to (`queue:` of integrations and systems, `dxq`) and those workers
    serve, sorted."""
    names = {config.queue_of(name) for name in config.integrations} | {"dxq"}
    for worker in workers:
        names.update(worker.queues)
    return sorted(names)


def queue_lengths(config: Config, queues: Iterable[str]) -> dict[str, int]:
    """How many firings wait on each queue of the broker (not counting those a worker holds);
    raises `BrokerUnreachable` (one line) when the broker does not answer."""
    from monitor.executor.app import BrokerUnreachable, celery_app, check_broker

    assert config.executor is not None
    app = celery_app(config)
    check_broker(app, config.executor.broker)
    lengths: dict[str, int] = {}
    try:
        with app.connection_for_read() as connection:
            for queue in queues:
                lengths[queue] = _length(connection, queue)
    except Exception as exc:  # kombu raises several unrelated kinds for one outage
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise BrokerUnreachable(f"the broker's queues cannot be read: {detail}") from None
    return lengths


def _length(connection: Any, queue: str) -> int:
    """Messages ready on `queue`; 0 for a queue the broker does not know yet (Redis keeps no
    empty list; RabbitMQ declares a queue when a worker first serves it)."""
    channel = connection.channel()
    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except connection.channel_errors:
        return 0
    finally:
        try:
            channel.close()
        except connection.connection_errors + connection.channel_errors:
            pass
