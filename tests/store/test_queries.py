"""The dashboard's read queries on a small seeded history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from checks.result import CheckKind, CheckResult, MismatchedKey, Outcome, Severity
from store import activity, drilldown, health, trends
from store.schema import alerts
from store.store import ResultStore

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def freshness(outcome: Outcome, lag: float) -> CheckResult:
    return CheckResult(
        "freshness",
        CheckKind.FRESHNESS,
        outcome,
        Severity.ERROR,
        {"lag_seconds": lag},
        headline="lag_seconds",
        observed=f"{lag:.0f} s old",
        expected="at most 7200 s",
    )


def reconcile(outcome: Outcome, rate: float, *skus: str) -> CheckResult:
    return CheckResult(
        "reconcile",
        CheckKind.RECONCILE,
        outcome,
        Severity.CRITICAL,
        {"mismatch_rate": rate, "changed": len(skus)},
        headline="mismatch_rate",
        sample=[{"key": {"sku": s}, "kind": "changed"} for s in skus],
        query="SELECT * FROM catalog WHERE sku IN ('A')",
        mismatched_keys=tuple(MismatchedKey({"sku": s}, "changed", {"p": [1, 2]}) for s in skus),
    )


@pytest.fixture
def seeded(store: ResultStore) -> ResultStore:
    """Three days of `catalog` (failing since day 2), one erroring `stock` run, one running
    `orders` run and an open alert on `catalog`."""
    for day, (outcome, rate, skus) in enumerate(
        [
            (Outcome.PASSED, 0.0, ()),
            (Outcome.FAILED, 0.02, ("A",)),
            (Outcome.FAILED, 0.04, ("A", "B")),
        ]
    ):
        at = T0 + timedelta(days=day)
        run_id = store.begin_run("catalog", at, trigger="schedule")
        results = [freshness(Outcome.PASSED, 600.0 * (day + 1)), reconcile(outcome, rate, *skus)]
        store.complete_run(run_id, at + timedelta(seconds=90), results)
    stock = store.begin_run("stock", T0 + timedelta(days=2, hours=1))
    store.complete_run(
        stock,
        T0 + timedelta(days=2, hours=1, seconds=5),
        [CheckResult("volume", CheckKind.VOLUME, Outcome.ERROR, Severity.ERROR, reason="down")],
    )
    store.begin_run("orders", T0 + timedelta(days=2, hours=2))
    with store.transaction() as tx:
        tx.connection.execute(
            alerts.insert(),
            [
                {"fingerprint": "f1", "kind": "data_quality", "integration": "catalog",
                 "check": "reconcile", "severity": "critical", "state": "firing",
                 "labels": {"integration": "catalog"}, "opened_at": T0 + timedelta(days=1)},
                {"fingerprint": "f0", "kind": "data_quality", "integration": "catalog",
                 "check": "freshness", "severity": "error", "state": "resolved",
                 "labels": {}, "opened_at": T0},
                {"fingerprint": "f2", "kind": "data_quality", "integration": "catalog",
                 "check": "volume", "severity": "error", "state": "pending",
                 "labels": {}, "opened_at": T0},  # waiting for after_failures: not open yet
            ],
        )  # fmt: skip
    return store


def test_overview_has_one_row_per_integration(seeded: ResultStore) -> None:
    frame = health.overview(seeded).set_index("integration")
    assert list(frame.index) == ["catalog", "orders", "stock"]
    catalog = frame.loc["catalog"]
    assert catalog["last_status"] == "failed"
    assert catalog["last_run_at"] == pd.Timestamp(T0 + timedelta(days=2))
    assert (catalog["checks_total"], catalog["checks_failing"], catalog["checks_erroring"]) == (
        2, 1, 0,
    )  # fmt: skip
    assert catalog["worst_outcome"] == "failed"
    assert catalog["freshness_lag_s"] == 1800.0
    assert catalog["mismatch_rate"] == 0.04
    assert catalog["open_alerts"] == 1
    assert frame.loc["stock", "worst_outcome"] == "error"
    assert frame.loc["stock", "checks_erroring"] == 1
    assert frame.loc["orders", "last_status"] == "running"
    assert frame.loc["orders", "checks_total"] == 0
    assert frame.loc["orders", "open_alerts"] == 0


def test_overview_of_an_empty_store_is_empty(store: ResultStore) -> None:
    frame = health.overview(store)
    assert frame.empty
    assert {"integration", "worst_outcome", "mismatch_rate"} <= set(frame.columns)


def test_failing_checks_lists_worst_first_with_since(seeded: ResultStore) -> None:
    frame = health.failing_checks(seeded)
    assert list(zip(frame["integration"], frame["check"], frame["outcome"], strict=True)) == [
        ("stock", "volume", "error"),
        ("catalog", "reconcile", "failed"),
    ]
    assert frame.loc[1, "since"] == pd.Timestamp(T0 + timedelta(days=1, seconds=90))
    assert frame.loc[0, "reason"] == "down"


def test_integration_trend_reads_daily_rollups(seeded: ResultStore) -> None:
    frame = trends.integration_trend(seeded, "catalog", days=2, today=date(2026, 11, 4))
    rates = frame[frame["check"] == "reconcile"]
    assert list(rates["day"]) == [date(2026, 11, 3), date(2026, 11, 4)]
    assert list(rates["pass_rate"]) == [0.0, 0.0]
    assert list(rates["avg_value"]) == [0.02, 0.04]
    lags = frame[frame["check"] == "freshness"]
    assert list(lags["max_value"]) == [1200.0, 1800.0]
    assert list(lags["pass_rate"]) == [1.0, 1.0]
    assert trends.integration_trend(seeded, "catalog", today=date(2026, 10, 1)).empty


def test_check_history_is_newest_first_and_limited(seeded: ResultStore) -> None:
    frame = trends.check_history(seeded, "catalog", "reconcile", limit=2)
    assert list(frame["outcome"]) == ["failed", "failed"]
    assert list(frame["headline_value"]) == [0.04, 0.02]
    assert frame["created_at"].is_monotonic_decreasing


def test_recent_runs_counts_checks_and_durations(seeded: ResultStore) -> None:
    frame = activity.recent_runs(seeded)
    assert list(frame["integration"]) == ["orders", "stock", "catalog", "catalog", "catalog"]
    assert frame.loc[0, "status"] == "running" and pd.isna(frame.loc[0, "duration_s"])
    assert frame.loc[1, "checks_erroring"] == 1 and frame.loc[1, "duration_s"] == 5.0
    assert list(frame.loc[2:, "checks_failing"]) == [1, 1, 0]
    only = activity.recent_runs(seeded, "catalog", limit=1)
    assert list(only["started_at"]) == [pd.Timestamp(T0 + timedelta(days=2))]


def test_mismatched_keys_carry_their_age(seeded: ResultStore) -> None:
    now = T0 + timedelta(days=3)
    frame = drilldown.mismatched_keys(seeded, "catalog", now=now)
    assert [k["sku"] for k in frame["key"]] == ["A", "B"]
    first_seen = [T0 + timedelta(days=1, seconds=90), T0 + timedelta(days=2, seconds=90)]
    assert list(frame["age_s"]) == [(now - seen).total_seconds() for seen in first_seen]
    assert frame.loc[0, "fields"] == {"p": [1, 2]}
    assert len(drilldown.mismatched_keys(seeded, "catalog", open_only=False)) == 2
    assert drilldown.mismatched_keys(seeded, "stock").empty


def test_check_detail_has_sample_query_and_since(seeded: ResultStore) -> None:
    detail = drilldown.check_detail(seeded, "catalog", "reconcile")
    assert detail is not None
    assert detail.outcome == "failed"
    assert detail.since == T0 + timedelta(days=1, seconds=90)
    assert detail.sample == [
        {"key": {"sku": "A"}, "kind": "changed"},
        {"key": {"sku": "B"}, "kind": "changed"},
    ]
    assert detail.query is not None and "catalog" in detail.query
    assert detail.metrics["mismatch_rate"] == 0.04
    assert drilldown.check_detail(seeded, "catalog", "nope") is None
