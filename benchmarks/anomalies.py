"""Benchmark: the anomaly detector (checks.anomaly) against a plain rolling z-score.

Generates labelled hourly series (trend, daily and weekly seasonality, multiplicative noise,
jittered run times, missing runs and outages) and injects, after a four-week warm-up, spikes,
drops, level shifts, flat-lines (a feed that stopped: the value freezes) and slow drifts.
Each detector judges every point online (only on its past) and is scored per anomaly window:

- an alarm is a run of consecutive flagged points; it is true when it touches an anomaly
  window or the day after it (the recovery), false otherwise;
- precision = true alarms / alarms; recall = windows with a flagged point / windows;
  false alarms are counted per series-week over the whole series.

The baseline is Elementary's default: a z-score against the mean and standard deviation of the
previous 14 days, 3 sigma, no seasonality. Targets: F1 >= 1.3x the baseline's, at most one
false alarm per series-week at the default settings, and scoring --series 1000 series of
--days 90 in under 10 s of CPU time (the machine is shared: wall time is printed too, and is
longer whenever other work runs). Exits 1 when a target is missed.

    .venv/bin/python benchmarks/anomalies.py [--series 1000] [--days 90] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from checks.anomaly.model import score_batch
from checks.anomaly.settings import AnomalySettings, Seasonality

HOUR = 3600
DAY = 24 * HOUR
START = 1_767_571_200  # 2026-01-05 00:00 UTC, a Monday
WARM_UP_DAYS = 28
KINDS = ("spike", "drop", "level_shift", "flat_line", "drift")
TOLERANCE = DAY  # alarms this long after a window are its recovery, not false
F1_RATIO = 1.3
MAX_FALSE_PER_WEEK = 1.0
MAX_SECONDS = 10.0

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Labelled:
    seconds: Ints
    values: Floats
    windows: list[tuple[int, int, str]]  # [start, end) in epoch seconds, kind


def generate(count: int, days: int, seed: int) -> list[Labelled]:
    rng = np.random.default_rng(seed)
    return [_one(rng, days) for _ in range(count)]


def _one(rng: np.random.Generator, days: int) -> Labelled:
    n = days * 24
    grid = START + np.arange(n, dtype=np.int64) * HOUR
    hour = (grid // HOUR) % 24
    day = (grid - START) / DAY
    level = 10 ** rng.uniform(2, 5) * (1 + rng.normal(0, 0.004) * day)
    daily = rng.uniform(0, 0.6) if rng.random() < 0.8 else 0.0
    phase, phase2 = rng.uniform(0, 24, 2)
    shape = 0.7 * np.sin(2 * np.pi * (hour - phase) / 24) + 0.3 * np.sin(
        4 * np.pi * (hour - phase2) / 24
    )
    weekend = rng.uniform(0.4, 0.85) if rng.random() < 0.6 else 1.0
    week = np.where(((grid // DAY + 3) % 7) >= 5, weekend, 1.0)
    noise = rng.uniform(0.02, 0.08)
    factor = np.ones(n)  # shifts and drifts scale the level before the noise
    after: list[tuple[int, int, str, float]] = []  # spikes, drops, flat-lines: on the values
    windows: list[tuple[int, int, str]] = []
    slots = np.arange(WARM_UP_DAYS + 2, days - 6, 15)
    for slot in rng.choice(slots, size=min(3, len(slots)), replace=False):
        kind = KINDS[rng.integers(len(KINDS))]
        at = int(slot * 24 + rng.integers(0, 72))
        size = 1.0
        if kind == "spike":
            end, size = at + int(rng.integers(1, 4)), 1 + rng.uniform(0.4, 1.5)
        elif kind == "drop":
            end, size = at + int(rng.integers(1, 7)), rng.uniform(0.2, 0.6)
        elif kind == "flat_line":
            end, size = at + int(rng.integers(12, 37)), 0.0
        elif kind == "level_shift":
            end = at + 24
            shift = rng.uniform(1.3, 1.8) if rng.random() < 0.5 else rng.uniform(0.5, 0.75)
            factor[at:] *= shift
        else:  # drift: a ramp to +30..60% over 7-10 days that then stays
            length = int(rng.integers(7, 11)) * 24
            end = at + length
            ramp = np.minimum(np.arange(n - at) / length, 1.0)
            factor[at:] *= 1 + rng.uniform(0.3, 0.6) * ramp
        after.append((at, min(end, n), kind, size))
    seconds = grid + rng.integers(0, 300, n)  # runs start up to 5 minutes late
    values = level * factor * (1 + daily * shape) * week * (1 + noise * rng.standard_normal(n))
    for at, end, kind, size in after:
        if kind in ("spike", "drop"):
            values[at:end] *= size
        elif kind == "flat_line":
            values[at:end] = values[at - 1]
        windows.append((int(seconds[at]), int(seconds[end - 1]) + 1, kind))
    keep = rng.random(n) > 0.02  # missing runs
    if rng.random() < 0.5:  # an outage of 2-10 hours
        at = int(rng.integers(2 * 24, n - 24))
        keep[at : at + int(rng.integers(2, 11))] = False
    for start, _end, _ in windows:  # every window keeps its first run, so it can be seen
        keep[int(np.searchsorted(seconds, start))] = True
    return Labelled(seconds[keep], np.maximum(values[keep], 0.0), windows)


def zscore_baseline(series: list[Labelled]) -> list[NDArray[np.bool_]]:
    """Elementary's default: |x - mean| > 3 std of the previous 14 days (>= 14 points)."""
    flagged = []
    for s in series:
        frame = pd.Series(s.values, index=pd.DatetimeIndex(s.seconds.astype("datetime64[s]")))
        window = frame.rolling("14D", closed="left", min_periods=14)
        mean, std = window.mean().to_numpy(), window.std().to_numpy()
        flagged.append(np.abs(s.values - mean) > 3 * std)
    return flagged


