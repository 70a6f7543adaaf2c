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
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.loading import load_config
from monitor.plan import plan_integrations
from monitor.runner import run_and_record
from monitor.scheduler import Options, Scheduler
from monitor.worker import RunJob, RunReport
from store.store import ResultStore
from tests.scheduler.world import integration, make_source, write_monitor_file

PERIOD_S = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=200)
    parser.add_argument("--firings", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        names = [f"int-{n:03d}" for n in range(args.integrations)]
        systems = {"shop": {"url": make_source(base)}}
        body = integration(f"*/{PERIOD_S} * * * *")
        path = write_monitor_file(
            base / "dxq.yml", f"sqlite:///{base}/results.db", systems, {n: body for n in names}
        )
        config = load_config(path, {})
        direct = _direct(config, base)
        lateness, total, inside = _scheduled(path, config, args.firings * len(names))
    overhead = [t - i for t, i in zip(total, inside, strict=True)]
    runs_per_s = 2 / statistics.mean(total)  # 2 workers
    bound = len(names) / 2 * statistics.mean(direct)
    print(f"integrations {len(names)}, workers 2, runs measured {len(total)}")
    print(f"run through the runner directly: median {_ms(statistics.median(direct))}")
    print(
        f"run through the scheduler: median {_ms(statistics.median(total))} "
        f"(ratio {statistics.median(total) / statistics.median(direct):.2f} to direct)"
    )
    print(
        f"scheduler overhead per run: median {_ms(statistics.median(overhead))}, "
        f"p95 {_ms(sorted(overhead)[int(len(overhead) * 0.95)])}"
    )
    print(f"throughput {runs_per_s:.0f} runs/s")
    print(
        f"lateness against the cron time: median {_ms(statistics.median(lateness))}, "
        f"max {_ms(max(lateness))} (lower bound {_ms(bound)}, ratio {max(lateness) / bound:.2f})"
    )


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
