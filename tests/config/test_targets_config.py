"""`targets:` (a golden source against several targets) and `key.crosswalk:` in the monitor
file: what they plan, and every bad shape reported by `dxq validate` as
`file:line: key: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.spec import ReconcileSpec, VolumeSpec
from monitor.cli import main
from monitor.config.loading import load_config
from monitor.run.plan import plan_integrations

HEAD = """\
version: 1
store: sqlite:///results.db
systems:
  crm: {url: "sqlite:///crm.db"}
  shop: {url: "sqlite:///shop.db"}
  erp: {url: "sqlite:///erp.db"}
  mdm: {url: "sqlite:///mdm.db"}
  wms: {files: "stock_*.csv"}
integrations:
"""
GOOD = """\
  customers:
    source: crm.customers
    targets: [shop.customers, erp.customers]
    key: customer_id
    compare: [email]
    volume: {tolerance: 1%}
  orders:
    source: shop.orders
    target: erp.orders
    key:
      source: customer_id
      target: crm_id
      crosswalk: {dataset: mdm.customer_xref, source: shop_id, target: crm_id}
    compare: [total]
"""


def test_targets_and_a_crosswalk_are_planned(tmp_path: Path) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(HEAD + GOOD, encoding="utf-8")
    customers, orders = plan_integrations(load_config(path, {}))
    names = [getattr(s, "name", "") for s in customers.specs]
    assert names == [
        "volume(shop.customers)",
        "volume(erp.customers)",
        "reconcile(shop.customers)",
        "reconcile(erp.customers)",
    ]
    targets = [s.target.label for s in customers.specs if isinstance(s, VolumeSpec)]
    assert targets == ["shop.customers", "erp.customers"]
    assert customers.target.label == "shop.customers"  # what single-side checks measure
    (spec,) = orders.specs
    assert isinstance(spec, ReconcileSpec) and spec.name == "reconcile"
    assert spec.crosswalk is not None and spec.crosswalk.label == "mdm.customer_xref"
    assert (spec.crosswalk_source, spec.crosswalk_target) == ("shop_id", "crm_id")
    assert (spec.source_key, spec.target_key) == (("customer_id",), ("crm_id",))


BAD = """\
  both:
    source: crm.customers
    target: shop.customers
    targets: [erp.customers]
  empty:
    source: crm.customers
    targets: []
  twice:
    source: crm.customers
    targets: [shop.customers, erp.nowhere, shop.customers, ledger.customers]
    golden: target
  neither:
    source: crm.customers
  no-columns:
    source: shop.orders
    target: erp.orders
    key: {source: customer_id, target: crm_id, crosswalk: {dataset: mdm.xref, source: shop_id}}
  unknown-crosswalk:
    source: shop.orders
    target: erp.orders
    key: {source: id, target: ref, crosswalk: {dataset: ghost.xref, source: a, target: b}}
  files-crosswalk:
    source: shop.orders
    target: erp.orders
    key: {source: id, target: ref, crosswalk: {dataset: wms, source: a, target: b}}
  composite:
    source: shop.orders
    target: erp.orders
    key:
      source: [country, id]
      target: [country, ref]
      crosswalk: {dataset: mdm.xref, source: a, target: b}
"""


def test_every_bad_shape_is_reported_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(HEAD + BAD, encoding="utf-8")
    assert main(["validate", "-c", str(path)]) == 2
    f = str(path)
    got = capsys.readouterr().err.strip().splitlines()
    known = "known systems: crm, erp, mdm, shop, wms"
    assert got == [
        f"{f}:13: integrations.both.targets: give either 'target' (one dataset) or 'targets' "
        "(a list), not both",
        f"{f}:16: integrations.empty.targets: targets needs at least one dataset, e.g. "
        "[shop.customers, erp.customers]",
        f"{f}:19: integrations.twice.targets: 'shop.customers' is listed twice; each target is "
        "compared once",
        f"{f}:19: integrations.twice.targets[3]: unknown system 'ledger'; {known}",
        f"{f}:20: integrations.twice.golden: with 'targets', the source holds the golden record "
        "each target is compared with; write golden: source (or leave it out)",
        f"{f}:21: integrations.neither: missing required key 'target' (one dataset) or "
        "'targets' (a list of them)",
        f"{f}:26: integrations.no-columns.key.crosswalk: missing required key 'target'",
        f"{f}:30: integrations.unknown-crosswalk.key.crosswalk.dataset: unknown system 'ghost'; "
        f"{known}",
        f"{f}:34: integrations.files-crosswalk.key.crosswalk.dataset: 'wms' is a files system; "
        "a crosswalk must be a SQL table or query",
        f"{f}:38: integrations.composite.key: a crosswalk maps one key column per side; give "
        "one column each",
        "dxq: 10 problems; nothing was run",
    ]
