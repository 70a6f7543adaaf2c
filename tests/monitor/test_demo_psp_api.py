"""The demo's payment provider served as an HTTP JSON API (demo/psp_api.py) and read as an API
system gives the payments integration exactly the results its SQLite table gives: the same
defects, through dxq's API reader."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from checks.result import CheckResult
from demo.command import copy_demo_files, demo_env
from demo.psp_api import PATH, TOKEN, running_psp
from demo.world import DemoWorld
from monitor.config.loading import load_config
from monitor.run.plan import plan_integrations
from monitor.run.runner import run_integration

END = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def api_system(base_url: str) -> dict[str, Any]:
    return {
        "description": "Payment service provider (HTTP API)",
        "owner": "finance",
        "api": {
            "base_url": base_url,
            "auth": {"bearer": TOKEN},
            "datasets": {
                "transactions": {
                    "path": PATH,
                    "items": "data",
                    "pagination": {"cursor": {"param": "starting_after", "field": "next_cursor"}},
                    "params": {"limit": 100},
                    "fields": {
                        "txn_id": "txn_id",
                        "order_id": {"path": "order_id", "type": "integer"},
                        "amount": {"path": "amount", "type": "number"},
                        "currency": "currency",
                        "status": "status",
                        "captured_at": {"path": "captured_at", "type": "timestamp"},
                    },
                }
            },
        },
    }


def payments(config_path: Path, env: dict[str, str], now: datetime) -> dict[str, CheckResult]:
    (plan,) = plan_integrations(load_config(config_path, env), ["payments"])
    return {r.check: r for r in run_integration(plan, now).results}


def test_payments_read_through_the_demo_api_show_the_same_defects(tmp_path: Path) -> None:
    world = DemoWorld(tmp_path / "demo", days=12, end=END)
    moment = next(m for m in world.run_times() if world.defects(m).psp_missing_payments > 0)
    missing = world.defects(moment).psp_missing_payments
    world.advance_to(moment)
    original = copy_demo_files(tmp_path)
    env = {**os.environ, **demo_env(tmp_path)}
    document = yaml.safe_load(original.read_text())
    with running_psp(tmp_path / "demo" / "psp.db") as base_url:
        assert httpx.get(base_url + PATH, timeout=10).status_code == 401
        document["systems"]["psp"] = api_system(base_url)
        through_api = original.parent / "dxq-psp-api.yml"
        through_api.write_text(yaml.safe_dump(document, sort_keys=False))
        by_api = payments(through_api, env, moment)
    by_table = payments(original, env, moment)
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
