"""The `--metrics-port` and `--metrics-address` options of `dxq schedule` and `dxq worker`: one
declaration and one check for both (docs/cli.md, docs/operations.md#metrics)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.metrics import MetricsEndpoint
    from store.store import ResultStore


def add_metrics_options(parser: argparse.ArgumentParser) -> None:
    """Declare the two options on a command's parser."""
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="also serve Prometheus metrics from the results store on http://ADDRESS:PORT/metrics",
    )
    parser.add_argument(
        "--metrics-address",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="where the metrics endpoint listens (default 127.0.0.1)",
    )


def metrics_endpoint(args: argparse.Namespace) -> MetricsEndpoint | None:
    """Where to serve metrics, or None when `--metrics-port` was not given."""
    if args.metrics_port is None:
        return None
    from monitor.metrics import MetricsEndpoint

    if not 1 <= args.metrics_port <= 65535:
        raise MonitorError(f"--metrics-port {args.metrics_port}: give a port from 1 to 65535")
    return MetricsEndpoint(args.metrics_port, args.metrics_address)


def start_metrics(store: ResultStore, endpoint: MetricsEndpoint) -> bool:
    """Serve `/metrics` beside the command; False (with one line on stderr) when the port
    cannot be listened on."""
    from monitor.metrics import serve_metrics

    try:
        serve_metrics(store, endpoint)
    except OSError as exc:
        print(
            f"dxq: --metrics-port {endpoint.port}: cannot listen on "
            f"{endpoint.address}:{endpoint.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return False
    return True
