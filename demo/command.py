"""`dxq demo`: build the e-commerce demo, record its history by running the real checks against
each simulated day's state of the systems, then serve the scheduler and the dashboard."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from demo.progress import ProgressBar
from demo.psp_api import PSP_URL, running_psp
from monitor.commands.serving import dashboard_command, supervise
from monitor.errors import MonitorError
from store.errors import StoreUnavailable

# The demo's monitor file and suites as shipped (package data of `demo`): read, never edited.
DEMO_FILES = resources.files("demo")
DEMO_CONFIG = Path(str(DEMO_FILES / "dxq.yml"))


def demo_state() -> Path:
    """Where `dxq demo` keeps its copy, systems and results: `.dxq/` in the working directory
    (the clone's root for `make demo`; any directory for an installed dxq)."""
    return Path.cwd() / ".dxq"


def demo_config(state_dir: Path) -> Path:
    """The demo's own copy of its monitor file (suites beside it), which the demo runs and
    the Suites page edits: `<state_dir>/demo/dxq.yml`."""
    return state_dir / "demo" / "dxq.yml"


def copy_demo_files(state_dir: Path) -> Path:
    """Copy the shipped monitor file and suites to the demo's state directory (replacing an
    earlier copy, as the history is rebuilt too); the copy's monitor file."""
    target = demo_config(state_dir)
    suites = target.parent / "suites"
    suites.mkdir(parents=True, exist_ok=True)
    for old in suites.glob("*.json"):
        old.unlink()
    for item in (DEMO_FILES / "suites").iterdir():
        if item.name.endswith(".json"):
            (suites / item.name).write_bytes(item.read_bytes())
    target.write_bytes((DEMO_FILES / "dxq.yml").read_bytes())
    return target


def demo_env(state_dir: Path, store_url: str | None = None) -> dict[str, str]:
    """The environment the demo runs in: its monitor file (the copy), systems and results.

    The results go to the demo's own SQLite file under `state_dir`, whatever DXQ_STORE_URL is
    exported, unless `store_url` names another store explicitly."""
    return {
        "DXQ_CONFIG": str(demo_config(state_dir)),
        "DXQ_DEMO_DIR": str(state_dir / "demo"),
        "DXQ_STORE_URL": store_url or f"sqlite:///{state_dir}/results.db",
    }


def build_demo(
    *,
    days: int = 30,
    state_dir: Path | None = None,
    end: datetime | None = None,
    quiet: bool = False,
    store_url: str | None = None,
) -> datetime:
    """Build the demo systems and a fresh history of `days` daily runs; returns the end time.

    The history replaces the demo's own SQLite store; a store named by `store_url` must be
    empty (MonitorError otherwise), so the demo never mixes its runs into real results."""
    from demo.world import DemoWorld
    from monitor.config.loading import load_config
    from monitor.daemon.daemon_alerts import tick_alerts
    from monitor.run.alert_context import alert_context
    from monitor.run.plan import plan_integrations
    from monitor.run.runner import run_and_record
    from store.outbox import settle_pending
    from store.store import ResultStore

    state_dir = state_dir or demo_state()
    env = {**os.environ, **demo_env(state_dir, store_url)}
    end = end or datetime.now(UTC).replace(second=0, microsecond=0)
    if store_url is None:
        _remove_sqlite_store(env["DXQ_STORE_URL"])
    else:
        refuse_non_empty(store_url)
    world = DemoWorld(state_dir / "demo", days=days, end=end)
    with running_psp(state_dir / "demo" / "psp.db") as psp_url:  # the payment provider's API
        env[PSP_URL] = psp_url
        config = load_config(copy_demo_files(state_dir), env)
        plans = plan_integrations(config)
        store = ResultStore.open(config.store)
        alerting = alert_context(config)
        times = world.run_times()
        progress = None if quiet else ProgressBar("demo history", len(times))
        longest = timedelta(0)  # the longest a simulated day's runs took in real time
        for moment in times:
            world.advance_to(moment)
            runs = run_and_record(
                plans, store, trigger="demo", clock=_fixed(moment), now=moment, alerting=alerting
            )
            longest = max([longest, *(r.finished_at - moment for r in runs)])
            # Reminders and escalations fall due in the simulated past too: decide them as the
            # day's runs end, so the scheduler starting after `end` sends none for days gone by.
            tick_alerts(store, moment + longest)
            if progress is not None:
                progress.step(f"day {moment:%Y-%m-%d}")
        # An alert opened by a slower day's runs falls due a little after the last day's runs
        # ended: decide those too, at the end of the slowest day.
        tick_alerts(store, (times[-1] if times else end) + longest)
    with store.transaction() as tx:  # simulated history: its notifications are never sent
        settle_pending(tx.connection, end, "demo history: recorded, not sent")
    world.go_live()  # the first live run finds the seeded short stock export: really alerted
    if progress is not None:
        progress.finish(f"{len(times)} days recorded")
    return end


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def run_demo(
    *, days: int = 30, port: int = 8501, serve: bool = True, store_url: str | None = None
) -> int:
    """Build the demo and, unless `serve` is false, serve the alert sink, the scheduler and the
    dashboard until Ctrl+C; results go to `store_url` (must be empty) or the demo's own file."""
    from demo.sink import running_sink

    state_dir = demo_state()
    build_demo(days=days, state_dir=state_dir, store_url=store_url)
    if not serve:
        return 0
    env = {**os.environ, **demo_env(state_dir, store_url)}
    scheduler = [sys.executable, "-m", "monitor.cli", "schedule", "-c", env["DXQ_CONFIG"]]
    with (
        running_sink(state_dir / "demo" / "inbox.jsonl") as inbox,
        running_psp(state_dir / "demo" / "psp.db") as psp_url,
    ):
        env[PSP_URL] = psp_url
        children = [
            subprocess.Popen(dashboard_command(port, "127.0.0.1"), env=env),
            subprocess.Popen(scheduler, env=env),
        ]
        print(f"\ndxq demo: dashboard on http://localhost:{port}, scheduler running;")
        print(f"alerts to the demo's owners land in {inbox}; the payment provider's API")
        print(f"is served on {psp_url}. Press Ctrl+C to stop.")
        return supervise(children)


def refuse_non_empty(url: str) -> None:
    """Raise MonitorError unless the store at `url` holds no rows (a new or just-upgraded
    store is fine): the demo's 30 days of invented runs must never land among real ones."""
    import sqlalchemy as sa

    from store.store import ResultStore

    store = ResultStore.open(url, migrate=False)
    try:
        with store.engine.connect() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
            filled = [
                name
                for name in tables
                if conn.execute(
                    sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)
                ).first()
                is not None
            ]
    except sa.exc.SQLAlchemyError as exc:
        reason = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        raise StoreUnavailable(
            f"cannot use the results database {store.masked_url}: {reason}"
        ) from exc
    finally:
        store.dispose()
    if filled:
        raise MonitorError(
            f"{store.masked_url} is not empty (rows in {', '.join(sorted(filled)[:5])}): "
            "the demo writes 30 days of invented runs, so give it a new, empty results "
            "database, or leave out --store to use its own file under .dxq/"
        )


def _remove_sqlite_store(url: str) -> None:
    """The demo's history is rebuilt from scratch each time; only a SQLite file is removed."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        path = Path(url[len(prefix) :])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
