"""Messages built from the metrics the real checks produce: the checks run on a small SQLite
pair (crm -> erp), their results go through `outcomes_of` and the lifecycle as in a run."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.lifecycle import evaluate
from alerts.message import describe
from monitor.config.loading import load_config
from monitor.run.alert_context import alert_context
from monitor.run.alerting import outcomes_of, with_settings
from monitor.run.plan import plan_integrations
from monitor.run.runner import run_integration

NOW = datetime.now(UTC).replace(microsecond=0)


def make_world(tmp_path: Path) -> Path:
    old = (NOW - timedelta(days=2, hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    for name, orders in (("crm", 200), ("erp", 196)):
        with sqlite3.connect(tmp_path / f"{name}.db") as db:
            db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL, customer INT)")
            rows = [(i, 10.0 + i, i % 7 if i < 190 else 99) for i in range(orders)]
            if name == "erp":
                rows[5] = (5, 999.0, 5)  # one changed
            db.executemany("INSERT INTO orders VALUES (?, ?, ?)", rows)
            db.execute("CREATE TABLE stock (sku INTEGER PRIMARY KEY, measured_at TEXT)")
            db.executemany("INSERT INTO stock VALUES (?, ?)", [(i, old) for i in range(5)])
            db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
            db.executemany("INSERT INTO customers VALUES (?)", [(i,) for i in range(7)])
    config = tmp_path / "dxq.yml"
    config.write_text(
        f"""version: 1
store: sqlite:///{tmp_path}/results.db
smtp: {{host: 127.0.0.1, port: 1}}
owners:
  po: {{role: business, email: po@example.com}}
systems:
  shop: {{url: "sqlite:///{tmp_path}/crm.db"}}
  erp: {{url: "sqlite:///{tmp_path}/erp.db"}}
integrations:
  orders:
    source: shop.orders
    target: erp.orders
    key: id
    compare: [total]
    owners: [po]
    reconcile: {{max_mismatch_rate: 0.5%}}
    volume: {{tolerance: 0%}}
    references: [{{column: customer, references: erp.customers.id}}]
  stock-levels:
    source: shop.stock
    target: erp.stock
    owners: [po]
    freshness: {{column: measured_at, max_age: 1h, side: source}}
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def words(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The message of every failing check, by check kind."""
    config = load_config(make_world(tmp_path_factory.mktemp("world")), {})
    context = alert_context(config)
    found: dict[str, str] = {}
    for plan in plan_integrations(config):
        run = run_integration(plan, NOW)
        known = context.integrations[plan.name]
        outcomes = [with_settings(o, known) for o in outcomes_of(run.results)]
        decision = evaluate([], outcomes, context.settings(plan.name), (), NOW)
        for transition in decision.transitions:
            found[transition.alert.check_kind] = describe(transition.alert)
    return found


def test_a_source_side_freshness_names_the_source(words: dict[str, str]) -> None:
    assert words["freshness"] == "The newest record in shop.stock is 2d 3h old, limit 1h."


def test_reconcile_names_the_records_and_the_limit(words: dict[str, str]) -> None:
    assert words["reconcile"] == (
        "5 of 200 records of erp.orders differ (4 missing in erp, 1 changed): 2.5%, limit 0.5%."
        " Failing keys include 5, 196, 197, 198, 199."  # the real differing records
    )


def test_volume_in_words(words: dict[str, str]) -> None:
    assert words["volume"] == "erp has 196 rows, shop has 200: 2% apart."


def test_references_in_words(words: dict[str, str]) -> None:
    assert words["references"].startswith("6 of 196 rows of erp.orders refer to 1 values")
