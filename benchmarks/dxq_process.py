"""One `dxq run` measured as a whole process, the way benchmarks/README.md asks: wall time
from spawn to exit, the child's peak RSS (the kernel's count, from wait4), its JSON report,
how long its checks took by their own account (check_results.duration_s in the run's store)
and its CPU time; wall minus checks is what start-up, the system probes and the store cost,
and on a loaded machine the CPU time tells the process's own cost better.

Also the lower bound of reconcile: one checksum pass (count and sum of the canonical row
hash) over each table, both at once, as reconcile canonicalizes rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from datasources import canonical as c
from datasources.connection import read_only
from datasources.dataset import SqlSystem
from datasources.dialect import dialect_of
from store.store import ResultStore

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5  # issue 15: a reconcile (every key type, 1M to 10M rows) or fused suite
TARGET_RSS_MB = 150  # within 1.5x of its floor, whole process; peak RSS under 150 MB
PYCACHE = Path(tempfile.gettempdir()) / "dxq-bench-pycache"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MY_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/mysql"


@dataclass(frozen=True)
class MeasuredRun:
    wall_s: float
    peak_rss_mb: float
    checks_s: float
    report: dict[str, Any]
    cpu_s: float  # the process's own CPU time (user + system), the databases' not included

    @property
    def overhead_s(self) -> float:
        """Wall time outside the checks: imports, monitor file, probes, store."""
        return self.wall_s - self.checks_s

    def checks(self) -> list[dict[str, Any]]:
        return [check for run in self.report["integrations"] for check in run["checks"]]


def monitor_file(directory: Path, systems: dict[str, str], integrations: str) -> Path:
    """A monitor file with a SQLite store beside it, migrated now (a first run's migration is
    not part of any run after it). `integrations` is the YAML under `integrations:`."""
    path = directory / "dxq.yml"
    lines = ["version: 1", "store: sqlite:///results.db", "systems:"]
    lines += [f"  {name}: {{url: '{url}'}}" for name, url in systems.items()]
    path.write_text("\n".join([*lines, "integrations:", integrations]), encoding="utf-8")
    ResultStore.open(f"sqlite:///{directory}/results.db").dispose()
    return path


def compiled_env() -> dict[str, str]:
    """The environment of a measured child: this one, with compiled bytecode as an installed
    package has it (pip compiles it at install time). With PYTHONDONTWRITEBYTECODE set, as in
    some shells, each `dxq` process would compile the project's modules from source again
    (0.3-0.5 s of a run here); the bytecode goes to a private PYTHONPYCACHEPREFIX, so nothing
    is written into the checkout, and a benchmark's first (warm-up) run fills it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def dxq_run(config: Path, integrations: Sequence[str] = ()) -> MeasuredRun:
    """Run `dxq run --format json` on the monitor file as a child process (compiled_env)."""
    command = [sys.executable, "-m", "monitor.cli", "run", "-c", str(config), "--format=json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [*command, *integrations], stdout=out, stderr=err, cwd=ROOT, env=compiled_env()
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode()
    if child.returncode not in (0, 1):
        raise RuntimeError(f"dxq run exited {child.returncode}: {errors[-2000:]}")
    report = json.loads(text)
    ids = [run["run_id"] for run in report["integrations"]]
    store = sa.create_engine(f"sqlite:///{config.parent}/results.db")
    with store.connect() as conn:
        query = sa.text("SELECT sum(duration_s) FROM check_results WHERE run_id IN :ids")
        checks = conn.execute(query.bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids})
        checks_s = float(checks.scalar() or 0.0)
    store.dispose()
    cpu = usage.ru_utime + usage.ru_stime
    return MeasuredRun(wall, usage.ru_maxrss / 1024, checks_s, report, cpu)


def checksum_pass(system: SqlSystem, table: str, columns: Sequence[tuple[str, str]]) -> Any:
    """One side of the reconcile lower bound: count and sum of the canonical row hash of the
    (column, category) pairs, one query, with the settings reconcile runs its queries under."""
    with read_only(system) as conn:
        dialect = dialect_of(conn)
        if dialect == "mysql":
            conn.exec_driver_sql("SET time_zone = '+00:00'")
        else:
            conn.exec_driver_sql("SET LOCAL jit = off")
        t = sa.table(table, *[sa.column(name) for name, _ in columns])
        parts = [c.canonical(dialect, t.c[name], kind, "UTC", False) for name, kind in columns]
        digest = c.hash60(dialect, c.row_text(dialect, parts))
        query = sa.select(sa.func.count(), c.hash_sum(dialect, digest)).select_from(t)
        return conn.execute(query).one()


