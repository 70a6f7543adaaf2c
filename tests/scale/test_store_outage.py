"""The celery executor with a real worker subprocess when its results store goes away (a TCP
proxy cut in front of PostgreSQL) during a run: the task retries with backoff, and once the
store answers the firing's run is recorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.config.loading import load_config
from monitor.executor.app import TASK, celery_app
from store import firings
from store.store import ResultStore
from tests.scale.world import (
    REDIS,
    firing_runs,
    monitor_file,
    queue_name,
    worker,
)
from tests.scale.world import slow_integration as slow
from tests.scheduler.world import Outage, query, running, stop, wait_for


def _retries(log: Path) -> list[float]:
    """The countdowns of the task's retries, from the worker's log."""
    return [float(s) for s in re.findall(r"Retry in (\d+(?:\.\d+)?)s", log.read_text())]


@pytest.mark.slow
def test_a_store_outage_during_a_run_is_retried_with_backoff_and_the_run_recorded(
    pg_store: str, tmp_path: Path
) -> None:
    """The store goes away while the source query runs: the results cannot be written, the
    task retries (1 s, 2 s, …: first because the results were lost, then because the store
    does not answer), and once it answers the firing runs again and is recorded; the first
    attempt's row is closed with the reason."""
    pg = sa.make_url(pg_store)
    outage = Outage((pg.host or "127.0.0.1", pg.port or 5432))
    queue = queue_name()
    # the workers reach the store through the proxy; the monitored system directly
    config = monitor_file(
        tmp_path / "dxq.yml", outage.url(pg_store), REDIS, {"orders": slow(3.0, queue)}
    )
    config.write_text(
        config.read_text().replace(f'"url": "{outage.url(pg_store)}"', f'"url": "{pg_store}"'),
        encoding="utf-8",
    )
    assert load_config(config, {}).systems["pg"].url == pg_store
    store = ResultStore.open(pg_store)
    slot = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    key = firings.firing_key("orders", slot)
    firing = firings.Firing(key, "orders", "schedule", slot, queue, firings.State.PENDING)
    assert firings.record(store, firing, slot)
    log = tmp_path / "w.log"
    proc = worker(config, log, "w-store", queue)
    with running(proc):
        wait_for(lambda: "ready" in log.read_text(), 30, "the worker")
        app = celery_app(load_config(config, {}))
        app.send_task(TASK, args=[key], queue=queue)
        wait_for(lambda: firing_runs(pg_store, key), 20, "the run to begin")
        outage.cut()  # the source query still sleeps; its results cannot be written
        wait_for(lambda: len(_retries(log)) >= 2, 60, "two retries while the store is away")
        assert [r.status for r in firing_runs(pg_store, key)] == ["running"]
        outage.restore()

        def recorded() -> list[Any]:
            rows = firing_runs(pg_store, key)
            return rows if any(r.status == "passed" for r in rows) else []

        rows = wait_for(recorded, 90, "the run recorded once the store answers")
        assert stop(proc) == 0
    waits = _retries(log)
    assert waits[:2] == [1.0, 2.0], waits  # backoff
    done = firings.get(store, key)
    assert done is not None and done.state == "done"
    assert [(r.status, r.worker) for r in rows] == [("error", "w-store"), ("passed", "w-store")]
    assert "results store went away" in rows[0].reason, rows[0].reason
    assert done.run_id == rows[-1].id
    count = "SELECT count(*) FROM check_results WHERE run_id = :id"
    results = query(pg_store, count, id=done.run_id)
    assert results[0][0] >= 1, "the run's results are in the store"
    outage.cut()
    store.dispose()
