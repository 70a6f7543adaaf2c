"""Prometheus metrics: a real Prometheus scrapes dxq and its values are the store's truth."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitor.metrics import MetricsEndpoint, StoreCollector, serve_metrics
from store.health import overview
from store.store import ResultStore
from tests.operations.prometheus_server import prometheus_scraping, value_of
from tests.scheduler.world import (
    ROOT,
    integration,
    make_source,
    migrated,
    running,
    runs_of,
    start_scheduler,
    stop,
    wait_for,
    write_monitor_file,
)
from tests.support.ports import free_port


def _samples(store: ResultStore) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    text = generate_latest(registry).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture(scope="module")
def demo_store(demo_env: dict[str, str]) -> ResultStore:
    return ResultStore.open(demo_env["DXQ_STORE_URL"], migrate=False)


def test_prometheus_scrapes_the_store_truth(demo_store: ResultStore, tmp_path: Path) -> None:
    """A real Prometheus scrapes dxq; the demo's failing integration's mismatch rate and
    status there are exactly what the store's overview says."""
    truth = overview(demo_store).set_index("integration")
    failing = truth[truth["worst_outcome"] == "failed"]
    assert "product-catalog" in failing.index
    expected_rate = float(truth.loc["product-catalog", "mismatch_rate"])
    assert expected_rate > 0.005  # over the demo's 0.5% limit

    port = free_port()
    serve_metrics(demo_store, MetricsEndpoint(port))
    with prometheus_scraping(f"127.0.0.1:{port}", tmp_path) as prom:
        rate = value_of(prom, 'dxq_mismatch_rate{integration="product-catalog"}')
        status = value_of(prom, 'dxq_integration_status{integration="product-catalog"}')
        healthy = value_of(prom, 'dxq_integration_status{integration="payments"}')
        up = value_of(prom, "dxq_store_up")
        open_alerts = value_of(prom, "sum(dxq_open_alerts)")
    assert rate == pytest.approx(expected_rate)
    assert status == 2  # failed
    assert healthy == {"passed": 0, "warned": 1}[str(truth.loc["payments", "worst_outcome"])]
    assert up == 1
    assert open_alerts == float(truth["open_alerts"].sum())


def test_each_family_matches_the_store(demo_store: ResultStore) -> None:
    samples = _samples(demo_store)
    truth = overview(demo_store).set_index("integration")
    for name, row in truth.iterrows():
        rank = {"passed": 0, "warned": 1, "failed": 2, "error": 3}[row["worst_outcome"]]
        assert samples[("dxq_integration_status", (("integration", name),))] == rank
        assert samples[("dxq_last_run_timestamp_seconds", (("integration", name),))] == (
            row["last_run_at"].timestamp()
        )
    # the run counter and the duration histogram count the same finished runs
    for name in truth.index:
        finished = sum(
            v
            for (metric, labels), v in samples.items()
            if metric == "dxq_runs_total" and ("integration", name) in labels
        )
        count = samples[("dxq_run_duration_seconds_count", (("integration", name),))]
        inf = samples[("dxq_run_duration_seconds_bucket", (("integration", name), ("le", "+Inf")))]
        assert finished == count == inf > 0
    # freshness lag carries the measured side: the stock feed is measured on the source
    sides = {labels for (metric, labels) in samples if metric == "dxq_freshness_lag_seconds"}
    assert (("integration", "stock-levels"), ("side", "source")) in sides


def test_store_down_is_a_zero_not_a_crash() -> None:
    port = free_port()  # nothing listens there
    store = ResultStore.open(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/none?connect_timeout=2", migrate=False
    )
    samples = _samples(store)
    assert samples == {("dxq_store_up", ()): 0.0}


def test_dxq_schedule_serves_metrics(tmp_path: Path) -> None:
    """`dxq schedule --metrics-port` serves the store's runs while the scheduler runs them."""
    store_url = migrated(f"sqlite:///{tmp_path}/results.db")
    config = write_monitor_file(
        tmp_path / "dxq.yml",
        store_url,
        {"shop": {"url": make_source(tmp_path)}},
        {"stock": integration(schedule="* * * * *")},
    )
    port = free_port()
    proc = start_scheduler(config, tmp_path / "schedule.log", "--metrics-port", str(port))
    with running(proc):
        wait_for(lambda: len(runs_of(store_url, "stock")) >= 2, 60, "two runs")

        def scraped() -> str:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    return str(r.read().decode())
            except OSError:
                return ""

        text = wait_for(scraped, 30, "/metrics")
        stop(proc)
    finished = [r for r in runs_of(store_url, "stock") if r.status != "running"]
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert values[("dxq_store_up", ())] == 1
    assert values[("dxq_integration_status", (("integration", "stock"),))] == 0
    counted = values[("dxq_runs_total", (("integration", "stock"), ("outcome", "passed")))]
    assert 1 <= counted <= len(finished)
    assert "dxq_scheduler_heartbeat_timestamp_seconds" in {n for n, _ in values}


def test_metrics_port_taken_is_one_line(tmp_path: Path) -> None:
    import socket

    config = write_monitor_file(
        tmp_path / "dxq.yml",
        f"sqlite:///{tmp_path}/results.db",
        {"shop": {"url": make_source(tmp_path)}},
        {"stock": integration(schedule=None)},
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "monitor.cli", "schedule", "-c", str(config)]
        done = subprocess.run(
            [*command, "--metrics-port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ,
        )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith(f"dxq: --metrics-port {port}: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in done.stderr


def test_version_is_the_package_version() -> None:
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"dxq {version('dxq')}"
