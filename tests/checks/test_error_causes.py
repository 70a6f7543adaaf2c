"""Results of outcome `error` carry a machine-readable cause, printed by `dxq run --format json`
and kept in the store with the result."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from checks.result import CheckKind, CheckResult, Outcome, Severity, error_result
from checks.spec import VolumeSpec
from checks.volume import check_volume
from datasources.dataset import Dataset, SqlSystem
from datasources.errors import Cause

ROOT = Path(__file__).resolve().parents[2]


def test_error_results_carry_their_cause_and_print_it(sqlite_url: str) -> None:
    with sa.create_engine(sqlite_url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INTEGER)")
    here = Dataset(SqlSystem("here", sqlite_url), table="items")
    missing = Dataset(SqlSystem("here", sqlite_url), table="no_such_items")
    result = check_volume(VolumeSpec(here, missing, 0.0, Severity.ERROR))
    assert result.outcome is Outcome.ERROR and result.side == "target"
    assert result.cause is Cause.MISSING_TABLE
    assert result.to_json()["cause"] == "missing_table"
    assert result.metrics["cause"] == "missing_table"  # stored with the result's metrics
    passed = check_volume(VolumeSpec(here, here, 0.0, Severity.ERROR))
    assert passed.outcome is Outcome.PASSED and passed.cause is None
    assert "cause" not in passed.to_json()


def test_a_cause_is_only_read_from_an_error() -> None:
    failed = CheckResult("c", CheckKind.VOLUME, Outcome.FAILED, Severity.ERROR, {"cause": "auth"})
    assert failed.cause is None
    odd = CheckResult("c", CheckKind.VOLUME, Outcome.ERROR, Severity.ERROR, {"cause": "zzz"})
    assert odd.cause is None
    crash = error_result("c", CheckKind.VOLUME, Severity.ERROR, "boom")
    assert crash.cause is Cause.INTERNAL


def test_dxq_run_json_prints_and_stores_each_cause(tmp_path: Path, pg_url: str) -> None:
    with sqlite3.connect(tmp_path / "good.db") as conn:
        conn.execute("create table items (id integer primary key)")
    stranger = sa.make_url(pg_url).set(username="no_such_role_dxq", password="pw")
    (tmp_path / "dxq.yml").write_text(
        "version: 1\n"
        f"store: sqlite:///{tmp_path}/results.db\n"
        "systems:\n"
        "  down: {url: 'postgresql+psycopg://nobody:secret@127.0.0.1:1/none',\n"
        "         connect_timeout: 2s}\n"
        f"  locked: {{url: '{stranger.render_as_string(hide_password=False)}'}}\n"
        "  local: {url: 'sqlite:///good.db'}\n"
        "integrations:\n"
        "  gone: {source: down.items, target: local.items, key: id, volume: {tolerance: 0}}\n"
        "  login: {source: locked.items, target: local.items, key: id, volume: {tolerance: 0}}\n"
        "  absent: {source: local.nothing, target: local.items, key: id, volume: {tolerance: 0}}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "run", "-c", "dxq.yml", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 3, result.stderr
    doc = json.loads(result.stdout)
    causes = {i["integration"]: i["checks"][0]["cause"] for i in doc["integrations"]}
    assert causes == {"gone": "unreachable", "login": "auth", "absent": "missing_table"}
    with sqlite3.connect(tmp_path / "results.db") as conn:
        stored = dict(conn.execute("select integration, metrics from check_results").fetchall())
    assert {name: json.loads(m)["cause"] for name, m in stored.items()} == causes
