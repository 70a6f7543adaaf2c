"""The files under deploy/ stay true to what dxq exports: Prometheus accepts the rules, and
every dxq metric the rules and the Grafana dashboard name is one dxq really serves."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from monitor.metrics import DURATION_BOUNDS, families
from store.totals import RunDurations, Totals
from tests.operations.prometheus_server import require_prometheus

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
_NAME = re.compile(r"\bdxq_[a-z_]+\b")


def _served_names() -> set[str]:
    """Every sample name dxq serves when each total has one value."""
    now = datetime.now(UTC)
    totals = Totals(
        integration_rank={"a": 2},
        kind_rank={("a", "reconcile"): 2},
        mismatch_rate={"a": 0.01},
        freshness_lag_s={("a", "target"): 60.0},
        last_run_at={"a": now},
        runs_total={("a", "failed"): 3},
        durations=(RunDurations("a", tuple(3 for _ in DURATION_BOUNDS), 3, 4.5),),
        open_alerts={("critical", "data_quality"): 1},
        notifications={"pending": 1, "dead": 1},
        last_heartbeat_at=now,
    )

    class Fixed(Collector):
        def collect(self):  # type: ignore[no-untyped-def]
            return families(totals)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Fixed())
    text = generate_latest(registry).decode()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_promtool_accepts_the_rules() -> None:
    promtool = str(Path(require_prometheus()).with_name("promtool"))
    done = subprocess.run(
        [promtool, "check", "rules", str(DEPLOY / "prometheus" / "dxq-rules.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 6 rules found" in done.stdout


def test_rules_and_dashboard_name_only_served_metrics() -> None:
    served = _served_names() | {"dxq_store_up"}
    rules = (DEPLOY / "prometheus" / "dxq-rules.yml").read_text()
    dashboard = json.loads((DEPLOY / "grafana" / "dxq-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    named = set(_NAME.findall(rules)) | {n for e in exprs for n in _NAME.findall(e)}
    assert named, "the deploy files name no dxq metric"
    assert named <= served, named - served
    # each served family appears on the dashboard at least once
    families_served = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in served}
    on_dashboard = {
        re.sub(r"_(bucket|count|sum|total)$", "", n) for e in exprs for n in _NAME.findall(e)
    }
    assert families_served - {"dxq_store_up"} <= on_dashboard
