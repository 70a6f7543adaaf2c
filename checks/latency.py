"""The latency check: how long a change takes to travel from source to target.

For each source record whose updated column lies within the window (`now - window` to now),
its latency is the target's updated time of the same key minus the source's. A record the
target does not hold, or holds with an older updated time, is still waiting; it counts with
the time it has waited so far (`now` minus its source time), a lower bound of its latency, so
a feed that stops shows as latency growing past the SLA instead of as no data.

Percentiles use one rule, nearest rank (`nearest_rank`): the p-th percentile of n values is
the value at rank ceil(p/100 * n) of the sorted values, so every percentile is a latency that
some record had. p50, p95 and max are taken over every changed record of the window, arrived
and waiting; the check fails (warns, for a warning-level check) when p95 exceeds `max_p95`.
How the window is read, and what bounds its memory: checks/latency_window.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from checks.latency_window import Window, WindowError, read_window
from checks.limit import describe_limit, judge
from checks.reconcile.errors import ReconcileError
from checks.result import CheckKind, CheckResult, Outcome, error_result
from checks.spec import LatencySpec
from datasources.durations import format_duration
from datasources.errors import Cause, DatasourceError, cause_of


def nearest_rank(ordered: Sequence[float], percent: float) -> float | None:
    """The `percent` percentile of ascending `ordered` values by nearest rank (None for none):
    the value at 1-based rank ceil(percent / 100 * n); 100 is the largest value."""
    if not ordered:
        return None
    rank = max(math.ceil(percent / 100 * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def check_latency(spec: LatencySpec, now: datetime) -> CheckResult:
    """p50, p95 and max latency of the window's changes, and how many still wait."""
    started = time.perf_counter()
    try:
        window = read_window(spec, now)
    except (ReconcileError, DatasourceError, WindowError) as exc:
        cause = Cause.BAD_QUERY if isinstance(exc, WindowError) else cause_of(exc)
        return error_result(spec.name, CheckKind.LATENCY, spec.severity, str(exc), cause=cause)
    except Exception as exc:  # a check never raises: anything else is still an error result
        reason = f"latency failed unexpectedly: {type(exc).__name__}: {exc}"
        return error_result(spec.name, CheckKind.LATENCY, spec.severity, reason)
    return judge_window(spec, window, time.perf_counter() - started)


def judge_window(spec: LatencySpec, window: Window, duration_s: float) -> CheckResult:
    """The result of a read window against the SLA."""
    window.delays.sort()  # in place: the window's one list of latencies is not copied
    ordered = window.delays
    p50, p95, worst = (nearest_rank(ordered, p) for p in (50, 95, 100))
    metrics: dict[str, Any] = {
        "p50_s": p50,
        "p95_s": p95,
        "max_s": worst,
        "waiting": window.waiting,
        "arrived": window.arrived,
        "changed": len(ordered),
        "oldest_waiting_s": window.oldest_waiting_s,
        "window_s": spec.window_s,
        "max_p95_s": spec.max_p95_s,
    }
    expected = "p95 " + describe_limit(spec.max_p95_s, spec.warn_p95_s, format_duration)
    source, target = spec.source.label, spec.target.label
    within = f"in the last {format_duration(spec.window_s)}"
    sample = [row for _, _, row in sorted(window.slowest, key=lambda e: (-e[0], e[1]))]
    if p95 is None or p50 is None or worst is None:
        return CheckResult(
            check=spec.name,
            kind=CheckKind.LATENCY,
            outcome=Outcome.PASSED,
            severity=spec.severity,
            metrics=metrics,
            headline="p95_s",
            observed=f"no record of {source} changed {within}",
            expected=expected,
            duration_s=duration_s,
        )
    outcome = judge(p95, spec.max_p95_s, spec.warn_p95_s, spec.severity)
    observed = (
        f"p95 {format_duration(p95)} (p50 {format_duration(p50)}, max {format_duration(worst)})"
        f", {window.waiting:,} waiting"
    )
    reason = None
    if outcome is not Outcome.PASSED:
        warned = outcome is Outcome.WARNED and spec.warn_p95_s is not None
        allowed = spec.warn_p95_s if warned and spec.warn_p95_s is not None else spec.max_p95_s
        reason = (
            f"95% of the {len(ordered):,} records changed in {source} {within} reached "
            f"{target} within {format_duration(p95)}, more than the "
            f"{format_duration(allowed)} allowed"
        )
        if window.waiting:
            oldest = format_duration(window.oldest_waiting_s or 0.0)
            reason += f"; {window.waiting:,} still waiting, the oldest for {oldest}"
    return CheckResult(
        check=spec.name,
        kind=CheckKind.LATENCY,
        outcome=outcome,
        severity=spec.severity,
        metrics=metrics,
        headline="p95_s",
        observed=observed,
        expected=expected,
        sample=sample,
        reason=reason,
        duration_s=duration_s,
    )
