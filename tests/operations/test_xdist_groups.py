"""`make test` runs the suite on two workers with `--dist loadgroup`, and the suite relies on
it: every test marked `xdist_group("wheel")` shares one built wheel and venv, the browser tests
one server. pytest 9.2 made pytest-xdist 3.8 ignore the groups without a word
(pytest-dev/pytest-xdist#1386); the venv was then built on both workers. This runs a small
suite the way `make test` does and checks that a group stays on one worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GROUPED = """
import os
import pytest

pytestmark = pytest.mark.xdist_group("together")


@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    with open(os.environ["SEEN"], "a") as seen:
        seen.write(f"{os.environ['PYTEST_XDIST_WORKER']}\\n")
"""

LOOSE = """
import pytest


@pytest.mark.parametrize("i", range(6))
def test_loose(i):
    pass
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_a.py").write_text(GROUPED)
    (tmp_path / "test_b.py").write_text(GROUPED)
    (tmp_path / "test_c.py").write_text(LOOSE)
    seen = tmp_path / "seen.txt"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "SEEN": str(seen)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    workers = seen.read_text().split()
    assert len(workers) == 12
    assert len(set(workers)) == 1, f"one group ran on workers {sorted(set(workers))}"
