"""`dxq dashboard` as a process: it serves, and SIGTERM stops it together with Streamlit."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from demo.command import DEMO_CONFIG
from monitor.commands.serving import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_sigterm_stops_the_dashboard_and_its_streamlit(demo_env: dict[str, str]) -> None:
    port = _free_port()
    dxq = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "dashboard",
            "-c",
            str(DEMO_CONFIG),
            "--port",
            str(port),
        ],
        env=demo_env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as resp:
                    if resp.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("the dashboard did not start")
        streamlit = _children(dxq.pid)
        assert streamlit and all(_alive(pid) for pid in streamlit)
        dxq.send_signal(signal.SIGTERM)
        assert dxq.wait(timeout=30) == 0
        time.sleep(0.5)
        assert not any(_alive(pid) for pid in streamlit), "streamlit outlived dxq"
    finally:
        if dxq.poll() is None:
            dxq.kill()
