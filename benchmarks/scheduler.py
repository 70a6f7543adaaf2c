"""Benchmark: `dxq schedule` with 200 integrations (a row-count check each, SQLite source and
SQLite results store) on 2 workers, all firing together every 10 s.

Prints the per-run overhead of the scheduler (lease, slot, bookkeeping) against the lower bound
of calling the runner directly for the same integrations, and the lateness of each run's start
against its cron time (the 200th run of a firing waits for the 199 before it: with 2 workers the
lower bound of the maximum lateness is 100 runs' time).

    .venv/bin/python benchmarks/scheduler.py [--integrations 200] [--firings 2]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config.loading import load_config
from monitor.daemon.scheduler import Options, Scheduler
from monitor.run.guarded import RunJob, RunReport
from monitor.run.plan import plan_integrations
from monitor.run.runner import run_and_record
from store.store import ResultStore

PERIOD_S = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=200)
    parser.add_argument("--firings", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        names = [f"int-{n:03d}" for n in range(args.integrations)]
        path = _monitor_file(base, names)
        config = load_config(path, {})
        direct = _direct(config, base)
        lateness, total, inside = _scheduled(path, config, args.firings * len(names))
    direct_median = statistics.median(direct)
    overhead = statistics.median(t - i for t, i in zip(total, inside, strict=True))
    bound = len(names) / 2 * statistics.mean(direct)  # 2 workers share one firing's runs
    print(f"integrations {len(names)}, workers 2, runs measured {len(total)}")
    print(f"lower bound, the runner called directly: median {_ms(direct_median)} per run")
    print(
        f"a run through the scheduler: median {_ms(statistics.median(total))}, "
        f"ratio {statistics.median(total) / direct_median:.2f} to the direct run"
    )
    print(
        f"scheduler overhead per run (lease, slot, bookkeeping): median {_ms(overhead)}, "
        f"ratio {overhead / direct_median:.2f} to the direct run"
    )
    print(
        f"lateness against the cron time: median {_ms(statistics.median(lateness))}, "
        f"max {_ms(max(lateness))}; lower bound of the max (queue of {len(names) // 2} direct "
        f"runs per worker) {_ms(bound)}, ratio {max(lateness) / bound:.2f}"
    )


def _monitor_file(base: Path, names: list[str]) -> Path:
    """A SQLite `shop` system and a monitor file: one row-count check per integration."""
    with sqlite3.connect(base / "shop.db") as conn:
        conn.execute("CREATE TABLE products (sku TEXT PRIMARY KEY, qty INTEGER)")
        conn.executemany("INSERT INTO products VALUES (?, ?)", [("A-1", 1), ("B-2", 2)])
    body = {
        "source": "shop.products",
        "target": "shop.products",
        "volume": {"tolerance": "0%"},
        "timeout": "30s",
        "schedule": f"*/{PERIOD_S} * * * *",
    }
    doc = {
        "version": 1,
        "store": f"sqlite:///{base}/results.db",
        "systems": {"shop": {"url": f"sqlite:///{base}/shop.db"}},
        "integrations": {name: body for name in names},
    }
    path = base / "dxq.yml"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def _direct(config: Any, base: Path) -> list[float]:
    store = ResultStore.open(f"sqlite:///{base}/direct.db")
    times = []
    for plan in plan_integrations(config):
        started = time.perf_counter()
        run_and_record([plan], store, trigger="bench", clock=lambda: datetime.now(UTC))
        times.append(time.perf_counter() - started)
    store.dispose()
    return times


def _scheduled(
    path: Path, config: Any, wanted: int
) -> tuple[list[float], list[float], list[float]]:
    options = Options(path, workers=2, cron_seconds=True, watch=3600, dispatch=3600)
    scheduler = Scheduler(options, config, env={})
    lateness: list[float] = []
    total: list[float] = []
    inside: list[float] = []
    record, execute = scheduler.worker.record, scheduler.worker.execute

    def timed_record(plan: Any, trigger: str) -> int | None:
        started = time.perf_counter()
        try:
            return record(plan, trigger)
        finally:
            inside.append(time.perf_counter() - started)

    def timed_execute(job: RunJob) -> RunReport:
        assert job.fire_time is not None
        lateness.append((datetime.now(UTC) - job.fire_time).total_seconds())
        started = time.perf_counter()
        report = execute(job)
        total.append(time.perf_counter() - started)
        if len(total) >= wanted:
            scheduler.stop()
        return report

    scheduler.worker.record = timed_record
    scheduler.worker.execute = timed_execute  # type: ignore[method-assign]
    timer = threading.Timer(PERIOD_S * (wanted / 200 + 3), scheduler.stop)
    timer.daemon = True
    timer.start()
    scheduler.serve()
    n = min(len(total), len(inside))
    return lateness[:n], total[:n], inside[:n]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


if __name__ == "__main__":
    main()
