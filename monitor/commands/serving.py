"""Start the Streamlit dashboard (and, for the demo, the scheduler beside it) as child
processes, and stop them all when dxq is interrupted or terminated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from types import FrameType

# The script `streamlit run` is given: a module of the installed package (package data of a
# wheel, or the clone's file in an editable install), found without importing Streamlit.
APP_MODULE = "dashboard.entry.streamlit_app"


def app_path() -> Path:
    """The dashboard's script file, wherever the `dashboard` package is installed."""
    spec = find_spec(APP_MODULE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{APP_MODULE} is missing from the installed dxq package")
    return Path(spec.origin)


def dashboard_command(port: int, address: str) -> list[str]:
    """The `streamlit run` command line for the dashboard. Run it in the directory whose
    `.streamlit/` (config.toml, secrets.toml with [auth]) should apply, as Streamlit reads
    them from its working directory and from ~/.streamlit."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path()),
        f"--server.port={port}",
        f"--server.address={address}",
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=viewer",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
    ]


def serve_dashboard(config_path: str, *, port: int = 8501, address: str = "127.0.0.1") -> int:
    """Run the dashboard until it exits or dxq is interrupted; returns its exit code."""
    env = {**os.environ, "DXQ_CONFIG": str(Path(config_path).resolve())}
    print(f"dashboard: http://{'localhost' if address == '127.0.0.1' else address}:{port}")
    child = subprocess.Popen(dashboard_command(port, address), env=env)
    return supervise([child])


def supervise(children: Sequence[subprocess.Popen[bytes]], grace_s: float = 20.0) -> int:
    """Wait until one child exits, or until SIGINT/SIGTERM; then stop every child (terminate,
    then kill after `grace_s`). Returns the first exited child's code, 0 when interrupted."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    code = 0
    try:
        while True:
            exited = [c.returncode for c in children if c.poll() is not None]
            if exited:
                code = exited[0]
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(children, grace_s)
    return code


def _stop(children: Sequence[subprocess.Popen[bytes]], grace_s: float) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + grace_s
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
