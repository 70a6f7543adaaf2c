"""Firings due together are recorded in batches, one transaction each, and sent through one
producer (monitor/executor/enqueue.py); two schedulers batching the same slot, in opposite
orders, still record and send each firing exactly once."""

from __future__ import annotations

import ast
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from monitor.config.loading import load_config
from monitor.executor import enqueue
from monitor.executor.enqueue import Enqueuer
from monitor.run.guarded import RunJob, Trigger
from monitor.run.plan import plan_integrations
from store import firings
from store.store import ResultStore
from tests.scale.world import REDIS, monitor_file, queue_name, slow_integration
from tests.scheduler.world import query


def _sent_keys(client: redis.Redis, queue: str) -> list[str]:
    """The firing key of each message waiting on `queue` (kombu's JSON envelope)."""
    keys = []
    for raw in client.lrange(queue, 0, -1):
        (key,) = ast.literal_eval(json.loads(raw)["headers"]["argsrepr"])
        keys.append(str(key))
    return keys


def test_two_schedulers_batching_one_slot_record_and_send_each_firing_once(
    pg_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enqueue, "BATCH", 16)  # several batches, interleaved between the two
    queue = queue_name()
    names = [f"b{k:02d}" for k in range(60)]
    path = monitor_file(
        tmp_path / "dxq.yml", pg_store, REDIS, {n: slow_integration(0, queue) for n in names}
    )
    config = load_config(path, {})
    slot = datetime.now(UTC).replace(microsecond=0)
    jobs = [RunJob(plan, Trigger.SCHEDULE, slot) for plan in plan_integrations(config)]
    stores = [ResultStore.open(pg_store) for _ in range(2)]
    clock = lambda: datetime.now(UTC)  # noqa: E731
    schedulers = [Enqueuer(s, config, f"scheduler-{k}", clock) for k, s in enumerate(stores)]
    client = redis.Redis.from_url(REDIS)
    got: dict[int, list[bool]] = {}
    try:
        start = threading.Barrier(2)

        def submit(k: int) -> None:
            start.wait()
            got[k] = schedulers[k].submit_all(jobs if k == 0 else jobs[::-1])

        threads = [threading.Thread(target=submit, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        first, second = got[0], got[1][::-1]
        assert [a + b for a, b in zip(first, second, strict=True)] == [1] * len(jobs)
        keys = sorted(firings.firing_key(n, slot) for n in names)
        rows = query(pg_store, "SELECT key, state FROM firings ORDER BY key")
        assert [(r.key, r.state) for r in rows] == [(k, "queued") for k in keys]
        assert sorted(_sent_keys(client, queue)) == keys, "each sent once"

        for job in jobs:  # the cron clock's path: handed to the sender thread
            schedulers[1].fire(job)
        assert schedulers[1].close(30)
        assert sorted(_sent_keys(client, queue)) == keys, "recorded already: not sent again"
        assert len(query(pg_store, "SELECT key FROM firings")) == len(names)
    finally:
        client.delete(queue)
        client.close()
        for s in stores:
            s.dispose()


def test_a_broker_refusing_mid_batch_leaves_the_rest_pending_and_each_is_sent_once_later(
    pg_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enqueue, "BATCH", 4)
    names = [f"r{k:02d}" for k in range(12)]
    path = monitor_file(
        tmp_path / "dxq.yml", pg_store, REDIS, {n: slow_integration(0, "q") for n in names}
    )
    config = load_config(path, {})
    slot = datetime.now(UTC).replace(microsecond=0)
    jobs = [RunJob(plan, Trigger.SCHEDULE, slot) for plan in plan_integrations(config)]
    store = ResultStore.open(pg_store)
    scheduler = Enqueuer(store, config, "scheduler", lambda: datetime.now(UTC))
    sent: list[str] = []

    def send_task(_name: str, args: list[str], **_: object) -> None:
        if len(sent) == 6 and not broker_back.is_set():  # refused from the 7th message on
            raise ConnectionRefusedError("the broker went away")
        sent.append(args[0])

    broker_back = threading.Event()
    monkeypatch.setattr(scheduler.app, "send_task", send_task)
    try:
        assert scheduler.submit_all(jobs) == [True] * len(jobs)
        states = query(pg_store, "SELECT state, count(*) AS n FROM firings GROUP BY state")
        assert {(r.state, r.n) for r in states} == {("queued", 6), ("pending", 6)}
        assert scheduler.broker_down_since is not None
        broker_back.set()
        assert scheduler.flush() == 6
        keys = sorted(firings.firing_key(n, slot) for n in names)
        assert sorted(sent) == keys, "each firing sent once"
        assert [r.state for r in query(pg_store, "SELECT state FROM firings")] == ["queued"] * 12
    finally:
        store.dispose()
