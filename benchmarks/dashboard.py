"""Benchmark: the dashboard's queries and warm page renders on a store holding 1,000,000 check
results over 365 days for 50 integrations (plus matching latest_results and daily_rollups),
20,000 alerts, 60,000 notifications, 200 silences and 50 saved versions of a suite
(built by benchmarks/dashboard_store.py).

    .venv/bin/python benchmarks/dashboard.py [--results 1000000] [--engines sqlite,postgresql]

Targets (benchmarks/README.md): every query under 200 ms, every page rendered under 1 s warm.
Each figure is also printed as a ratio to a lower bound measured in the same run (the round
trip of `SELECT 1`). The PostgreSQL store is a fresh database at 127.0.0.1, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

# Run as a script, this folder comes first on sys.path, and this file would shadow the
# dashboard package the page renders import: the folder goes, the project root comes first.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

from benchmarks.dashboard_store import END, fill, fill_alerts, write_config  # noqa: E402
from store import activity, alert_lists, drilldown, health, trends  # noqa: E402
from store.store import ResultStore  # noqa: E402
from store.weekly import week_summary  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


PAGE_QUERIES: dict[str, list[tuple[str, Callable[[ResultStore], object]]]] = {
    "overview": [
        ("overview", health.overview),
        ("failing_checks", health.failing_checks),
        ("daily_health", lambda s: health.daily_health(s, 30, today=END.date())),
    ],
    "integration": [
        ("latest_checks", lambda s: health.latest_checks(s, "flow-07")),
        ("integration_trend", lambda s: trends.integration_trend(s, "flow-07", today=END.date())),
        ("row_counts", lambda s: trends.row_counts(s, "flow-07", "volume")),
        ("recent_runs", lambda s: activity.recent_runs(s, "flow-07", 20)),
        ("mismatched_keys", lambda s: drilldown.mismatched_keys(s, "flow-00", now=END)),
        ("week_summary(one)", lambda s: week_summary(s, END, ["flow-07"])),
        ("week_summary(all)", lambda s: week_summary(s, END)),
    ],
    "check": [
        ("check_detail", lambda s: drilldown.check_detail(s, "flow-07", "reconcile")),
        ("check_history", lambda s: trends.check_history(s, "flow-07", "reconcile")),
        (
            "alert_list(check)",
            lambda s: alert_lists.alert_list(s, integration="flow-07", check="reconcile"),
        ),
    ],
    "alerts": [
        ("alert_stats", alert_lists.alert_stats),
        ("open_alert_labels", alert_lists.open_alert_labels),
        ("alert_list(open)", lambda s: alert_lists.alert_list(s, ["firing", "acknowledged"])),
        ("alert_list(resolved)", lambda s: alert_lists.alert_list(s, ["resolved"])),
        ("delivery_counts", alert_lists.delivery_counts),
        ("delivery_list", alert_lists.delivery_list),
        ("silence_list", alert_lists.silence_list),
    ],
    "runs": [
        ("recent_runs(all)", lambda s: activity.recent_runs(s, None, 200)),
        ("run_request_list", activity.run_request_list),
        ("scheduler_status", activity.scheduler_status),
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
