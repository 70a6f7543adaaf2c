"""Start the Streamlit dashboard (and, for the demo, the scheduler beside it) as processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = PROJECT_ROOT / "streamlit_app.py"


def dashboard_command(port: int, address: str) -> list[str]:
    """The `streamlit run` command line for the dashboard."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        f"--server.port={port}",
        f"--server.address={address}",
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=viewer",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
    ]


def serve_dashboard(config_path: str, *, port: int = 8501, address: str = "127.0.0.1") -> int:
    """Run the dashboard in the foreground until interrupted; returns its exit code."""
    env = {**os.environ, "DXQ_CONFIG": str(Path(config_path).resolve())}
    print(f"dashboard: http://{'localhost' if address == '127.0.0.1' else address}:{port}")
    with subprocess.Popen(dashboard_command(port, address), env=env, cwd=PROJECT_ROOT) as proc:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            return proc.wait(timeout=10)
