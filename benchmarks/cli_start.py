"""How fast `dxq --help` and `dxq validate` start (benchmarks/README.md: under 0.5 s, no GX
import; docs/architecture.md#import-rules), and what a `dxq run` costs beyond its checks.

Prints the best of N wall times for each command and the ratio to a lower bound measured in the
same run: a bare `python -c pass` in the same interpreter. Also proves that neither command
imports great_expectations. Then a reconcile-only `dxq run` (the 40,000-row TPC-H-like table
of benchmarks/tpch_data.py, PostgreSQL against MariaDB, loaded once): the best of N of its
wall time outside the checks (start-up, monitor file, probes, store; target 0.5 s), its CPU
time and peak RSS (target 150 MB), against two floors measured in the same run:

- the libraries: `python -c "import sqlalchemy, ..."`, what importing the libraries such a run
  needs costs alone, and with SQLAlchemy's dialects of PostgreSQL, MariaDB and the SQLite store
  (what any SQLAlchemy program talking to them loads besides);
- a client: the least any program doing the same work pays outside its queries, a hand-written
  script that starts Python, imports only the two drivers (psycopg, PyMySQL) and connects to
  both systems with their defaults (the same defaults dxq's connections keep). What dxq spends
  outside its checks beyond this is dxq's own start-up: its libraries, monitor file, store.

Every child runs with compiled bytecode, as an installed package has
(dxq_process.compiled_env); one warm-up run of each command fills it before the timed runs.

    .venv/bin/python benchmarks/cli_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "dxq.yml"
LIBRARIES = "sqlalchemy, psycopg, pymysql, pydantic, yaml"  # what a run of SQL systems needs
# ... and SQLAlchemy's dialects of its two systems and its store, which any SQLAlchemy program
# talking to them loads (each dialect package imports all of its drivers' modules)
DIALECTS = (
    "sqlalchemy.dialects.postgresql.psycopg, sqlalchemy.dialects.mysql.pymysql, "
    "sqlalchemy.dialects.sqlite.pysqlite"
)


def best_of(command: list[str], runs: int, env: dict[str, str]) -> float:
    subprocess.run(command, env=env, cwd=ROOT, check=False, capture_output=True)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=False, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def imports_gx(args: list[str], env: dict[str, str]) -> bool:
    probe = (
        "import sys, runpy; sys.argv = ['dxq', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('monitor.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('great_expectations' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    return done.stderr.strip().splitlines()[-1] == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from dxq_process import compiled_env

    env = {**compiled_env(), "DXQ_DEMO_DIR": str(ROOT / ".dxq" / "demo")}
    bound = best_of([sys.executable, "-c", "pass"], runs, env)
    print(f"lower bound (python -c pass): {bound * 1000:.0f} ms")
    for args in (["--help"], ["validate", "-c", str(DEMO)]):
        took = best_of([sys.executable, "-m", "monitor.cli", *args], runs, env)
        gx = imports_gx(args, env)
        print(
            f"dxq {' '.join(args[:1]):<9} {took * 1000:6.0f} ms  {took / bound:5.1f}x bound  "
            f"target 500 ms: {'met' if took < 0.5 else 'MISSED'}  imports GX: {gx}"
        )
    run_overhead(runs, env)


def client_script(pg_url: str, my_url: str) -> str:
    """The client floor: Python, the two drivers and one connection to each system."""
    import sqlalchemy as sa

    pg, my = sa.make_url(pg_url), sa.make_url(my_url)
    pg_args = {"host": pg.host, "port": pg.port or 5432, "user": pg.username, "dbname": pg.database}
    my_args = {
        "host": my.host,
        "port": my.port or 3306,
        "user": my.username,
        "database": my.database,
    }
    if pg.password:
        pg_args["password"] = pg.password
    if my.password:
        my_args["password"] = my.password
    return (
        "import psycopg, pymysql\n"
        f"psycopg.connect(**{pg_args!r}).close()\n"
        f"pymysql.connect(**{my_args!r}).close()\n"
    )


def run_overhead(runs: int, env: dict[str, str]) -> None:
    import tpch_data
    from dxq_process import dxq_run, load_average, monitor_file

    pg_url, my_url, _ = tpch_data.ensure(40_000)
    before = load_average()
    libraries = best_of([sys.executable, "-c", f"import {LIBRARIES}"], runs, env)
    dialects = best_of([sys.executable, "-c", f"import {LIBRARIES}, {DIALECTS}"], runs, env)
    client = best_of([sys.executable, "-c", client_script(pg_url, my_url)], runs, env)
    with tempfile.TemporaryDirectory() as tmp:
        key = ", ".join(tpch_data.KEY)
        config = monitor_file(
            Path(tmp),
            {"pg": pg_url, "my": my_url},
            "  lineitem:\n    source: pg.lineitem\n    target: my.lineitem\n"
            f"    key: [{key}]\n    compare: [{', '.join(tpch_data.COMPARED)}]\n",
        )
        dxq_run(config)  # warm-up: bytecode, and the databases' caches
        measured = [dxq_run(config) for _ in range(runs)]
    best = min(measured, key=lambda m: m.overhead_s)
    outside = best.overhead_s
    print(
        f"dxq run (reconcile, 40,000 rows): outside the checks {outside * 1000:.0f} ms "
        f"(target 500 ms: {'met' if outside < 0.5 else 'MISSED'}), checks "
        f"{best.checks_s * 1000:.0f} ms, process CPU {min(m.cpu_s for m in measured) * 1000:.0f} "
        f"ms, peak RSS {max(m.peak_rss_mb for m in measured):.0f} MB (target 150 MB)\n"
        f"  floors: the libraries alone {libraries * 1000:.0f} ms, with SQLAlchemy's three "
        f"dialects {dialects * 1000:.0f} ms; a client (python, psycopg and PyMySQL, one "
        f"connection to each) {client * 1000:.0f} ms\n"
        f"  dxq's start-up beyond what any client pays: {(outside - client) * 1000:.0f} ms "
        f"({outside / client:.1f}x the client); load {before} before, {load_average()} after"
    )


if __name__ == "__main__":
    main()