@dataclass(frozen=True)
class Tally:
    precision: float
    recall: float
    f1: float
    false_per_week: float
    recall_by_kind: dict[str, float]


def tally(series: list[Labelled], flagged: list[NDArray[np.bool_]], days: int) -> Tally:
    true_alarms = false_alarms = found = total = 0
    by_kind: dict[str, list[int]] = {kind: [0, 0] for kind in KINDS}
    for s, flags in zip(series, flagged, strict=True):
        starts = np.flatnonzero(flags & ~np.concatenate(([False], flags[:-1])))
        ends = np.flatnonzero(flags & ~np.concatenate((flags[1:], [False])))
        excused = np.zeros(len(s.seconds), dtype=bool)
        for start, end, kind in s.windows:
            inside = (s.seconds >= start) & (s.seconds < end)
            excused |= (s.seconds >= start) & (s.seconds < end + TOLERANCE)
            hit = bool((flags & inside).any())
            found += hit
            total += 1
            by_kind[kind][0] += hit
            by_kind[kind][1] += 1
        running = np.concatenate(([0], np.cumsum(excused)))
        is_true = running[ends + 1] - running[starts] > 0
        true_alarms += int(is_true.sum())
        false_alarms += int((~is_true).sum())
    alarms = true_alarms + false_alarms
    precision = true_alarms / alarms if alarms else 1.0
    recall = found / total if total else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    weeks = len(series) * days / 7
    kinds = {k: (v[0] / v[1] if v[1] else float("nan")) for k, v in by_kind.items()}
    return Tally(precision, recall, f1, false_alarms / weeks, kinds)


