"""Scale-out of the celery executor (issue 14): N integrations whose source query waits
`--sleep` s on PostgreSQL, all due at one cron slot, enqueued through the scheduler's own path
(slot claim, firing recorded once, sent on Redis); runs per minute with 1, 2, 4 and 8 `dxq
worker` processes of concurrency 4, lateness p50/p95 of each run's start against its cron
slot, and the per-run overhead of the celery executor against the local one (the runner called
directly), measured in the same run.

The firings go through the scheduler's sender thread as the cron clock hands them over
(`Enqueuer.fire`: recorded in batches, sent through one producer). Each burst also reports the
CPU a run cost (the workers, PostgreSQL's backends of the store, and this process's recording
and sending), how many of the machine's cores that kept busy, and the CPU ceiling: the runs
per minute at which the cores would be full at that cost. The closing line sets linear
scaling (the 1-worker rate times the workers) against it, so it says up to how many workers
the load is I/O-bound on this machine; a longer `--sleep` keeps it I/O-bound further.

    .venv/bin/python benchmarks/scale_out.py [--integrations 1000] [--workers 1,2,4,8]
        [--sleep 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.config.loading import load_config  # noqa: E402
from monitor.executor.enqueue import Enqueuer  # noqa: E402
from monitor.run.guarded import RunJob, Trigger  # noqa: E402
from monitor.run.plan import plan_integrations  # noqa: E402
from monitor.run.runner import record_integration  # noqa: E402
from store.store import ResultStore  # noqa: E402

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BROKER = "redis://127.0.0.1:6379/12"


def utcnow() -> datetime:
    return datetime.now(UTC)


def monitor_file(path: Path, store: str, n: int, sleep: float, queue: str) -> Path:
    body = {
        "source": {"system": "pg", "query": f"SELECT 1 AS id FROM pg_sleep({sleep})"},
        "target": {"system": "pg", "query": "SELECT 1 AS id"},
        "volume": {"tolerance": "0%"},
        "timeout": "60s",
        "queue": queue,
    }
    return celery_monitor_file(path, store, BROKER, {f"i{k:04d}": body for k in range(n)})


def celery_monitor_file(
    path: Path, store: str, broker: str, integrations: dict[str, dict[str, Any]]
) -> Path:
    """A monitor file of `integrations` on one PostgreSQL system (`pg`, the store itself), run
    by the celery executor on `broker` (also used by soak.py)."""
    doc = {
        "version": 1,
        "store": store,
        "executor": {"kind": "celery", "broker": broker},
        "systems": {"pg": {"url": store}},
        "integrations": integrations,
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (and their threads) so far, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def backends(store: ResultStore, database: str) -> list[int]:
    """The PostgreSQL server processes serving `database` now."""
    with store.transaction() as tx:
        rows = tx.connection.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database}
        )
        return [int(pid) for (pid,) in rows]


CORES = os.cpu_count() or 1


def ceiling(cpu_ms: float) -> float:
    """Runs per minute at which this machine's cores would be full, at `cpu_ms` of CPU a run
    (the workers, PostgreSQL's backends and the scheduler; Redis is not counted)."""
    return CORES * 60_000 / cpu_ms if cpu_ms > 0 else float("inf")


def ceiling_line(base: float, rows: list[tuple[int, float]], sleep: float) -> str:
    """Whether the load stays I/O-bound: linear (the 1-worker rate per worker, times the
    workers) against the CPU ceiling at the CPU a run cost in that burst."""
    parts = []
    for workers, cpu_ms in rows:
        linear = base * workers
        bound = "I/O-bound" if linear <= ceiling(cpu_ms) else "CPU-bound"
        parts.append(
            f"{workers} workers: linear {linear:,.0f} runs/min x {cpu_ms:.1f} ms = "
            f"{linear / 60 * cpu_ms / 1000:.2f} cores ({bound})"
        )
    return (
        f"CPU ceiling on {CORES} cores with a {sleep:g} s wait: {CORES} x 60 s / CPU per run "
        "(workers + PostgreSQL + scheduler); " + "; ".join(parts)
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def finished_runs(store: ResultStore, since: datetime) -> list[tuple[datetime, datetime]]:
    """(scheduled_for, started_at) of the runs finished for slots at or after `since`."""
    from store.schema import runs

    r = runs.c
    stmt = sa.select(r.scheduled_for, r.started_at).where(
        r.scheduled_for >= since, r.status != "running"
    )
    with store.transaction() as tx:
        return [(a, b) for a, b in tx.connection.execute(stmt).all()]


def start_workers(config: Path, queue: str, names: list[str], extra: list[str]) -> list[Any]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "worker", "-c", str(config), "--queues", queue,
             "--name", name, *extra],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in names
    ]  # fmt: skip