def checksum_floor(
    sides: Sequence[tuple[SqlSystem, str, Sequence[tuple[str, str]]]],
) -> float:
    """Seconds for one checksum pass over every side, all at once."""
    started = time.perf_counter()
    with ThreadPoolExecutor(len(sides)) as pool:
        list(pool.map(lambda side: checksum_pass(*side), sides))
    return time.perf_counter() - started


def settle(
    pg_url: str, my_url: str, table: str, patience_s: float = 120.0, still_s: float = 3.0
) -> None:
    """Let the load's after-work finish before anything is timed: PostgreSQL's first scans of
    a freshly loaded table would set every row's hint bits (writing each page again) and its
    autovacuum would start on the new rows during the runs, so the table is vacuumed now, and
    its checkpoint would write the new pages out over the next minutes, so it is forced; MariaDB
    flushes the loaded pages in the background, so this waits until none is dirty, or until
    their count has not fallen for `still_s` seconds: an idle MariaDB 10.11 keeps about 1,500
    of its own pages dirty (undo and system pages), and waiting for none ran out the whole
    patience (120 s) after every load."""
    with sa.create_engine(pg_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE, FREEZE) {table}")
        conn.exec_driver_sql("CHECKPOINT")  # else written out over minutes, during the runs
    dirty = sa.text("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")
    deadline = time.monotonic() + patience_s
    with sa.create_engine(my_url).connect() as conn:
        conn.exec_driver_sql(f"ANALYZE TABLE {table}")
        fewest, fallen = None, time.monotonic()
        while time.monotonic() < deadline:
            pages = int(conn.execute(dirty).one()[1])
            if pages == 0:
                break
            if fewest is None or pages < fewest:
                fewest, fallen = pages, time.monotonic()
            elif time.monotonic() - fallen >= still_s:
                break
            time.sleep(0.5)
    os.sync()  # the files both databases wrote, out of the system's cache too


def loaded_once(name: str, rows: int, load: Callable[[str, str], None]) -> tuple[str, str, bool]:
    """The URLs of the databases of this name, `load`ed (given the PostgreSQL and MariaDB
    URLs of new, empty databases) unless a previous run finished loading `rows` rows there: a
    `loaded` table holding the row count is written last, so a load that died half-way is
    dropped and done again. The last item says whether they were loaded now."""
    pg_url, my_url = database_urls(name)
    if _loaded(pg_url, rows) and _loaded(my_url, rows):
        return pg_url, my_url, False
    drop_databases(name)
    create_databases(name)
    load(pg_url, my_url)
    for url in (pg_url, my_url):
        with sa.create_engine(url).begin() as conn:
            conn.exec_driver_sql("CREATE TABLE loaded (n_rows BIGINT)")
            conn.execute(sa.text("INSERT INTO loaded VALUES (:n)"), {"n": rows})
    return pg_url, my_url, True


def _loaded(url: str, rows: int) -> bool:
    try:
        with sa.create_engine(url).connect() as conn:
            return bool(conn.execute(sa.text("SELECT n_rows FROM loaded")).scalar() == rows)
    except sa.exc.SQLAlchemyError:
        return False


def database_urls(name: str) -> tuple[str, str]:
    """The URLs of the benchmark's database of this name in PostgreSQL and in MariaDB."""
    pg = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    my = sa.make_url(MY_ADMIN).set(database=name).render_as_string(hide_password=False)
    return pg, my


def create_databases(name: str) -> tuple[str, str]:
    """Create an empty database of this name in PostgreSQL and in MariaDB (utf8mb4); their
    URLs (`database_urls`)."""
    with sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    with sa.create_engine(MY_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    return database_urls(name)


def drop_databases(name: str) -> None:
    """Drop the benchmark's database of this name in PostgreSQL and in MariaDB, if there."""
    with sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with sa.create_engine(MY_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def load_average() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())
