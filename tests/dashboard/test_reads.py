"""The store's dashboard reads against real PostgreSQL and SQLite: daily health, row counts, alerts,
deliveries, run requests and heartbeats."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from checks.result import CheckKind, CheckResult, Outcome, Severity
from store import activity, alert_lists, health, scheduling, trends
from store.schema import alerts
from store.store import ResultStore

T0 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


def _result(
    check: str, kind: CheckKind, outcome: Outcome, metrics: dict[str, float]
) -> CheckResult:
    headline = next(iter(metrics))
    return CheckResult(
        check=check,
        kind=kind,
        outcome=outcome,
        severity=Severity.ERROR,
        headline=headline,
        metrics=metrics,
        observed="x",
        expected="y",
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[ResultStore]:
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = ResultStore.open(url)
    yield opened
    opened.dispose()


def test_daily_health_and_row_counts(store: ResultStore) -> None:
    flow = f"flow-{id(store)}"
    for day in range(3):
        for hour in (0, 12):
            at = T0 + timedelta(days=day, hours=hour)
            run = store.begin_run(flow, at)
            outcome = Outcome.FAILED if (day, hour) == (1, 12) else Outcome.PASSED
            store.complete_run(
                run,
                at,
                [
                    _result(
                        "volume",
                        CheckKind.VOLUME,
                        outcome,
                        {"difference_rate": 0.0, "source_rows": 100 + day, "target_rows": 99},
                    ),
                ],
            )
    strips = health.daily_health(store, 30, today=date(2026, 11, 20))
    mine = strips[strips["integration"] == flow].reset_index(drop=True)
    assert list(mine["results"]) == [2, 2, 2]
    assert list(mine["pass_rate"]) == [1.0, 0.5, 1.0]
    counts = trends.row_counts(store, flow, "volume")
    assert list(counts["source_rows"]) == [100, 100, 101, 101, 102, 102]  # oldest first
    assert set(counts["target_rows"]) == {99}
    assert trends.row_counts(store, flow, "no-such-check").empty
    checks = health.latest_checks(store, flow)
    assert list(checks["check"]) == ["volume"]


def test_empty_store_reads(store: ResultStore) -> None:
    assert alert_lists.alert_list(store, ["firing"], integration="nobody").empty
    assert set(alert_lists.delivery_counts(store)) == {
        "pending",
        "sending",
        "sent",
        "dead",
        "recorded",
    }
    assert alert_lists.silence_list(store, active_at=datetime(1990, 1, 1, tzinfo=UTC)).empty
    assert health.latest_checks(store, "nobody").empty


def test_run_requests_and_heartbeat(store: ResultStore) -> None:
    flow = f"req-{id(store)}"
    request = scheduling.enqueue_run(store, flow, "dana", T0)
    found = activity.run_request_list(store, flow)
    assert list(found["id"]) == [request]
    assert list(found["status"]) == ["queued"]
    assert found["requested_at"].iloc[0] == T0
    before = activity.scheduler_status(store)
    scheduling.beat(
        store,
        f"proc-{id(store)}",
        host="h",
        pid=1,
        started_at=T0,
        now=T0 + timedelta(days=400),
        info={"state": "running", "config_error": "dxq.yml:3: bad", "missed": ["orders"]},
    )
    status = activity.scheduler_status(store)
    assert status is not None and status.last_tick_at == T0 + timedelta(days=400)
    assert (status.host, status.state, status.config_error) == ("h", "running", "dxq.yml:3: bad")
    assert status.missed == ("orders",) and status.running == ()
    assert before is None or before.last_tick_at < T0 + timedelta(days=400)


def test_alert_stats_count_and_average_in_sql(store: ResultStore) -> None:
    base = {
        "kind": "data_quality",
        "integration": "orders",
        "severity": "error",
        "labels": {},
        "acknowledged_at": None,
        "resolved_at": None,
    }
    rows = [
        {**base, "fingerprint": "a", "state": "firing", "opened_at": T0},
        {
            **base,
            "fingerprint": "b",
            "state": "acknowledged",
            "opened_at": T0,
            "acknowledged_at": T0 + timedelta(seconds=90),
        },
        {
            **base,
            "fingerprint": "c",
            "state": "resolved",
            "opened_at": T0,
            "acknowledged_at": T0 + timedelta(seconds=30),
            "resolved_at": T0 + timedelta(minutes=10, microseconds=500_000),
        },
        {**base, "fingerprint": "d", "state": "pending", "opened_at": T0},
    ]
    with store.engine.begin() as c:
        c.execute(alerts.delete())  # the PostgreSQL store is shared by the session's tests
        c.execute(alerts.insert(), rows)
    stats = alert_lists.alert_stats(store)
    assert (stats["firing"], stats["acknowledged"], stats["pending"]) == (1, 1, 1)
    assert stats["to_ack"] == pytest.approx(60.0, abs=0.01)
    assert stats["to_resolve"] == pytest.approx(600.5, abs=0.01)
    assert len(alert_lists.open_alert_labels(store)) == 3
