"""The demo's seeded anomaly: on one day the warehouse's stock export brings a third of its rows
and the shop imports just those. Every fixed rule of stock-levels passes that day; the
detector, fed the demo's daily row counts as runs feed it, flags that day and no other; and
its alert (label kind=anomaly) reaches the integration's business owner."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checks.anomaly.detector import Point, stream
from checks.spec import SuiteSpec
from demo.defects import SHORT_EXPORT_PLAN
from demo.world import DemoWorld
from monitor.config.loading import load_config
from monitor.run.alerting import alert_context
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.runner import run_integration

END = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> DemoWorld:
    return DemoWorld(tmp_path_factory.mktemp("demo"), end=END)


def _stock_plan(world: DemoWorld) -> IntegrationPlan:
    config = load_config(PROJECT / "demo" / "dxq.yml", {"DXQ_DEMO_DIR": str(world.root)})
    (plan,) = plan_integrations(config, ["stock-levels"])
    return plan


def test_the_short_export_passes_every_fixed_rule(world: DemoWorld) -> None:
    moment = world.run_times()[-1 - SHORT_EXPORT_PLAN]
    world.advance_to(moment)
    stated = world.defects(moment)
    assert stated.stock_export_rows == math.ceil(len(world.products) / 3)
    plan = _stock_plan(world)
    fixed = tuple(s for s in plan.specs if not isinstance(s, SuiteSpec))  # GX: rows are valid
    run = run_integration(dataclasses.replace(plan, specs=fixed), moment)
    assert {r.check: str(r.outcome) for r in run.results} == {
        "freshness": "passed",
        "volume": "passed",
        "reconcile": "passed",
    }
    (volume,) = [r for r in run.results if r.check == "volume"]
    assert volume.metrics["target_rows"] == stated.stock_export_rows


def test_the_detector_flags_that_day_and_no_other(world: DemoWorld) -> None:
    plan = _stock_plan(world)
    assert plan.anomalies is not None
    assert [k.name for k in plan.anomalies.series] == [
        "volume.source_rows",
        "volume.target_rows",
    ]
    times = world.run_times()
    rows = [world.defects(moment).stock_export_rows for moment in times]
    verdicts = stream(
        [Point(t, float(n)) for t, n in zip(times, rows, strict=True)], plan.anomalies.settings
    )
    flagged = [i for i, v in enumerate(verdicts) if v is not None and v.anomalous]
    assert flagged == [len(times) - 1 - SHORT_EXPORT_PLAN]
    judged = [i for i, v in enumerate(verdicts) if v is not None]
    assert judged and judged[0] < flagged[0]  # judged on a learnt baseline, not the first
    shown = verdicts[flagged[0]]
    assert shown is not None and shown.low > rows[flagged[0]]


def test_its_alert_reaches_the_business_owner(world: DemoWorld) -> None:
    from alerts.routing import receivers_for

    config = load_config(PROJECT / "demo" / "dxq.yml", {"DXQ_DEMO_DIR": str(world.root)})
    context = alert_context(config)
    integration = context.integrations["stock-levels"]
    labels = {"integration": "stock-levels", "kind": "anomaly", "severity": "error"}
    found = receivers_for(labels, integration.owners, context.owners, context.tree)
    assert "ecommerce-po" in found.receivers
    assert context.owners["ecommerce-po"].role == "business"
