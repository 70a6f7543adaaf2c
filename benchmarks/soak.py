"""Soak of the celery executor (issue 14's "done when"): one `dxq schedule` and two `dxq worker`
on a PostgreSQL store with Redis run N integrations on `* * * * *` for M minutes; midway one
worker is killed with `kill -9` a few seconds into a slot (its runs in hand) and a new worker is
started. Then `dxq runs --format json` must hold, for every cron slot of every integration,
exactly one run that finished (the killed worker's rows are closed as `error` with a reason and
listed apart), and every worker must appear as an executor. Exits 1 otherwise.

    .venv/bin/python benchmarks/soak.py [--integrations 30] [--minutes 4] [--wait 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import sqlalchemy as sa
from scale_out import celery_monitor_file

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BROKER = "redis://127.0.0.1:6379/13"
DXQ = [sys.executable, "-m", "monitor.cli"]


def monitor_file(path: Path, store: str, n: int, wait: float) -> Path:
    body = {
        "source": {"system": "pg", "query": f"SELECT 1 AS id FROM pg_sleep({wait})"},
        "target": {"system": "pg", "query": "SELECT 1 AS id"},
        "volume": {"tolerance": "0%"},
        "schedule": "* * * * *",
        "timeout": "40s",
    }
    return celery_monitor_file(path, store, BROKER, {f"soak{k:02d}": body for k in range(n)})


def start(config: Path, *args: str) -> subprocess.Popen[bytes]:
    log = open(config.parent / f"{'-'.join(args).replace('/', '_')}.log", "wb")  # noqa: SIM115
    return subprocess.Popen([*DXQ, *args, "-c", str(config)], cwd=ROOT, stdout=log, stderr=log)


def worker(config: Path, name: str) -> subprocess.Popen[bytes]:
    return start(config, "worker", "--name", name, "--concurrency", "4")


def until_second(second: int) -> datetime:
    """Sleep until `second` seconds past the next minute; that minute's slot."""
    now = datetime.now(UTC)
    slot = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    time.sleep(max(0.0, (slot + timedelta(seconds=second) - now).total_seconds()))
    return slot


def runs(config: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [*DXQ, "runs", "-c", str(config), "--format", "json", "--limit", "100000"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return list(json.loads(out.stdout))


def verdict(rows: list[dict[str, Any]], names: list[str], first: datetime, last: datetime) -> int:
    count = int((last - first).total_seconds() // 60) + 1
    slots = [first + timedelta(minutes=k) for k in range(count)]
    wanted = {(n, s.isoformat()) for n in names for s in slots}
    scheduled = [r for r in rows if r["trigger"] == "schedule" and r["scheduled_for"]]

    def key(r: dict[str, Any]) -> tuple[str, str]:
        return r["integration"], datetime.fromisoformat(r["scheduled_for"]).isoformat()

    closed = [r for r in scheduled if r["outcome"] == "error"]
    finished = Counter(key(r) for r in scheduled if r["outcome"] not in ("error", "running"))
    once = sum(1 for k in wanted if finished[k] == 1)
    twice = sorted(k for k in wanted if finished[k] > 1)
    missing = sorted(k for k in wanted if finished[k] == 0)
    workers = Counter(r["worker"] for r in scheduled if r["outcome"] not in ("error", "running"))
    print(f"slots {slots[0]:%H:%M}-{slots[-1]:%H:%M} x {len(names)} integrations: "
          f"{once} of {len(wanted)} ran exactly once; more than once: {len(twice)}; "
          f"none: {len(missing)}")  # fmt: skip
    print(f"error rows (runs cut short, closed with a reason): {len(closed)}")
    for r in closed:
        print(f"  {r['integration']} {r['scheduled_for']} worker={r['worker']}")
    print(f"finished runs by worker: {dict(workers)}")
    for k in (twice + missing)[:10]:
        print(f"  wrong: {k} finished {finished[k]} times")
    return 0 if once == len(wanted) and not twice else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=30)
    parser.add_argument("--minutes", type=int, default=4)
    parser.add_argument("--wait", type=float, default=2.0, help="seconds each source waits")
    args = parser.parse_args()
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    name = f"dxq_soak_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with TemporaryDirectory() as tmp:
            config = monitor_file(Path(tmp) / "dxq.yml", url, args.integrations, args.wait)
            subprocess.run([*DXQ, "db", "upgrade", "-c", str(config)], cwd=ROOT, check=True)
            procs += [worker(config, "soak-w1"), worker(config, "soak-w2")]
            time.sleep(5)
            procs.append(start(config, "schedule"))
            first = until_second(0) + timedelta(minutes=1)  # the scheduler's first full slot
            print(f"load average at start: {os.getloadavg()}; first slot {first:%H:%M}", flush=True)
            kill_at = first + timedelta(minutes=args.minutes // 2)
            pause = kill_at + timedelta(seconds=3) - datetime.now(UTC)
            time.sleep(max(0.0, pause.total_seconds()))
            procs[0].send_signal(signal.SIGKILL)
            print(f"killed soak-w1 (kill -9) at {datetime.now(UTC):%H:%M:%S}", flush=True)
            time.sleep(5)
            procs.append(worker(config, "soak-w3"))
            last = first + timedelta(minutes=args.minutes - 1)
            # the last slot's runs, and a killed run's re-delivery, finish within a minute
            time.sleep(max(0.0, (last + timedelta(seconds=50) - datetime.now(UTC)).total_seconds()))
            for proc in procs[1:]:
                proc.send_signal(signal.SIGTERM)
            for proc in procs[1:]:
                proc.wait(60)
            print(f"load average at end: {os.getloadavg()}")
            names = [f"soak{k:02d}" for k in range(args.integrations)]
            return verdict(runs(config), names, first, last)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    raise SystemExit(main())
