"""`dxq` end to end, as a user runs it: real processes, the demo's systems, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dashboard.support import copy_store

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "dxq.yml"


def dxq(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )


def test_help_lists_the_commands() -> None:
    result = dxq("--help")
    assert result.returncode == 0
    for command in ("validate", "run", "dashboard", "demo", "db"):
        assert command in result.stdout


def test_validate_accepts_the_demo(demo_env: dict[str, str]) -> None:
    result = dxq("validate", "-c", str(DEMO), env=demo_env)
    assert result.returncode == 0, result.stderr
    assert "6 integrations" in result.stdout


def test_validate_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "dxq.yml"
    bad.write_text(
        "version: 1\n"
        "systems:\n"
        "  shop: {url: 'sqlite:///shop.db'}\n"
        "integrations:\n"
        "  orders:\n"
        "    source: erp.orders\n"
        "    target: shop.orders\n"
        "    severity: urgent\n"
        "    shedule: '*/5 * * * *'\n"
    )
    result = dxq("validate", "-c", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(f"{bad}:6: integrations.orders.source" in line and "erp" in line for line in lines)
    assert any(f"{bad}:8: integrations.orders.severity" in line for line in lines)
    assert any(
        f"{bad}:9: integrations.orders.shedule" in line and "schedule" in line for line in lines
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "shop.db").exists(), "validate must not create anything"


def test_missing_monitor_file_is_a_usage_error(tmp_path: Path) -> None:
    result = dxq("validate", "-c", str(tmp_path / "nope.yml"))
    assert result.returncode == 2
    assert "nope.yml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def own_store(demo_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The demo's environment with a copy of its results store: a run here records runs and
    pending notifications that the dashboard tests sharing the session's store must not see."""
    return {**demo_env, "DXQ_STORE_URL": copy_store(demo_env["DXQ_STORE_URL"], tmp_path / "r.db")}


def test_run_json_reports_the_seeded_defects_and_exits_1(own_store: dict[str, str]) -> None:
    result = dxq("run", "-c", str(DEMO), "--format", "json", env=own_store)
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["run_started_at"].endswith("Z")
    names = [i["integration"] for i in doc["integrations"]]
    assert len(names) == 6
    by_name = {i["integration"]: i for i in doc["integrations"]}
    for integration in doc["integrations"]:
        assert integration["outcome"] in ("passed", "warned", "failed", "error")
        assert isinstance(integration["run_id"], int)
        for check in integration["checks"]:
            assert {"check", "kind", "outcome", "metrics"} <= check.keys()
    outcomes = {i["outcome"] for i in doc["integrations"]}
    assert "failed" in outcomes and "error" not in outcomes
    catalog = {c["check"]: c for c in by_name["product-catalog"]["checks"]}
    assert catalog["reconcile"]["outcome"] == "failed"
    assert catalog["reconcile"]["metrics"]["changed"] > 0
    orders = {c["check"]: c for c in by_name["orders"]["checks"]}
    assert orders["reconcile"]["outcome"] == "failed"
    assert orders["reconcile"]["metrics"]["missing_in_target"] > 0
    customers = {c["check"]: c["outcome"] for c in by_name["customers"]["checks"]}
    suite = "suites/shop_customers.json: expect_column_values_to_"
    assert customers[suite + "not_be_null(email)"] == "failed"
    assert customers[suite + "be_unique(email)"] == "failed"
    stock = {c["check"]: c for c in by_name["stock-levels"]["checks"]}
    assert stock["freshness"]["outcome"] == "failed"


def test_run_one_integration_by_name(own_store: dict[str, str]) -> None:
    result = dxq("run", "-c", str(DEMO), "stock-levels", "--format", "json", env=own_store)
    doc = json.loads(result.stdout)
    assert [i["integration"] for i in doc["integrations"]] == ["stock-levels"]


def test_run_unknown_integration_is_a_usage_error(demo_env: dict[str, str]) -> None:
    result = dxq("run", "-c", str(DEMO), "no-such-flow", env=demo_env)
    assert result.returncode == 2
    assert "no-such-flow" in result.stderr
    assert "product-catalog" in result.stderr  # the known names are listed


def test_unreachable_system_is_an_error_and_exits_3(tmp_path: Path) -> None:
    suite = tmp_path / "suite.json"
    suite.write_text(
        json.dumps(
            {
                "name": "s",
                "expectations": [
                    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}
                ],
            }
        )
    )
    good = tmp_path / "good.db"
    import sqlite3

    with sqlite3.connect(good) as conn:
        conn.execute("create table items (id integer primary key)")
        conn.execute("insert into items values (1)")
    config = tmp_path / "dxq.yml"
    config.write_text(
        "version: 1\n"
        f"store: sqlite:///{tmp_path}/results.db\n"
        "systems:\n"
        "  down: {url: 'postgresql+psycopg://nobody:secret@127.0.0.1:1/none',\n"
        "         connect_timeout: 2s}\n"
        "  local: {url: 'sqlite:///good.db'}\n"
        "integrations:\n"
        "  broken: {source: down.items, target: local.items, key: id, volume: {tolerance: 0}}\n"
        "  fine: {source: local.items, target: local.items, key: id, suites: [suite.json]}\n"
    )
    result = dxq("run", "-c", str(config), "--format", "json")
    assert result.returncode == 3, result.stderr
    doc = json.loads(result.stdout)
    by_name = {i["integration"]: i for i in doc["integrations"]}
    assert by_name["broken"]["outcome"] == "error"
    assert by_name["fine"]["outcome"] == "passed"  # the other integration still ran
    reason = by_name["broken"]["checks"][0]["reason"]
    assert "secret" not in result.stdout and "down" in reason


def test_an_unreachable_results_database_is_one_clear_line(demo_env: dict[str, str]) -> None:
    env = {**demo_env, "DXQ_STORE_URL": "postgresql+psycopg://dxq:hunter2@127.0.0.1:1/results"}
    result = dxq("run", "-c", str(DEMO), "orders", env=env)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "results database" in result.stderr and "127.0.0.1:1" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
