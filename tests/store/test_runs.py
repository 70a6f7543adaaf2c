"""The write API: runs, results, latest results with "since", rollups, mismatched keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from checks.result import CheckKind, CheckResult, MismatchedKey, Outcome, Severity
from store.errors import RunNotRunning, UnknownRun
from store.schema import check_results, daily_rollups, latest_results, mismatch_keys, runs
from store.store import ResultStore

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def result(check: str, outcome: Outcome, value: float | None = None, **extra: Any) -> CheckResult:
    kind = extra.pop("kind", CheckKind.FRESHNESS)
    metrics = {"lag_seconds": value} if value is not None else {}
    return CheckResult(
        check, kind, outcome, Severity.CRITICAL, metrics=metrics, headline="lag_seconds", **extra
    )


def record(store: ResultStore, at: datetime, *results: CheckResult, name: str = "orders") -> str:
    run_id = store.begin_run(name, at - timedelta(seconds=30), trigger="schedule")
    return store.complete_run(run_id, at, list(results))


def rows(store: ResultStore, table: sa.Table, *order: str) -> list[sa.Row[Any]]:
    with store.engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(*order)))


@pytest.mark.parametrize(
    ("outcomes", "reason", "status"),
    [
        ([], None, "passed"),
        ([], "the monitor file could not be read", "error"),
        ([Outcome.PASSED, Outcome.WARNED], None, "warned"),
        ([Outcome.WARNED, Outcome.FAILED, Outcome.PASSED], None, "failed"),
        ([Outcome.FAILED, Outcome.ERROR], None, "error"),
    ],
)
def test_run_status_is_the_worst_outcome(
    store: ResultStore, outcomes: list[Outcome], reason: str | None, status: str
) -> None:
    run_id = store.begin_run("orders", T0)
    checks = [result(f"c{i}", o) for i, o in enumerate(outcomes)]
    assert store.complete_run(run_id, T0 + timedelta(seconds=5), checks, reason) == status
    (run,) = rows(store, runs, "id")
    assert (run.status, run.reason, run.finished_at) == (status, reason, T0 + timedelta(seconds=5))


def test_results_round_trip_with_metrics_and_samples(store: ResultStore) -> None:
    check = CheckResult(
        "reconcile",
        CheckKind.RECONCILE,
        Outcome.FAILED,
        Severity.CRITICAL,
        metrics={"mismatch_rate": 0.011, "changed_by_field": {"unit_price": 5}},
        headline="mismatch_rate",
        observed="1.1% mismatched",
        expected="at most 0.5%",
        sample=[{"key": {"sku": "A-1"}, "kind": "changed", "fields": {"p": ["9.99", "10.99"]}}],
        query="SELECT 1",
        side=None,
        duration_s=1.25,
    )
    run_id = store.begin_run("product-catalog", T0, trigger="manual")
    store.complete_run(run_id, T0 + timedelta(seconds=2), [check])
    (row,) = rows(store, check_results, "id")
    assert row.run_id == run_id
    assert (row.integration, row.check, row.kind, row.outcome) == (
        "product-catalog",
        "reconcile",
        "reconcile",
        "failed",
    )
    assert row.metrics == {"mismatch_rate": 0.011, "changed_by_field": {"unit_price": 5}}
    assert row.sample == check.sample
    assert (row.headline_value, row.observed, row.query, row.duration_s) == (
        0.011,
        "1.1% mismatched",
        "SELECT 1",
        1.25,
    )
    assert row.created_at == T0 + timedelta(seconds=2)


def test_completing_twice_or_an_unknown_run_is_refused(store: ResultStore) -> None:
    run_id = store.begin_run("orders", T0)
    store.complete_run(run_id, T0, [result("freshness", Outcome.PASSED)])
    with pytest.raises(RunNotRunning, match="already passed"):
        store.complete_run(run_id, T0, [result("freshness", Outcome.FAILED)])
    with pytest.raises(UnknownRun, match="no run has id 999"):
        store.complete_run(999, T0, [])
    assert len(rows(store, check_results)) == 1


def test_latest_result_keeps_since_while_the_outcome_holds(store: ResultStore) -> None:
    steps = [(Outcome.PASSED, T0), (Outcome.FAILED, T0 + timedelta(hours=1))]
    steps += [(Outcome.FAILED, T0 + timedelta(hours=2)), (Outcome.PASSED, T0 + timedelta(hours=3))]
    expected_since = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=1), steps[3][1]]
    for (outcome, at), since in zip(steps, expected_since, strict=True):
        record(store, at, result("freshness", outcome, 1.0))
        (latest,) = rows(store, latest_results)
        assert (latest.outcome, latest.since, latest.result_at) == (str(outcome), since, at)


def test_an_older_result_does_not_replace_the_latest(store: ResultStore) -> None:
    record(store, T0 + timedelta(hours=1), result("freshness", Outcome.FAILED, 9.0))
    record(store, T0, result("freshness", Outcome.PASSED, 1.0))
    (latest,) = rows(store, latest_results)
    assert (latest.outcome, latest.headline_value) == ("failed", 9.0)


def test_daily_rollups_count_outcomes_and_headline_values(store: ResultStore) -> None:
    day_two = T0 + timedelta(days=1)
    record(store, T0, result("freshness", Outcome.PASSED, 10.0), result("volume", Outcome.ERROR))
    record(store, T0 + timedelta(hours=1), result("freshness", Outcome.FAILED, 30.0))
    record(store, T0 + timedelta(hours=2), result("freshness", Outcome.WARNED))
    record(store, day_two, result("freshness", Outcome.PASSED, 5.0))
    fields = ["check", "day", "runs", "passed", "warned", "failed", "errors", "headline_count"]
    fields += ["headline_sum", "headline_max", "last_value"]
    got = [tuple(getattr(r, f) for f in fields) for r in rows(store, daily_rollups, "day", "check")]
    assert got == [
        ("freshness", date(2026, 11, 2), 3, 1, 1, 1, 0, 2, 40.0, 30.0, 30.0),
        ("volume", date(2026, 11, 2), 1, 0, 0, 0, 1, 0, None, None, None),
        ("freshness", date(2026, 11, 3), 1, 1, 0, 0, 0, 1, 5.0, 5.0, 5.0),
    ]


def reconcile(outcome: Outcome, *keys: str, changed: int | None = None) -> CheckResult:
    found = tuple(MismatchedKey({"sku": k}, "changed", {"price": [1, 2]}) for k in keys)
    metrics = {"changed": changed if changed is not None else len(keys), "mismatch_rate": 0.1}
    return CheckResult(
        "reconcile", CheckKind.RECONCILE, outcome, Severity.ERROR, metrics, mismatched_keys=found
    )


def key_rows(store: ResultStore) -> list[tuple[str, datetime, datetime, datetime | None]]:
    found = rows(store, mismatch_keys, "id")
    return [(r.key["sku"], r.first_seen, r.last_seen, r.resolved_at) for r in found]


def test_mismatched_keys_age_resolve_and_reopen(store: ResultStore) -> None:
    t1, t2, t3 = T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    record(store, t1, reconcile(Outcome.FAILED, "A", "B"))
    record(store, t2, reconcile(Outcome.FAILED, "A", "C"))
    assert key_rows(store) == [("A", t1, t2, None), ("B", t1, t1, t2), ("C", t2, t2, None)]
    record(store, t3, reconcile(Outcome.FAILED, "B", "C"))
    assert key_rows(store) == [
        ("A", t1, t2, t3),
        ("B", t1, t1, t2),
        ("C", t2, t3, None),
        ("B", t3, t3, None),
    ]
    record(store, t3 + timedelta(hours=1), reconcile(Outcome.PASSED))
    assert all(resolved is not None for *_, resolved in key_rows(store))


def test_errors_and_truncated_key_lists_resolve_nothing(store: ResultStore) -> None:
    record(store, T0, reconcile(Outcome.FAILED, "A", "B"))
    record(store, T0 + timedelta(hours=1), reconcile(Outcome.ERROR))
    record(store, T0 + timedelta(hours=2), reconcile(Outcome.FAILED, "A", changed=2))
    assert [(k, resolved) for k, _, _, resolved in key_rows(store)] == [("A", None), ("B", None)]
    assert key_rows(store)[0][2] == T0 + timedelta(hours=2)


def test_a_key_in_flight_is_neither_resolved_nor_reopened(store: ResultStore) -> None:
    t1, t2, t3 = T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    record(store, t1, reconcile(Outcome.FAILED, "A", "B"))
    in_flight = reconcile(Outcome.FAILED, "B")
    in_flight.metrics["in_flight_keys"] = [{"sku": "A"}]
    record(store, t2, in_flight)
    assert key_rows(store) == [("A", t1, t1, None), ("B", t1, t2, None)]
    record(store, t3, reconcile(Outcome.FAILED, "A", "B"))
    assert key_rows(store) == [("A", t1, t3, None), ("B", t1, t3, None)]  # A kept its age


def test_fail_stale_runs_only_touches_running_runs(store: ResultStore) -> None:
    old = store.begin_run("orders", T0 - timedelta(hours=5))
    recent = store.begin_run("orders", T0)
    done = store.begin_run("stock", T0 - timedelta(hours=6))
    store.complete_run(done, T0 - timedelta(hours=6), [])
    now = T0 + timedelta(minutes=1)
    assert store.fail_stale_runs("scheduler restarted", T0 - timedelta(hours=1), now=now) == 1
    assert store.fail_stale_runs("scheduler restarted", now=now) == 1
    assert store.fail_stale_runs("scheduler restarted", now=now) == 0
    by_id = {r.id: r for r in rows(store, runs)}
    assert (by_id[old].status, by_id[old].reason, by_id[old].finished_at) == (
        "error",
        "scheduler restarted",
        now,
    )
    assert by_id[recent].status == "error"
    assert (by_id[done].status, by_id[done].reason) == ("passed", None)
    with pytest.raises(RunNotRunning, match="already error"):
        store.complete_run(old, now, [])


def test_schema_snapshots_store_only_changes(store: ResultStore) -> None:
    assert store.last_schema_snapshot("orders") is None
    first = {"source": {"id": "INTEGER"}, "target": {"id": "BIGINT"}}
    assert store.save_schema_snapshot("orders", first, T0) == 2
    assert store.save_schema_snapshot("orders", first, T0 + timedelta(hours=1)) == 0
    changed = {"source": {"id": "INTEGER"}, "target": {"id": "BIGINT", "note": "TEXT"}}
    assert store.save_schema_snapshot("orders", changed, T0 + timedelta(hours=2)) == 1
    assert store.last_schema_snapshot("orders") == changed
    assert store.last_schema_snapshot("stock") is None


def test_a_transaction_commits_or_rolls_back_as_one(store: ResultStore) -> None:
    run_id = store.begin_run("orders", T0)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.complete_run(run_id, T0, [result("freshness", Outcome.FAILED, 3.0)])
        raise RuntimeError("alert routing failed")
    assert rows(store, latest_results) == [] and rows(store, daily_rollups) == []
    with store.transaction() as tx:
        assert tx.complete_run(run_id, T0, [result("freshness", Outcome.FAILED, 3.0)]) == "failed"
        tx.connection.execute(runs.update().where(runs.c.id == run_id).values(host="h"))
    (run,) = rows(store, runs)
    assert (run.status, run.host) == ("failed", "h")


def test_checks_removed_from_the_monitor_file_leave_the_latest_results(
    store: ResultStore,
) -> None:
    from store import health

    record(store, T0, result("freshness", Outcome.FAILED, 9.0), result("volume", Outcome.FAILED))
    record(store, T0, result("freshness", Outcome.FAILED, 1.0), name="payments")
    record(store, T0 + timedelta(hours=1), result("freshness", Outcome.PASSED, 1.0))
    left = [(r.integration, r.check) for r in rows(store, latest_results, "integration", "check")]
    assert left == [("orders", "freshness"), ("payments", "freshness")]
    failing = health.failing_checks(store)
    assert list(zip(failing["integration"], failing["check"], strict=True)) == [
        ("payments", "freshness")
    ]


def test_a_run_without_results_or_an_older_run_removes_no_latest_result(
    store: ResultStore,
) -> None:
    record(store, T0 + timedelta(hours=1), result("freshness", Outcome.FAILED, 9.0))
    record(store, T0 + timedelta(hours=1), result("volume", Outcome.FAILED), name="other")
    run_id = store.begin_run("orders", T0 + timedelta(hours=2))
    assert store.complete_run(run_id, T0 + timedelta(hours=2), [], "system down") == "error"
    record(store, T0, result("volume", Outcome.PASSED))  # recorded late, out of order
    left = [(r.integration, r.check) for r in rows(store, latest_results, "integration", "check")]
    assert left == [("orders", "freshness"), ("orders", "volume"), ("other", "volume")]


def test_a_suite_that_could_not_be_evaluated_keeps_its_expectations_latest_results(
    store: ResultStore,
) -> None:
    """Issue 12 item 2: a table renamed during an outage is not a suite removed from the
    monitor file; its expectations stay on the dashboard with their last result."""
    expect = "suites/s.json: expect_column_values_to_not_be_null(sku)"
    other = "suites/t.json: expect_column_values_to_be_unique(id)"
    suite = CheckKind.EXPECTATION
    record(
        store,
        T0,
        result(expect, Outcome.FAILED, kind=suite),
        result(other, Outcome.FAILED, kind=suite),
        result("volume", Outcome.PASSED),
    )
    down = result("suites/s.json", Outcome.ERROR, kind=suite, reason="no such table")
    record(store, T0 + timedelta(hours=1), down, result("volume", Outcome.PASSED))
    left = [r.check for r in rows(store, latest_results, "check")]
    assert left == ["suites/s.json", expect, "volume"], "t.json was removed, s.json is down"
