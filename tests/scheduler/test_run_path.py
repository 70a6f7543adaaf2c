"""The check-type registry the one run path evaluates through: every declaration type and every
kind has exactly one entry, the plan's order is the registry's, and an engine that crashes is
an `internal` error result named after its kind; the last schema snapshot is read only for a
schema check."""

from __future__ import annotations

import sqlite3
import typing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checks.result import CheckKind, Outcome
from checks.spec import CheckSpec
from datasources.errors import Cause
from monitor.config.loading import load_config
from monitor.run import registry
from monitor.run.plan import plan_integrations
from monitor.run.runner import evaluate, record_integration
from store.store import ResultStore
from tests.scheduler.world import make_source, write_monitor_file


def test_every_check_declaration_and_kind_is_registered_once() -> None:
    specs = set(typing.get_args(CheckSpec))
    assert {t.spec for t in registry.CHECK_TYPES} == specs
    assert len(registry.CHECK_TYPES) == len(specs)
    # anomaly results are not a declared check: the run judges watched series after the checks
    judged = sorted(set(CheckKind) - {CheckKind.ANOMALY})
    assert sorted(t.kind for t in registry.CHECK_TYPES) == judged


def test_the_plan_runs_checks_in_the_registry_order(tmp_path: Path) -> None:
    url = make_source(tmp_path)
    body = {
        "source": "shop.products",
        "target": "shop.products",
        "schema": True,
        "references": [{"column": "sku", "references": "shop.products.sku"}],
        "volume": {"tolerance": "0%"},
        "freshness": {"column": "qty", "max_age": "1h"},
    }
    path = write_monitor_file(
        tmp_path / "dxq.yml", "sqlite://", {"shop": {"url": url}}, {"i": body}
    )
    (plan,) = plan_integrations(load_config(path, {}))
    kinds = [registry.check_type(s).kind for s in plan.specs]
    order = [t.kind for t in registry.CHECK_TYPES]
    assert kinds == sorted(kinds, key=order.index)
    assert kinds[0] is CheckKind.FRESHNESS and kinds[-1] is CheckKind.SCHEMA


def test_a_crashing_engine_is_an_internal_error_of_its_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_source(tmp_path)
    body = {"source": "shop.products", "target": "shop.products", "volume": {"tolerance": "0%"}}
    path = write_monitor_file(
        tmp_path / "dxq.yml", "sqlite://", {"shop": {"url": url}}, {"i": body}
    )
    (plan,) = plan_integrations(load_config(path, {}))
    (spec,) = plan.specs
    entry = registry.check_type(spec)

    def boom(_spec: object, _now: datetime) -> list[object]:
        raise ZeroDivisionError("engine bug")

    crashing = registry.CheckType(entry.kind, entry.spec, boom)  # type: ignore[arg-type]
    monkeypatch.setitem(registry._BY_SPEC, entry.spec, crashing)
    (result,) = evaluate(spec, datetime.now(UTC))
    assert result.outcome is Outcome.ERROR and result.kind is CheckKind.VOLUME
    assert result.check == "volume" and result.cause is Cause.INTERNAL
    assert result.reason == "internal error in the volume check: ZeroDivisionError: engine bug"


GX_NOISE = """
import json, logging, sys
from datetime import UTC, datetime
from pathlib import Path
from monitor.config.loading import load_config
from monitor.run.plan import plan_integrations
from monitor.run.runner import evaluate, record_integration
from store.store import ResultStore
seen = []
class Count(logging.Handler):
    def emit(self, record):
        if record.name.startswith("great_expectations") and record.levelno < logging.WARNING:
            seen.append(record.name)
logging.basicConfig(level=logging.INFO)
logging.getLogger().addHandler(Count())
(plan,) = plan_integrations(load_config(Path(sys.argv[1]), {}))
outcomes = [str(r.outcome) for spec in plan.specs for r in evaluate(spec, datetime.now(UTC))]
print(json.dumps({"outcomes": outcomes, "gx_info": len(seen)}))
"""


def test_a_suite_run_logs_no_gx_info_lines(tmp_path: Path) -> None:
    """Issue 12 item 14: each scheduled run logged ~220 lines of GX INFO (a fresh process, so
    GX is imported by the run as under `dxq schedule`)."""
    import json
    import subprocess
    import sys

    suite = {
        "name": "s",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "qty"}}
        ],
    }
    (tmp_path / "s.json").write_text(json.dumps(suite), encoding="utf-8")
    body = {
        "source": "shop.products",
        "target": "shop.products",
        "suites": [{"suite": "s.json", "side": "source", "key": ["sku"]}],
    }
    systems = {"shop": {"url": make_source(tmp_path)}}
    path = write_monitor_file(tmp_path / "dxq.yml", "sqlite://", systems, {"i": body})
    done = subprocess.run(
        [sys.executable, "-c", GX_NOISE, str(path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"outcomes": ["passed"], "gx_info": 0}


def test_the_last_schema_snapshot_is_read_only_by_runs_with_a_schema_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_source(tmp_path)
    store_url = f"sqlite:///{tmp_path}/results.db"
    counts = {"source": "shop.products", "target": "shop.products", "volume": {"tolerance": "0%"}}
    bodies = {"counts": counts, "columns": {**counts, "schema": True}}
    path = write_monitor_file(tmp_path / "dxq.yml", store_url, {"shop": {"url": url}}, bodies)
    plans = {p.name: p for p in plan_integrations(load_config(path, {}))}
    store = ResultStore.open(store_url)
    reads: list[str] = []
    read = store.last_schema_snapshot
    monkeypatch.setattr(store, "last_schema_snapshot", lambda n: reads.append(n) or read(n))

    def schema_changes(name: str) -> list[object]:
        run = record_integration(
            plans[name], store, trigger="manual", clock=lambda: datetime.now(UTC)
        )
        return [r.metrics["changes"] for r in run.results if r.kind is CheckKind.SCHEMA]

    try:
        assert schema_changes("counts") == [] and reads == []
        assert schema_changes("columns") == [0] and reads == ["columns"]
        with sqlite3.connect(tmp_path / "shop.db") as conn:
            conn.execute("ALTER TABLE products ADD COLUMN note TEXT")
        assert schema_changes("columns") == [2], "the new column on both sides, from the snapshot"
        assert schema_changes("counts") == [] and reads == ["columns", "columns"]
    finally:
        store.dispose()
