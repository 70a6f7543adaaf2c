"""The demo's payment provider is an API system (demo/dxq.yml) served by the demo
(demo/psp_api.py): read through the API, the payments integration gets exactly the results the
SQLite table behind it gives: the same defects, through dxq's API reader."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from checks.result import CheckResult
from demo.command import copy_demo_files, demo_env
from demo.psp_api import PATH, PSP_URL, running_psp
from demo.world import DemoWorld
from monitor.config.loading import load_config
from monitor.run.plan import plan_integrations
from monitor.run.runner import run_integration

END = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def payments(config_path: Path, env: dict[str, str], now: datetime) -> dict[str, CheckResult]:
    (plan,) = plan_integrations(load_config(config_path, env), ["payments"])
    return {r.check: r for r in run_integration(plan, now).results}


def test_payments_read_through_the_demo_api_show_the_same_defects(tmp_path: Path) -> None:
    world = DemoWorld(tmp_path / "demo", days=12, end=END)
    moment = next(m for m in world.run_times() if world.defects(m).psp_missing_payments > 0)
    missing = world.defects(moment).psp_missing_payments
    world.advance_to(moment)
    shipped = copy_demo_files(tmp_path)  # psp is the API system, as the demo ships it
    database = tmp_path / "demo" / "psp.db"
    document = yaml.safe_load(shipped.read_text())
    assert "api" in document["systems"]["psp"]
    document["systems"]["psp"] = {"url": f"sqlite:///{database}", "owner": "finance"}
    as_table = shipped.parent / "dxq-psp-table.yml"
    as_table.write_text(yaml.safe_dump(document, sort_keys=False))
    with running_psp(database) as base_url:
        assert httpx.get(base_url + PATH, timeout=10).status_code == 401
        env = {**os.environ, **demo_env(tmp_path), PSP_URL: base_url}
        by_api = payments(shipped, env, moment)
    by_table = payments(as_table, env, moment)
    assert list(by_api) == list(by_table)
    for name, expected in by_table.items():
        got = by_api[name]
        assert got.outcome == expected.outcome, (name, got.reason, expected.reason)
        for metric in METRICS:
            assert got.metrics.get(metric) == expected.metrics.get(metric), (name, metric)
    reconcile = by_api["reconcile"].metrics
    assert reconcile["source_rows"] > 100, "the API served every page"
    assert reconcile["missing_in_target"] == missing, "the world's defect, read through the API"
    assert by_api["reconcile"].outcome == "failed"


METRICS = (
    "source_rows",
    "target_rows",
    "missing_in_target",
    "missing_in_source",
    "changed",
    "difference",
    "unexpected_count",
    "element_count",
)
