"""Anomalies through the one run path (record_integration) against a real store, SQLite and
PostgreSQL: a watched row count that drops to a third of its usual value — inside every fixed
rule — becomes a failed `anomaly` result whose alert fires to the receiver that routes match
by `kind=anomaly` (its e-mails reach the demo's sink), repeats after the repeat interval,
then resolves when the count is back; every number of every run is a stored point, and a
point marked expected leaves the baseline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from checks.anomaly.detector import Point, stream
from demo.sink import running_sink
from monitor import actions
from monitor.daemon.daemon_alerts import tick_alerts
from monitor.daemon.dispatcher import dispatch_once
from store.schema import alerts, anomaly_feedback, metric_points, notifications
from store.store import ResultStore
from tests.anomaly.stock import EVERY, NORMAL, T0, TARGET_ROWS, StockFeed, noise
from tests.store.pg_schemas import fresh_schema_url
from tests.support.ports import free_port

DROP = 24  # the run whose row count drops to a third


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url.replace("system.db", "results.db")
    else:
        yield from fresh_schema_url(request.getfixturevalue("pg_url"), "anomaly")


def test_an_anomaly_fires_routes_by_kind_and_resolves(tmp_path: Path, store_url: str) -> None:
    smtp_port = free_port()
    feed = StockFeed.open(tmp_path, store_url, smtp_port=smtp_port)
    store = feed.store
    inbox = tmp_path / "inbox.jsonl"
    try:
        verdicts = [feed.run_at(i, NORMAL + noise(i)) for i in range(24)]
        judged = [r for run in verdicts for r in run.results if r.kind == "anomaly"]
        assert judged, "5+ days of 6-hourly history give verdicts"
        assert all(r.outcome == "passed" for r in judged)
        assert _open_alerts(store) == []

        dropped = feed.run_at(DROP, NORMAL // 3)  # both sides drop: volume still passes
        (volume,) = [r for r in dropped.results if r.kind == "volume"]
        assert volume.outcome == "passed"
        (anomaly,) = [r for r in dropped.results if r.kind == "anomaly"]
        assert anomaly.check == "anomaly(volume.target_rows)"
        assert anomaly.outcome == "failed"  # severity error, score far past 2 x sensitivity
        m = anomaly.metrics
        assert m["value"] == NORMAL // 3
        assert m["expected_low"] <= NORMAL - 30 and m["expected_high"] >= NORMAL + 30
        assert m["expected_low"] > NORMAL // 3 and m["score"] < -8
        (alert,) = _open_alerts(store)
        assert alert["labels"]["kind"] == "anomaly" and alert["state"] == "firing"
        # the integration's owner, and the receiver routes choose by kind=anomaly
        assert _sent_to(store) == {("stock-po", "firing"), ("analysts", "firing")}
        with running_sink(inbox, smtp_port=smtp_port, http_port=free_port()):  # the demo's
            later = T0 + DROP * EVERY + timedelta(minutes=1)  # the run took a moment
            dispatch_once(store, feed.config, worker="test", now=later)
        mails = [json.loads(line) for line in inbox.read_text().splitlines()]
        assert sorted(to for m in mails for to in m["to"]) == [
            "analysts@example.com",
            "po@example.com",
        ]
        subjects = {m["subject"] for m in mails}
        assert subjects == {"[FIRING] stock: unusual value (anomaly(volume.target_rows))"}
        # unacknowledged, it repeats after the default repeat_interval (4h), as any alert
        assert tick_alerts(store, T0 + DROP * EVERY + timedelta(hours=3, minutes=59)) == 0
        assert tick_alerts(store, T0 + DROP * EVERY + timedelta(hours=4, minutes=1)) == 1
        assert ("analysts", "reminder") in _sent_to(store)

        back = feed.run_at(25, NORMAL + 5)
        (anomaly,) = [r for r in back.results if r.kind == "anomaly"]
        assert anomaly.outcome == "passed"
        assert _open_alerts(store) == []
        assert _sent_to(store) == {
            (who, kind)
            for who in ("stock-po", "analysts")
            for kind in ("firing", "reminder", "resolved")
        }

        with store.reading() as conn:
            stored = conn.execute(
                sa.select(metric_points.c.check, metric_points.c.metric).distinct()
            ).all()
        names = {f"{c}.{m}" for c, m in stored}
        assert {"volume.source_rows", "volume.target_rows", "run.duration_s"} <= names
        assert "run.duration_s.wms" in names  # time spent per system
        assert not any(n.startswith("anomaly(") for n in names)  # verdicts are results
    finally:
        store.dispose()


def test_a_point_marked_expected_leaves_the_baseline(tmp_path: Path, sqlite_url: str) -> None:
    feed = StockFeed.open(tmp_path, sqlite_url.replace("system.db", "results.db"), alerting=False)
    store = feed.store
    try:
        for i in range(24):
            feed.run_at(i, NORMAL + noise(i))
        # a new normal of a third, each point marked expected as it comes: marked points
        # are judged but leave the baseline, so the new level is never learnt
        outcomes = []
        for i in range(24, 44):
            run = feed.run_at(i, NORMAL // 3 + noise(i) // 3)
            (anomaly,) = [r for r in run.results if r.kind == "anomaly"]
            outcomes.append(anomaly.outcome)
            said = actions.mark_point(
                store, "stock", TARGET_ROWS, T0 + i * EVERY, "expected", "ana", "stock take"
            )
            assert "marked as expected by ana" in said
        assert outcomes == ["failed"] * 20
        # the same values unmarked: the detector learns the shift within those 20 runs
        spec = feed.plan.anomalies
        assert spec is not None
        values = [NORMAL + noise(i) for i in range(24)]
        values += [NORMAL // 3 + noise(i) // 3 for i in range(24, 44)]
        points = [Point(T0 + i * EVERY, float(v)) for i, v in enumerate(values)]
        unmarked = stream(points, spec.settings)
        assert not any(v is not None and v.anomalous for v in unmarked[-5:])
        with store.reading() as conn:
            (row,) = conn.execute(
                sa.select(anomaly_feedback).where(anomaly_feedback.c.at == T0 + 30 * EVERY)
            ).mappings()
        assert (row["actor"], row["comment"], row["verdict"]) == ("ana", "stock take", "expected")
        with pytest.raises(actions.ActionFailed, match="why"):
            actions.mark_point(store, "stock", TARGET_ROWS, T0, "expected", "ana", " ")
        with pytest.raises(actions.ActionFailed, match="who you are"):
            actions.mark_point(store, "stock", TARGET_ROWS, T0, "real", " ", "broken feed")
    finally:
        store.dispose()


def _open_alerts(store: ResultStore) -> list[dict[str, Any]]:
    with store.reading() as conn:
        rows = conn.execute(sa.select(alerts).where(alerts.c.state != "resolved")).mappings()
        return [dict(r) for r in rows]


def _sent_to(store: ResultStore) -> set[tuple[str, str]]:
    with store.reading() as conn:
        rows = conn.execute(sa.select(notifications.c.receiver, notifications.c.payload)).all()
    return {(str(receiver), str(_kind(payload))) for receiver, payload in rows}


def _kind(payload: Any) -> str:
    return str(payload["notification"]["kind"])
