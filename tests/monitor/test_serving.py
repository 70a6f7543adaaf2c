"""`dxq dashboard` as a process: it serves the package's script, SIGTERM stops it together with
Streamlit, and what it reads (sign-in) and the demo writes are in the working directory."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from demo.command import DEMO_CONFIG, demo_state, run_demo
from monitor import cli
from monitor.commands import serving
from monitor.commands.serving import app_path, dashboard_command

ROOT = Path(__file__).resolve().parents[2]


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
        cwd=ROOT,
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


def test_the_dashboard_runs_the_packaged_script_which_draws_through_main() -> None:
    command = dashboard_command(8501, "127.0.0.1")
    script = Path(command[command.index("run") + 1])
    assert script == ROOT / "dashboard" / "entry" / "streamlit_app.py" == app_path()
    # Streamlit reruns the script on every interaction: it must call main(), not import it.
    assert script.read_text().rstrip().endswith("\nmain()")
    assert (ROOT / "streamlit_app.py").read_text().rstrip().endswith("\nmain()")


def test_a_missing_dashboard_script_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match=r"dashboard\.entry\.streamlit_app is missing"):
        dashboard_command(8501, "127.0.0.1")


def test_sign_in_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An installed dxq has no project directory: like Streamlit, it reads .streamlit/ where
    it is started (and ~/.streamlit)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    (work / ".streamlit").mkdir(parents=True)
    monkeypatch.chdir(work)
    served: list[str] = []
    monkeypatch.setattr(serving, "serve_dashboard", lambda *a, **k: served.append(k["address"]))
    args = ["dashboard", "-c", str(DEMO_CONFIG), "--address", "0.0.0.0"]
    assert cli.main(args) == cli.USAGE_ERROR
    assert "refusing to serve the dashboard on 0.0.0.0" in capsys.readouterr().err
    (work / ".streamlit" / "secrets.toml").write_text('[auth]\nredirect_uri = "https://x/cb"\n')
    assert served == []
    cli.main(args)
    assert served == ["0.0.0.0"]


def test_the_demo_keeps_its_state_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert demo_state() == tmp_path / ".dxq"
    assert run_demo(days=1, serve=False) == 0
    assert (tmp_path / ".dxq" / "demo" / "dxq.yml").is_file()
    assert (tmp_path / ".dxq" / "results.db").is_file()
