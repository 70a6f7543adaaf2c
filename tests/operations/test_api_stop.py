"""`dxq api` stops on SIGTERM with exit 0 and its store disposed, like `dxq schedule` and `dxq
dashboard` (docs/operations.md: each stops cleanly on SIGTERM). Uvicorn re-raises the signal
after its graceful shutdown, which killed the process by SIGTERM (exit -15) before the store was
disposed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request

from tests.scheduler.world import ROOT
from tests.support.ports import free_port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def test_sigterm_stops_the_api_with_exit_0(demo_env: dict[str, str]) -> None:
    port = free_port()
    command = ["api", "-c", demo_env["DXQ_CONFIG"], "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", *command],
        cwd=ROOT,
        env=demo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _healthy(f"http://127.0.0.1:{port}/api/v1/health"):
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the API did not answer"
            time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0]
        assert proc.returncode == 0, out
        assert "Traceback" not in out, out
        assert not _healthy(f"http://127.0.0.1:{port}/api/v1/health")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
