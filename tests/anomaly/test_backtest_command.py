"""`dxq anomalies backtest` as a user runs it (`python -m monitor.cli …` in a subprocess): the
JSON-lines contract, that it flags exactly what the detector flags online, the settings it
passes on, and every bad input as one line on stderr with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from checks.anomaly.detector import stream
from checks.anomaly.settings import AnomalySettings, Direction
from tests.anomaly.series import at_hour, csv_text, expected_value, hourly

ROOT = Path(__file__).resolve().parents[2]
SPIKE, DROP = 40 * 24 + 3, 44 * 24 + 15


def _backtest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "anomalies", "backtest", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def series() -> list:  # type: ignore[type-arg]
    points = hourly(50, weekend=0.6, seed=11)
    points = at_hour(points, SPIKE, expected_value(SPIKE, weekend=0.6) * 3)
    return at_hour(points, DROP, expected_value(DROP, weekend=0.6) * 0.3)


@pytest.fixture(scope="module")
def series_csv(series: list, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[type-arg]
    path = tmp_path_factory.mktemp("backtest") / "orders.csv"
    path.write_text(csv_text(series, "run_at", "rows"))
    return path


def test_one_json_object_per_flagged_point_exactly_as_online(
    series: list,  # type: ignore[type-arg]
    series_csv: Path,
) -> None:
    done = _backtest(
        "--csv", str(series_csv), "--timestamp-column", "run_at", "--value-column", "rows"
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(
        set(line) == {"timestamp", "value", "expected_low", "expected_high", "score"}
        for line in lines
    )
    online = [v for v in stream(series, AnomalySettings()) if v is not None and v.anomalous]
    assert [datetime.fromisoformat(line["timestamp"]) for line in lines] == [v.at for v in online]
    by_time = {line["timestamp"]: line for line in lines}
    spike = by_time[series[SPIKE].at.isoformat()]
    assert spike["value"] == series[SPIKE].value
    assert spike["expected_low"] < spike["expected_high"] < spike["value"]
    assert spike["score"] > 4
    drop = by_time[series[DROP].at.isoformat()]
    assert drop["value"] < drop["expected_low"] and drop["score"] < -4
    assert len(lines) <= 4  # the two injected anomalies, and little else


def test_settings_reach_the_detector(series_csv: Path) -> None:
    columns = ("--timestamp-column", "run_at", "--value-column", "rows")
    spikes = _backtest("--csv", str(series_csv), *columns, "--direction", "spike")
    assert spikes.returncode == 0
    scores = [json.loads(line)["score"] for line in spikes.stdout.splitlines()]
    assert scores and all(score > 0 for score in scores)
    counts = {}
    for sensitivity in ("0.5", "4", "20"):
        done = _backtest("--csv", str(series_csv), *columns, "--sensitivity", sensitivity)
        scores = [json.loads(line)["score"] for line in done.stdout.splitlines()]
        assert done.returncode == 0 and all(abs(s) > float(sensitivity) for s in scores)
        counts[sensitivity] = len(scores)
    assert counts["0.5"] > 100 > counts["4"] >= counts["20"]
    first = {}
    for history in ("14", "600"):  # past points within the training window (28 days)
        done = _backtest(
            "--csv", str(series_csv), *columns, "--sensitivity", "0.5",
            "--seasonality", "none", "--min-history", history,
        )  # fmt: skip
        assert done.returncode == 0
        first[history] = json.loads(done.stdout.splitlines()[0])["timestamp"]
    assert first["14"] < "2026-01-09" and first["600"] > "2026-01-30"  # 600 h = day 25


def test_naive_timestamps_are_utc_and_empty_values_are_missing_runs(
    series: list,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    rows = ["when,value"] + [
        f"{p.at.replace(tzinfo=None).isoformat(sep=' ')},{'' if i % 10 == 0 else p.value}"
        for i, p in enumerate(series)
    ]
    path = tmp_path / "naive.csv"
    path.write_text("\n".join(rows) + "\n")
    done = _backtest(
        "--csv", str(path), "--timestamp-column", "when", "--direction", Direction.SPIKE
    )
    assert done.returncode == 0, done.stderr
    stamps = [json.loads(line)["timestamp"] for line in done.stdout.splitlines()]
    assert series[SPIKE].at.isoformat() in stamps


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (
            "run_at,rows\n2026-01-05T00:00:00Z,1\n",
            (),
            "no column 'timestamp'; columns: 'run_at', 'rows' (--timestamp-column)",
        ),
        (
            "timestamp,rows\n2026-01-05T00:00:00Z,1\n",
            ("--value-column", "count"),
            "no column 'count'; columns: 'timestamp', 'rows' (--value-column)",
        ),
        (
            "timestamp,value\n2026-01-05T00:00:00Z,1\n5 January,2\n",
            (),
            "line 3: timestamp '5 January' is not a date and time; write ISO 8601",
        ),
        (
            "timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05T01:00:00Z,many\n",
            (),
            "line 3: value 'many' is not a number",
        ),
        (
            "timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05T00:00:00+00:00,2\n",
            (),
            "line 3: timestamp '2026-01-05T00:00:00+00:00' repeats line 2",
        ),
        (
            "timestamp,value\n" + "".join(f"2026-01-05T{h:02}:00:00Z,{h}\n" for h in range(10)),
            (),
            "10 points, fewer than min_history 14",
        ),
        (
            "timestamp,value\n" + "".join(f"2026-01-05T{h:02}:00:00Z,{h}\n" for h in range(10)),
            ("--min-history", "11"),
            "10 points, fewer than min_history 11",
        ),
        ("", (), "no column 'timestamp'; columns: none (empty file)"),
        ("timestamp,value\n", ("--sensitivity", "0"), "sensitivity 0.0: give a number"),
        ("timestamp,value\n", ("--training", "soon"), "--training: invalid duration 'soon'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, text: str, args: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "series.csv"
    path.write_text(text)
    done = _backtest("--csv", str(path), *args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert message in done.stderr and done.stderr.startswith("dxq: ")


def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = _backtest("--csv", str(tmp_path / "absent.csv"))
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr == f"dxq: {tmp_path / 'absent.csv'}: cannot read: No such file or directory\n"
    )
