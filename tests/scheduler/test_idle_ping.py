"""A connection is pinged before use only after it sat idle (datasources/idle_ping.py), and a
system that answered a moment ago is not probed before a run (monitor/run/retry.py). A server
that went away meanwhile is still found: by the ping after idling, by the statement (then by
the run's own checks, which wait and run again) within the second."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from checks.result import Outcome
from datasources.connection import engine_for
from datasources.errors import Cause
from datasources.idle_ping import IDLE_PING_AFTER_S, answered_within
from monitor.config.loading import load_config
from monitor.run import retry
from monitor.run.plan import IntegrationPlan, plan_integrations
from monitor.run.retry import RetryPolicy
from monitor.run.runner import IntegrationRun, record_integration
from store import scheduling
from store.errors import StoreUnavailable
from store.store import ResultStore
from tests.scheduler.world import Outage, integration, make_source, write_monitor_file

QUICK = RetryPolicy(attempts=3, first_wait_s=0.3, max_wait_s=0.6)


def _counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Any]:
    """Count the calls of `owner.name` (their first argument each) and still make them."""
    calls: list[Any] = []
    original = getattr(owner, name)

    def counted(first: Any, *args: Any) -> Any:
        calls.append(first)
        return original(first, *args)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_store_connection_is_pinged_only_after_it_sat_idle(
    outage: Outage, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultStore.open(outage.url(pg_url), migrate=False)
    pings = _counting(monkeypatch, store.engine.dialect, "do_ping")
    try:
        for _ in range(5):  # one pooled connection, used a moment ago each time
            scheduling.leases_of(store, "nobody")
        assert pings == []
        outage.cut()  # the server side of the pooled connection goes away ...
        time.sleep(IDLE_PING_AFTER_S + 0.1)
        outage.restore()  # ... and the store answers again on new connections
        assert scheduling.leases_of(store, "nobody") == {}, "the ping found the dead connection"
        assert len(pings) == 1
        outage.cut()
        time.sleep(0.3)  # the proxy's port is free again
        outage.restore()  # within the second: no ping, the statement meets the dead connection
        with pytest.raises(StoreUnavailable):
            scheduling.leases_of(store, "nobody")
        assert scheduling.leases_of(store, "nobody") == {}, "the pool was renewed"
        assert len(pings) == 1
    finally:
        store.dispose()


def _plan(tmp_path: Path, db_url: str, table: str, name: str) -> IntegrationPlan:
    systems = {
        "db": {"url": db_url, "connect_timeout": "1s"},
        "shop": {"url": make_source(tmp_path)},
    }
    body = integration(None, "30s", source=f"db.{table}")
    store = f"sqlite:///{tmp_path}/results.db"
    path = write_monitor_file(tmp_path / "dxq.yml", store, systems, {name: body})
    return plan_integrations(load_config(path, {}))[0]


def _run(store: ResultStore, plan: IntegrationPlan) -> IntegrationRun:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    return record_integration(plan, store, trigger="request", clock=clock, retry=QUICK)


def _errors(run: IntegrationRun) -> list[tuple[str, Outcome, Cause | None, str | None]]:
    return [(r.check, r.outcome, r.cause, r.reason) for r in run.results]


def test_a_system_that_answered_a_moment_ago_is_not_probed_and_its_outage_is_still_found(
    outage: Outage,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "dxq")
    table = f"p_{int(time.time() * 1000)}"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (sku TEXT PRIMARY KEY, qty INTEGER)"))
        conn.execute(sa.text(f"INSERT INTO {table} VALUES ('A-1', 1), ('B-2', 2)"))
    engine.dispose()
    plan = _plan(tmp_path, outage.url(pg_url), table, "stock")
    probes = _counting(monkeypatch, retry, "probe")
    # "A moment ago" is IDLE_PING_AFTER_S (1 s) in production; a loaded CI machine can take
    # longer between two runs, so the test holds the window open, then closes it
    window = [60.0]
    monkeypatch.setattr(
        retry, "answered_lately", lambda s: answered_within(engine_for(s), window[0])
    )
    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    try:
        assert _run(store, plan).outcome is Outcome.PASSED
        assert sorted(s.name for s in probes) == ["db", "shop"], "first contact: probed"
        assert _run(store, plan).outcome is Outcome.PASSED
        assert len(probes) == 2, "both answered a moment ago: not probed again"

        outage.cut()  # gone after its last answer, back 0.5 s later
        threading.Timer(0.5, outage.restore).start()
        back = _run(store, plan)
        assert back.outcome is Outcome.PASSED, _errors(back)
        assert "unreachable during the run" in caplog.text and "rerun" in caplog.text
        assert "waiting for system 'db'" in caplog.text

        outage.cut()  # and now it stays down: the same results whether probed first or not
        trusted = _run(store, plan)
        window[0] = 0.0  # no answer lately
        probed_first = len(probes)
        probed = _run(store, plan)
        assert probes[probed_first].name == "db", "no answer lately: probed before the run"
        assert trusted.outcome is probed.outcome is Outcome.ERROR
        assert _errors(trusted) == _errors(probed)
        assert {r.cause for r in trusted.results} == {Cause.UNREACHABLE}
    finally:
        store.dispose()
