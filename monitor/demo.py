"""`dxq demo`: build the e-commerce demo, record its history by running the real checks against
each simulated day's state of the systems, then serve the scheduler and the dashboard."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from monitor.serving import PROJECT_ROOT, dashboard_command, supervise

DEMO_CONFIG = PROJECT_ROOT / "demo" / "dxq.yml"
DEMO_STATE = PROJECT_ROOT / ".dxq"


def demo_env(state_dir: Path = DEMO_STATE) -> dict[str, str]:
    """The environment the demo's monitor file reads: where its systems and results live."""
    return {
        "DXQ_DEMO_DIR": str(state_dir / "demo"),
        "DXQ_STORE_URL": os.environ.get("DXQ_STORE_URL", f"sqlite:///{state_dir}/results.db"),
    }


def build_demo(
    *,
    days: int = 30,
    state_dir: Path = DEMO_STATE,
    end: datetime | None = None,
    quiet: bool = False,
) -> datetime:
    """Build the demo systems and a fresh history of `days` daily runs; returns the end time."""
    from monitor.alerting import alert_context
    from monitor.demo_world import DemoWorld
    from monitor.loading import load_config
    from monitor.plan import plan_integrations
    from monitor.runner import run_and_record
    from store.outbox import settle_pending
    from store.store import ResultStore

    env = {**os.environ, **demo_env(state_dir)}
    end = end or datetime.now(UTC).replace(second=0, microsecond=0)
    _remove_sqlite_store(env["DXQ_STORE_URL"])
    world = DemoWorld(state_dir / "demo", days=days, end=end)
    config = load_config(DEMO_CONFIG, env)
    plans = plan_integrations(config)
    store = ResultStore.open(config.store)
    alerting = alert_context(config)
    times = world.run_times()
    started = time.perf_counter()
    for i, moment in enumerate(times, 1):
        world.advance_to(moment)
        run_and_record(
            plans, store, trigger="demo", clock=_fixed(moment), now=moment, alerting=alerting
        )
        if not quiet:
            print(f"\rdemo history: day {i}/{len(times)} ({moment:%Y-%m-%d})", end="", flush=True)
    with store.transaction() as tx:  # simulated history: its notifications are never sent
        settle_pending(tx.connection, end, "demo history: recorded, not sent")
    if not quiet:
        print(f"\rdemo history: {len(times)} days recorded in {time.perf_counter() - started:.0f}s")
    return end


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def run_demo(*, days: int = 30, port: int = 8501, serve: bool = True) -> int:
    """Build the demo and, unless `serve` is false, serve the alert sink, the scheduler and the
    dashboard until Ctrl+C."""
    from monitor.demo_sink import running_sink

    build_demo(days=days)
    if not serve:
        return 0
    env = {**os.environ, **demo_env(), "DXQ_CONFIG": str(DEMO_CONFIG)}
    scheduler = [sys.executable, "-m", "monitor.cli", "schedule", "-c", str(DEMO_CONFIG)]
    with running_sink(DEMO_STATE / "demo" / "inbox.jsonl") as inbox:
        children = [
            subprocess.Popen(dashboard_command(port, "127.0.0.1"), env=env, cwd=PROJECT_ROOT),
            subprocess.Popen(scheduler, env=env, cwd=PROJECT_ROOT),
        ]
        print(f"\ndxq demo: dashboard on http://localhost:{port}, scheduler running;")
        print(f"alerts to the demo's owners land in {inbox}. Press Ctrl+C to stop.")
        return supervise(children)


def _remove_sqlite_store(url: str) -> None:
    """The demo's history is rebuilt from scratch each time; only a SQLite file is removed."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        path = Path(url[len(prefix) :])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
