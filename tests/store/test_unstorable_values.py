"""Issue 11 item 2: one bad value must not stop a run nor the runs after it.

- A NUL character (PostgreSQL's text and JSONB refuse it) or a lone surrogate in a compared
  text column is stored, replaced by U+FFFD, on every store engine.
- A run whose recording fails anyway (here: the SQLite store locked past its timeout) is closed
  as `error` with the reason in a fresh transaction; the next integration still runs and
  `dxq run` prints every result it computed.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BAD = "caf\x00e !"  # PostgreSQL refuses a NUL in text and in JSONB


def _systems(tmp_path: Path) -> dict[str, dict[str, str]]:
    dbs = {}
    for name, value in (("left", BAD), ("right", "cafe !")):
        path = tmp_path / f"{name}.db"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)")
            conn.executemany("INSERT INTO items VALUES (?, ?)", [(1, value), (2, "same")])
        dbs[name] = {"url": f"sqlite:///{path}"}
    return dbs


def _monitor_file(tmp_path: Path, store_url: str) -> Path:
    pair = {"source": "left.items", "target": "right.items", "key": "id", "compare": ["label"]}
    doc = {
        "version": 1,
        "store": store_url,
        "systems": _systems(tmp_path),
        "integrations": {
            "bad-value": pair,
            "after-it": {"source": "right.items", "target": "right.items", "key": "id"},
        },
    }
    path = tmp_path / "dxq.yml"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _dxq_run(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "run", "-c", str(config), "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _runs(store_url: str) -> list[tuple[str, str, str | None]]:
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT integration, status, reason FROM runs ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    return [(str(i), str(s), r) for i, s, r in rows]


def test_storable_text_replaces_only_what_a_store_cannot_keep() -> None:
    from store.types import storable_text, to_jsonable

    assert storable_text("plain ascii") == "plain ascii"
    assert storable_text("ünïcode ✓ 🙂") == "ünïcode ✓ 🙂"
    assert storable_text("a\x00b") == "a\ufffdb"
    assert "\ud800" not in storable_text("x\ud800y") and storable_text("x\ud800y").startswith("x")
    doc = to_jsonable({"k\x00": ["x\ud800", {"n": "\x00"}]})
    assert doc == {"k\ufffd": [storable_text("x\ud800"), {"n": "\ufffd"}]}
    json.dumps(doc).encode("utf-8")  # encodable, no escape PostgreSQL's JSONB refuses


def test_a_nul_in_a_compared_column_is_stored_and_the_next_integration_runs(
    tmp_path: Path, store_url: str
) -> None:
    config = _monitor_file(tmp_path, store_url)
    done = _dxq_run(config)
    assert done.returncode == 1, done.stderr  # a mismatch: failed, not an error
    report = json.loads(done.stdout)
    assert [i["integration"] for i in report["integrations"]] == ["bad-value", "after-it"]
    assert [i["outcome"] for i in report["integrations"]] == ["failed", "passed"]
    assert _runs(store_url) == [("bad-value", "failed", None), ("after-it", "passed", None)]
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            sample = conn.execute(
                sa.text("SELECT sample FROM latest_results WHERE integration = 'bad-value'")
            ).scalar_one()
    finally:
        engine.dispose()
    stored = json.dumps(sample if not isinstance(sample, str) else json.loads(sample))
    assert "\\ufffd" in stored and "\\u0000" not in stored


def test_a_locked_sqlite_store_closes_the_run_as_an_error_and_the_others_carry_on(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.config.loading import load_config
    from monitor.run import runner
    from monitor.run.plan import plan_integrations
    from monitor.run.report import exit_code, render_table
    from store import store as store_module
    from store.store import ResultStore

    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_S", 1.0)
    config = load_config(_monitor_file(tmp_path, sqlite_url), {})
    plans = plan_integrations(config)
    store = ResultStore.open(config.store)
    original = runner.run_integration
    locked: list[float] = []

    def run_then_lock(*args: Any, **kwargs: Any) -> runner.IntegrationRun:
        run = original(*args, **kwargs)
        if not locked:  # the first integration: another writer holds the store for 1.5 s
            holder = sqlite3.connect(
                sqlite_url.removeprefix("sqlite:///"), timeout=5, check_same_thread=False
            )
            holder.execute("BEGIN EXCLUSIVE")
            locked.append(time.monotonic())

            def release() -> None:
                time.sleep(1.5)
                holder.rollback()
                holder.close()

            threading.Thread(target=release).start()
        return run

    monkeypatch.setattr(runner, "run_integration", run_then_lock)
    runs = runner.run_and_record(plans, store, trigger="manual", clock=lambda: datetime.now(UTC))
    store.dispose()
    assert [r.integration for r in runs] == ["bad-value", "after-it"]
    first, second = runs
    assert first.results and first.not_recorded and "locked" in first.not_recorded
    assert second.not_recorded is None and second.run_id is not None
    stored = _runs(sqlite_url)
    assert [(i, s) for i, s, _ in stored] == [("bad-value", "error"), ("after-it", "passed")]
    assert "the results could not be recorded" in (stored[0][2] or "")
    table = render_table(runs)
    assert "bad-value: FAILED" in table and "not recorded" in table and "after-it" in table
    assert exit_code(runs) == 3, "results that could not be stored make the run an error"


def test_text_columns_keep_a_nul_as_a_replacement_character(store_url: str) -> None:
    from checks.result import CheckKind, CheckResult, Outcome, Severity
    from store.store import ResultStore

    store = ResultStore.open(store_url)
    result = CheckResult(
        "volume",
        CheckKind.VOLUME,
        Outcome.FAILED,
        Severity.ERROR,
        observed="a\x00b",
        reason="row 'x\x00' differs",
    )
    try:
        run_id = store.begin_run("nul", datetime.now(UTC))
        assert store.complete_run(run_id, datetime.now(UTC), [result]) == "failed"
    finally:
        store.dispose()
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT observed, reason FROM check_results")).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("a\ufffdb", "row 'x\ufffd' differs")


def test_a_store_locked_from_the_start_still_gives_every_result(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.config.loading import load_config
    from monitor.run import runner
    from monitor.run.plan import plan_integrations
    from monitor.run.report import exit_code
    from store import store as store_module
    from store.store import ResultStore

    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_S", 0.5)
    config = load_config(_monitor_file(tmp_path, sqlite_url), {})
    store = ResultStore.open(config.store)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    holder.execute("BEGIN EXCLUSIVE")
    try:
        runs = runner.run_and_record(
            plan_integrations(config), store, trigger="manual", clock=lambda: datetime.now(UTC)
        )
    finally:
        holder.rollback()
        holder.close()
        store.dispose()
    assert [(r.integration, str(r.outcome)) for r in runs] == [
        ("bad-value", "failed"),
        ("after-it", "passed"),
    ]
    assert all(r.run_id is None and "could not be recorded" in (r.not_recorded or "") for r in runs)
    assert exit_code(runs) == 3


def test_a_nul_in_any_row_of_a_batch_is_kept_as_a_replacement_character(store_url: str) -> None:
    """A batch (executemany) whose text is all plain ASCII goes to the database as given; a NUL
    in its last row, or text beyond ASCII, still gets `storable_text`."""
    from store.schema import mismatch_keys
    from store.store import ResultStore

    at = datetime.now(UTC)
    rows = [
        {"integration": "nul", "check": check, "key": {"id": i}, "key_hash": f"h{i}"}
        | {"kind": "changed", "fields": None, "first_seen": at, "last_seen": at}
        for i, check in enumerate(["plain", "café", "also plain", "last \x00 row"])
    ]
    store = ResultStore.open(store_url)
    try:
        with store.transaction() as tx:
            plain = [row | {"integration": "plain"} for row in rows[:1] + rows[2:3]]
            tx.connection.execute(mismatch_keys.insert(), plain)
            tx.connection.execute(mismatch_keys.insert(), rows)
            c = mismatch_keys.c
            found = tx.connection.execute(sa.select(c.check).order_by(c.id)).scalars().all()
    finally:
        store.dispose()
    assert found == ["plain", "also plain", "plain", "café", "also plain", "last \ufffd row"]
