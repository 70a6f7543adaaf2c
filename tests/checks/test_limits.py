"""A warn and a fail level on the same check (freshness max_age, volume tolerance, reconcile
max_mismatch_rate): `warned` between them, `failed` above fail; the single-value form stays."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from checks.limit import judge
from checks.result import CheckResult, Outcome, Severity
from checks.spec import FreshnessSpec, ReconcileSpec, VolumeSpec
from monitor.config.loading import load_config
from monitor.errors import ConfigError
from monitor.run.plan import plan_integrations
from monitor.run.runner import run_integration

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LIMITS = (
    "    freshness: {column: updated_at, max_age: {warn: 1h, fail: 2h}}\n"
    "    volume: {tolerance: {warn: 0.5%, fail: 1%}}\n"
    "    reconcile: {max_mismatch_rate: {warn: 0.5%, fail: 1.5%}}\n"
)


def _monitor(tmp: Path, limits: str = LIMITS) -> Path:
    path = tmp / "dxq.yml"
    path.write_text(
        f"version: 1\nstore: sqlite:///{tmp}/results.db\n"
        f"systems: {{a: {{url: 'sqlite:///{tmp}/a.db'}}, b: {{url: 'sqlite:///{tmp}/b.db'}}}}\n"
        "integrations:\n  i:\n    source: a.t\n    target: b.t\n    key: id\n"
        "    compare: [v]\n" + limits,
        encoding="utf-8",
    )
    return path


def _tables(tmp: Path, *, target_rows: int, changed: int, age: timedelta) -> None:
    stamp = (NOW - age).strftime("%Y-%m-%d %H:%M:%S")
    for name, rows in (("a", 1000), ("b", target_rows)):
        with sqlite3.connect(tmp / f"{name}.db") as conn:
            conn.execute("drop table if exists t")
            conn.execute("create table t (id integer primary key, v text, updated_at text)")
            conn.executemany(
                "insert into t values (?, ?, ?)",
                [(i, "x" if name == "b" and i < changed else "v", stamp) for i in range(rows)],
            )
        conn.close()


def _results(config_file: Path) -> dict[str, CheckResult]:
    config = load_config(config_file, {})
    (plan,) = plan_integrations(config)
    run = run_integration(plan, NOW, clock=lambda: NOW)
    return {r.check: r for r in run.results}


def test_the_two_level_form_reaches_each_check_spec(tmp_path: Path) -> None:
    (plan,) = plan_integrations(load_config(_monitor(tmp_path), {}))
    specs = {type(s): s for s in plan.specs}
    fresh, volume, reconcile = specs[FreshnessSpec], specs[VolumeSpec], specs[ReconcileSpec]
    assert (fresh.warn_age_s, fresh.max_age_s) == (3600, 7200)  # type: ignore[union-attr]
    assert (volume.warn_tolerance, volume.tolerance) == (0.005, 0.01)  # type: ignore[union-attr]
    assert (reconcile.warn_mismatch_rate, reconcile.max_mismatch_rate) == (  # type: ignore[union-attr]
        0.005,
        0.015,
    )


def test_the_single_value_form_has_no_warn_level(tmp_path: Path) -> None:
    single = (
        "    freshness: {column: updated_at, max_age: 2h}\n"
        "    volume: {tolerance: 1%}\n"
        "    reconcile: {max_mismatch_rate: 0.5%}\n"
    )
    config = load_config(_monitor(tmp_path, single), {})
    assert config.integrations["i"].freshness.max_age == 7200  # type: ignore[union-attr]
    (plan,) = plan_integrations(config)
    warns = [getattr(s, n, "-") for s in plan.specs for n in ("warn_age_s", "warn_tolerance")]
    assert {w for w in warns if w != "-"} == {None}


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (
            "    freshness: {column: updated_at, max_age: {warn: 3h, fail: 2h}}\n",
            "integrations.i.freshness.max_age: warn (3h) must be below fail (2h)",
        ),
        (
            "    volume: {tolerance: {warn: 1%}}\n",
            "integrations.i.volume.tolerance: give one limit, or {warn: …, fail: …}",
        ),
        (
            "    reconcile: {max_mismatch_rate: {warn: 0.1%, fail: 0.5%, alarm: 1%}}\n",
            "(unknown: alarm)",
        ),
        ("    volume: {tolerance: {warn: 0.1%, fail: lots}}\n", "integrations.i.volume.tolerance"),
    ],
)
def test_bad_limits_are_reported_with_their_path(tmp_path: Path, limits: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_monitor(tmp_path, limits), {})
    assert message in str(caught.value), str(caught.value)


def test_between_warn_and_fail_each_check_is_warned(tmp_path: Path) -> None:
    # 7 of 1,000 rows missing (0.7%), 3 more changed (1% of records differ), 90 minutes old.
    _tables(tmp_path, target_rows=993, changed=3, age=timedelta(minutes=90))
    results = _results(_monitor(tmp_path))
    assert {name: r.outcome for name, r in results.items()} == {
        "freshness": Outcome.WARNED,
        "volume": Outcome.WARNED,
        "reconcile": Outcome.WARNED,
    }
    assert results["freshness"].expected == "at most 2h (warning above 1h)"
    assert results["freshness"].reason
    assert results["reconcile"].expected == "at most 1.5% (warning above 0.5%)"
    assert results["volume"].expected.endswith("(warning above 0.5%)")  # type: ignore[union-attr]


def test_above_fail_each_check_fails_and_below_warn_each_passes(tmp_path: Path) -> None:
    _tables(tmp_path, target_rows=980, changed=8, age=timedelta(hours=3))
    assert {r.outcome for r in _results(_monitor(tmp_path)).values()} == {Outcome.FAILED}
    _tables(tmp_path, target_rows=998, changed=1, age=timedelta(minutes=30))
    assert {r.outcome for r in _results(_monitor(tmp_path)).values()} == {Outcome.PASSED}


def test_the_rule() -> None:
    assert judge(0.5, 1.0, None, Severity.ERROR) is Outcome.PASSED
    assert judge(1.0, 1.0, 0.5, Severity.ERROR) is Outcome.WARNED  # at the limit: within it
    assert judge(0.5, 1.0, 0.5, Severity.ERROR) is Outcome.PASSED
    assert judge(1.5, 1.0, 0.5, Severity.CRITICAL) is Outcome.FAILED
    assert judge(1.5, 1.0, None, Severity.WARNING) is Outcome.WARNED  # a warning-level check
