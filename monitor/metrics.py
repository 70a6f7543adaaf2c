"""Prometheus metrics read from the results store on every scrape (`dxq schedule
--metrics-port`). Names follow Prometheus conventions (`dxq_` prefix, base units, `_total`
counters) and labels stay low-cardinality: integration, check kind, side, severity, alert kind
and run outcome; never a check name, key or value. See docs/operations.md."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from store.errors import StoreError
from store.store import ResultStore
from store.totals import Totals, read_totals

log = logging.getLogger(__name__)

# Run durations from a second to an hour: checks are mostly seconds, reconciles minutes.
DURATION_BOUNDS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class StoreCollector(Collector):
    """Turns one read of the store's totals into metric families."""

    def __init__(self, store: ResultStore) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("dxq_store_up", "1 when the results store answered this scrape")
        try:
            totals = read_totals(self._store, DURATION_BOUNDS)
        except StoreError as exc:
            log.warning("metrics: results store unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families(totals)


def families(totals: Totals) -> Iterator[Metric]:
    """The metric families of one read of the store."""
    status = GaugeMetricFamily(
        "dxq_integration_status",
        "Worst latest outcome of an integration: 0 passed, 1 warned, 2 failed, 3 error",
        labels=["integration"],
    )
    for integration, rank in sorted(totals.integration_rank.items()):
        status.add_metric([integration], rank)
    yield status

    outcome = GaugeMetricFamily(
        "dxq_check_outcome",
        "Worst latest outcome of the checks of one kind: 0 passed, 1 warned, 2 failed, 3 error",
        labels=["integration", "check_kind"],
    )
    for (integration, kind), rank in sorted(totals.kind_rank.items()):
        outcome.add_metric([integration, kind], rank)
    yield outcome

    rate = GaugeMetricFamily(
        "dxq_mismatch_rate",
        "Latest reconcile mismatch rate (missing and changed records over compared keys)",
        labels=["integration"],
    )
    for integration, value in sorted(totals.mismatch_rate.items()):
        rate.add_metric([integration], value)
    yield rate

    lag = GaugeMetricFamily(
        "dxq_freshness_lag_seconds",
        "Age of the newest record at the latest freshness check, per measured side",
        labels=["integration", "side"],
    )
    for (integration, side), value in sorted(totals.freshness_lag_s.items()):
        lag.add_metric([integration, side], value)
    yield lag

    last_run = GaugeMetricFamily(
        "dxq_last_run_timestamp_seconds",
        "Start of the newest run of an integration (Unix time)",
        labels=["integration"],
    )
    for integration, at in sorted(totals.last_run_at.items()):
        last_run.add_metric([integration], at.timestamp())
    yield last_run

    duration = HistogramMetricFamily(
        "dxq_run_duration_seconds",
        "Wall time of finished runs",
        labels=["integration"],
    )
    for d in sorted(totals.durations, key=lambda d: d.integration):
        buckets = [(_le(b), n) for b, n in zip(DURATION_BOUNDS, d.at_most, strict=True)]
        duration.add_metric([d.integration], [*buckets, ("+Inf", d.count)], d.total_s)
    yield duration

    finished = CounterMetricFamily(
        "dxq_runs", "Finished runs by outcome", labels=["integration", "outcome"]
    )
    for (integration, word), n in sorted(totals.runs_total.items()):
        finished.add_metric([integration, word], n)
    yield finished

    open_alerts = GaugeMetricFamily(
        "dxq_open_alerts",
        "Alerts firing or acknowledged",
        labels=["severity", "kind"],
    )
    for (severity, kind), n in sorted(totals.open_alerts.items()):
        open_alerts.add_metric([severity, kind], n)
    yield open_alerts

    pending = totals.notifications.get("pending", 0) + totals.notifications.get("sending", 0)
    yield GaugeMetricFamily(
        "dxq_notifications_pending", "Notifications waiting for delivery", value=pending
    )
    yield GaugeMetricFamily(
        "dxq_notifications_dead_letter",
        "Notifications that could not be delivered and wait for a person",
        value=totals.notifications.get("dead", 0),
    )
    if totals.last_heartbeat_at is not None:
        yield GaugeMetricFamily(
            "dxq_scheduler_heartbeat_timestamp_seconds",
            "The newest heartbeat of any scheduler on this store (Unix time)",
            value=totals.last_heartbeat_at.timestamp(),
        )


def _le(bound: float) -> str:
    return f"{bound:g}" if bound != int(bound) else f"{bound:.1f}"


@dataclass(frozen=True)
class MetricsEndpoint:
    """Where `/metrics` listens."""

    port: int
    address: str = "127.0.0.1"


def serve_metrics(store: ResultStore, endpoint: MetricsEndpoint) -> CollectorRegistry:
    """Serve `/metrics` for `store` on a daemon thread; returns the registry it exports."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    start_http_server(endpoint.port, addr=endpoint.address, registry=registry)
    log.info("metrics: http://%s:%d/metrics", endpoint.address, endpoint.port)
    return registry
