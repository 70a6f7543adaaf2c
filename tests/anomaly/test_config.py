"""`anomalies:` in the monitor file: the top level gives every integration's defaults, an
integration's own keys override them key by key, `false` turns watching off, and without
`metrics` the series watched follow the integration's checks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from checks.anomaly.settings import AnomalySettings, Direction, Seasonality
from checks.anomaly.watch import AnomalySpec
from monitor.config.loading import load_config
from monitor.run.plan import plan_integrations


def _plans(
    tmp_path: Path, top: object, integrations: dict[str, dict[str, object]]
) -> dict[str, AnomalySpec | None]:
    pair = {"source": "a.t", "target": "a.u"}
    doc: dict[str, object] = {
        "version": 1,
        "systems": {"a": {"url": f"sqlite:///{tmp_path}/a.db"}},
        "integrations": {name: {**pair, **extra} for name, extra in integrations.items()},
    }
    if top is not None:
        doc["anomalies"] = top
    path = tmp_path / "dxq.yml"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return {p.name: p.anomalies for p in plan_integrations(load_config(path))}


def test_top_level_defaults_integration_overrides_and_off(tmp_path: Path) -> None:
    plans = _plans(
        tmp_path,
        {"sensitivity": 5, "training": "14d"},
        {
            "inherits": {"volume": {"tolerance": "1%"}},
            "overrides": {"freshness": {"column": "at", "max_age": "2h"},
                          "anomalies": {"direction": "drop", "seasonality": "daily"}},
            "off": {"volume": {"tolerance": "1%"}, "anomalies": False},
            "chosen": {"key": "id", "anomalies": {"metrics": [
                "run.duration_s.a",
                {"check": "suites/s.json: expect_x(id)", "metric": "unexpected_percent"}]}},
        },
    )  # fmt: skip
    inherits, overrides, chosen = plans["inherits"], plans["overrides"], plans["chosen"]
    assert plans["off"] is None
    assert inherits is not None and overrides is not None and chosen is not None
    assert inherits.settings == AnomalySettings(sensitivity=5, training=timedelta(days=14))
    assert [k.name for k in inherits.series] == ["volume.source_rows", "volume.target_rows"]
    assert overrides.settings == AnomalySettings(
        sensitivity=5,
        training=timedelta(days=14),
        direction=Direction.DROP,
        seasonality=Seasonality.DAILY,
    )
    assert [k.name for k in overrides.series] == ["freshness.new_rows", "freshness.lag_seconds"]
    assert [k.name for k in chosen.series] == [
        "run.duration_s.a",
        "suites/s.json: expect_x(id).unexpected_percent",
    ]


def test_nothing_is_watched_without_the_key_and_true_means_the_defaults(tmp_path: Path) -> None:
    plans = _plans(
        tmp_path,
        None,
        {
            "plain": {"volume": {"tolerance": "1%"}},
            "on": {"key": "id", "compare": ["x"], "anomalies": True},
            "dated": {
                "key": "id",
                "reconcile": {"grace": "5m", "updated_column": "at"},
                "anomalies": True,
            },
        },
    )
    assert plans["plain"] is None
    on = plans["on"]
    assert on is not None and on.settings == AnomalySettings()
    assert [k.name for k in on.series] == [
        "reconcile.source_rows",
        "reconcile.target_rows",
        "reconcile.mismatch_rate",
    ]
    dated = plans["dated"]
    assert dated is not None
    assert [k.name for k in dated.series] == [
        "reconcile.source_rows",
        "reconcile.target_rows",
        "reconcile.source_new_rows",
        "reconcile.target_new_rows",
        "reconcile.mismatch_rate",
    ]
