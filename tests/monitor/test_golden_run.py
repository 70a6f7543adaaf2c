"""An integration with `targets` through `dxq run`: the golden source compared with each target
in one run, results per target equal to the injected disagreements, stored with their
mismatched records, and alerts per target whose labels name the target's system (a route on
target_system reaches the ERP team with the ERP's alert only)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from monitor.cli import main
from store.alert_state import latest_alerts
from store.drilldown import mismatched_keys
from store.store import ResultStore
from tests.alerts.receivers import HttpReceiver

CUSTOMERS = [(i, f"c{i}@example.com", "DE" if i % 2 else "FR") for i in range(1, 41)]
SHOP_EMAILS = {3, 17}  # the shop holds another e-mail for these
ERP_MISSING = {5}  # not in the ERP
ERP_COUNTRIES = {8, 9, 17}  # the ERP holds another country (17: the shop is wrong too)


def _world(tmp_path: Path, receiver: HttpReceiver) -> Path:
    copies = {
        "crm": CUSTOMERS,
        "shop": [(i, f"x{e}" if i in SHOP_EMAILS else e, c) for i, e, c in CUSTOMERS],
        "erp": [
            (i, e, "NL" if i in ERP_COUNTRIES else c)
            for i, e, c in CUSTOMERS
            if i not in ERP_MISSING
        ],
    }
    for system, rows in copies.items():
        with sqlite3.connect(tmp_path / f"{system}.db") as db:
            db.execute(
                "CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT, country TEXT)"
            )
            db.executemany("INSERT INTO customers VALUES (?, ?, ?)", rows)
    config = tmp_path / "dxq.yml"
    config.write_text(
        f"""version: 1
store: sqlite:///results.db
owners:
  crm-owner: {{role: business, webhook: "{receiver.url}/crm"}}
  erp-team: {{role: business, webhook: "{receiver.url}/erp"}}
systems:
  crm: {{url: "sqlite:///crm.db"}}
  shop: {{url: "sqlite:///shop.db"}}
  erp: {{url: "sqlite:///erp.db"}}
integrations:
  customers:
    source: crm.customers
    targets: [shop.customers, erp.customers]
    key: customer_id
    compare: [email, country]
    owners: [crm-owner]
    volume: {{tolerance: 5%}}
    reconcile: {{max_mismatch_rate: 0%}}
routes:
  receiver: crm-owner
  routes:
    - {{match: {{target_system: erp}}, receiver: erp-team}}
""",
        encoding="utf-8",
    )
    return config


def test_each_target_is_compared_stored_and_alerted_on_its_own(
    tmp_path: Path, receiver: HttpReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _world(tmp_path, receiver)
    assert main(["run", "-c", str(config), "customers", "--format", "json"]) == 1
    (run,) = json.loads(capsys.readouterr().out)["integrations"]
    checks = {c["check"]: c for c in run["checks"]}
    assert set(checks) == {
        "volume(shop.customers)",
        "volume(erp.customers)",
        "reconcile(shop.customers)",
        "reconcile(erp.customers)",
    }
    shop, erp = checks["reconcile(shop.customers)"], checks["reconcile(erp.customers)"]
    assert shop["metrics"]["changed_by_field"] == {"email": len(SHOP_EMAILS), "country": 0}
    assert erp["metrics"]["changed_by_field"] == {"email": 0, "country": len(ERP_COUNTRIES)}
    assert erp["metrics"]["missing_in_target"] == len(ERP_MISSING)
    assert checks["volume(shop.customers)"]["outcome"] == "passed"

    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    keys = mismatched_keys(store, "customers")
    by_check = keys.groupby("check")["key"].apply(lambda k: {d["customer_id"] for d in k})
    assert by_check["reconcile(shop.customers)"] == SHOP_EMAILS
    assert by_check["reconcile(erp.customers)"] == ERP_MISSING | ERP_COUNTRIES
    with store.engine.connect() as connection:
        alerts = {a.check: a for a in latest_alerts(connection, "customers")}
    store.dispose()
    assert {c: a.labels["target_system"] for c, a in alerts.items()} == {
        "reconcile(shop.customers)": "shop",
        "reconcile(erp.customers)": "erp",
    }
    assert alerts["reconcile(erp.customers)"].subject == "erp.customers"
    (erp_hook,) = receiver.at("/erp")  # the route on target_system=erp: the ERP's alert only
    assert erp_hook.body["alert"]["check"] == "reconcile(erp.customers)"
    assert "erp" in erp_hook.body["summary"]
    assert {s.body["alert"]["check"] for s in receiver.at("/crm")} == set(alerts)
