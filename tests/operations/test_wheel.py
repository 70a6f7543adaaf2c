"""The wheel, installed into a fresh venv outside the repository (issue 13 item 1): it holds every
module and data file, imports nothing from the clone, and from an empty directory runs the demo,
validates the demo's monitor file, draws every dashboard page and serves the dashboard and the
API until their health endpoints answer.

The venv's dependencies come from requirements.txt (the exact pins), so the pip cache makes the
install a matter of minutes; the wheel is built from a copy of the sources, so the build never
writes into the shared checkout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ports import free_port

# One worker builds the venv once for the whole module (make test runs with --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("alerts", "checks", "dashboard", "datasources", "demo", "monitor", "store")
# Files of the packages that are not modules but must ship (and must keep shipping).
DATA = ("demo/dxq.yml", "demo/suites/*.json", "store/migrations/script.py.mako")
INSTALL_TIMEOUT_S = 600


@dataclass(frozen=True)
class Installed:
    source: Path  # the copy of the sources the wheel was built from
    wheel: Path
    venv: Path
    work: Path  # an empty directory outside the repository
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.work,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _clean_env() -> dict[str, str]:
    """The environment without anything that points at the clone or its venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "DXQ_", "VIRTUAL_ENV", "STREAMLIT_"))
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))]
    env["PATH"] = os.pathsep.join(path)
    return env


