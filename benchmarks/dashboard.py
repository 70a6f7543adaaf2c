"""Benchmark: the dashboard's queries and warm page renders on a store holding 1,000,000 check
results over 365 days for 50 integrations (plus matching latest_results and daily_rollups),
20,000 alerts, 60,000 notifications, 200 silences and 50 saved versions of a suite.

    .venv/bin/python benchmarks/dashboard.py [--results 1000000] [--engines sqlite,postgresql]

Targets (benchmarks/README.md): every query under 200 ms, every page rendered under 1 s warm.
Each figure is also printed as a ratio to a lower bound measured in the same run (the round
trip of `SELECT 1`). The PostgreSQL store is a fresh database at 127.0.0.1, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from monitor.suites import editing as suite_editing
from store import queries, reads
from store.schema import (
    alerts,
    check_results,
    daily_rollups,
    latest_results,
    mismatch_keys,
    notifications,
    runs,
    silences,
    suite_versions,
)
from store.store import ResultStore

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
INTEGRATIONS = 50
CHECKS = ["freshness", "volume", "reconcile", *(f"suites/s.json: expect_{i}" for i in range(17))]
KINDS = {"freshness": "freshness", "volume": "volume", "reconcile": "reconcile"}
HEADLINES = {"freshness": "lag_seconds", "volume": "difference_rate", "reconcile": "mismatch_rate"}
END = datetime(2026, 11, 20, tzinfo=UTC)


def _outcome(rng: random.Random) -> str:
    roll = rng.random()
    return (
        "passed"
        if roll < 0.9
        else "failed"
        if roll < 0.97
        else "warned"
        if roll < 0.99
        else "error"
    )


def fill(store: ResultStore, total: int) -> None:
    """Bulk-insert runs, results, latest results, daily rollups and some mismatched keys."""
    rng = random.Random(7)
    runs_per_integration = total // (INTEGRATIONS * len(CHECKS))
    step = timedelta(days=365) / runs_per_integration
    rollups: dict[tuple[str, str, Any], list[Any]] = {}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    run_id = result_id = 0
    with store.engine.begin() as c:
        for i in range(INTEGRATIONS):
            name = f"flow-{i:02d}"
            run_rows, result_rows = [], []
            for r in range(runs_per_integration):
                at = END - timedelta(days=365) + step * r
                run_id += 1
                run_rows.append(
                    {
                        "id": run_id,
                        "integration": name,
                        "trigger": "schedule",
                        "status": "passed",
                        "started_at": at,
                        "finished_at": at,
                    }
                )
                for check in CHECKS:
                    result_id += 1
                    kind = KINDS.get(check, "expectation")
                    value = rng.random() * (7200 if kind == "freshness" else 0.01)
                    outcome = _outcome(rng)
                    metrics = (
                        {"source_rows": 1000, "target_rows": 1000 - rng.randint(0, 5)}
                        if kind in ("volume", "reconcile")
                        else {"v": value}
                    )
                    row = {
                        "id": result_id,
                        "run_id": run_id,
                        "integration": name,
                        "check": check,
                        "kind": kind,
                        "outcome": outcome,
                        "severity": "error",
                        "headline": HEADLINES.get(check, "unexpected_percent"),
                        "headline_value": value,
                        "observed": f"{value:.4f}",
                        "expected": "at most 1",
                        "metrics": metrics,
                        "sample": [],
                        "query": None,
                        "reason": None,
                        "side": "target",
                        "duration_s": 0.1,
                        "created_at": at,
                    }
                    result_rows.append(row)
                    cell = rollups.setdefault(
                        (name, check, at.date()), [kind, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0]
                    )
                    cell[1] += 1
                    cell[{"passed": 2, "warned": 3, "failed": 4, "error": 5}[outcome]] += 1
                    cell[6] += value
                    cell[7] = max(cell[7], value)
                    cell[8] = value
                    latest[(name, check)] = {
                        **row,
                        "result_id": result_id,
                        "result_at": at,
                        "since": at,
                    }
            c.execute(runs.insert(), run_rows)
            for start in range(0, len(result_rows), 20_000):
                c.execute(check_results.insert(), result_rows[start : start + 20_000])
        c.execute(
            latest_results.insert(),
            [
                {k: v for k, v in row.items() if k not in ("id", "created_at")}
                for row in latest.values()
            ],
        )
        roll_rows = [
            {
                "integration": n,
                "check": ch,
                "day": d,
                "kind": v[0],
                "headline": None,
                "runs": v[1],
                "passed": v[2],
                "warned": v[3],
                "failed": v[4],
                "errors": v[5],
                "headline_count": v[1],
                "headline_sum": v[6],
                "headline_max": v[7],
                "last_value": v[8],
            }
            for (n, ch, d), v in rollups.items()
        ]
        for start in range(0, len(roll_rows), 20_000):
            c.execute(daily_rollups.insert(), roll_rows[start : start + 20_000])
        c.execute(
            mismatch_keys.insert(),
            [
                {
                    "integration": "flow-00",
                    "check": "reconcile",
                    "key": {"sku": f"S-{k}"},
                    "key_hash": f"{k:064d}",
                    "kind": "changed",
                    "fields": {"price": ["1", "2"]},
                    "first_seen": END - timedelta(hours=k),
                    "last_seen": END,
                }
                for k in range(500)
            ],
        )
    print(f"  filled {result_id:,} results, {run_id:,} runs, {len(roll_rows):,} rollups")


ALERTS, NOTIFICATIONS, SILENCES, VERSIONS = 20_000, 60_000, 200, 50
STATES = ["resolved"] * 17 + ["firing", "acknowledged", "pending"]
SUITE = {
    "name": "s",
    "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "u"}}],
}


def fill_alerts(store: ResultStore) -> None:
    """Alerts over the year (most resolved), three notifications each, silences, versions."""
    rng = random.Random(11)
    alert_rows, note_rows = [], []
    for a in range(1, ALERTS + 1):
        opened = END - timedelta(days=365) * rng.random()
        state = STATES[a % len(STATES)]
        acked = opened + timedelta(minutes=rng.randint(1, 120))
        alert_rows.append(
            {
                "id": a,
                "fingerprint": f"{a:064d}",
                "kind": "data_quality",
                "integration": f"flow-{a % INTEGRATIONS:02d}",
                "check": CHECKS[a % len(CHECKS)],
                "severity": "error",
                "state": state,
                "labels": {"integration": f"flow-{a % INTEGRATIONS:02d}", "severity": "error"},
                "summary": "bench",
                "opened_at": opened,
                "acknowledged_at": acked if state in ("acknowledged", "resolved") else None,
                "acknowledged_by": "bench" if state in ("acknowledged", "resolved") else None,
                "resolved_at": acked + timedelta(hours=1) if state == "resolved" else None,
            }
        )
        for n in range(NOTIFICATIONS // ALERTS):
            note_rows.append(
                {
                    "alert_id": a,
                    "receiver": "team",
                    "channel": "webhook",
                    "payload": {},
                    "idempotency_key": f"{a}-{n}",
                    "status": "dead" if a % 997 == 0 else "sent",
                    "attempts": 1,
                    "next_attempt_at": opened,
                    "created_at": opened,
                    "sent_at": opened,
                }
            )
    silence_rows = [
        {
            "matchers": [
                {"label": "integration", "op": "=", "value": f"flow-{i % INTEGRATIONS:02d}"}
            ],
            "starts_at": END - timedelta(days=i),
            "ends_at": END - timedelta(days=i) + timedelta(hours=4 if i else 24 * 400),
            "author": "bench",
            "comment": "bench",
            "created_at": END - timedelta(days=i),
        }
        for i in range(SILENCES)
    ]
    version_rows = [
        {
            "path": "suites/s.json",
            "content": suite_editing.dump_suite(SUITE),
            "author": "bench",
            "comment": f"edit {v}",
            "created_at": END - timedelta(days=v),
        }
        for v in range(VERSIONS)
    ]
    with store.engine.begin() as c:
        c.execute(alerts.insert(), alert_rows)
        c.execute(notifications.insert(), note_rows)
        c.execute(silences.insert(), silence_rows)
        c.execute(suite_versions.insert(), version_rows)
    print(f"  filled {ALERTS:,} alerts, {len(note_rows):,} notifications, {SILENCES} silences")


PAGE_QUERIES: dict[str, list[tuple[str, Callable[[ResultStore], object]]]] = {
    "overview": [
        ("overview", queries.overview),
        ("failing_checks", queries.failing_checks),
        ("daily_health", lambda s: reads.daily_health(s, 30, today=END.date())),
    ],
    "integration": [
        ("latest_checks", lambda s: reads.latest_checks(s, "flow-07")),
        ("integration_trend", lambda s: queries.integration_trend(s, "flow-07", today=END.date())),
        ("row_counts", lambda s: reads.row_counts(s, "flow-07", "volume")),
        ("recent_runs", lambda s: queries.recent_runs(s, "flow-07", 20)),
        ("mismatched_keys", lambda s: queries.mismatched_keys(s, "flow-00", now=END)),
    ],
    "check": [
        ("check_detail", lambda s: queries.check_detail(s, "flow-07", "reconcile")),
        ("check_history", lambda s: queries.check_history(s, "flow-07", "reconcile")),
        (
            "alert_list(check)",
            lambda s: reads.alert_list(s, integration="flow-07", check="reconcile"),
        ),
    ],
    "alerts": [
        ("alert_stats", reads.alert_stats),
        ("open_alert_labels", reads.open_alert_labels),
        ("alert_list(open)", lambda s: reads.alert_list(s, ["firing", "acknowledged"])),
        ("alert_list(resolved)", lambda s: reads.alert_list(s, ["resolved"])),
        ("delivery_counts", reads.delivery_counts),
        ("delivery_list", reads.delivery_list),
        ("silence_list", reads.silence_list),
    ],
    "runs": [
        ("recent_runs(all)", lambda s: queries.recent_runs(s, None, 200)),
        ("run_request_list", reads.run_request_list),
        ("scheduler_status", reads.scheduler_status),
    ],
    "suites": [
        ("latest_versions", lambda s: suite_versions_latest(s)),
        ("list_versions", lambda s: suite_versions_list(s)),
    ],
}


def suite_versions_latest(store: ResultStore) -> object:
    from store.suite_versions import latest_versions

    return latest_versions(store, ["suites/s.json"])


def suite_versions_list(store: ResultStore) -> object:
    from store.suite_versions import list_versions

    return list_versions(store, "suites/s.json")


def best_ms(action: Callable[[], object], repeat: int = 5) -> float:
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def measure_queries(store: ResultStore) -> dict[str, float]:
    def ping() -> None:
        with store.engine.connect() as c:
            c.execute(sa.text("SELECT 1")).scalar()

    floor = best_ms(ping)
    print(f"  lower bound SELECT 1: {floor:.2f} ms")
    worst: dict[str, float] = {}
    for page, items in PAGE_QUERIES.items():
        for label, query in items:
            ms = best_ms(lambda q=query: q(store))  # type: ignore[misc]
            worst[page] = max(worst.get(page, 0.0), ms)
            flag = "ok" if ms < 200 else "SLOW"
            print(f"  {page:12s} {label:22s} {ms:8.1f} ms  x{ms / floor:7.0f}  {flag}")
    return worst


def write_config(url: str, folder: Path) -> Path:
    (folder / "sys.db").touch()
    lines = [
        "version: 1",
        f"store: '{url}'",
        "owners: {team: {role: business, email: t@example.com}}",
        "smtp: {host: 127.0.0.1}",
        "systems: {a: {url: 'sqlite:///sys.db'}, b: {url: 'sqlite:///sys.db'}}",
        "integrations:",
    ]
    (folder / "suites").mkdir(exist_ok=True)
    (folder / "suites" / "s.json").write_text(suite_editing.dump_suite(SUITE))
    for i in range(INTEGRATIONS):
        suites = ", suites: [{suite: suites/s.json, side: target}]" if i == 7 else ""
        lines.append(
            f"  flow-{i:02d}: {{source: a.t, target: b.t, key: id, schedule: '0 * * * *', "
            "owners: [team], freshness: {column: u, max_age: 2h}, "
            f"reconcile: {{max_mismatch_rate: 0.5%}}{suites}}}"
        )
    path = folder / "dxq.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def measure_pages(config: Path) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["DXQ_CONFIG"] = str(config)
    st.cache_data.clear()
    st.cache_resource.clear()
    app = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
    pages = {
        "overview": {},
        "integration": {"integration": "flow-07"},
        "check": {"integration": "flow-07", "check": "reconcile"},
        "alerts": {},
        "runs": {},
        "suites": {},
    }
    for page, params in pages.items():

        def render(page: str = page, params: dict[str, str] = params) -> None:
            at = AppTest.from_file(app, default_timeout=120)
            for k, v in params.items():
                at.query_params[k] = v
            if page != "overview":
                at.switch_page(f"dashboard/pages/{page}.py")
            at.run()
            assert not at.exception, [e.value for e in at.exception]

        ms = best_ms(render, repeat=3)
        print(f"  page {page:12s} warm render {ms:8.0f} ms  {'ok' if ms < 1000 else 'SLOW'}")


@contextmanager
def postgres_store() -> Iterator[str]:
    name = f"dxq_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_engine(engine: str, total: int, pages: bool) -> None:
    print(f"{engine}:")
    with (
        tempfile.TemporaryDirectory() as tmp,
        postgres_store() if engine == "postgresql" else _sqlite(Path(tmp)) as url,
    ):
        store = ResultStore.open(url)
        started = time.perf_counter()
        fill(store, total)
        fill_alerts(store)
        if engine == "postgresql":
            with store.engine.connect() as c:
                c.execute(sa.text("ANALYZE"))
        print(f"  fill took {time.perf_counter() - started:.0f} s")
        measure_queries(store)
        if pages:
            measure_pages(write_config(url, Path(tmp)))
        store.dispose()


@contextmanager
def _sqlite(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder}/results.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--no-pages", action="store_true", help="skip the AppTest renders")
    args = parser.parse_args()
    for engine in args.engines.split(","):
        run_engine(engine.strip(), args.results, not args.no_pages)


if __name__ == "__main__":
    main()
