"""A world for the celery executor's tests: a fresh PostgreSQL store per test, a PostgreSQL
source whose query can wait, monitor files naming a broker, and `dxq worker` / `dxq schedule`
processes started, killed and read back like an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.scheduler.world import ROOT, query

REDIS = "redis://127.0.0.1:6379/11"
RABBIT = "amqp://guest:guest@127.0.0.1:5672//"


def queue_name() -> str:
    """A queue of this test only, so tests sharing a broker never take each other's tasks."""
    return f"t{uuid.uuid4().hex[:10]}"


def slow_integration(seconds: float, queue: str, schedule: str | None = None) -> dict[str, Any]:
    """Row counts of a source query that waits `seconds` on PostgreSQL."""
    body: dict[str, Any] = {
        "source": {"system": "pg", "query": f"SELECT 1 AS id FROM pg_sleep({seconds})"},
        "target": {"system": "pg", "query": "SELECT 1 AS id"},
        "volume": {"tolerance": "0%"},
        "timeout": "20s",
        "queue": queue,
    }
    if schedule is not None:
        body["schedule"] = schedule
    return body


def monitor_file(
    path: Path, store: str, broker: str, integrations: Mapping[str, Mapping[str, Any]]
) -> Path:
    doc = {
        "version": 1,
        "store": store,
        "executor": {"kind": "celery", "broker": broker},
        "systems": {"pg": {"url": store}},
        "integrations": integrations,
    }
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def dxq(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """`python -m monitor.cli ARGS`, logging to `log`."""
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )


def worker(config: Path, log: Path, name: str, queue: str) -> subprocess.Popen[bytes]:
    return dxq("worker", "-c", str(config), "--name", name, "--queues", queue, log=log)


def scheduler(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return dxq("schedule", "--cron-seconds", "-c", str(config), log=log)


def runs_json(config: Path, *extra: str) -> list[dict[str, Any]]:
    """`dxq runs --format json` as data."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "runs",
            "-c",
            str(config),
            "--format",
            "json",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    )
    found: list[dict[str, Any]] = json.loads(out.stdout)
    return found


def firing_runs(store: str, key: str) -> list[sa.Row[Any]]:
    return query(
        store,
        "SELECT id, status, reason, worker FROM runs WHERE firing = :key ORDER BY id",
        key=key,
    )
