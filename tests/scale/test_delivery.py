"""The celery executor against the real Redis: a worker subprocess executes a firing through
the one run path, records itself on the run, and runs a firing delivered twice only once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from monitor.config.loading import load_config
from monitor.executor.app import INSTALL_HINT, TASK, celery_app
from store import firings
from store.store import ResultStore
from tests.scale.world import (
    REDIS,
    dxq,
    firing_runs,
    monitor_file,
    queue_name,
    runs_json,
    worker,
)
from tests.scale.world import slow_integration as slow
from tests.scheduler.world import ROOT, running, stop, wait_for


def _firing(config: Path, integration: str, slot: datetime) -> str:
    """Record a cron firing in the store as the scheduler does; returns its key."""
    loaded = load_config(config, {})
    store = ResultStore.open(loaded.store)
    key = firings.firing_key(integration, slot)
    firing = firings.Firing(
        key, integration, "schedule", slot, loaded.queue_of(integration), firings.State.PENDING
    )
    assert firings.record(store, firing, slot)
    assert not firings.record(store, firing, slot), "a firing is recorded at most once"
    store.dispose()
    return key


def _workers(config: Path) -> list[list[str]]:
    """`dxq workers` rows without host and heartbeat time: name, queues, concurrency, in
    flight, state."""
    out = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "workers", "-c", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    workers, _, queues = out.stdout.partition("\n\n")
    assert queues.splitlines()[0].split() == ["queue", "waiting"], out.stdout
    header, *rows = [line.split() for line in workers.splitlines()]
    assert header == [
        "name",
        "host",
        "queues",
        "concurrency",
        "last_heartbeat",
        "in_flight",
        "state",
    ]
    return [[r[0], r[2], r[3], r[5], r[6]] for r in rows]


def test_a_firing_delivered_twice_runs_once_and_names_its_worker(
    pg_store: str, tmp_path: Path
) -> None:
    queue = queue_name()
    config = monitor_file(tmp_path / "dxq.yml", pg_store, REDIS, {"orders": slow(1.0, queue)})
    slot = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    key = _firing(config, "orders", slot)
    app = celery_app(load_config(config, {}))
    log = tmp_path / "worker.log"
    proc = worker(config, log, "w-one", queue)
    with running(proc):
        for _ in range(2):
            app.send_task(TASK, args=[key], queue=queue)
        wait_for(lambda: "already ran" in log.read_text(), 30, "the second delivery")
        assert _workers(config) == [["w-one", queue, "4", "0", "alive"]]
        assert stop(proc) == 0, "SIGTERM stops the worker cleanly"
    assert _workers(config) == [["w-one", queue, "4", "0", "stopped"]]
    runs = firing_runs(pg_store, key)
    assert [(r.status, r.worker) for r in runs] == [("passed", "w-one")], log.read_text()
    listed = runs_json(config)
    assert [set(r) for r in listed] == [
        {
            "id",
            "integration",
            "trigger",
            "scheduled_for",
            "started_at",
            "finished_at",
            "outcome",
            "worker",
        }
    ]
    assert listed[0]["worker"] == "w-one"
    assert listed[0]["scheduled_for"] == "2026-12-06T08:00:00Z"
    assert listed[0]["outcome"] == "passed"
    done = firings.get(ResultStore.open(pg_store), key)
    assert done is not None and done.state == "done" and done.run_id == runs[0].id


def test_an_unreachable_broker_is_one_line_for_worker_and_schedule(
    pg_store: str, tmp_path: Path
) -> None:
    dead = "redis://127.0.0.1:1/0"
    config = monitor_file(tmp_path / "dxq.yml", pg_store, dead, {"orders": slow(0, "dxq")})
    for command in ("worker", "schedule"):
        out = subprocess.run(
            [sys.executable, "-m", "monitor.cli", command, "-c", str(config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2, (command, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, (command, out.stderr)
        assert lines[0].startswith("dxq: the broker redis://127.0.0.1:1/0 cannot be reached")


def test_without_celery_installed_worker_and_schedule_say_how_to_install_it(
    pg_store: str, tmp_path: Path
) -> None:
    config = monitor_file(tmp_path / "dxq.yml", pg_store, REDIS, {"orders": slow(0, "dxq")})
    blocked = "import sys; sys.modules['celery'] = None; from monitor.cli import main; "
    for command in ("worker", "schedule"):
        out = subprocess.run(  # celery is the optional `celery` extra (pyproject.toml)
            [
                sys.executable,
                "-c",
                blocked + f"sys.exit(main([{command!r}, '-c', {str(config)!r}]))",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2, (command, out.stderr)
        assert out.stderr.strip().splitlines() == [f"dxq: {INSTALL_HINT}"], (command, out.stderr)


def test_a_run_goes_to_its_integrations_queue_else_its_source_systems_else_dxq(
    tmp_path: Path,
) -> None:
    config = tmp_path / "dxq.yml"
    config.write_text(
        """version: 1
executor: {kind: celery, broker: "redis://127.0.0.1:6379/0"}
systems:
  erp: {url: "sqlite:///erp.db", queue: erp-eu}
  shop: {url: "sqlite:///shop.db"}
integrations:
  own: {source: erp.a, target: shop.b, queue: slow}
  by-system: {source: erp.a, target: shop.b}
  default: {source: shop.b, target: erp.a}
""",
        encoding="utf-8",
    )
    loaded = load_config(config, {})
    assert [loaded.queue_of(n) for n in ("own", "by-system", "default")] == [
        "slow",
        "erp-eu",
        "dxq",
    ]


def test_a_worker_serves_the_stores_metrics(pg_store: str, tmp_path: Path) -> None:
    """`dxq worker --metrics-port` serves the same store-backed metrics as the scheduler: the
    run it executed is counted there."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    from tests.support.ports import free_port

    queue = queue_name()
    config = monitor_file(tmp_path / "dxq.yml", pg_store, REDIS, {"orders": slow(0.1, queue)})
    key = _firing(config, "orders", datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    app = celery_app(load_config(config, {}))
    port = free_port()
    log = tmp_path / "worker.log"
    proc = dxq(
        "worker", "-c", str(config), "--name", "w-m", "--queues", queue,
        "--metrics-port", str(port), log=log,
    )  # fmt: skip

    def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return {}
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
        }

    with running(proc):
        app.send_task(TASK, args=[key], queue=queue)
        wait_for(lambda: firing_runs(pg_store, key), 30, "the run")
        runs = (("integration", "orders"), ("outcome", "passed"))
        values = wait_for(
            lambda: (v := scraped()).get(("dxq_runs_total", runs)) == 1 and v, 30, "the count"
        )
        assert stop(proc) == 0
    assert values[("dxq_store_up", ())] == 1
    assert values[("dxq_integration_status", (("integration", "orders"),))] == 0
