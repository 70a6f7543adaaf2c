"""`dxq api`: serve the HTTP API with uvicorn until stopped."""

from __future__ import annotations

import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from monitor.config.loading import load_config
from monitor.errors import MonitorError
from store.store import ResultStore


def serve_api(config_path: str, env: Mapping[str, str], *, host: str, port: int) -> int:
    """Load the monitor file, open the store and serve the API on host:port."""
    import uvicorn

    from monitor.api.app import create_app
    from monitor.api.callers import check_bind

    if not 1 <= port <= 65535:
        raise MonitorError(f"--port {port}: give a port from 1 to 65535")
    config = load_config(Path(config_path), env)
    problem = check_bind(config, host)
    if problem:
        raise MonitorError(problem)
    store = ResultStore.open(config.store)
    print(f"api: http://{host}:{port}/api/v1 (OpenAPI docs at /docs)", file=sys.stderr)
    server = uvicorn.Server(
        uvicorn.Config(create_app(config, store), host=host, port=port, log_level="warning")
    )
    # Uvicorn shuts down gracefully on SIGTERM, then raises the signal again against the handler
    # it found: a no-op one here, so dxq api ends with 0 and its store disposed, like dxq schedule.
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    store.dispose()
    return 0 if server.started else 2


def _stopped(signum: int, frame: FrameType | None) -> None:
    """The SIGTERM uvicorn re-raises after its shutdown: nothing left to do."""