def _must(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"{proc.args}: {proc.stdout[-2000:]}{proc.stderr[-3000:]}"
    return proc.stdout


# Session-scoped, not module-scoped: with xdist the worker running the "wheel" group may run
# other modules' tests between these, and a module fixture would then build the venv again
# (72 s each time in the suite's durations).
@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.is_relative_to(ROOT), "the venv must live outside the repository"
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    env = _clean_env()
    venv = base / "venv"
    _must(subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]

    def install(*args: str) -> None:
        _must(
            subprocess.run(
                [*pip, *args],
                cwd=base,
                env=env,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
            )
        )

    install("install", "setuptools>=77")  # the build backend pyproject.toml asks for
    install("wheel", "--no-deps", "--no-build-isolation", "-w", str(base / "dist"), str(source))
    (wheel,) = (base / "dist").glob("dxq-*.whl")
    # No bytecode compiled at install: the first import of a module compiles it, so only what
    # the tests import is compiled (the whole install took 85 s with pip compiling every module
    # of every package, 44 s without, on one machine)
    install("install", "--no-compile", "-r", str(ROOT / "requirements.txt"), str(wheel))
    work = base / "work"
    work.mkdir()
    return Installed(source, wheel, venv, work, env)


@pytest.fixture(scope="session")
def demo_built(installed: Installed) -> subprocess.CompletedProcess[str]:
    return installed.run("dxq", "demo", "--no-serve", "--days", "1")


def _site_packages(installed: Installed) -> Path:
    out = installed.run("python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    return Path(_must(out).strip())


def test_the_wheel_holds_every_module_and_data_file(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = set(wheel.namelist())
    source = installed.source
    expected = {
        path.relative_to(source).as_posix()
        for package in PACKAGES
        for path in (source / package).rglob("*.py")
    }
    expected |= {p.relative_to(source).as_posix() for pattern in DATA for p in source.glob(pattern)}
    assert "dashboard/pages/overview.py" in expected  # a directory without __init__.py
    assert len([p for p in expected if p.startswith("demo/suites/")]) >= 5
    assert sorted(expected - shipped) == []
    assert not [n for n in shipped if n.startswith(("tests/", "benchmarks/", "scripts/"))]


def test_the_installed_dxq_imports_nothing_from_the_clone(installed: Installed) -> None:
    code = "; ".join([f"import {p}" for p in PACKAGES] + [f"print({p}.__file__)" for p in PACKAGES])
    files = _must(installed.run("python", "-c", code)).split()
    site = _site_packages(installed)
    assert len(files) == len(PACKAGES)
    assert all(Path(f).is_relative_to(site) for f in files), files
    assert not any(f.startswith(str(ROOT)) for f in files)
    version = _must(installed.run("dxq", "--version")).strip()
    assert version == "dxq 0.1.0", version


def test_the_demo_builds_in_the_working_directory_and_validates(
    installed: Installed, demo_built: subprocess.CompletedProcess[str]
) -> None:
    _must(demo_built)
    copy = installed.work / ".dxq" / "demo" / "dxq.yml"
    assert copy.is_file() and (installed.work / ".dxq" / "results.db").is_file()
    assert len(list(copy.parent.glob("suites/*.json"))) >= 5
    assert not (_site_packages(installed) / ".dxq").exists(), "the demo wrote into the venv"
    out = _must(installed.run("dxq", "validate", "-c", ".dxq/demo/dxq.yml"))
    assert out.startswith("ok: 6 integrations"), out
    broken = installed.work / "broken.yml"
    broken.write_text("integrations: {}\nnot_a_key: 1\n")
    bad = installed.run("dxq", "validate", "-c", str(broken))
    assert bad.returncode == 2 and "broken.yml" in bad.stdout + bad.stderr


# Every page of the installed dashboard, drawn by AppTest from the shipped entry script: a page
# that links to another by a path relative to the clone's root would raise here.
DRAW_PAGES = """
import sys
from importlib.util import find_spec
from pathlib import Path
from streamlit.testing.v1 import AppTest

app = find_spec("dashboard.entry.streamlit_app").origin
for page in sorted((Path(app).parent.parent / "pages").glob("*.py")):
    at = AppTest.from_file(app, default_timeout=60)
    at.query_params["integration"] = "orders"
    at.run()
    at.switch_page(str(page)).run()
    problems = [e.value for e in at.exception]
    print(page.name, "ok" if not problems else problems)
"""


def test_every_dashboard_page_draws_from_the_installed_package(
    installed: Installed, demo_built: subprocess.CompletedProcess[str]
) -> None:
    _must(demo_built)
    state = installed.work / ".dxq"
    env = {
        **installed.env,
        "DXQ_CONFIG": str(state / "demo" / "dxq.yml"),
        "DXQ_DEMO_DIR": str(state / "demo"),
        "DXQ_STORE_URL": f"sqlite:///{state}/results.db",
    }
    proc = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", DRAW_PAGES],
        cwd=installed.work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = _must(proc).splitlines()
    assert {line.split()[0] for line in lines} >= {"overview.py", "integration.py", "check.py"}
    assert all(line.endswith(" ok") for line in lines), lines


def _serve_until_healthy(proc: subprocess.Popen[str], url: str, healthy: str) -> None:
    """Poll `url` until it answers 200 with the body `healthy` (the process must stay up)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200 and resp.read().decode().strip() == healthy:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer {healthy!r}")


def _children_cmdlines(pid: int) -> list[str]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [Path(f"/proc/{c}/cmdline").read_text().replace("\0", " ") for c in children]


@pytest.fixture
def stopped_at_end() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_dashboard_and_the_api_serve_from_the_wheel(
    installed: Installed,
    demo_built: subprocess.CompletedProcess[str],
    stopped_at_end: list[subprocess.Popen[str]],
) -> None:
    _must(demo_built)
    port, api_port = free_port(), free_port()
    dashboard = installed.start("dxq", "dashboard", "-c", ".dxq/demo/dxq.yml", "--port", str(port))
    stopped_at_end.append(dashboard)
    api = installed.start("dxq", "api", "-c", ".dxq/demo/dxq.yml", "--port", str(api_port))
    stopped_at_end.append(api)
    _serve_until_healthy(dashboard, f"http://127.0.0.1:{port}/_stcore/health", "ok")
    _serve_until_healthy(api, f"http://127.0.0.1:{api_port}/api/v1/health", '{"status":"ok"}')
    (streamlit,) = _children_cmdlines(dashboard.pid)
    script = _site_packages(installed) / "dashboard" / "entry" / "streamlit_app.py"
    assert f" run {script} " in streamlit, streamlit
    for proc in (dashboard, api):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
