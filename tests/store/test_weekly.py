"""store.weekly.week_summary: the "this week" summary per integration, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from checks.result import CheckKind, CheckResult, Outcome, Severity
from store.schema import alerts
from store.store import ResultStore
from store.weekly import COLUMNS, week_summary

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _fresh(outcome: Outcome) -> CheckResult:
    return CheckResult(
        "freshness", CheckKind.FRESHNESS, outcome, Severity.ERROR, {"lag_seconds": 60.0},
        headline="lag_seconds",
    )  # fmt: skip


def _rate(rate: float) -> CheckResult:
    outcome = Outcome.PASSED if rate < 0.01 else Outcome.FAILED
    return CheckResult(
        "reconcile", CheckKind.RECONCILE, outcome, Severity.CRITICAL, {"mismatch_rate": rate},
        headline="mismatch_rate",
    )  # fmt: skip


def _run(store: ResultStore, name: str, at: datetime, *results: CheckResult) -> None:
    run_id = store.begin_run(name, at, trigger="schedule")
    store.complete_run(run_id, at + timedelta(seconds=30), list(results))


def _alert(fingerprint: str, integration: str, opened: datetime, **more: object) -> dict:  # type: ignore[type-arg]
    return {
        "fingerprint": fingerprint, "kind": "data_quality", "integration": integration,
        "check": "reconcile", "severity": "error", "state": more.pop("state", "firing"),
        "resolved_at": None, "labels": {}, "opened_at": opened, **more,
    }  # fmt: skip


@pytest.fixture
def week(store: ResultStore) -> ResultStore:
    """`stock`: stale from day -5 to -3 (two days) and again since day -1 (one day so far),
    one run before the week with a worse mismatch; `pay`: no freshness check, one run still
    running; alerts opened and resolved across the week's start."""
    P, F = Outcome.PASSED, Outcome.FAILED
    _run(store, "stock", NOW - 8 * DAY, _fresh(F), _rate(0.5))  # before the week
    _run(store, "stock", NOW - 6 * DAY, _fresh(P), _rate(0.0))
    _run(store, "stock", NOW - 5 * DAY, _fresh(F), _rate(0.02))
    _run(store, "stock", NOW - 4 * DAY, _fresh(F), _rate(0.0))
    _run(store, "stock", NOW - 3 * DAY, _fresh(P), _rate(0.0))
    _run(store, "stock", NOW - 1 * DAY, _fresh(F), _rate(0.0))
    _run(store, "pay", NOW - 2 * DAY, _rate(0.001))
    store.begin_run("pay", NOW - timedelta(minutes=5), trigger="schedule")
    with store.transaction() as tx:
        tx.connection.execute(
            alerts.insert(),
            [
                _alert("a1", "stock", NOW - 5 * DAY),
                _alert("a2", "stock", NOW - 2 * DAY),
                _alert("a3", "stock", NOW - 9 * DAY, state="resolved", resolved_at=NOW - DAY),
                _alert("a4", "stock", NOW - 9 * DAY, state="resolved", resolved_at=NOW - 8 * DAY),
            ],
        )
    return store


def test_the_week_of_each_integration(week: ResultStore) -> None:
    frame = week_summary(week, NOW)
    assert list(frame.columns) == COLUMNS
    stock, pay = (frame[frame["integration"] == n].iloc[0] for n in ("stock", "pay"))
    assert (stock["runs"], stock["healthy_runs"]) == (5, 2)  # the run of day -8 is not this week
    assert stock["healthy_share"] == pytest.approx(0.4)
    assert stock["worst_mismatch"] == pytest.approx(0.02)  # not the 0.5 of day -8
    # the stale days -5..-3 (48 h) are longer than the one still lasting since day -1 (24 h)
    assert stock["longest_stale_s"] == pytest.approx(2 * 86_400, abs=60)
    assert bool(stock["stale_now"]) is True
    assert (stock["alerts_opened"], stock["alerts_resolved"]) == (2, 1)
    assert (pay["runs"], pay["healthy_runs"]) == (1, 1)  # the running run is not counted
    assert math.isnan(pay["longest_stale_s"]) and bool(pay["stale_now"]) is False
    assert (pay["alerts_opened"], pay["alerts_resolved"]) == (0, 0)
    assert set(frame["integration"]) == {"stock", "pay"}


def test_an_ongoing_stale_period_runs_to_now(week: ResultStore) -> None:
    later = NOW + 2 * DAY  # day -1's stale stretch now lasts three days
    stock = week_summary(week, later, ["stock"]).iloc[0]
    assert stock["longest_stale_s"] == pytest.approx(3 * 86_400, abs=60)


def test_a_fresh_week_has_no_stale_period(week: ResultStore) -> None:
    stock = week_summary(week, NOW - 3 * DAY + timedelta(hours=1), ["stock"], DAY).iloc[0]
    assert stock["runs"] == 1 and stock["longest_stale_s"] == 0.0
    assert bool(stock["stale_now"]) is False


def test_only_the_integrations_asked_for(week: ResultStore) -> None:
    assert list(week_summary(week, NOW, ["pay"])["integration"]) == ["pay"]
    assert week_summary(week, NOW, ["nope"]).empty


def test_an_empty_store_gives_an_empty_summary(store: ResultStore) -> None:
    frame = week_summary(store, NOW)
    assert frame.empty and list(frame.columns) == COLUMNS


def test_a_week_without_a_finished_run_has_no_healthy_share(store: ResultStore) -> None:
    store.begin_run("slow", NOW - DAY, trigger="schedule")
    slow = week_summary(store, NOW).iloc[0]
    assert slow["runs"] == 0 and slow["healthy_share"] is None
