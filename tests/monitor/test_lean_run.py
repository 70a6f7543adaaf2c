"""`dxq run` stays lean (docs/architecture.md#import-rules): a run of SQL datasets imports
neither GX nor plotly nor streamlit, nor pandas (which only file systems need), and a fused
suite needs no GX either. Each run is a real `dxq run` process; a small wrapper prints which
of these modules it loaded, its peak RSS and whether the garbage collector is on when it ends
(dxq holds it while it starts; a run turns it back on for its checks: monitor/garbage.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from store.store import ResultStore

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "great_expectations", "plotly", "streamlit", "pandas", "pyarrow", "numpy", "alembic", "httpx",
    "sqlparse",  # for query text only (datasources/statement.py)
    "smtplib",  # for a notification to send only (monitor/daemon/dispatcher.py)
)  # fmt: skip
NOT_FOR_RECONCILE = (  # dxq's own modules a run of tables without suites has no use for
    "checks.suite_file", "checks.suite_result", "monitor.config.suite_files",  # suites named
    "difflib",  # a misspelt key's suggestion (monitor/config/document.py)
    "store.scheduling",  # the daemon's: a run that waits, cannot be recorded, or sends
    "monitor.daemon.dispatcher", "alerts.delivery",  # for a notification that is due only
    "monitor.commands.digest", "monitor.commands.executor",  # other commands' arguments
)  # fmt: skip
ROWS = 2_000
PROBE = f"""
import gc, runpy, sys
sys.argv = ["dxq", *sys.argv[1:]]
try:
    runpy.run_module("monitor.cli", run_name="__main__")
except SystemExit as done:
    code = done.code
with open("/proc/self/status") as status:
    peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
print("LEAN", code, peak, ",".join(loaded), gc.isenabled(), file=sys.stderr)
"""


def _tables(pg_url: str, mariadb_url: str) -> None:
    for url in (pg_url, mariadb_url):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS lean_items")
            conn.exec_driver_sql(
                "CREATE TABLE lean_items (id INTEGER PRIMARY KEY, name VARCHAR(40), price INTEGER)"
            )
            rows = [
                {"id": i, "name": f"item {i}", "price": i * 3 + (i == ROWS - 1 and "mysql" in url)}
                for i in range(ROWS)
            ]
            conn.execute(sa.text("INSERT INTO lean_items VALUES (:id, :name, :price)"), rows)
        engine.dispose()


def _run(
    tmp_path: Path, integration: str, probe: str = PROBE
) -> tuple[dict[str, Any], list[str], int]:
    done = subprocess.run(
        [sys.executable, "-c", probe, "run", "-c", str(tmp_path / "dxq.yml"), "--format=json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    word, code, peak_kb, loaded, collector = done.stderr.splitlines()[-1].split(" ")
    assert (word, code) == ("LEAN", "1"), done.stderr  # one failed check in each: exit 1
    assert collector == "True"  # held while dxq started, released for the checks
    report: dict[str, Any] = json.loads(done.stdout)["integrations"][0]
    assert report["integration"] == integration
    return report, [name for name in loaded.split(",") if name], int(peak_kb)


def _monitor_file(tmp_path: Path, pg_url: str, mariadb_url: str, checks: str) -> None:
    (tmp_path / "dxq.yml").write_text(
        "version: 1\nstore: sqlite:///results.db\n"
        f"systems:\n  pg: {{url: '{pg_url}'}}\n  my: {{url: '{mariadb_url}'}}\n"
        "integrations:\n  items:\n    source: pg.lean_items\n    target: my.lean_items\n"
        f"    key: id\n{checks}",
        encoding="utf-8",
    )
    ResultStore.open(f"sqlite:///{tmp_path}/results.db").dispose()  # Alembic: the first run only


def test_a_reconcile_run_loads_no_heavy_library(
    tmp_path: Path, pg_url: str, mariadb_url: str
) -> None:
    _tables(pg_url, mariadb_url)
    _monitor_file(tmp_path, pg_url, mariadb_url, "    compare: [name, price]\n")
    probe = PROBE.replace(repr(HEAVY), repr((*HEAVY, *NOT_FOR_RECONCILE)))
    report, loaded, peak_kb = _run(tmp_path, "items", probe)
    (check,) = report["checks"]
    assert (check["kind"], check["metrics"]["changed"]) == ("reconcile", 1)
    assert loaded == []
    assert peak_kb < 150 * 1024


def test_a_run_without_mariadb_loads_no_pymysql(tmp_path: Path, pg_url: str) -> None:
    """PyMySQL (with the cryptography it loads, about 20 ms) is for MariaDB and MySQL
    systems only: a reconcile of two PostgreSQL tables, columns described through
    datasources.introspection, never loads it."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS lean_copy")
        conn.exec_driver_sql(
            "CREATE TABLE lean_copy (id INTEGER PRIMARY KEY, name VARCHAR(40), price INTEGER)"
        )
        conn.exec_driver_sql("INSERT INTO lean_copy VALUES (1, 'item 1', 3), (2, 'item 2', 7)")
    engine.dispose()
    (tmp_path / "dxq.yml").write_text(
        f"version: 1\nstore: sqlite:///results.db\nsystems:\n  pg: {{url: '{pg_url}'}}\n"
        "integrations:\n  items:\n    source: pg.lean_items\n    target: pg.lean_copy\n"
        "    key: id\n    compare: [name, price]\n",
        encoding="utf-8",
    )
    ResultStore.open(f"sqlite:///{tmp_path}/results.db").dispose()
    _tables(pg_url, pg_url)  # lean_items, as in the other runs
    probe = PROBE.replace(repr(HEAVY), repr((*HEAVY, "pymysql", "cryptography")))
    report, loaded, _ = _run(tmp_path, "items", probe)
    (check,) = report["checks"]
    assert (check["kind"], check["metrics"]["changed"]) == ("reconcile", 1)
    assert loaded == []


