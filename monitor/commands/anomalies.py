"""`dxq anomalies backtest --csv FILE …`: replay a series of (timestamp, value) through the
anomaly detector exactly as runs would feed it online, and print one JSON line per flagged
point. It needs no monitor file and no store; maintenance teams tune `sensitivity` on their own
history with it, and it is the contract the detector is evaluated by.

Only argparse and the (light) settings are imported here: the parser is built on every `dxq`
start, and numpy and pandas load when a backtest runs."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from checks.anomaly.errors import AnomalyError
from checks.anomaly.settings import AnomalySettings, Direction, Seasonality
from datasources.durations import format_duration, parse_duration
from monitor.errors import MonitorError

TIMESTAMP_EXAMPLE = "2026-03-01T14:00:00Z"


def declare_anomalies(sub: Any) -> None:
    """Add `anomalies backtest` to dxq's subcommands (`sub`, argparse's subparsers)."""
    p = sub.add_parser("anomalies", help="anomaly detection: replay a series (backtest)")
    actions = p.add_subparsers(metavar="ACTION")
    backtest = actions.add_parser(
        "backtest",
        help="stream a CSV series through the detector; one JSON line per flagged point",
        description="Stream a CSV of (timestamp, value) through the anomaly detector as runs "
        "would feed it online (each point judged on its past only) and print one JSON object "
        'per flagged point: {"timestamp", "value", "expected_low", "expected_high", "score"}. '
        "Timestamps are ISO 8601 (naive ones are UTC); an empty value is a missing run.",
    )
    backtest.add_argument("--csv", required=True, metavar="FILE", help="the series, with a header")
    backtest.add_argument("--timestamp-column", default="timestamp", metavar="C")
    backtest.add_argument("--value-column", default="value", metavar="C")
    defaults = AnomalySettings()
    backtest.add_argument(
        "--sensitivity",
        type=float,
        metavar="S",
        help=f"band half-width in robust standard deviations (default {defaults.sensitivity})",
    )
    backtest.add_argument("--direction", choices=list(Direction), help="default both")
    backtest.add_argument("--seasonality", choices=list(Seasonality), help="default auto")
    backtest.add_argument(
        "--min-history",
        type=int,
        metavar="N",
        help=f"past points before a verdict (default {defaults.min_history})",
    )
    backtest.add_argument(
        "--training",
        metavar="DURATION",
        help="how far back the baseline looks, e.g. 14d "
        f"(default {format_duration(defaults.training.total_seconds())})",
    )
    backtest.set_defaults(command=backtest_command)


def backtest_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the backtest; bad input raises MonitorError (one line, exit 2)."""
    from checks.anomaly.detector import Point, stream

    settings = _settings(args)
    points = read_series(args.csv, args.timestamp_column, args.value_column)
    if len(points) < settings.min_history:
        raise MonitorError(
            f"{args.csv}: {len(points)} points, fewer than min_history {settings.min_history}; "
            "give a longer series or a smaller --min-history"
        )
    out = out or sys.stdout
    try:
        verdicts = stream([Point(at, value) for at, value in points], settings)
    except AnomalyError as exc:
        raise MonitorError(f"{args.csv}: {exc}") from None
    for verdict in verdicts:
        if verdict is not None and verdict.anomalous:
            line = {
                "timestamp": verdict.at.isoformat(),
                "value": verdict.value,
                "expected_low": verdict.low,
                "expected_high": verdict.high,
                "score": round(verdict.score, 3),
            }
            print(json.dumps(line), file=out)
    out.flush()
    return 0


def _settings(args: argparse.Namespace) -> AnomalySettings:
    given: dict[str, Any] = {}
    for key in ("sensitivity", "direction", "seasonality", "min_history"):
        if getattr(args, key) is not None:
            given[key] = getattr(args, key)
    if args.training is not None:
        try:
            given["training"] = timedelta(seconds=parse_duration(args.training))
        except ValueError as exc:
            raise MonitorError(f"anomalies backtest: --training: {exc}") from None
    try:
        return AnomalySettings(**given)
    except AnomalyError as exc:
        raise MonitorError(f"anomalies backtest: {exc}") from None


def read_series(
    path: str, timestamp_column: str, value_column: str
) -> list[tuple[datetime, float]]:
    """(timestamp, value) from a CSV file with a header; rows with an empty value are missing
    runs and left out. MonitorError names the file, line and fix for anything else."""
    from checks.freshness import to_utc

    try:
        handle = open(path, newline="", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise MonitorError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for name, option in ((timestamp_column, "timestamp"), (value_column, "value")):
            if name not in columns:
                there = ", ".join(repr(c) for c in columns) or "none (empty file)"
                raise MonitorError(
                    f"{path}: no column {name!r}; columns: {there} (--{option}-column)"
                )
        points: list[tuple[datetime, float]] = []
        seen: dict[datetime, int] = {}
        for row in reader:
            where = f"{path}: line {reader.line_num}"
            text, raw = row[timestamp_column] or "", row[value_column] or ""
            try:
                at = to_utc(text, ZoneInfo("UTC"))
            except ValueError:
                at = None
            if at is None:
                raise MonitorError(
                    f"{where}: timestamp {text!r} is not a date and time; write ISO 8601, "
                    f"e.g. {TIMESTAMP_EXAMPLE}"
                )
            if not raw.strip():
                continue
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise MonitorError(f"{where}: value {raw!r} is not a number")
            second = at.replace(microsecond=0)
            if second in seen:
                raise MonitorError(
                    f"{where}: timestamp {text!r} repeats line {seen[second]} (to the second); "
                    "give one value per timestamp"
                )
            seen[second] = reader.line_num
            points.append((at.astimezone(UTC), value))
    return points
