"""`dxq runs`: its filters, its JSON keys and its refusal of a bad --since (no broker needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from store.origin import RunOrigin
from store.store import ResultStore
from tests.scale.world import REDIS, monitor_file

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    store_url = f"sqlite:///{tmp_path}/results.db"
    store = ResultStore.open(store_url)
    for n, name in enumerate(["orders", "stock", "orders"]):
        at = T0 + timedelta(minutes=n)
        origin = RunOrigin(f"w{n}", f"{name}@{at.isoformat()}", at) if n else None
        run_id = store.begin_run(name, at, trigger="schedule", origin=origin)
        store.complete_run(run_id, at + timedelta(seconds=2), [])
    store.dispose()
    return monitor_file(tmp_path / "dxq.yml", store_url, REDIS, {})


def _json(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, object]]:
    assert main(["runs", "-c", str(config), "--format", "json", *extra]) == 0
    found: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return found


def test_runs_lists_newest_first_with_slot_and_worker(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = _json(config, capsys)
    assert [(r["id"], r["integration"], r["worker"]) for r in listed] == [
        (3, "orders", "w2"),
        (2, "stock", "w1"),
        (1, "orders", None),
    ]
    assert listed[0] == {
        "id": 3,
        "integration": "orders",
        "trigger": "schedule",
        "scheduled_for": "2026-12-06T08:02:00Z",
        "started_at": "2026-12-06T08:02:00Z",
        "finished_at": "2026-12-06T08:02:02Z",
        "outcome": "passed",
        "worker": "w2",
    }
    assert listed[2]["scheduled_for"] is None


def test_runs_filters_by_integration_since_and_limit(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [r["id"] for r in _json(config, capsys, "--integration", "orders")] == [3, 1]
    assert [r["id"] for r in _json(config, capsys, "--since", "2026-12-06T08:01:00Z")] == [3, 2]
    assert [r["id"] for r in _json(config, capsys, "--since", "2026-12-06T08:01")] == [3, 2]
    assert [r["id"] for r in _json(config, capsys, "--limit", "1")] == [3]
    assert main(["runs", "-c", str(config)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "id",
        "integration",
        "trigger",
        "scheduled_for",
        "started_at",
        "finished_at",
        "outcome",
        "worker",
    ]
    assert len(table) == 4 and table[3].split()[-1] == "-"


@pytest.mark.parametrize(("option", "value"), [("--since", "yesterday"), ("--limit", "0")])
def test_runs_refuses_bad_options_in_one_line(
    config: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    assert main(["runs", "-c", str(config), option, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"dxq: {option}"), err


@pytest.mark.parametrize("command", ["runs", "workers"])
def test_listing_a_store_that_is_not_there_makes_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """`dxq runs` and `dxq workers` only read what was recorded: pointed at a monitor file
    whose SQLite store does not exist (another file than meant), they say so and write
    nothing, where they used to create an empty store and list nothing."""
    missing = tmp_path / "elsewhere" / "results.db"
    config = monitor_file(tmp_path / "dxq.yml", f"sqlite:///{missing}", REDIS, {})
    assert main([command, "-c", str(config)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"dxq: results database: {missing} does not exist: nothing was recorded there (is this "
        "the monitor file whose runs you want? `dxq run` records runs)"
    ]
    assert not missing.exists() and not missing.parent.exists()
