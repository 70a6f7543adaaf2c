"""`latency:` in the monitor file: what it plans, and every bad form reported by `dxq validate`
as `file:line: key: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.spec import LatencySpec
from monitor.cli import main
from monitor.config.loading import load_config
from monitor.run.plan import plan_integrations

HEAD = """\
version: 1
store: sqlite:///results.db
systems:
  shop: {url: "sqlite:///shop.db"}
  erp: {url: "sqlite:///erp.db"}
  wms: {files: "exports/*.csv"}
integrations:
"""


def _integration(name: str, body: str) -> str:
    lines = [f"  {name}:", "    source: shop.orders", "    target: erp.orders"]
    return "\n".join(lines + [f"    {line}" for line in body.strip().splitlines()]) + "\n"


def test_latency_is_planned_with_its_columns_key_and_limits(tmp_path: Path) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(
        HEAD
        + _integration(
            "own-column",
            """
key: {source: [country, order_id], target: [country, order_ref]}
latency:
  max_p95: {warn: 10m, fail: 15m}
  window: 12h
  updated_column: {source: changed_at, target: synced_at}
""",
        )
        + _integration(
            "from-reconcile",
            """
key: order_id
reconcile: {grace: 15m, updated_column: updated_at}
latency: {max_p95: 1h}
""",
        )
    )
    plans = {p.name: p for p in plan_integrations(load_config(path, {}))}
    [own] = [s for s in plans["own-column"].specs if isinstance(s, LatencySpec)]
    assert (own.source_key, own.target_key) == (("country", "order_id"), ("country", "order_ref"))
    assert (own.source_updated_column, own.target_updated_column) == ("changed_at", "synced_at")
    assert (own.window_s, own.max_p95_s, own.warn_p95_s) == (43_200, 900, 600)
    [inherited] = [s for s in plans["from-reconcile"].specs if isinstance(s, LatencySpec)]
    assert inherited.source_updated_column == inherited.target_updated_column == "updated_at"
    assert (inherited.window_s, inherited.max_p95_s, inherited.warn_p95_s) == (86_400, 3600, None)


def test_bad_latency_is_reported_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dxq.yml"
    text = (
        HEAD
        + _integration("no-column", "key: order_id\nlatency: {max_p95: 15m}")
        + _integration("no-key", "latency: {max_p95: 15m, updated_column: updated_at}")
        + _integration("bad-duration", "key: id\nlatency: {max_p95: 15 minutes, window: 0s}")
        + _integration("unknown", "key: id\nlatency:\n  maxp95: 15m\n  updated_column: u")
        + _integration("no-limit", "key: id\nlatency: {updated_column: {source: a}}")
        + "  from-files:\n    source: wms\n    target: erp.stock\n    key: sku\n"
        + "    latency: {max_p95: 15m, updated_column: updated_at}\n"  # line 38
    )
    path.write_text(text)
    assert main(["validate", "-c", str(path)]) == 2
    out = capsys.readouterr()
    shown = (out.out + out.err).strip().splitlines()
    f = str(path)
    expected = [
        f"{f}:12: integrations.no-column.latency: latency needs the column that says when a "
        "record last changed, on both sides: add updated_column (e.g. updated_at, or {source: "
        "changed_at, target: synced_at}) to latency or to reconcile",
        f"{f}:16: integrations.no-key.latency: latency needs a 'key' to match source and "
        "target records",
        f"{f}:21: integrations.bad-duration.latency.max_p95: invalid duration '15 minutes'; "
        "expected a duration like 90s, 15m, 2h or 1d",
        f"{f}:21: integrations.bad-duration.latency.window: the window must be longer than "
        "0s, e.g. 24h",
        f"{f}:26: integrations.unknown.latency: missing required key 'max_p95'",
        f"{f}:27: integrations.unknown.latency.maxp95: unknown key 'maxp95'; did you mean "
        "'max_p95'?",
        f"{f}:33: integrations.no-limit.latency: missing required key 'max_p95'",
        f"{f}:33: integrations.no-limit.latency.updated_column: missing required key 'target'",
        f"{f}:38: integrations.from-files.latency: the source 'wms' is a files system; latency "
        "needs SQL systems or API datasets on both sides",
    ]
    assert shown == [*expected, "dxq: 9 problems; nothing was run"]