def await_workers(store: ResultStore, names: list[str], timeout: float = 120.0) -> None:
    """Until every named worker heart-beats (it has imported dxq and connected), then a
    little more so that no start-up CPU is counted against the runs."""
    from monitor.executor.fleet import worker_states

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = {w.name for w in worker_states(store, utcnow()) if w.state == "alive"}
        if set(names) <= alive:
            time.sleep(3)
            return
        time.sleep(0.5)
    raise SystemExit(f"workers {names} did not start in {timeout:.0f} s")


def stop_workers(procs: list[Any]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def burst(
    config: Path, store: ResultStore, enqueuer: Enqueuer, workers: int, queue: str, db: str
) -> dict[str, float]:
    """Start `workers` processes, enqueue every integration at one slot, time until all ran;
    the CPU the workers and PostgreSQL's backends of the store spent, per run."""
    loaded = load_config(config, {})
    plans = plan_integrations(loaded)
    names = [f"bench-{workers}-{k}" for k in range(workers)]
    procs = start_workers(config, queue, names, ["--concurrency", "4"])
    try:
        await_workers(store, names)
        slot = utcnow().replace(microsecond=0) + timedelta(seconds=1)
        time.sleep(max(0.0, (slot - utcnow()).total_seconds()))
        pids = [p.pid for p in procs]
        cpu0, pg_pids = cpu_seconds(pids), backends(store, db)
        pg0, own0 = cpu_seconds(pg_pids), time.process_time()
        for plan in plans:  # as the cron clock hands them to the scheduler's sender thread
            enqueuer.fire(RunJob(plan, Trigger.SCHEDULE, slot))
        if not enqueuer.drained(600):
            raise SystemExit("the firings were not enqueued in 600 s")
        enqueued = (utcnow() - slot).total_seconds()
        scheduler_cpu = time.process_time() - own0  # recording and sending the firings
        while len(done := finished_runs(store, slot)) < len(plans):
            time.sleep(0.5)
        ended = utcnow()
        pg_pids = sorted(set(pg_pids) | set(backends(store, db)))
        cpu = cpu_seconds(pids) - cpu0
        pg = cpu_seconds(pg_pids) - pg0  # backends that closed meanwhile are not counted
        lateness = [(b - a).total_seconds() for a, b in done]
        span = max(1e-9, (ended - slot).total_seconds())
        return {
            "runs_per_min": 60.0 * len(done) / span,
            "late_p50": percentile(lateness, 0.5),
            "late_p95": percentile(lateness, 0.95),
            "enqueue_s": enqueued,
            "worker_cpu_ms": 1000 * cpu / len(done),
            "pg_cpu_ms": 1000 * pg / len(done),
            "scheduler_cpu_ms": 1000 * scheduler_cpu / len(done),
        }
    finally:
        stop_workers(procs)


def overhead(
    config: Path, store: ResultStore, enqueuer: Enqueuer, queue: str, n: int
) -> dict[str, float]:
    """One run at a time: wall seconds from a firing to its recorded end and CPU seconds of
    the executing process, through one worker (concurrency 1); and the same through the runner
    called directly in this process (the local executor's run path)."""
    plans = plan_integrations(load_config(config, {}))[: 2 * n]
    direct, direct_cpu = [], []
    for plan in plans[:n]:
        t, c = time.perf_counter(), time.process_time()
        record_integration(plan, store, trigger="bench", clock=utcnow)
        direct.append(time.perf_counter() - t)
        direct_cpu.append(time.process_time() - c)
    (proc,) = start_workers(config, queue, ["bench-overhead"], ["--concurrency", "1"])
    celery: list[float] = []
    cpu0 = 0.0
    try:
        await_workers(store, ["bench-overhead"])
        for k, plan in enumerate(plans[n:]):
            if k == 3:  # the first runs warm the worker up (lazy imports, connections)
                cpu0, celery = cpu_seconds([proc.pid]), []
            slot = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(minutes=k)
            t = time.perf_counter()
            enqueuer.submit(RunJob(plan, Trigger.SCHEDULE, slot))
            while not finished_runs_at(store, plan.name, slot):
                time.sleep(0.005)
            celery.append(time.perf_counter() - t)
        cpu = (cpu_seconds([proc.pid]) - cpu0) / len(celery)
    finally:
        stop_workers([proc])
    return {
        "local_s": statistics.median(direct),
        "celery_s": statistics.median(celery),
        "local_cpu_s": statistics.median(direct_cpu),
        "celery_cpu_s": cpu,
    }


def finished_runs_at(store: ResultStore, name: str, slot: datetime) -> bool:
    from store.schema import runs

    r = runs.c
    stmt = sa.select(r.id).where(
        r.integration == name, r.scheduled_for == slot, r.status != "running"
    )
    with store.transaction() as tx:
        return tx.connection.execute(stmt).first() is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--sleep", type=float, default=0.2)
    parser.add_argument("--overhead-runs", type=int, default=20)
    args = parser.parse_args()
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    name = f"dxq_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        with TemporaryDirectory() as tmp:
            queue = f"bench{uuid.uuid4().hex[:6]}"
            config = monitor_file(Path(tmp) / "dxq.yml", url, args.integrations, args.sleep, queue)
            store = ResultStore.open(url)
            loaded = load_config(config, {})
            enqueuer = Enqueuer(store, loaded, "bench-scheduler", utcnow)
            o = overhead(config, store, enqueuer, queue, args.overhead_runs)
            print(
                f"per run, one at a time (median): wall local {o['local_s'] * 1000:.0f} ms, "
                f"celery {o['celery_s'] * 1000:.0f} ms (overhead "
                f"{(o['celery_s'] - o['local_s']) * 1000:.0f} ms); CPU of the executing "
                f"process local {o['local_cpu_s'] * 1000:.1f} ms, celery worker "
                f"{o['celery_cpu_s'] * 1000:.1f} ms"
            )
            print(f"load average before the bursts: {os.getloadavg()}")
            print(
                "| workers (x4) | runs/min | x of 1 worker | share of linear | lateness p50 "
                "| p95 | enqueue | worker CPU/run | PostgreSQL CPU/run | scheduler CPU/run "
                "| cores busy | CPU ceiling |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            base, rows = None, []
            for workers in [int(w) for w in args.workers.split(",")]:
                got = burst(config, store, enqueuer, workers, queue, name)
                base = base or got["runs_per_min"] / workers
                share = got["runs_per_min"] / (base * workers)
                cpu_ms = got["worker_cpu_ms"] + got["pg_cpu_ms"] + got["scheduler_cpu_ms"]
                busy = got["runs_per_min"] / 60 * cpu_ms / 1000  # cores, on average
                rows.append((workers, cpu_ms))
                print(
                    f"| {workers} | {got['runs_per_min']:,.0f} | "
                    f"{got['runs_per_min'] / base:.2f} | {share:.2f} | {got['late_p50']:.1f} s "
                    f"| {got['late_p95']:.1f} s | {got['enqueue_s']:.1f} s "
                    f"| {got['worker_cpu_ms']:.1f} ms | {got['pg_cpu_ms']:.1f} ms "
                    f"| {got['scheduler_cpu_ms']:.1f} ms | {busy:.2f} of {CORES} "
                    f"| {ceiling(cpu_ms):,.0f} |",
                    flush=True,
                )
            print(f"load average after: {os.getloadavg()}")
            if base is not None:
                print(ceiling_line(base, rows, args.sleep))
            store.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
