"""The demo build's progress: one bar redrawn in place on a terminal, plain lines otherwise."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from demo.progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_line_is_redrawn_and_the_summary_follows() -> None:
    out = _Terminal()
    bar = ProgressBar("demo history", 3, out)
    for day in ("day 1", "day 2", "day 3"):
        bar.step(day)
    bar.finish("3 days recorded")
    text = out.getvalue()
    redraws = text.split("\n")[0].split("\r")[1:]
    assert len(redraws) == 3
    assert "[" in redraws[0] and "1/3 day 1" in redraws[0]
    assert redraws[-1].startswith("demo history [" + "#" * 10) and "3/3 day 3" in redraws[-1]
    assert "-" not in redraws[-1].split("]")[0]  # full at the end
    assert text.count("\n") == 2
    assert text.split("\n")[1].startswith("demo history: 3 days recorded in ")


def test_elsewhere_each_step_is_a_plain_line() -> None:
    out = io.StringIO()
    bar = ProgressBar("demo history", 2, out)
    bar.step("day 1")
    bar.step("day 2")
    bar.finish("2 days recorded")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[:2] == ["demo history: 1/2 day 1", "demo history: 2/2 day 2"]
    assert lines[2].startswith("demo history: 2 days recorded in ")


def test_a_real_terminal_is_recognised() -> None:
    leader, follower = os.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as tty:
            bar = ProgressBar("x", 1, tty)
            assert bar.tty
            bar.step("one")
        assert os.read(leader, 1000).startswith(b"\rx [")
    finally:
        os.close(leader)
        os.close(follower)


def test_the_demo_build_prints_one_line_a_day_into_a_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from demo.command import build_demo

    build_demo(days=2, state_dir=tmp_path, end=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    out = capsys.readouterr().out
    assert "\r" not in out
    assert out.splitlines()[:2] == [
        "demo history: 1/2 day 2026-11-19",
        "demo history: 2/2 day 2026-11-20",
    ]
    assert out.splitlines()[2].startswith("demo history: 2 days recorded in ")


def test_the_history_leaves_no_reminder_or_escalation_due_at_its_end(tmp_path: Path) -> None:
    from datetime import timedelta

    from demo.command import build_demo, demo_env
    from monitor.daemon.daemon_alerts import tick_alerts
    from store.store import ResultStore

    end = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    build_demo(days=4, state_dir=tmp_path, end=end, quiet=True)
    store = ResultStore.open(demo_env(tmp_path)["DXQ_STORE_URL"])
    try:
        assert tick_alerts(store, end + timedelta(minutes=2)) == 0  # the scheduler starts
        assert tick_alerts(store, end + timedelta(days=1)) > 0  # later ones still come
    finally:
        store.dispose()