def test_a_fused_suite_run_loads_no_gx(tmp_path: Path, pg_url: str, mariadb_url: str) -> None:
    _tables(pg_url, mariadb_url)
    suite = {
        "name": "lean",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"}},
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "price", "min_value": 0, "max_value": 3 * (ROWS - 1)},
            },
        ],
    }
    (tmp_path / "lean.json").write_text(json.dumps(suite), encoding="utf-8")
    _monitor_file(tmp_path, pg_url, mariadb_url, "    suites: [lean.json]\n")
    report, loaded, peak_kb = _run(tmp_path, "items")
    outcomes = [(c["metrics"]["engine"], c["outcome"]) for c in report["checks"]]
    assert outcomes == [("fused", "passed"), ("fused", "failed")]  # MariaDB's last price: 1 over
    assert loaded == []
    assert peak_kb < 150 * 1024


def test_the_parser_loads_neither_the_store_nor_the_models() -> None:
    """`dxq --help` (the parser every command builds first) loads neither SQLAlchemy (the
    store) nor pydantic (the monitor file's models): the commands import them when they run."""
    probe = PROBE.replace(repr(HEAVY), repr(("sqlalchemy", "pydantic", *HEAVY)))
    done = subprocess.run(
        [sys.executable, "-c", probe, "--help"], capture_output=True, text=True, timeout=60
    )
    word, code, _, loaded, collector = done.stderr.splitlines()[-1].split(" ")
    assert "COMMAND" in done.stdout
    assert (word, code, loaded, collector) == ("LEAN", "0", "", "False")  # held: nothing ran


def test_validate_loads_neither_the_store_nor_the_scheduler() -> None:
    """`dxq validate` of the demo's monitor file reads URLs with SQLAlchemy's parser and cron
    schedules with APScheduler's trigger (the one rule for each), but loads no store module,
    no run-time alerting, and not APScheduler's scheduler (monitor/daemon/cron_clock.py)."""
    unwanted = (
        "store.store", "store.outbox", "store.alert_state", "monitor.run.alerting",
        "apscheduler.schedulers.background", "monitor.daemon.cron_clock",
        *[name for name in HEAVY if name != "sqlparse"],  # the demo's queries are read
    )  # fmt: skip
    probe = PROBE.replace(repr(HEAVY), repr(unwanted))
    demo = ROOT / "demo" / "dxq.yml"
    done = subprocess.run(
        [sys.executable, "-c", probe, "validate", "-c", str(demo)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    word, code, _, loaded, _ = done.stderr.splitlines()[-1].split(" ")
    assert done.stdout.startswith("ok: "), done.stderr
    assert (word, code, loaded) == ("LEAN", "0", "")