def _detector(series: list[Labelled], settings: AnomalySettings) -> list[NDArray[np.bool_]]:
    scores = score_batch([(s.seconds, s.values) for s in series], settings)
    return [s.anomalous for s in scores]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variants", action="store_true", help="also the measured alternatives")
    parser.add_argument(
        "--stl",
        type=int,
        default=0,
        metavar="N",
        help="also STL refitted daily (needs statsmodels) on the first N series",
    )
    parser.add_argument(
        "--mstl", action="store_true", help="with --stl: MSTL (daily and weekly periods)"
    )
    args = parser.parse_args()
    series = generate(args.series, args.days, args.seed)
    points = sum(len(s.seconds) for s in series)
    windows = sum(len(s.windows) for s in series)
    print(f"{args.series} series, {args.days} days hourly, {points:,} points, {windows} windows")
    default = AnomalySettings()
    rows: list[tuple[str, Tally, float, float]] = []
    began, cpu = time.perf_counter(), time.process_time()
    flags = zscore_baseline(series)
    timing = time.perf_counter() - began, time.process_time() - cpu
    base = tally(series, flags, args.days)
    rows.append(("rolling z-score (baseline)", base, *timing))
    runs = [("seasonal median/MAD (default)", default)]
    if args.variants:
        runs += [
            (f"  seasonality={s}", replace(default, seasonality=s))
            for s in (Seasonality.DAILY, Seasonality.WEEKLY, Seasonality.NONE)
        ]
        runs += [(f"  sensitivity={k}", replace(default, sensitivity=k)) for k in (3.0, 3.5, 5.0)]
    for name, settings in runs:
        began, cpu = time.perf_counter(), time.process_time()
        flags = _detector(series, settings)
        timing = time.perf_counter() - began, time.process_time() - cpu
        rows.append((name, tally(series, flags, args.days), *timing))
    if args.stl:
        rows += _stl_rows(series[: args.stl], args.days, args.mstl)
    print(_table(rows, base.f1))
    print(
        "recall by kind: "
        + "; ".join(
            f"{name.strip()}: " + ", ".join(f"{k} {v:.2f}" for k, v in t.recall_by_kind.items())
            for name, t, _, _ in rows[:2]
        )
    )
    ours, elapsed = rows[1][1], rows[1][3]
    missed = []
    if ours.f1 < F1_RATIO * base.f1:
        missed.append(f"F1 {ours.f1:.3f} < {F1_RATIO} x baseline {base.f1:.3f}")
    if ours.false_per_week > MAX_FALSE_PER_WEEK:
        missed.append(f"{ours.false_per_week:.2f} false alarms per series-week > 1")
    scale = 1000 * 90 / (args.series * args.days)
    if elapsed * scale > MAX_SECONDS:
        missed.append(f"{elapsed * scale:.1f} s CPU for 1,000 series of 90 days > {MAX_SECONDS} s")
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    print("all targets met" if not missed else f"{len(missed)} target(s) missed")
    return 1 if missed else 0


def _stl_rows(
    series: list[Labelled], days: int, weekly: bool
) -> list[tuple[str, Tally, float, float]]:
    """STL on a subset, and for comparison the baseline and default on the same subset; the
    times are scaled to 1,000 series."""
    from benchmarks.anomaly_stl import stl_flags

    scale = 1000 / len(series)
    rows: list[tuple[str, Tally, float, float]] = []
    for name, score in (
        ("rolling z-score", zscore_baseline),
        ("seasonal median/MAD", lambda s: _detector(s, AnomalySettings())),
        (
            f"{'MSTL' if weekly else 'STL'} refitted daily",
            lambda s: [stl_flags(x.seconds, x.values, weekly) for x in s],
        ),
    ):
        began, cpu = time.perf_counter(), time.process_time()
        flags = score(series)
        timing = (time.perf_counter() - began) * scale, (time.process_time() - cpu) * scale
        rows.append(
            (
                f"  {name}, {len(series)} series (time x{scale:g})",
                tally(series, flags, days),
                *timing,
            )
        )
    return rows


def _table(rows: list[tuple[str, Tally, float, float]], base_f1: float) -> str:
    lines = [
        "| detector | precision | recall | F1 | false alarms / series-week | time (CPU / wall) "
        "| F1 / baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, t, wall, cpu in rows:
        ratio = t.f1 / base_f1 if base_f1 else float("inf")
        lines.append(
            f"| {name} | {t.precision:.3f} | {t.recall:.3f} | {t.f1:.3f} | "
            f"{t.false_per_week:.3f} | {cpu:.2f} s / {wall:.2f} s | {ratio:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
